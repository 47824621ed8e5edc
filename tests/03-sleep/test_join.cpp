#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <tuple>

#include "counting_waker.hpp"
#include "poll_helpers.hpp"
#include "rt.hpp"
#include "threads.hpp"

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct Throws {
    using Output = int;
    rt::Poll<int> poll(rt::Context&) { throw std::runtime_error("child failed"); }
};

// A sleep that starts at its first poll: a join that polled its children one
// at a time would start it late.
auto sleep_from_first_poll(std::chrono::milliseconds d) {
    return rt::Then(rt::Ready<int>(0), [d](int) { return rt::sleep(d); });
}

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

}  // namespace

TEST_SUITE("ex4: join polls every child") {
    TEST_CASE("join(100 ms, 200 ms) takes under 280 ms; one after the other takes 300") {
        auto start = Clock::now();
        test::bounded("join of two sleeps", [] {
            rt::block_on(rt::join(rt::sleep(100ms), sleep_from_first_poll(200ms)));
        });
        double joined = ms_since(start);
        start = Clock::now();
        test::bounded("two sleeps in sequence", [] {
            rt::block_on(rt::Then(rt::sleep(100ms), [] { return rt::sleep(200ms); }));
        });
        double sequential = ms_since(start);
        CHECK(joined >= 200);
        CHECK(joined < 280);
        CHECK(sequential >= 300);
    }

    TEST_CASE("outputs come back as a tuple in argument order, with Unit for void") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        auto all = rt::join(rt::Countdown(3), rt::Ready<std::string>("two"), rt::Deadline(Clock::now()),
                            rt::Countdown(1));
        auto [three, two, unit, one] = test::poll_until_ready(all, waker);
        CHECK(three == 3);
        CHECK(two == "two");
        CHECK(unit == rt::Unit{});
        CHECK(one == 1);
    }

    TEST_CASE("every child is polled at every poll of the join until it is done, and never after") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        int polls_a = 0, polls_b = 0;
        auto all = rt::join(test::Counted<rt::Countdown>{rt::Countdown(3), &polls_a},
                            test::Counted<rt::Countdown>{rt::Countdown(2), &polls_b});
        CHECK(all.poll(cx).is_pending());
        CHECK(polls_a == 1);
        CHECK(polls_b == 1);
        CHECK(all.poll(cx).is_pending());
        CHECK(polls_b == 2);
        CHECK(all.poll(cx).is_ready());
        CHECK(polls_a == 3);
        CHECK(polls_b == 2);
    }

    TEST_CASE("a join of futures that are ready at once is ready at its first poll") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        auto all = rt::join(rt::Ready<int>(1), rt::Ready<int>(2));
        rt::Poll<std::tuple<int, int>> poll = all.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == std::tuple{1, 2});
    }

    TEST_CASE("a child that throws makes the join throw") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        auto all = rt::join(rt::Countdown(2), Throws{});
        CHECK_THROWS_WITH_AS((void)all.poll(cx), "child failed", std::runtime_error);
    }
}
