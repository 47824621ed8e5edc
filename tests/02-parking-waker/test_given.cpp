// Code the chapter gives the learner: it must work before any exercise is solved.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>

#include "alloc_counter.hpp"
#include "counting_waker.hpp"
#include "rt.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;

namespace {

// Counts how many of it are alive.
struct Tracked {
    static inline std::atomic<int> alive{0};
    int value;
    explicit Tracked(int v) : value(v) { ++alive; }
    ~Tracked() { --alive; }
};

}  // namespace

TEST_SUITE("given: Arc and ThreadSleep") {
    TEST_CASE("make_arc makes one allocation, and copies share one count") {
#if TEST_COUNTS_ALLOCATIONS
        test::CountAllocations allocations;
#endif
        rt::Arc<Tracked> a = rt::make_arc<Tracked>(7);
        rt::Arc<Tracked> b = a;
        rt::Arc<Tracked> c = std::move(b);
        CHECK(a.strong_count() == 2);
        CHECK(c->value == 7);
#if TEST_COUNTS_ALLOCATIONS
        CHECK(allocations.count() == 1);
#endif
    }

    TEST_CASE("the last owner destroys the object, exactly once") {
        REQUIRE(Tracked::alive == 0);
        {
            rt::Arc<Tracked> a = rt::make_arc<Tracked>(1);
            {
                rt::Arc<Tracked> b = a;
                CHECK(Tracked::alive == 1);
            }
            CHECK(Tracked::alive == 1);
        }
        CHECK(Tracked::alive == 0);
    }

    TEST_CASE("a raw handle carries one count from into_raw to from_raw") {
        rt::Arc<Tracked> a = rt::make_arc<Tracked>(3);
        const void* raw = rt::Arc<Tracked>(a).into_raw();
        CHECK(a.strong_count() == 2);
        CHECK(rt::Arc<Tracked>::borrow_raw(raw).value == 3);
        rt::Arc<Tracked>::retain_raw(raw);
        CHECK(a.strong_count() == 3);
        rt::Arc<Tracked>::from_raw(raw);
        rt::Arc<Tracked>::from_raw(raw);
        CHECK(a.strong_count() == 1);
    }

    TEST_CASE("ThreadSleep wakes the newest waker from its thread once its time has passed") {
        test::WakeCounter first, second;
        rt::Waker a = first.waker(), b = second.waker();
        rt::Context cx_a(a), cx_b(b);
        auto start = std::chrono::steady_clock::now();
        rt::ThreadSleep sleep(30ms);
        CHECK(sleep.poll(cx_a).is_pending());
        CHECK(sleep.poll(cx_b).is_pending());
        REQUIRE(test::eventually([&] { return second.wakes == 1; }));
        CHECK(std::chrono::steady_clock::now() - start >= 30ms);
        CHECK(first.total_wakes() == 0);
        CHECK(sleep.poll(cx_b).is_ready());
    }

    TEST_CASE("destroying a pending ThreadSleep stops its thread at once and wakes nobody") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        auto start = std::chrono::steady_clock::now();
        {
            rt::ThreadSleep sleep(10s);
            CHECK(sleep.poll(cx).is_pending());
        }
        CHECK(std::chrono::steady_clock::now() - start < 5s);
        CHECK(counter.total_wakes() == 0);
        CHECK(counter.live() == 1);  // only our own waker is left: the sleep dropped its clone
    }
}
