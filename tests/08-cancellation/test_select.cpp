// Exercise 1: select. The children are polled in argument order, the first
// ready one wins, and every other child is destroyed before select answers.
// No socket here: the futures are hand-written probes and sleeps.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>

#include "cancel_helpers.hpp"
#include "counting_waker.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;
using test::Counters;
using test::Probe;

TEST_SUITE("ex1: select: the first to finish wins, the others are destroyed") {
    TEST_CASE("the winner's output, at its place in the variant; the losers destroyed as select answers") {
        Counters a, b, c;
        auto race = rt::select(Probe<int>(a), Probe<std::string>(b, 2, "second"), Probe<int>(c));
        static_assert(std::is_same_v<decltype(race)::Output, std::variant<int, std::string, int>>);
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);

        REQUIRE(race.poll(cx).is_pending());
        INFO("the first poll polls every child, in order");
        CHECK(a.polls == 1);
        CHECK(b.polls == 1);
        CHECK(c.polls == 1);

        rt::Poll<decltype(race)::Output> second = race.poll(cx);
        REQUIRE(second.is_ready());
        auto output = std::move(second).value();
        CHECK(output.index() == 1);
        CHECK(std::get<1>(output) == "second");
        INFO("the children after the winner are not polled in the turn it won");
        CHECK(c.polls == 1);
        INFO("the losers are destroyed before select answers ready, not later with select itself");
        CHECK(a.drops == 1);
        CHECK(c.drops == 1);
    }

    TEST_CASE("a child of void gives rt::Unit") {
        Counters a, b;
        auto race = rt::select(Probe<void>(a, 1), Probe<int>(b, 1, 7));
        static_assert(std::is_same_v<decltype(race)::Output, std::variant<rt::Unit, int>>);
        rt::Context cx(rt::Waker::noop());
        rt::Poll<std::variant<rt::Unit, int>> poll = race.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(std::move(poll).value().index() == 0);
        CHECK(b.polls == 0);
        CHECK(b.drops == 1);
    }

    TEST_CASE("two children of the same type are told apart by their index") {
        Counters a, b;
        auto race = rt::select(Probe<int>(a), Probe<int>(b, 1, 5));
        rt::Context cx(rt::Waker::noop());
        rt::Poll<std::variant<int, int>> poll = race.poll(cx);
        REQUIRE(poll.is_ready());
        std::variant<int, int> output = std::move(poll).value();
        CHECK(output.index() == 1);
        CHECK(std::get<1>(output) == 5);
    }

    TEST_CASE("two ready in the same turn: the first in the argument list wins, the second is not polled") {
        Counters a, b;
        auto race = rt::select(Probe<int>(a, 1, 1), Probe<int>(b, 1, 2));
        rt::Context cx(rt::Waker::noop());
        rt::Poll<std::variant<int, int>> poll = race.poll(cx);
        REQUIRE(poll.is_ready());
        std::variant<int, int> output = std::move(poll).value();
        CHECK(output.index() == 0);
        CHECK(std::get<0>(output) == 1);
        INFO("select stops at the first ready child");
        CHECK(b.polls == 0);
        CHECK(b.drops == 1);
    }

    TEST_CASE("a child that throws: the exception leaves select's poll, and every child is destroyed") {
        Counters a, b, c;
        // b throws at its second poll: the first turn polls all three, the second stops at b.
        auto race = rt::select(Probe<int>(a), Probe<int>(b, 0, 0, 2), Probe<int>(c));
        rt::Context cx(rt::Waker::noop());
        REQUIRE(race.poll(cx).is_pending());
        REQUIRE_THROWS_WITH_AS((void)race.poll(cx), "probe: thrown", std::runtime_error);
        CHECK(c.polls == 1);
        INFO("every child is destroyed before the exception leaves the poll");
        CHECK(a.drops == 1);
        CHECK(b.drops == 1);
        CHECK(c.drops == 1);
        INFO("once it has thrown, select is finished");
        CHECK_THROWS_AS((void)race.poll(cx), std::logic_error);
    }

    TEST_CASE("polled again after it finished: std::logic_error") {
        Counters a, b;
        auto race = rt::select(Probe<int>(a), Probe<int>(b, 1, 3));
        rt::Context cx(rt::Waker::noop());
        REQUIRE(race.poll(cx).is_ready());
        INFO("select marks itself finished when it answers ready: the check at the top of poll then throws;"
             " otherwise the next poll reaches children that are destroyed");
        CHECK_THROWS_AS((void)race.poll(cx), std::logic_error);
        CHECK(a.polls == 1);
        CHECK(b.polls == 1);
    }

    TEST_CASE("a race of sleeps: the shorter wins, and the loser's timer entry is gone as select answers") {
        rt::Executor executor;
        std::size_t entries_before = 0, entries_after = 99;
        std::size_t index = 99;
        auto start = std::chrono::steady_clock::now();
        auto body = [&]() -> rt::Async<void> {
            co_await rt::yield_now();  // the bound has put its own sleep in the heap
            entries_before = executor.driver().timer().size();
            auto race = rt::select(rt::sleep(1h), rt::sleep(20ms));
            std::variant<rt::Unit, rt::Unit> output = co_await race;  // in place: race lives on
            index = output.index();
            entries_after = executor.driver().timer().size();
        };
        rt::Async<void> run = body();
        REQUIRE(executor.block_on(test::within(run, 5s)));
        CHECK(index == 1);
        CHECK(std::chrono::steady_clock::now() - start >= 20ms);
        INFO("the hour-long sleep lost: destroying it takes its entry out of the timer heap");
        CHECK(entries_after == entries_before);
    }

    TEST_CASE("a child woken later wins: select passes its waker down, and waits meanwhile") {
        Counters ticks;
        rt::Executor executor;
        auto race = rt::select(rt::sleep(1h), test::Tracked(rt::sleep(10ms), ticks), rt::sleep(2h));
        auto output = executor.block_on(std::move(race));
        CHECK(output.index() == 1);
        INFO("a sleep is pending once, then ready when its timer wakes the task");
        CHECK(ticks.polls == 2);
        CHECK(executor.driver().timer().size() == 0);
    }
}
