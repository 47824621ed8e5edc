#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <utility>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "counting_waker.hpp"
#include "reports.hpp"
#include "rt.hpp"
#include "task_helpers.hpp"
#include "throwing_waker.hpp"

using namespace std::chrono_literals;

namespace {

// Appends its name to a log when polled.
struct Logs {
    using Output = void;
    std::vector<std::string>* log;
    std::string name;
    rt::Poll<void> poll(rt::Context&) {
        log->push_back(name);
        return rt::ready();
    }
};

// An output whose destructor throws (a moved-from one does not).
struct ThrowsWhenDropped {
    bool armed = true;
    ThrowsWhenDropped() = default;
    ThrowsWhenDropped(ThrowsWhenDropped&& other) noexcept : armed(std::exchange(other.armed, false)) {}
    ~ThrowsWhenDropped() noexcept(false) {
        if (armed) throw std::runtime_error("the output threw from its destructor");
    }
};

struct ReadyThrowsWhenDropped {
    using Output = ThrowsWhenDropped;
    rt::Poll<ThrowsWhenDropped> poll(rt::Context&) { return ThrowsWhenDropped(); }
};

// Calls rt::block_on inside its poll, and keeps the error that throws.
struct BlocksInside {
    using Output = void;
    std::string* error;
    rt::Poll<void> poll(rt::Context&) {
        try {
            (void)rt::block_on(rt::Ready<int>(1));
        } catch (const std::logic_error& e) {
            *error = e.what();
        }
        return rt::ready();
    }
};

}  // namespace

TEST_SUITE("ex2: run_task: poll a task") {
    TEST_CASE("a spawned task runs once the executor runs, and completes") {
        rt::Executor executor;
        std::atomic<int> polls{0};
        executor.spawn(test::Probe{.value = 1, .polls = &polls}).detach();
        CHECK(executor.run_until_idle() == 1);
        CHECK(polls == 1);
        CHECK(executor.live_tasks() == 0);
    }

    TEST_CASE("tasks run in the order they were spawned") {
        rt::Executor executor;
        std::vector<std::string> log;
        for (const char* name : {"a", "b", "c"}) executor.spawn(Logs{&log, name}).detach();
        executor.run_until_idle();
        CHECK(log == std::vector<std::string>{"a", "b", "c"});
    }

    TEST_CASE("a task woken while it is polled is polled again: the wake is not lost") {
        rt::Executor executor;
        std::atomic<int> polls{0};
        executor.spawn(test::Probe{.value = 1, .pending_polls = 2, .self_wake = true, .polls = &polls}).detach();
        CHECK(executor.run_until_idle() == 3);
        CHECK(polls == 3);
        CHECK(executor.live_tasks() == 0);
    }

    TEST_CASE("a task woken three times while queued is polled once") {
        rt::Executor executor;
        std::atomic<int> polls{0};
        std::optional<rt::Waker> waker;
        executor.spawn(test::Probe{.value = 1, .pending_polls = 1, .polls = &polls, .waker = &waker}).detach();
        CHECK(executor.run_until_idle() == 1);  // pending: it waits for a wake
        CHECK(executor.live_tasks() == 1);
        REQUIRE(waker.has_value());
        waker->wake_by_ref();
        waker->wake_by_ref();
        waker->wake_by_ref();
        CHECK(executor.run_until_idle() == 1);
        CHECK(polls == 2);
        CHECK(executor.live_tasks() == 0);
    }

    TEST_CASE("a wake after completion does nothing") {
        rt::Executor executor;
        std::optional<rt::Waker> waker;
        executor.spawn(test::Probe{.value = 1, .waker = &waker}).detach();
        CHECK(executor.run_until_idle() == 1);
        REQUIRE(waker.has_value());
        waker->wake_by_ref();
        CHECK(executor.run_until_idle() == 0);
    }

    TEST_CASE("a detached task and a task whose handle was dropped both run to completion") {
        rt::Executor executor;
        std::atomic<int> polls{0};
        executor.spawn(test::Probe{.value = 1, .polls = &polls}).detach();
        { auto dropped = executor.spawn(test::Probe{.value = 2, .polls = &polls}); }
        CHECK(executor.run_until_idle() == 2);
        CHECK(polls == 2);
        CHECK(executor.live_tasks() == 0);
    }

    TEST_CASE("an exception in a task stays in the task: the executor goes on") {
        rt::Executor executor;
        std::atomic<int> polls{0};
        auto failing = executor.spawn(test::Throws{});
        executor.spawn(test::Probe{.value = 1, .polls = &polls}).detach();
        CHECK(executor.run_until_idle() == 2);
        CHECK(polls == 1);
    }

    TEST_CASE("an output that throws as it moves into the task: the future is destroyed once") {
        // (That the handle then rethrows is JoinHandle::poll's business: ex3 tests it.)
        rt::Executor executor;
        std::atomic<int> destroyed{0};
        auto handle = executor.spawn(test::ReadyThrowingOutput(&destroyed));
        REQUIRE(executor.run_until_idle() == 1);
        CHECK(destroyed == 1);
    }

#if TEST_COUNTS_ALLOCATIONS
    TEST_CASE("one allocation per spawned task, none per poll or wake") {
        rt::Executor executor;
        std::vector<rt::JoinHandle<int>> handles;
        handles.reserve(1000);
        test::CountAllocations allocations;
        for (int i = 0; i < 1000; ++i)
            handles.push_back(executor.spawn(test::Probe{.value = i, .pending_polls = 3, .self_wake = true}));
        CHECK(allocations.count() == 1000);
        CHECK(executor.run_until_idle() == 4000);
        CHECK(allocations.count() == 1000);
    }
#endif

    TEST_CASE("destroying the executor destroys the futures of tasks still waiting") {
        std::atomic<int> destroyed{0};
        {
            rt::Executor executor;
            for (int i = 0; i < 5; ++i) executor.spawn(test::Noticed(rt::sleep(10s), &destroyed)).detach();
            CHECK(executor.run_until_idle() == 5);
            CHECK(rt::Timer::global().size() >= 5);
            CHECK(destroyed == 0);
        }
        CHECK(destroyed == 5);
        CHECK(rt::Timer::global().size() == 0);
    }

    TEST_CASE("a future whose destructor throws is destroyed once, and the executor goes on") {
        // (That its handle rethrows what it threw is JoinHandle::poll's business: ex3 tests it.)
        rt::Executor executor;
        std::atomic<int> destroyed{0};
        auto handle = executor.spawn(test::ThrowsWhenDestroyedAfterReady(&destroyed));
        REQUIRE(executor.run_until_idle() == 1);
        CHECK(destroyed == 1);
        CHECK(executor.live_tasks() == 0);
    }

    TEST_CASE("rt::block_on inside a task that run_until_idle runs is refused: it would stop every task") {
        rt::Executor executor;
        std::string error;
        executor.spawn(BlocksInside{&error}).detach();
        REQUIRE(executor.run_until_idle() == 1);
        CHECK(error ==
              "rt::block_on: nested call: this thread is running an executor (a task, or run_until_idle), whose "
              "tasks cannot run while this call blocks");
    }

    TEST_CASE("a detached task's output whose destructor throws is reported") {
        test::CatchReports reports;
        rt::Executor executor;
        executor.spawn(ReadyThrowsWhenDropped{}).detach();
        REQUIRE(executor.run_until_idle() == 1);
        CHECK(executor.live_tasks() == 0);
        CHECK(reports.lines() == std::vector<std::string>{
                                     "rt::Executor: a task's output threw from its destructor: "
                                     "the output threw from its destructor"});
    }
}
