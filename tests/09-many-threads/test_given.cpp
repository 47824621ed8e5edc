// Tests of code chapter 09 gives the learner (suite "given: ..."): they pass
// on the learner's copy, so none of them starts Executor(n)'s workers.
#include <doctest/doctest.h>

#include <thread>

#include "mt_helpers.hpp"
#include "park_probe.hpp"
#include "rt.hpp"
#include "counting_waker.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;

TEST_SUITE("given: chapter 09") {
    TEST_CASE("a push from a thread that is no worker goes to the injection queue and wakes a sleeper") {
        rt::detail::Pool pool(2);
        test::FakeTasks t(2);
        pool.transition_to_parked(1, false);
        CHECK(pool.push(t[0], false));
        CHECK(pool.injected() == 1);
        CHECK(pool.parker_state(1) == rt::detail::WorkerParker::notified);
        CHECK(pool.searching() == 1);
        pool.shut_down();
        INFO("once shut down, a push from outside is refused: the caller keeps the task");
        CHECK_FALSE(pool.push(t[1], false));
    }

    TEST_CASE("unpark: a parker told to wake before it sleeps is notified; one asleep in the driver gets the eventfd") {
        test::HandPool hand(1);
        rt::detail::WorkerParker parker;
        parker.unpark(hand.pool.signal_fd());
        CHECK(parker.state.load() == rt::detail::WorkerParker::notified);
        rt::detail::WorkerParker in_driver;
        in_driver.state.store(rt::detail::WorkerParker::parked_driver);
        in_driver.unpark(hand.pool.signal_fd());
        CHECK(in_driver.state.load() == rt::detail::WorkerParker::notified);
        INFO("the driver's turn sees the eventfd");
        CHECK(hand.driver.turn(0).signalled);
        hand.pool.drain_signal();
        CHECK_FALSE(hand.driver.turn(0).signalled);
    }

    TEST_CASE("the stress mode: off by default; seeded, it yields and sleeps at its points") {
        CHECK_FALSE(rt::detail::stress::on.load());
        rt::detail::stress::enable(7);
        for (int i = 0; i < 1000; ++i) rt::detail::stress::point();
        std::uint64_t first = rt::detail::stress::perturbations();
        rt::detail::stress::disable();
        CHECK(first > 100);
        CHECK(first < 600);
        rt::detail::stress::enable(7);
        std::thread([] {
            for (int i = 0; i < 1000; ++i) rt::detail::stress::point();
        }).join();
        INFO("a new thread, the same seed: the same draws");
        CHECK(rt::detail::stress::perturbations() == first);
        rt::detail::stress::disable();
    }

    TEST_CASE("a timer calls on_earlier when an entry becomes the earliest, not for a later one") {
        rt::Timer timer;
        int calls = 0;
        timer.on_earlier([&] { ++calls; });
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        auto now = std::chrono::steady_clock::now();
        rt::Timer::Entry late(now + 10s), later(now + 20s), early(now + 1s);
        timer.store(late, waker);
        CHECK(calls == 1);
        timer.store(later, waker);
        CHECK(calls == 1);
        timer.store(early, waker);
        CHECK(calls == 2);
        timer.store(early, waker);  // in the heap already: nothing new
        CHECK(calls == 2);
        timer.cancel(late);
        timer.cancel(later);
        timer.cancel(early);
    }

    TEST_CASE("Executor() is chapter 08's: the calling thread alone runs every task, with no thread of its own") {
        std::size_t before = test::thread_count();
        rt::Executor executor;
        CHECK(executor.workers() == 0);
        CHECK(executor.pool() == nullptr);
        CHECK(test::thread_count() == before);
        std::atomic<int> counter{0};
        auto handle = executor.spawn(test::Busy{std::chrono::microseconds(0)});
        (void)executor.spawn(test::Count{&counter, 1});
        CHECK(executor.run_until_idle() == 2);
        CHECK(counter.load() == 1);
        CHECK(executor.block_on(std::move(handle)) == std::this_thread::get_id());
    }
}
