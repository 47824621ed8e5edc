#include <doctest/doctest.h>

#include <chrono>

#include <string>
#include <vector>

#include "counting_waker.hpp"
#include "fake_clock.hpp"
#include "reports.hpp"
#include "rt.hpp"
#include "threads.hpp"
#include "throwing_waker.hpp"

using namespace std::chrono_literals;

namespace {

// A waker target that asks the timer for its size when woken: it would
// deadlock if the timer woke it while holding its lock.
struct CallsBack {
    explicit CallsBack(rt::Timer* t) : timer(t) {}
    rt::Timer* timer;
    mutable std::atomic<int> wakes{0};
    void wake() const {
        (void)timer->size();
        ++wakes;
    }
};

}  // namespace

TEST_SUITE("ex2: Timer::fire_due") {
    TEST_CASE("fire_due fires nothing before the deadlines") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        REQUIRE(timer.fire_due() == 0);
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Timer::Entry entry(clock.now + 10ms);
        timer.store(entry, waker);
        clock.now += 9ms;
        CHECK(timer.fire_due() == 0);
        CHECK(counter.total_wakes() == 0);
        CHECK(timer.size() == 1);
        timer.cancel(entry);
    }

    TEST_CASE("fire_due wakes every entry that is due, once, and no other") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        REQUIRE(timer.fire_due() == 0);
        test::WakeCounter early, exact, late;
        rt::Waker a = early.waker(), b = exact.waker(), c = late.waker();
        rt::Timer::Entry e1(clock.now + 5ms), e2(clock.now + 10ms), e3(clock.now + 11ms);
        timer.store(e3, c);
        timer.store(e1, a);
        timer.store(e2, b);
        clock.now += 10ms;
        CHECK(timer.fire_due() == 2);
        CHECK(early.wakes == 1);
        CHECK(exact.wakes == 1);  // a deadline equal to now is due
        CHECK(late.total_wakes() == 0);
        CHECK(timer.size() == 1);
        CHECK(timer.fire_due() == 0);
        CHECK(early.wakes == 1);
        timer.cancel(e3);
    }

    TEST_CASE("a fired entry leaves the heap, is marked fired, and its clone is woken by value") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        REQUIRE(timer.fire_due() == 0);
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Timer::Entry entry(clock.now + 1ms);
        timer.store(entry, waker);
        clock.now += 1ms;
        CHECK(timer.fire_due() == 1);
        CHECK(entry.fired);
        CHECK(entry.heap_index == rt::detail::TimerHeap<rt::Timer::Entry>::npos);
        CHECK_FALSE(entry.waker.has_value());
        CHECK(counter.wakes == 1);
        CHECK(counter.live() == 1);  // only ours: the timer's clone was consumed by wake()
    }

    TEST_CASE("fire_due wakes outside the lock: a woken future may call the timer") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        REQUIRE(timer.fire_due() == 0);
        rt::Arc<CallsBack> target = rt::make_arc<CallsBack>(&timer);
        rt::Waker waker = rt::waker_from(target);
        rt::Timer::Entry entry(clock.now + 1ms);
        timer.store(entry, waker);
        clock.now += 1ms;
        test::bounded("fire_due with a waker that calls the timer back", [&] { return timer.fire_due(); });
        CHECK(target->wakes == 1);
    }

    TEST_CASE("the timer's thread fires a real 20 ms entry, and an earlier one stored later does not wait") {
        test::FakeClock clock;
        rt::Timer manual(clock.reader());
        REQUIRE(manual.fire_due() == 0);  // (the stub fails here, not on the timer's thread)
        rt::Timer timer;
        test::WakeCounter far_counter, near_counter;
        rt::Waker far = far_counter.waker(), near = near_counter.waker();
        auto start = std::chrono::steady_clock::now();
        rt::Timer::Entry far_entry(start + 10s), near_entry(start + 20ms);
        timer.store(far_entry, far);    // the thread now sleeps until start + 10 s...
        timer.store(near_entry, near);  // ...unless this store wakes it
        REQUIRE(test::eventually([&] { return near_counter.wakes == 1; }, 5s));
        CHECK(std::chrono::steady_clock::now() - start >= 20ms);
        CHECK(far_counter.total_wakes() == 0);
        timer.cancel(far_entry);
    }

    TEST_CASE("a wake that throws is reported, and the other due entries are still woken") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        REQUIRE(timer.fire_due() == 0);
        test::CatchReports reports;
        test::WakeCounter before, after;
        test::ThrowingWaker thrower(test::ThrowingWaker::on_wake);
        rt::Waker a = before.waker(), b = thrower.waker(), c = after.waker();
        rt::Timer::Entry e1(clock.now + 1ms), e2(clock.now + 2ms), e3(clock.now + 3ms);
        timer.store(e1, a);
        timer.store(e2, b);
        timer.store(e3, c);
        clock.now += 3ms;
        CHECK(timer.fire_due() == 3);
        CHECK(before.wakes == 1);
        CHECK(after.wakes == 1);
        CHECK(thrower.wakes == 1);
        CHECK(reports.lines() == std::vector<std::string>{"rt::Timer: a waker's wake threw: the waker threw from wake"});
        CHECK(thrower.live() == 1);  // ours: the timer's clone was released by its wake, which threw
        CHECK(timer.size() == 0);
    }

    TEST_CASE("the timer's thread survives a wake that throws, and goes on firing") {
        test::FakeClock clock;
        rt::Timer manual(clock.reader());
        REQUIRE(manual.fire_due() == 0);  // (the stub fails here, not on the timer's thread)
        test::CatchReports reports;
        rt::Timer timer;
        test::ThrowingWaker thrower(test::ThrowingWaker::on_wake);
        test::WakeCounter counter;
        rt::Waker bad = thrower.waker(), good = counter.waker();
        auto start = std::chrono::steady_clock::now();
        rt::Timer::Entry first(start + 10ms), second(start + 30ms);
        timer.store(first, bad);
        timer.store(second, good);
        REQUIRE(test::eventually([&] { return counter.wakes == 1; }, 5s));
        CHECK(reports.count() == 1);
        CHECK(thrower.wakes == 1);
    }
}
