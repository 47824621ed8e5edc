// Exercise 1: the two sides of the park race, on a scheduler of the test's
// own: no executor, no epoll. The loop's side is prepare_to_block (announce,
// then look again); the waker's side is notify (write the eventfd only if the
// loop announced, and only the first waker). Each test first lets the loop
// look at empty queues: notify() is noexcept, so its stub would end the
// process, where prepare_to_block's only fails the test.
#include <doctest/doctest.h>

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "loop_helpers.hpp"
#include "rt.hpp"
#include "threads.hpp"

namespace {

// A scheduler as an executor has one, the flag of its main future, and a
// task to queue on it (never run: a scheduler only links its tasks).
struct Loop {
    rt::Arc<rt::detail::Scheduler> scheduler = rt::make_arc<rt::detail::Scheduler>();
    std::atomic<bool> main_woken{false};
    rt::detail::TaskHeader task{nullptr, scheduler, 0, 1};

    ~Loop() {
        while (scheduler->pop() != nullptr) {
        }
    }

    bool prepare() { return scheduler->prepare_to_block(main_woken); }
    std::size_t writes() const { return scheduler->signal().writes(); }
    // Whether the eventfd is readable, within `ms`: whether epoll_wait would return.
    bool signalled(int ms = 0) const {
        pollfd readable{scheduler->signal().fd(), POLLIN, 0};
        return ::poll(&readable, 1, ms) == 1;
    }
    // Reads the eventfd's counter (and so resets it): how many writes it holds.
    std::uint64_t drain() const {
        std::uint64_t count = 0;
        return ::read(scheduler->signal().fd(), &count, sizeof count) == sizeof count ? count : 0;
    }
    // From a thread that runs no executor, so to the remote queue, as another thread's wake would.
    void push_remote() { scheduler->push(&task); }
};

}  // namespace

