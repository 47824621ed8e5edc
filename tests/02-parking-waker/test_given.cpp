// Code the chapter gives the learner: it must work before any exercise is solved.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "alloc_counter.hpp"
#include "counting_waker.hpp"
#include "drop_hook.hpp"
#include "reports.hpp"
#include "rt.hpp"
#include "threads.hpp"
#include "throwing_waker.hpp"

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

TEST_SUITE("given: Arc, saturating_add and ThreadSleep") {
    TEST_CASE("saturating_add adds, and stops at the clock's last and first time points instead of overflowing") {
        using Clock = std::chrono::steady_clock;
        Clock::time_point now = Clock::now();
        CHECK(rt::saturating_add(now, 5ms) == now + 5ms);
        CHECK(rt::saturating_add(now, -5ms) == now - 5ms);
        CHECK(rt::saturating_add(now, Clock::duration::max()) == Clock::time_point::max());
        CHECK(rt::saturating_add(Clock::time_point::max(), 1ns) == Clock::time_point::max());
        CHECK(rt::saturating_add(Clock::time_point::min() + 1ns, -2ns) == Clock::time_point::min());
        CHECK(rt::saturating_add(Clock::time_point::max(), Clock::duration::min()) == Clock::time_point::max() + Clock::duration::min());
        CHECK(rt::saturating_add(Clock::time_point::max() - 1ns, 1ns) == Clock::time_point::max());
    }

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

    TEST_CASE("a ThreadSleep of duration::max() never wakes: forever does not overflow into the past") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        rt::ThreadSleep sleep(std::chrono::steady_clock::duration::max());
        CHECK(sleep.poll(cx).is_pending());
        std::this_thread::sleep_for(50ms);  // a wrapped deadline would have fired by now
        CHECK(counter.total_wakes() == 0);
        CHECK(sleep.poll(cx).is_pending());
    }

    TEST_CASE("a wake that throws on the sleep's thread is reported, not fatal") {
        test::CatchReports reports;
        test::ThrowingWaker thrower(test::ThrowingWaker::on_wake);
        rt::Waker waker = thrower.waker();
        rt::Context cx(waker);
        rt::ThreadSleep sleep(1ms);
        CHECK(sleep.poll(cx).is_pending());
        REQUIRE(test::eventually([&] { return reports.count() == 1; }));
        CHECK(reports.lines().at(0) ==
              "rt::ThreadSleep: a waker's wake threw on the sleep's thread: the waker threw from wake");
        CHECK(sleep.poll(cx).is_ready());
        CHECK(thrower.live() == 1);  // ours: the sleep's clone was woken (and so released)
    }

    TEST_CASE("the waker a poll replaces is dropped after unlocking: a drop may poll the sleep again") {
        test::WakeCounter counter;
        rt::Waker plain = counter.waker();
        rt::Context plain_cx(plain);
        rt::ThreadSleep sleep(10s);
        test::DropHook hook([&] { (void)sleep.poll(plain_cx); });
        {
            rt::Waker hooked = hook.waker();
            rt::Context cx(hooked);
            CHECK(sleep.poll(cx).is_pending());
        }
        hook.arm();  // the sleep's clone is the only one left
        test::WakeCounter other_counter;
        rt::Waker other = other_counter.waker();
        rt::Context other_cx(other);
        // This poll replaces the hooked waker; dropping it polls the sleep again.
        CHECK(test::bounded("a poll whose replaced waker polls again as it drops",
                            [&] { return sleep.poll(other_cx).is_pending(); }));
        CHECK(hook.ran());
        CHECK(counter.clones == 1);  // the poll from the drop stored the plain waker
        CHECK(other_counter.drops == 1);  // ...in place of the other one, dropped in turn
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
