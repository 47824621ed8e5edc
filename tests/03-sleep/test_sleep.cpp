#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "counting_waker.hpp"
#include "fake_clock.hpp"
#include "poll_helpers.hpp"
#include "rt.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;

using Clock = std::chrono::steady_clock;

TEST_SUITE("ex3: Sleep::poll") {
    TEST_CASE("a sleep completes no earlier than its deadline, in two polls under block_on") {
        int polls = 0;
        auto start = Clock::now();
        test::bounded("block_on(sleep(30ms))", [&] { rt::block_on(test::Counted<rt::Sleep>{rt::sleep(30ms), &polls}); });
        CHECK(Clock::now() - start >= 30ms);
        CHECK(polls == 2);
        CHECK(rt::Timer::global().size() == 0);
    }

    TEST_CASE("the deadline is fixed at creation: a sleep first polled after it is ready at once") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        rt::Sleep sleep = rt::sleep(10ms);
        std::this_thread::sleep_for(20ms);
        CHECK(sleep.poll(cx).is_ready());
        CHECK(rt::Timer::global().size() == 0);
    }

    TEST_CASE("polled with waker A, then with waker B, the sleep wakes B only") {
        test::WakeCounter first, second;
        rt::Waker a = first.waker(), b = second.waker();
        rt::Context cx_a(a), cx_b(b);
        rt::Sleep sleep = rt::sleep(30ms);
        REQUIRE(sleep.poll(cx_a).is_pending());
        CHECK(sleep.poll(cx_b).is_pending());
        REQUIRE(test::eventually([&] { return second.total_wakes() == 1; }));
        CHECK(first.total_wakes() == 0);
        CHECK(sleep.poll(cx_b).is_ready());
    }

    TEST_CASE("the timer firing between the store and the look at the clock still wakes the newest waker") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        test::WakeCounter first, second;
        rt::Waker a = first.waker(), b = second.waker();
        rt::Context cx_a(a), cx_b(b);
        rt::Sleep sleep(timer, clock.now + 10ms);
        REQUIRE(sleep.poll(cx_a).is_pending());
        // While the next poll reads the clock (at 5 ms), time moves to 20 ms and
        // the timer fires: it wakes whichever waker the entry holds by then.
        clock.now += 5ms;
        clock.on_next_read = [&] {
            clock.now += 15ms;
            timer.fire_due();
        };
        rt::Poll<void> second_poll = sleep.poll(cx_b);
        bool b_will_hear = second_poll.is_ready() || second.total_wakes() == 1;
        CHECK_MESSAGE(b_will_hear, "the timer fired with the old waker: store the waker before reading the clock");
        CHECK(sleep.poll(cx_b).is_ready());
    }

    TEST_CASE("destroying a pending sleep takes its entry out of the heap, and nothing wakes it") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        {
            rt::Sleep sleep(timer, clock.now + 10ms);
            REQUIRE(sleep.poll(cx).is_pending());
            CHECK(timer.size() == 1);
        }
        CHECK(timer.size() == 0);
        clock.now += 1s;
        CHECK(timer.fire_due() == 0);
        CHECK(counter.total_wakes() == 0);
        CHECK(counter.live() == 1);
    }

    TEST_CASE("moving a sleep is fine before its first poll and refused after it") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        rt::Sleep original = rt::sleep(1s);
        rt::Sleep moved = std::move(original);
        REQUIRE(moved.poll(cx).is_pending());
        CHECK_THROWS_AS(rt::Sleep(std::move(moved)), std::logic_error);
    }

    TEST_CASE("10,000 concurrent sleeps on one timer thread all complete") {
        std::vector<rt::Sleep> sleeps;
        sleeps.reserve(10'000);
        for (int i = 0; i < 10'000; ++i) sleeps.push_back(rt::sleep(std::chrono::microseconds(i * 5)));
        auto start = Clock::now();
        auto outputs = test::bounded("10,000 sleeps under block_on", [&] {
            return rt::block_on(rt::join_all(std::move(sleeps)));
        }, std::chrono::milliseconds(30'000));
        CHECK(outputs.size() == 10'000);
        CHECK(Clock::now() - start >= 49ms);
        CHECK(rt::Timer::global().size() == 0);
    }

    TEST_CASE("a sleep of duration::max() stays pending: forever is forever") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        {
            rt::Sleep sleep = rt::sleep(Clock::duration::max());
            REQUIRE(sleep.poll(cx).is_pending());
            std::this_thread::sleep_for(50ms);  // a deadline wrapped into the past would have fired
            CHECK(counter.total_wakes() == 0);
            CHECK(sleep.poll(cx).is_pending());
        }
        CHECK(counter.live() == 1);
    }

    TEST_CASE("the global timer outlives a static sleep destroyed at exit (run in a child process)") {
        // In the child, this static is made before the global timer, so it is
        // destroyed after it, at exit: its ~Sleep then cancels on that timer.
        static std::optional<rt::Sleep> kept;
        kept.emplace(rt::sleep(10s));
        rt::Context cx(rt::Waker::noop());  // a waker that lives as long as the program
        REQUIRE(kept->poll(cx).is_pending());
        if (test::in_child()) return;  // leave it for the end of the process
        kept.reset();
        test::ChildResult child = test::run_in_child(doctest::getContextOptions()->currentTest->m_name);
        INFO(child.report());
        CHECK(child.ok());
    }
}