TEST_SUITE("ex1: LoopSignal::notify and Scheduler::prepare_to_block") {
    TEST_CASE("an idle loop may block; the first wake then writes the eventfd once, later ones nothing") {
        Loop loop;
        REQUIRE(loop.prepare());  // nothing queued, main future not woken: it may block
        CHECK(loop.writes() == 0);
        CHECK_FALSE(loop.signalled());
        loop.scheduler->notify();
        INFO("the loop announced it would block: the first wake must write the eventfd, which ends its epoll_wait");
        CHECK(loop.writes() == 1);
        CHECK(loop.signalled());
        loop.scheduler->notify();
        loop.scheduler->notify();
        INFO("exchange, not load: the first waker takes the flag, so the ones after it find nothing to do");
        CHECK(loop.writes() == 1);
        CHECK(loop.drain() == 1);
        loop.scheduler->done_blocking();
    }

    TEST_CASE("a task queued before the loop announces is found by its second look: no block, no write") {
        Loop loop;
        REQUIRE(loop.prepare());  // the queues are empty...
        loop.scheduler->done_blocking();  // ...but the loop does not block this time
        loop.push_remote();
        CHECK(loop.writes() == 0);  // the loop had not announced: nothing to write
        INFO("announce, then look at the queues again: a task queued before the announcement is there to find");
        CHECK_FALSE(loop.prepare());
        INFO("having looked and found work, withdraw the announcement (done_blocking): a wake from now on "
             "needs no write");
        loop.scheduler->notify();
        CHECK(loop.writes() == 0);
        CHECK_FALSE(loop.signalled());
        CHECK(loop.scheduler->pop() == &loop.task);
        CHECK(loop.prepare());  // nothing left: it may block again
        loop.scheduler->done_blocking();
    }

    TEST_CASE("a wake from another thread just before the announcement (the before_announce seam) is found") {
        Loop loop;
        REQUIRE(loop.prepare());
        loop.scheduler->done_blocking();
        test::ClearHooks clear;
        rt::detail::loop_hooks().before_announce = [&] {
            test::Thread other([&] { loop.push_remote(); });
            other.join();
        };
        INFO("the other thread queued its task and saw no announcement, so wrote nothing: only the second look "
             "can find the task");
        CHECK_FALSE(loop.prepare());
        CHECK(loop.writes() == 0);
        CHECK(loop.scheduler->pop() == &loop.task);
    }

    TEST_CASE("a main future woken meanwhile keeps the loop from blocking") {
        Loop loop;
        loop.main_woken = true;
        INFO("the main future's flag is one of the things the second look reads");
        REQUIRE_FALSE(loop.prepare());
        loop.scheduler->notify();
        CHECK(loop.writes() == 0);
        CHECK_FALSE(loop.signalled());
    }

    TEST_CASE("a task in the local queue keeps the loop from blocking") {
        Loop loop;
        {
            rt::detail::ExecutorThread here(&*loop.scheduler);  // as the executor's own thread
            loop.scheduler->push(&loop.task);                  // goes to the local queue, no lock, no notify
        }
        REQUIRE_FALSE(loop.prepare());
        CHECK(loop.writes() == 0);
    }

    TEST_CASE("wakes while the loop has not announced cost no write") {
        Loop loop;
        REQUIRE(loop.prepare());
        loop.scheduler->done_blocking();  // the loop goes on running: busy
        for (int i = 0; i < 100; ++i) loop.scheduler->notify();
        loop.push_remote();
        INFO("write the eventfd only if the loop announced it would block: a busy loop finds the task anyway");
        CHECK(loop.writes() == 0);
        CHECK_FALSE(loop.signalled());
    }

    TEST_CASE("one write per block, not per wake: four threads waking at once write once") {
        Loop loop;
        for (std::size_t round = 1; round <= 20; ++round) {
            CAPTURE(round);
            REQUIRE(loop.prepare());
            std::atomic<bool> go{false};
            {
                std::vector<std::unique_ptr<test::Thread>> wakers;
                for (int t = 0; t < 4; ++t)
                    wakers.push_back(std::make_unique<test::Thread>([&] {
                        while (!go) std::this_thread::yield();
                        for (int i = 0; i < 25; ++i) loop.scheduler->notify();
                    }));
                go = true;
                for (auto& waker : wakers) waker->join();
            }
            INFO("of all the wakers of one block, only the one whose exchange took the flag writes");
            CHECK(loop.writes() == round);
            CHECK(loop.drain() == 1);
            loop.scheduler->done_blocking();
        }
    }

    TEST_CASE("a closed scheduler's eventfd is never written") {
        Loop loop;
        REQUIRE(loop.prepare());
        (void)loop.scheduler->close();  // the executor is being destroyed: the eventfd is closed
        loop.scheduler->notify();
        CHECK(loop.writes() == 0);
    }

    TEST_CASE("5,000 rounds of a wake racing the announcement: each is found by the look or ends the wait") {
        Loop loop;
        REQUIRE(loop.prepare());
        loop.scheduler->done_blocking();
        constexpr int rounds = 5000;
        std::atomic<int> go{0};
        std::atomic<bool> stop{false};
        test::Thread waker([&] {
            unsigned seed = 6;
            for (int round = 1; round <= rounds; ++round) {
                while (go.load() < round) {
                    if (stop) return;
                    std::this_thread::yield();
                }
                seed = seed * 1103515245u + 12345u;
                test::spin((seed >> 16) % 1500);
                loop.push_remote();
            }
        });
        // The loop as the executor runs it: look, announce, look again, wait; after a wait, look again.
        // A wait may end for a write of an earlier round (a waker that saw the announcement just before
        // the loop withdrew it): then the loop just goes round. A wait that runs 2 s is a lost wake.
        int lost = 0, waits = 0;
        for (int round = 1; round <= rounds && lost == 0; ++round) {
            go = round;
            while (loop.scheduler->pop() != &loop.task) {
                if (!loop.prepare()) continue;  // found by the second look
                ++waits;
                if (loop.signalled(2000)) (void)loop.drain();
                else ++lost;
                loop.scheduler->done_blocking();
                if (lost > 0) break;
            }
        }
        stop = true;
        waker.join();
        INFO("a wake was lost: the task was queued, the eventfd never written (" << waits << " waits in all)");
        CHECK(lost == 0);
    }
}
