// Code the chapter gives the learner: it must work before any exercise is solved.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "counting_waker.hpp"
#include "reports.hpp"
#include "rt.hpp"
#include "throwing_waker.hpp"

TEST_SUITE("given: Poll, Waker ownership, Ready") {
    TEST_CASE("a Poll is either ready with a value or pending") {
        rt::Poll<int> ready = 7;
        rt::Poll<int> pending = rt::pending;
        CHECK(ready.is_ready());
        CHECK(ready.value() == 7);
        CHECK(pending.is_pending());
        CHECK_THROWS_WITH_AS(pending.value(), "rt::Poll::value: the poll is pending", std::logic_error);
        CHECK(rt::ready().is_ready());
        CHECK(rt::Poll<void>(rt::pending).is_pending());
    }

    TEST_CASE("a waker made from_raw is dropped exactly once, and a move neither clones nor drops") {
        test::WakeCounter counter;
        {
            rt::Waker original = counter.waker();
            rt::Waker moved = std::move(original);
            rt::Waker moved_again(std::move(moved));
            CHECK(counter.drops == 0);
        }
        CHECK(counter.clones == 0);
        CHECK(counter.drops == 1);
        CHECK(counter.live() == 0);
    }

    TEST_CASE("a drop that throws is reported, not fatal: a destructor has nowhere to send it") {
        test::CatchReports reports;
        test::ThrowingWaker thrower(test::ThrowingWaker::on_drop);
        test::WakeCounter counter;
        { rt::Waker waker = thrower.waker(); }
        {
            rt::Waker replaced = thrower.waker();
            replaced = counter.waker();  // assignment drops the old one too
        }
        CHECK(thrower.drops == 2);
        CHECK(thrower.live() == 0);
        CHECK(reports.lines() == std::vector<std::string>(2, "rt::Waker: a waker's drop threw: the waker threw from drop"));
    }

    TEST_CASE("Countdown refuses a count below one") {
        CHECK_THROWS_WITH_AS(rt::Countdown(0), "rt::Countdown: n must be at least 1, got 0", std::invalid_argument);
    }

    TEST_CASE("Ready gives its value at the first poll and refuses a second poll") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        rt::Ready<int> future(5);
        rt::Poll<int> first = future.poll(cx);
        REQUIRE(first.is_ready());
        CHECK(first.value() == 5);
        CHECK_THROWS_AS((void)future.poll(cx), std::logic_error);
        CHECK(counter.total_wakes() == 0);
    }
}
