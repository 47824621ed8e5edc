// Code the chapter gives the learner: it must work before any exercise is solved.
#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>

#include "counting_waker.hpp"
#include "poll_helpers.hpp"
#include "rt.hpp"
#include "task_helpers.hpp"

using namespace std::chrono_literals;

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
}
