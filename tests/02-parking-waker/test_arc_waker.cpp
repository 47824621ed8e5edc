#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <vector>

#include "alloc_counter.hpp"
#include "rt.hpp"
#include "threads.hpp"

namespace {

// Counts its wake-ups and whether it still exists.
struct Wakeable {
    std::atomic<int>* destroyed;
    mutable std::atomic<int> wakes{0};
    explicit Wakeable(std::atomic<int>* d) : destroyed(d) {}
    ~Wakeable() { ++*destroyed; }
    void wake() const { ++wakes; }
};

// Logs its wake-ups and its destruction in one global list, so that the order shows even when
// wake() runs on an object already destroyed (a bug this type survives long enough to report).
std::vector<const char*> order_log;

struct OrderLogged {
    ~OrderLogged() { order_log.push_back("destroyed"); }
    void wake() const { order_log.push_back("woken"); }
};

}  // namespace

TEST_SUITE("ex2: waker_from, a vtable over an Arc") {
    TEST_CASE("each clone adds one to the count and each drop takes it back") {
        std::atomic<int> destroyed{0};
        rt::Arc<Wakeable> object = rt::make_arc<Wakeable>(&destroyed);
        rt::Waker waker = rt::waker_from(object);
        CHECK(object.strong_count() == 2);
        {
            rt::Waker clone = waker;
            rt::Waker another = clone;
            CHECK(object.strong_count() == 4);
        }
        CHECK(object.strong_count() == 2);
        CHECK(object->wakes == 0);
    }

#if TEST_COUNTS_ALLOCATIONS
    TEST_CASE("cloning, waking and dropping never allocate") {
        std::atomic<int> destroyed{0};
        rt::Waker waker = rt::waker_from(rt::make_arc<Wakeable>(&destroyed));
        test::CountAllocations allocations;
        for (int i = 0; i < 100; ++i) {
            rt::Waker clone = waker;
            clone.wake_by_ref();
            std::move(clone).wake();
        }
        CHECK(allocations.count() == 0);
    }
#endif

    TEST_CASE("wake() by value wakes the object and gives up its count") {
        std::atomic<int> destroyed{0};
        rt::Arc<Wakeable> object = rt::make_arc<Wakeable>(&destroyed);
        rt::Waker waker = rt::waker_from(object);
        rt::Waker clone = waker;
        std::move(clone).wake();
        CHECK(object->wakes == 1);
        CHECK(object.strong_count() == 2);
    }

    TEST_CASE("wake_by_ref() wakes the object and keeps the count") {
        std::atomic<int> destroyed{0};
        rt::Arc<Wakeable> object = rt::make_arc<Wakeable>(&destroyed);
        rt::Waker waker = rt::waker_from(object);
        waker.wake_by_ref();
        waker.wake_by_ref();
        CHECK(object->wakes == 2);
        CHECK(object.strong_count() == 2);
    }

    TEST_CASE("after every waker is gone the object is destroyed exactly once") {
        std::atomic<int> destroyed{0};
        {
            rt::Waker waker = rt::waker_from(rt::make_arc<Wakeable>(&destroyed));
            std::vector<rt::Waker> clones(5, waker);
            std::move(clones[0]).wake();
            clones[1].wake_by_ref();
            CHECK(destroyed == 0);
        }
        CHECK(destroyed == 1);
    }

    TEST_CASE("a woken-by-value last waker destroys the object") {
        std::atomic<int> destroyed{0};
        rt::Waker waker = rt::waker_from(rt::make_arc<Wakeable>(&destroyed));
        rt::Waker clone = waker;
        waker = rt::Waker::noop();
        std::move(clone).wake();
        CHECK(destroyed == 1);
    }

    TEST_CASE("the last waker woken by value wakes the object first, then destroys it") {
        order_log.clear();
        rt::Waker waker = rt::waker_from(rt::make_arc<OrderLogged>());
        std::move(waker).wake();
        INFO("wake() must keep its count until W::wake() has returned: release first and wake() runs on a "
             "destroyed object");
        CHECK(order_log == std::vector<const char*>{"woken", "destroyed"});
    }

    TEST_CASE("clones will_wake each other; wakers over two objects do not") {
        std::atomic<int> destroyed{0};
        rt::Waker a = rt::waker_from(rt::make_arc<Wakeable>(&destroyed));
        rt::Waker clone = a;
        rt::Waker b = rt::waker_from(rt::make_arc<Wakeable>(&destroyed));
        CHECK(clone.will_wake(a));
        CHECK_FALSE(b.will_wake(a));
    }

    TEST_CASE("clones woken and dropped on many threads at once: every wake counted, one destruction") {
        std::atomic<int> destroyed{0};
        rt::Arc<Wakeable> object = rt::make_arc<Wakeable>(&destroyed);
        {
            rt::Waker waker = rt::waker_from(object);
            waker.wake_by_ref();
            std::vector<std::unique_ptr<test::Thread>> threads;
            for (int t = 0; t < 4; ++t)
                threads.push_back(std::make_unique<test::Thread>([waker] {
                    for (int i = 0; i < 10'000; ++i) {
                        rt::Waker clone = waker;
                        std::move(clone).wake();
                    }
                }));
            for (auto& thread : threads) thread->join();
        }
        CHECK(object->wakes == 1 + 4 * 10'000);
        CHECK(object.strong_count() == 1);
        object = rt::make_arc<Wakeable>(&destroyed);
        CHECK(destroyed == 1);
    }
}
