#include <doctest/doctest.h>

#include <stdexcept>
#include <utility>

#include "counting_waker.hpp"
#include "rt.hpp"

TEST_SUITE("ex1: clone and wake through the vtable") {
    TEST_CASE("copying a waker clones it once, and every copy is dropped once") {
        test::WakeCounter counter;
        {
            rt::Waker original = counter.waker();
            rt::Waker copy = original;
            rt::Waker copy_of_copy(copy);
            CHECK(counter.clones == 2);
            CHECK(counter.drops == 0);
        }
        CHECK(counter.clones == 2);
        CHECK(counter.drops == 3);
        CHECK(counter.live() == 0);
    }

    TEST_CASE("wake() by value calls wake and consumes the waker: no drop follows") {
        test::WakeCounter counter;
        {
            rt::Waker waker = counter.waker();
            std::move(waker).wake();
            CHECK(counter.wakes == 1);
        }
        CHECK(counter.drops == 0);
        CHECK(counter.wakes_by_ref == 0);
        CHECK(counter.live() == 0);
    }

    TEST_CASE("wake_by_ref() wakes and keeps the waker, which is dropped later") {
        test::WakeCounter counter;
        {
            rt::Waker waker = counter.waker();
            waker.wake_by_ref();
            waker.wake_by_ref();
            CHECK(counter.wakes_by_ref == 2);
            CHECK(counter.drops == 0);
        }
        CHECK(counter.wakes == 0);
        CHECK(counter.drops == 1);
    }

    TEST_CASE("copy assignment clones the new waker and drops the old one") {
        test::WakeCounter first;
        test::WakeCounter second;
        rt::Waker a = first.waker();
        rt::Waker b = second.waker();
        a = b;
        CHECK(first.drops == 1);
        CHECK(second.clones == 1);
        a.wake_by_ref();
        CHECK(second.wakes_by_ref == 1);
        CHECK(first.wakes_by_ref == 0);
        rt::Waker& same = a;
        a = same;  // self-assignment keeps the waker valid
        a.wake_by_ref();
        CHECK(second.wakes_by_ref == 2);
    }

    TEST_CASE("a clone survives moves: one clone, one wake, two drops in all") {
        test::WakeCounter counter;
        {
            rt::Waker original = counter.waker();
            rt::Waker copy = original;
            rt::Waker moved = std::move(copy);
            rt::Waker assigned = counter.waker();
            assigned = std::move(moved);  // drops the waker `assigned` held
            std::move(assigned).wake();
        }
        CHECK(counter.created == 2);
        CHECK(counter.clones == 1);
        CHECK(counter.wakes == 1);
        CHECK(counter.drops == 2);
        CHECK(counter.live() == 0);
    }

    TEST_CASE("a clone will_wake the original; a waker over other data will not") {
        test::WakeCounter counter;
        test::WakeCounter other;
        rt::Waker original = counter.waker();
        rt::Waker clone = original;
        rt::Waker unrelated = other.waker();
        CHECK(clone.will_wake(original));
        CHECK_FALSE(unrelated.will_wake(original));
    }

    TEST_CASE("using a waker after waking it by value is a clear error, not a crash") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        std::move(waker).wake();
        CHECK_THROWS_WITH_AS(waker.wake_by_ref(), "rt::Waker: used after it was moved from or woken by value",
                             std::logic_error);
        CHECK_THROWS_AS(std::move(waker).wake(), std::logic_error);
        CHECK_THROWS_AS(rt::Waker{waker}, std::logic_error);
        CHECK(counter.wakes == 1);
    }
}
