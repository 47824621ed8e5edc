// Exercise 2: how long the loop may block in epoll_wait, from the earliest
// deadline and the time now. A pure function: every case by hand.
#include <doctest/doctest.h>

#include <chrono>
#include <climits>
#include <optional>

#include "rt.hpp"

using namespace std::chrono_literals;

namespace {

using TimePoint = rt::Timer::TimePoint;

// Any time will do as "now": a year after the clock's epoch, say.
const TimePoint now = TimePoint(std::chrono::hours(24 * 365));

int timeout(std::optional<TimePoint> next, TimePoint at = now) { return rt::detail::Driver::timeout_ms(next, at); }

}  // namespace

TEST_SUITE("ex2: Driver::timeout_ms") {
    TEST_CASE("no deadline: wait without a limit (-1), for I/O or a wake") {
        INFO("0 would make epoll_wait return at once, and the loop would spin on a core while it has nothing to do");
        REQUIRE(timeout(std::nullopt) == -1);
        CHECK(timeout(std::nullopt, TimePoint{}) == -1);
    }

    TEST_CASE("a deadline that has passed, or is now: do not wait (0)") {
        INFO("-1 would block until some I/O came, with a sleep already due");
        REQUIRE(timeout(now - 1ms) == 0);
        CHECK(timeout(now - 1ns) == 0);
        CHECK(timeout(now) == 0);
        CHECK(timeout(TimePoint::min(), now) == 0);
        CHECK(timeout(TimePoint{}, now) == 0);
    }

    TEST_CASE("the time left in whole milliseconds, rounded up, never down") {
        INFO("woken before the deadline, the loop finds the sleep not yet due, and with 0 left spins until it is: "
             "std::chrono::ceil, not duration_cast");
        REQUIRE(timeout(now + 100us) == 1);
        CHECK(timeout(now + 1ns) == 1);
        CHECK(timeout(now + 1ms) == 1);
        CHECK(timeout(now + 1ms + 1ns) == 2);
        CHECK(timeout(now + 1500us) == 2);
        CHECK(timeout(now + 999999us) == 1000);
        CHECK(timeout(now + 5s) == 5000);
    }

    TEST_CASE("a deadline further away than an int of milliseconds holds: INT_MAX") {
        INFO("compare before converting to int: static_cast<int> of a number of milliseconds over INT_MAX "
             "wraps around, to a negative wait (no limit) or a short one");
        REQUIRE(timeout(now + std::chrono::hours(24 * 365)) == INT_MAX);  // a year
        CHECK(timeout(TimePoint::max()) == INT_MAX);
        CHECK(timeout(TimePoint::max(), TimePoint{}) == INT_MAX);
        CHECK(timeout(now + std::chrono::milliseconds(INT_MAX)) == INT_MAX);
        CHECK(timeout(now + std::chrono::milliseconds(INT_MAX - 1)) == INT_MAX - 1);
        CHECK(timeout(now + std::chrono::milliseconds(INT_MAX) + 1ns) == INT_MAX);
        CHECK(timeout(now + std::chrono::milliseconds(INT_MAX) + 1ms) == INT_MAX);
        // 2^32 + 5 ms, 49.7 days: cast to int it would be 5 ms.
        CHECK(timeout(now + std::chrono::milliseconds((1LL << 32) + 5)) == INT_MAX);
    }
}
