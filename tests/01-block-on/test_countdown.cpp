#include <doctest/doctest.h>

#include <stdexcept>

#include "counting_waker.hpp"
#include "rt.hpp"

TEST_SUITE("ex3: Countdown") {
    TEST_CASE("Countdown(3) is pending twice, waking itself by reference each time, then ready with 3") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        rt::Countdown countdown(3);

        CHECK(countdown.poll(cx).is_pending());
        CHECK(counter.wakes_by_ref == 1);
        CHECK(countdown.poll(cx).is_pending());
        CHECK(counter.wakes_by_ref == 2);
        rt::Poll<int> last = countdown.poll(cx);
        REQUIRE(last.is_ready());
        CHECK(last.value() == 3);
        CHECK(countdown.polls() == 3);
        CHECK(counter.wakes_by_ref == 2);  // no wake with the ready answer
        CHECK(counter.clones == 0);        // waking by reference needs no clone
        CHECK(counter.wakes == 0);
    }

    TEST_CASE("Countdown(1) is ready at its first poll without waking anyone") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        rt::Countdown countdown(1);
        rt::Poll<int> poll = countdown.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == 1);
        CHECK(counter.total_wakes() == 0);
    }

    TEST_CASE("polling a finished Countdown is an error") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        rt::Countdown countdown(2);
        CHECK(countdown.poll(cx).is_pending());
        CHECK(countdown.poll(cx).is_ready());
        CHECK_THROWS_WITH_AS((void)countdown.poll(cx), "rt::Countdown: polled after it completed", std::logic_error);
    }

    TEST_CASE("each poll wakes the waker of that poll's context") {
        test::WakeCounter first;
        test::WakeCounter second;
        rt::Waker a = first.waker();
        rt::Waker b = second.waker();
        rt::Countdown countdown(3);
        rt::Context cx_a(a);
        rt::Context cx_b(b);
        CHECK(countdown.poll(cx_a).is_pending());
        CHECK(countdown.poll(cx_b).is_pending());
        CHECK(first.wakes_by_ref == 1);
        CHECK(second.wakes_by_ref == 1);
    }
}
