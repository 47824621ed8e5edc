// Exercise 2: timeout. The future first, then the deadline; once the time is
// up the future is destroyed, and then rt::TimedOut is thrown. No socket
// here: sleeps, countdowns and probes.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "cancel_helpers.hpp"
#include "counting_waker.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::Counters;
using test::Probe;

namespace {

// Awaits `future` (in place) on a fresh executor for at most 3 s, and says how
// it ended: "ready", "timed out", or "still pending after 3 s".
template <rt::Future F>
std::string outcome(F& future) {
    std::string what = "still pending after 3 s";
    auto body = [&]() -> rt::Async<void> {
        try {
            co_await future;
            what = "ready";
        } catch (const rt::TimedOut&) {
            what = "timed out";
        }
    };
    rt::Async<void> run = body();
    (void)rt::block_on(test::within(run, 3s));
    return what;
}

}  // namespace

TEST_SUITE("ex2: timeout: the output in time, or destroy the future and throw rt::TimedOut") {
    TEST_CASE("in time: the future's output") {
        REQUIRE(rt::block_on(rt::timeout(5s, rt::Countdown(3))) == 3);
        Counters slept;
        rt::block_on(rt::timeout(5s, test::Tracked(rt::sleep(10ms), slept)));  // a future of void
        CHECK(slept.polls == 2);
        CHECK(slept.drops == 1);
    }

    TEST_CASE("in time, by hand: ready at the first poll needs no executor, and the deadline is not polled") {
        Counters counters;
        auto limited = rt::timeout(1s, Probe<std::string>(counters, 1, "on time"));
        test::WakeCounter wakes;
        rt::Waker waker = wakes.waker();
        rt::Context cx(waker);
        rt::Poll<std::string> poll = limited.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(std::move(poll).value() == "on time");
    }

    TEST_CASE("too late: the future is destroyed, then rt::TimedOut is thrown, no sooner than the limit") {
        Counters inner;
        bool timed_out = false;
        int drops_when_caught = -1;
        std::string message;
        Clock::duration took{};
        auto start = Clock::now();
        auto limited = rt::timeout(100ms, test::Tracked(rt::sleep(1h), inner));
        auto body = [&]() -> rt::Async<void> {
            try {
                co_await limited;  // in place: the Timeout lives on in the catch
            } catch (const rt::TimedOut& e) {
                timed_out = true;
                took = Clock::now() - start;
                drops_when_caught = inner.drops;
                message = e.what();
            }
        };
        rt::Async<void> run = body();
        REQUIRE(rt::block_on(test::within(run, 3s)));
        REQUIRE(timed_out);
        CHECK(took >= 100ms);
        CHECK(took < 2100ms);
        INFO("the inner future is destroyed before the exception is thrown: its timer, its socket go first");
        CHECK(drops_when_caught == 1);
        CHECK(message.find("100 ms") != std::string::npos);
        INFO("once it has thrown, the timeout is finished");
        rt::Context cx(rt::Waker::noop());
        CHECK_THROWS_AS((void)limited.poll(cx), std::logic_error);
    }

    TEST_CASE("rt::TimedOut is what rt::block_on throws too, and it is a std::runtime_error") {
        auto limited = rt::timeout(20ms, rt::sleep(1h));
        REQUIRE(outcome(limited) == "timed out");
        CHECK_THROWS_AS(rt::block_on(rt::timeout(20ms, rt::sleep(1h))), rt::TimedOut);
        CHECK_THROWS_AS(rt::block_on(rt::timeout(20ms, rt::sleep(1h))), std::runtime_error);
    }

    TEST_CASE("ready at the poll that finds the deadline passed: the output wins, as the future is polled first") {
        Counters counters;
        auto limited = rt::timeout(10ms, Probe<int>(counters, 1, 42));
        std::this_thread::sleep_for(30ms);  // the deadline passes before the first poll
        REQUIRE(rt::block_on(std::move(limited)) == 42);
        CHECK(counters.polls == 1);
    }

    TEST_CASE("the deadline is fixed when the timeout is made, not at its first poll") {
        Counters inner;
        auto limited = rt::timeout(100ms, test::Tracked(rt::sleep(1h), inner));
        std::this_thread::sleep_for(200ms);  // the time is up before the first poll
        REQUIRE(outcome(limited) == "timed out");
        INFO("the first poll found the time up: the future was polled once, then destroyed");
        CHECK(inner.polls == 1);
        CHECK(inner.drops == 1);
    }

    TEST_CASE("polled again after it answered ready: std::logic_error") {
        Counters counters;
        auto limited = rt::timeout(1s, Probe<int>(counters, 1, 1));  // a probe that would be ready again
        rt::Context cx(rt::Waker::noop());
        REQUIRE(limited.poll(cx).is_ready());
        CHECK_THROWS_AS((void)limited.poll(cx), std::logic_error);
        CHECK(counters.polls == 1);
    }
}
