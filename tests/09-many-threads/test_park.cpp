// ex4: the park protocol, driven by hand: the test thread is worker 0 of a
// pool with a driver of its own, and calls park() itself.
#include <doctest/doctest.h>

#include <thread>

#include "park_probe.hpp"
#include "rt.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;
using rt::detail::WorkerParker;

namespace {
// A waker that pushes two tasks into the pool, on the thread that wakes it
// (the worker inside the driver, when a timer fires).
struct PushTwo {
    rt::detail::Pool* pool;
    rt::detail::TaskHeader* first;
    rt::detail::TaskHeader* second;
    void wake() const {
        pool->push(first, false);
        pool->push(second, false);
    }
};
struct Nothing {
    void wake() const {}
};
}  // namespace

TEST_SUITE("ex4: park: register as a sleeper, look once more, sleep until notified") {
    TEST_CASE("a sleeping worker is woken by a push from outside, and is no sleeper any more") {
        REQUIRE(test::park_works());
    }

    TEST_CASE("the lost wake-up: a push that saw the worker still searching is found by its last look") {
        REQUIRE(test::park_works());
        test::HandPool hand(2);
        test::FakeTasks t(1);
        rt::detail::WorkerThread worker(hand.pool, 0);
        REQUIRE(hand.pool.steal_work(0) == nullptr);  // searched, found nothing
        std::thread([&] { hand.pool.push(t[0], false); }).join();
        INFO("the push saw a searcher, so it woke nobody");
        CHECK(hand.pool.parker_state(0) == WorkerParker::empty);
        // Without the last look after registering, park() sleeps for ever with a task queued.
        test::bounded("park with a task queued", [&] {
            rt::detail::WorkerThread same(hand.pool, 0);
            hand.pool.park(0);
            return 0;
        }, 3s);
        CHECK_FALSE(hand.pool.is_parked(0));
    }

    TEST_CASE("woken by the driver's events with tasks of its own: out of the sleepers; it wakes another for the rest") {
        REQUIRE(test::park_works());
        test::HandPool hand(2);
        test::FakeTasks t(2);
        hand.pool.transition_to_parked(1, false);  // worker 1 sleeps
        rt::Timer::Entry entry(std::chrono::steady_clock::now() + 20ms);
        rt::Waker waker = rt::waker_from(rt::make_arc<PushTwo>(PushTwo{&hand.pool, t[0], t[1]}));
        hand.driver.timer().store(entry, waker);
        test::bounded("park until the timer", [&] {
            rt::detail::WorkerThread worker(hand.pool, 0);
            hand.pool.park(0);  // waits in the driver: the timer fires there
            return 0;
        }, 3s);
        CHECK(hand.pool.lifo(0) == t[1]);
        CHECK(hand.pool.ring_len(0) == 1);
        INFO("a worker running tasks must not stay registered as a sleeper: a push would 'wake' it and nobody else");
        CHECK_FALSE(hand.pool.is_parked(0));
        CHECK(hand.pool.unparked() == 2);
        INFO("two tasks and one worker: another worker is woken to steal the second");
        CHECK(hand.pool.parker_state(1) == WorkerParker::notified);
    }

    TEST_CASE("a wake for nobody (a timer whose waker queues nothing) does not end the park") {
        REQUIRE(test::park_works());
        test::HandPool hand(2);
        test::FakeTasks t(1);
        rt::Timer::Entry entry(std::chrono::steady_clock::now() + 20ms);
        rt::Waker waker = rt::waker_from(rt::make_arc<Nothing>());
        hand.driver.timer().store(entry, waker);
        auto start = std::chrono::steady_clock::now();
        test::Thread pusher([&] {
            std::this_thread::sleep_for(200ms);
            hand.pool.push(t[0], false);
        });
        // How long park() slept, taken when it returns: after the pusher's
        // join, it would be 200 ms whenever park() returned.
        auto slept = test::bounded("park until the push", [&] {
            rt::detail::WorkerThread worker(hand.pool, 0);
            hand.pool.park(0);
            return std::chrono::steady_clock::now() - start;
        }, 3s);
        pusher.join();
        INFO("the timer at 20 ms woke the driver, but nothing was queued: the worker sleeps again until the push");
        CHECK(slept >= 150ms);
        CHECK_FALSE(hand.pool.is_parked(0));
    }
}
