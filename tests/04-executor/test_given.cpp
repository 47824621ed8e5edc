// Code the chapter gives the learner: it must work before any exercise is solved.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "counting_waker.hpp"
#include "poll_helpers.hpp"
#include "reports.hpp"
#include "rt.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;

namespace {

// Pending forever; as it is destroyed, spawns a task on its executor, as
// clean-up code might. The task's future counts its destruction.
struct SpawnsWhenDestroyed {
    using Output = void;
    rt::Executor* executor;
    std::atomic<int>* destroyed;
    SpawnsWhenDestroyed(rt::Executor* e, std::atomic<int>* d) : executor(e), destroyed(d) {}
    SpawnsWhenDestroyed(SpawnsWhenDestroyed&& other) noexcept
        : executor(std::exchange(other.executor, nullptr)), destroyed(other.destroyed) {}
    ~SpawnsWhenDestroyed() {
        if (executor != nullptr) executor->spawn(test::Noticed(rt::Ready<int>(1), destroyed)).detach();
    }
    rt::Poll<void> poll(rt::Context&) { return rt::pending; }
};

// A task's future that holds a Sleep polled by hand, on the heap (a polled
// Sleep must not move), and waits forever.
struct KeepsSleep {
    using Output = void;
    std::unique_ptr<rt::Sleep> sleep;
    rt::Poll<void> poll(rt::Context&) { return rt::pending; }
};

}  // namespace

TEST_SUITE("given: task state, queues, spawn, the executor's destructor") {
    TEST_CASE("task states read as names") {
        using namespace rt::detail::task_state;
        CHECK(describe(0) == "idle");
        CHECK(describe(scheduled | running) == "scheduled|running");
        CHECK(describe(completed | handle | join_waker) == "completed|handle|join_waker");
    }

    TEST_CASE("rt::spawn outside any executor throws a clear error") {
        CHECK_THROWS_WITH_AS((void)rt::spawn(rt::Ready<int>(1)),
                             "rt::spawn: no executor runs on this thread; call it from a task, or from the future "
                             "given to Executor::block_on",
                             std::logic_error);
    }

    TEST_CASE("destroying an executor destroys the futures of tasks that never ran") {
        std::atomic<int> destroyed{0};
        {
            rt::Executor executor;
            for (int i = 0; i < 3; ++i) executor.spawn(test::Noticed(rt::Ready<int>(i), &destroyed)).detach();
            CHECK(executor.live_tasks() == 3);
            CHECK(destroyed == 0);
        }
        CHECK(destroyed == 3);
    }

    TEST_CASE("join_in_order gives every output in order, polling one future at a time") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        std::vector<rt::Countdown> countdowns;
        for (int n : {2, 3, 1}) countdowns.emplace_back(n);
        auto all = rt::join_in_order(std::move(countdowns));
        CHECK(test::poll_until_ready(all, waker) == std::vector<int>{2, 3, 1});
        CHECK(counter.wakes_by_ref == 3);  // 1 + 2 pending polls: one future at a time
    }

    TEST_CASE("a task spawned while the executor is destroyed is closed at once, and nothing leaks") {
        std::atomic<int> destroyed{0};
        {
            rt::Executor executor;
            executor.spawn(SpawnsWhenDestroyed(&executor, &destroyed)).detach();
        }  // closing the first task spawns the second, which the scheduler refuses
        CHECK(destroyed == 1);
    }

    TEST_CASE("a future whose destructor throws as the executor closes it is reported, and the rest are closed") {
        test::CatchReports reports;
        std::atomic<int> destroyed{0};
        {
            rt::Executor executor;
            executor.spawn(test::Noticed(rt::Ready<int>(1), &destroyed)).detach();
            executor.spawn(test::ThrowsWhenDestroyed()).detach();
            executor.spawn(test::Noticed(rt::Ready<int>(2), &destroyed)).detach();
        }
        CHECK(destroyed == 2);
        CHECK(reports.lines() == std::vector<std::string>{
                                     "rt::Executor: a task's future threw from its destructor: "
                                     "the future threw from its destructor"});
    }

    TEST_CASE("the global timer outlives a static executor whose task sleeps at exit (run in a child process)") {
        // In the child, this static is made before the global timer, so it is
        // destroyed after it, at exit: closing the task then cancels its sleep.
        static std::optional<rt::Executor> kept;
        kept.emplace();
        auto sleep = std::make_unique<rt::Sleep>(rt::sleep(10s));
        rt::Context cx(rt::Waker::noop());  // a waker that lives as long as the program
        REQUIRE(sleep->poll(cx).is_pending());
        kept->spawn(KeepsSleep{std::move(sleep)}).detach();
        if (test::in_child()) return;  // leave it for the end of the process
        kept.reset();
        test::ChildResult child = test::run_in_child(doctest::getContextOptions()->currentTest->m_name);
        INFO(child.report());
        CHECK(child.ok());
    }
}
