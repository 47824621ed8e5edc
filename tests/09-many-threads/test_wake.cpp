// ex2: the wake path on a worker's thread: the LIFO slot, the ring, and a
// sleeper woken when a task waits in a ring that its worker will not reach
// soon. Driven by hand: the test thread enters the pool as worker 0.
#include <doctest/doctest.h>

#include "park_probe.hpp"
#include "rt.hpp"

using rt::detail::WorkerParker;

TEST_SUITE("ex2: the wake path: the LIFO slot or the ring, then wake a sleeper") {
    TEST_CASE("on a worker, the task just woken goes to the LIFO slot; the one it displaces, to the ring") {
        rt::detail::Pool pool(2);
        test::FakeTasks t(2);
        rt::detail::WorkerThread worker(pool, 0);
        REQUIRE(pool.push(t[0], false));
        CHECK(pool.lifo(0) == t[0]);
        CHECK(pool.ring_len(0) == 0);
        REQUIRE(pool.push(t[1], false));
        CHECK(pool.lifo(0) == t[1]);
        INFO("the displaced task is not lost: it waits in the ring, where a thief can take it");
        CHECK(pool.ring_len(0) == 1);
        CHECK(pool.injected() == 0);
    }

    TEST_CASE("a task woken during its own poll (a yield) goes to the back of the ring, not the LIFO slot") {
        rt::detail::Pool pool(2);
        test::FakeTasks t(2);
        rt::detail::WorkerThread worker(pool, 0);
        REQUIRE(pool.push(t[0], true));
        INFO("in the LIFO slot a yielding task would run again at once: it gave the thread away for nothing");
        CHECK(pool.lifo(0) == nullptr);
        CHECK(pool.ring_len(0) == 1);
    }

    TEST_CASE("a task left in the ring wakes a sleeping worker when nobody searches; the LIFO slot alone does not") {
        rt::detail::Pool pool(2);
        test::FakeTasks t(2);
        pool.transition_to_parked(1, false);  // worker 1 sleeps
        rt::detail::WorkerThread worker(pool, 0);
        REQUIRE(pool.push(t[0], false));
        INFO("one task, in the LIFO slot: worker 0 runs it next; waking worker 1 would cost a wake for nothing");
        CHECK(pool.parker_state(1) == WorkerParker::empty);
        CHECK(pool.is_parked(1));
        REQUIRE(pool.push(t[1], false));
        INFO("a task in the ring, worker 0 busy: without a wake, stealing never starts");
        CHECK(pool.parker_state(1) == WorkerParker::notified);
        CHECK_FALSE(pool.is_parked(1));
        CHECK(pool.searching() == 1);  // it wakes as a searcher
    }

    TEST_CASE("a yield also leaves a task in the ring: it wakes a sleeper too, but only one while it searches") {
        rt::detail::Pool pool(3);
        test::FakeTasks t(2);
        pool.transition_to_parked(1, false);
        pool.transition_to_parked(2, false);
        rt::detail::WorkerThread worker(pool, 0);
        REQUIRE(pool.push(t[0], true));
        REQUIRE(pool.push(t[1], true));
        int notified = (pool.parker_state(1) == WorkerParker::notified) + (pool.parker_state(2) == WorkerParker::notified);
        INFO("the first wake makes a searcher; the second push sees it searching and wakes nobody");
        CHECK(notified == 1);
        CHECK(pool.searching() == 1);
    }
}
