#include <doctest/doctest.h>

#include <thread>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "counting_waker.hpp"
#include "reports.hpp"
#include "rt.hpp"
#include "task_helpers.hpp"
#include "threads.hpp"
#include "throwing_waker.hpp"

using namespace std::chrono_literals;

namespace {

// Counts the instances alive. Its third move throws: the first takes it into
// the Poll, the second into the task, the third out to the handle's poller.
struct ThrowsOnThirdMove {
    static inline std::atomic<int> alive{0};
    int moves = 0;
    ThrowsOnThirdMove() { ++alive; }
    ThrowsOnThirdMove(ThrowsOnThirdMove&& other) : moves(other.moves + 1) {
        if (moves == 3) throw std::runtime_error("the output could not move");
        ++alive;
    }
    ~ThrowsOnThirdMove() { --alive; }
};

struct ReadyThrowsOnThirdMove {
    using Output = ThrowsOnThirdMove;
    rt::Poll<ThrowsOnThirdMove> poll(rt::Context&) { return ThrowsOnThirdMove(); }
};

}  // namespace

TEST_SUITE("ex3: JoinHandle::poll") {
    TEST_CASE("a handle is pending until its task completes, then gives its output; its waker is woken once") {
        test::WakeCounter counter;  // before the executor: a task may hold its waker until the executor goes
        rt::Executor executor;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        auto handle = executor.spawn(rt::Ready<std::string>("output"));
        REQUIRE(handle.poll(cx).is_pending());
        executor.run_until_idle();
        CHECK(counter.wakes == 1);
        rt::Poll<std::string> poll = handle.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == "output");
        CHECK(counter.live() == 1);  // the handle's clone was consumed by the wake
    }

    TEST_CASE("a handle polled after its task completed is ready at once") {
        test::WakeCounter counter;  // before the executor: a task may hold its waker until the executor goes
        rt::Executor executor;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        auto handle = executor.spawn(rt::Ready<int>(7));
        auto other = executor.spawn(test::Probe{.value = 1, .pending_polls = 1});
        REQUIRE(other.poll(cx).is_pending());
        executor.run_until_idle();
        rt::Poll<int> poll = handle.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == 7);
        CHECK(counter.clones == 1);  // only `other` took a clone
    }

    TEST_CASE("a handle re-polled with another waker wakes only the newest, and clones once per waker") {
        test::WakeCounter first, second;
        rt::Executor executor;
        rt::Waker a = first.waker(), b = second.waker();
        rt::Context cx_a(a), cx_b(b);
        auto handle = executor.spawn(rt::Ready<int>(1));
        REQUIRE(handle.poll(cx_a).is_pending());
        CHECK(handle.poll(cx_a).is_pending());
        CHECK(first.clones == 1);
        CHECK(handle.poll(cx_b).is_pending());
        executor.run_until_idle();
        CHECK(first.total_wakes() == 0);
        CHECK(second.wakes == 1);
        CHECK(handle.poll(cx_b).is_ready());
    }

    TEST_CASE("a handle rethrows its task's exception") {
        test::WakeCounter counter;  // before the executor: a task may hold its waker until the executor goes
        rt::Executor executor;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        auto handle = executor.spawn(test::Throws{});
        REQUIRE(handle.poll(cx).is_pending());
        executor.run_until_idle();
        CHECK_THROWS_WITH_AS((void)handle.poll(cx), "the task failed", std::runtime_error);
    }

    TEST_CASE("a handle rethrows the exception of an output that could not move into the task") {
        rt::Executor executor;
        std::atomic<int> destroyed{0};
        auto handle = executor.spawn(test::ReadyThrowingOutput(&destroyed));
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        REQUIRE(handle.poll(cx).is_pending());  // (the stub fails here)
        REQUIRE(executor.run_until_idle() == 1);
        CHECK_THROWS_WITH_AS((void)handle.poll(cx), "the output could not move", std::runtime_error);
    }

    TEST_CASE("a handle's waker that throws when its task completes is reported; the executor goes on") {
        test::CatchReports reports;
        test::ThrowingWaker thrower(test::ThrowingWaker::on_wake);
        rt::Waker bad = thrower.waker();
        rt::Executor executor;
        std::optional<rt::JoinHandle<int>> handle(executor.spawn(rt::Ready<int>(7)));
        rt::Context bad_cx(bad);
        REQUIRE(handle->poll(bad_cx).is_pending());  // leaves `bad` as the join waker (the stub fails here)
        REQUIRE(executor.run_until_idle() == 1);
        CHECK(reports.lines() == std::vector<std::string>{
                                     "rt::Executor: the waker of a task's JoinHandle threw from wake: "
                                     "the waker threw from wake"});
        CHECK(thrower.wakes == 1);
        CHECK(thrower.live() == 1);  // ours
        CHECK(executor.live_tasks() == 0);
        test::WakeCounter counter;
        rt::Waker good = counter.waker();
        rt::Context cx(good);
        rt::Poll<int> poll = handle->poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == 7);
    }

    TEST_CASE("a handle's waker that throws when the executor closes its task is reported") {
        test::CatchReports reports;
        test::ThrowingWaker thrower(test::ThrowingWaker::on_wake);
        rt::Waker bad = thrower.waker();
        std::optional<rt::JoinHandle<void>> handle;
        {
            rt::Executor executor;
            handle.emplace(executor.spawn(rt::sleep(10s)));
            rt::Context bad_cx(bad);
            REQUIRE(handle->poll(bad_cx).is_pending());  // leaves `bad` as the join waker (the stub fails here)
            REQUIRE(executor.run_until_idle() == 1);
        }
        CHECK(reports.count() == 1);
        CHECK(thrower.live() == 1);  // ours
    }

    TEST_CASE("a handle rethrows what its future's destructor threw") {
        rt::Executor executor;
        std::atomic<int> destroyed{0};
        auto handle = executor.spawn(test::ThrowsWhenDestroyedAfterReady(&destroyed));
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        REQUIRE(handle.poll(cx).is_pending());  // (the stub fails here)
        REQUIRE(executor.run_until_idle() == 1);
        CHECK_THROWS_WITH_AS((void)handle.poll(cx), "the future threw from its destructor", std::runtime_error);
    }

    TEST_CASE("a handle polled with ever new wakers on one thread while the task completes on another") {
        // Each poll with a waker that will_wake does not recognise writes the join-waker slot: it must take
        // the slot back from the executor first. ThreadSanitizer sees a write while JOIN_WAKER is set.
        for (int round = 0; round < 200; ++round) {
            test::WakeCounter first, second;
            rt::Executor executor;
            std::atomic<bool> go{false};
            auto handle = executor.spawn(test::Probe{.value = round, .pending_polls = 1, .self_wake = true});
            rt::Waker a = first.waker(), b = second.waker();
            rt::Context cx_a(a), cx_b(b);
            REQUIRE(handle.poll(cx_a).is_pending());
            test::Thread running([&] {
                while (!go) std::this_thread::yield();
                executor.run_until_idle();
            });
            go = true;
            int polls = 0;
            while (handle.poll(++polls % 2 ? cx_b : cx_a).is_pending()) {
            }
            running.join();
        }
    }

    TEST_CASE("a handle of a void task, and a handle polled again after its output, which is an error") {
        test::WakeCounter counter;  // before the executor: a task may hold its waker until the executor goes
        rt::Executor executor;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        auto handle = executor.spawn(rt::Deadline(std::chrono::steady_clock::now()));
        REQUIRE(handle.poll(cx).is_pending());
        executor.run_until_idle();
        CHECK(handle.poll(cx).is_ready());
        CHECK_THROWS_AS((void)handle.poll(cx), std::logic_error);
    }

    TEST_CASE("when the executor goes first, the handle's waker is woken and the handle says so") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        std::optional<rt::JoinHandle<void>> handle;
        {
            rt::Executor executor;
            handle.emplace(executor.spawn(rt::sleep(10s)));
            REQUIRE(handle->poll(cx).is_pending());
            executor.run_until_idle();
        }
        CHECK(counter.wakes == 1);
        CHECK_THROWS_WITH_AS((void)handle->poll(cx), "rt::JoinHandle: the executor was destroyed before the task completed",
                             std::runtime_error);
    }

    TEST_CASE("a handle awaited by rt::block_on on another thread while this thread runs the task") {
        test::WakeCounter counter;  // before the executor: a task may hold its waker until the executor goes
        rt::Executor executor;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        auto handle = executor.spawn(rt::Then(rt::sleep(20ms), [] { return rt::Ready<int>(42); }));
        REQUIRE(handle.poll(cx).is_pending());  // (the stub fails here, on this thread)
        std::atomic<int> result{0};
        test::Thread awaiting([&] { result = rt::block_on(std::move(handle)); });
        // Run the task whenever the timer's wake queues it, until the other thread has the output.
        CHECK(test::eventually([&] {
            executor.run_until_idle();
            return result != 0;
        }));
        awaiting.join();
        CHECK(result == 42);
    }

    TEST_CASE("an output that throws as it moves out to the handle: the poll throws, and the output is not leaked") {
        ThrowsOnThirdMove::alive = 0;
        test::WakeCounter counter;  // before the executor: a task may hold its waker until the executor goes
        rt::Executor executor;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        auto handle = executor.spawn(ReadyThrowsOnThirdMove{});
        REQUIRE(handle.poll(cx).is_pending());
        executor.run_until_idle();
        CHECK(ThrowsOnThirdMove::alive == 1);  // in the task
        CHECK_THROWS_WITH_AS((void)handle.poll(cx), "the output could not move", std::runtime_error);
        CHECK(ThrowsOnThirdMove::alive == 0);
    }
}
