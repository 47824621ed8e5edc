// Exercise 4: abort. JoinHandle::abort marks the task cancelled and schedules
// it; at its next turn the executor destroys its future without polling it,
// and the task completes with rt::Cancelled. A task that had completed keeps
// what it had.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "cancel_helpers.hpp"
#include "reports.hpp"
#include "rt.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;
using test::Counters;
using test::Probe;

TEST_SUITE("ex4: abort: cancel a task at its next turn") {
    TEST_CASE("a task waiting for an hour: aborted, its future is destroyed at the executor's next turn, never polled again") {
        rt::Executor executor;
        Counters counters;
        rt::JoinHandle<void> handle = executor.spawn(test::Tracked(rt::sleep(1h), counters));
        executor.run_until_idle();
        REQUIRE(counters.polls == 1);
        REQUIRE(executor.live_tasks() == 1);
        handle.abort();
        INFO("abort() only marks the task: the executor destroys the future, on its own thread, at its next turn");
        CHECK(counters.drops == 0);
        executor.run_until_idle();
        CHECK(counters.drops == 1);
        CHECK(counters.polls == 1);
        CHECK(executor.live_tasks() == 0);
        CHECK(executor.driver().timer().size() == 0);
        INFO("awaiting the handle of an aborted task throws rt::Cancelled");
        CHECK_THROWS_AS(executor.block_on(test::within(handle, 3s)), rt::Cancelled);
    }

    TEST_CASE("aborted before its first poll: never polled") {
        rt::Executor executor;
        Counters counters;
        rt::JoinHandle<void> handle = executor.spawn(test::Tracked(rt::sleep(1h), counters));
        handle.abort();
        executor.run_until_idle();
        CHECK(counters.polls == 0);
        CHECK(counters.drops == 1);
        CHECK(executor.live_tasks() == 0);
        CHECK_THROWS_AS(executor.block_on(test::within(handle, 3s)), rt::Cancelled);
    }

    TEST_CASE("rt::Cancelled is what awaiting the handle throws, inside a task too") {
        rt::Executor executor;
        Counters counters;
        rt::JoinHandle<void> sleeper = executor.spawn(test::Tracked(rt::sleep(1h), counters));
        executor.run_until_idle();
        sleeper.abort();
        bool cancelled = false;
        auto body = [&]() -> rt::Async<void> {
            try {
                co_await sleeper;
            } catch (const rt::Cancelled&) {
                cancelled = true;
            }
        };
        rt::Async<void> run = body();
        CHECK(executor.block_on(test::within(run, 3s)));
        CHECK(cancelled);
        CHECK(counters.polls == 1);
    }

    TEST_CASE("a task that had completed keeps its output, or its exception") {
        rt::Executor executor;
        Counters done, failed;
        rt::JoinHandle<int> output = executor.spawn(Probe<int>(done, 1, 42));
        rt::JoinHandle<int> error = executor.spawn(Probe<int>(failed, 0, 0, 1));
        executor.run_until_idle();
        REQUIRE(executor.live_tasks() == 0);
        output.abort();
        error.abort();
        executor.run_until_idle();
        CHECK(executor.block_on(std::move(output)) == 42);
        CHECK_THROWS_WITH_AS(executor.block_on(std::move(error)), "probe: thrown", std::runtime_error);
        CHECK(done.polls == 1);
        CHECK(failed.polls == 1);
    }

    TEST_CASE("abort twice is harmless") {
        rt::Executor executor;
        Counters counters;
        rt::JoinHandle<void> handle = executor.spawn(test::Tracked(rt::sleep(1h), counters));
        executor.run_until_idle();
        handle.abort();
        handle.abort();
        executor.run_until_idle();
        handle.abort();
        executor.run_until_idle();
        CHECK(counters.drops == 1);
        CHECK(counters.polls == 1);
        CHECK_THROWS_AS(executor.block_on(test::within(handle, 3s)), rt::Cancelled);
    }

    TEST_CASE("abort, then drop the handle: the future is destroyed, and nothing is reported") {
        test::CatchReports reports;
        rt::Executor executor;
        Counters counters;
        {
            rt::JoinHandle<void> handle = executor.spawn(test::Tracked(rt::sleep(1h), counters));
            executor.run_until_idle();
            handle.abort();
        }
        executor.run_until_idle();
        CHECK(counters.drops == 1);
        CHECK(counters.polls == 1);
        CHECK(executor.live_tasks() == 0);
        INFO("an aborted task's rt::Cancelled is no news to whoever aborted it: ", reports.count(), " reports");
        CHECK(reports.count() == 0);
    }

    TEST_CASE("abort from another thread while the executor waits in epoll_wait: it wakes, and cancels the task") {
        rt::Executor executor;
        Counters counters;
        rt::JoinHandle<void> handle = executor.spawn(test::Tracked(rt::sleep(1h), counters));
        std::size_t blocking_before = executor.driver().blocking_turns();
        test::Thread aborter([&] {
            std::this_thread::sleep_for(100ms);  // the executor is parked by now
            handle.abort();
        });
        auto start = std::chrono::steady_clock::now();
        bool cancelled = false;
        try {
            (void)executor.block_on(test::within(handle, 3s));
        } catch (const rt::Cancelled&) {
            cancelled = true;
        }
        auto took = std::chrono::steady_clock::now() - start;
        aborter.join();
        CHECK(cancelled);
        CHECK(took < 2500ms);
        CHECK(executor.driver().blocking_turns() > blocking_before);
        CHECK(counters.drops == 1);
        CHECK(counters.polls == 1);
        CHECK(executor.live_tasks() == 0);
    }
}
