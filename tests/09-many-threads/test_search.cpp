// ex3: where a worker looks for its next task. Driven by hand: the test
// thread enters the pool as a worker; each test's first call is next_task
// or steal_work on an empty pool.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "park_probe.hpp"
#include "rt.hpp"

namespace {
// Pushes from a thread that is no worker: into the injection queue.
void push_from_outside(rt::detail::Pool& pool, rt::detail::TaskHeader* task) {
    std::thread([&] { pool.push(task, false); }).join();
}
}  // namespace

TEST_SUITE("ex3: the search order: global every 61 ticks, LIFO, ring, global, steal") {
    TEST_CASE("the LIFO slot first, then the ring, oldest first; then nothing") {
        rt::detail::Pool pool(2);
        test::FakeTasks t(3);
        rt::detail::WorkerThread worker(pool, 0);
        REQUIRE(pool.next_task(0) == nullptr);
        pool.push(t[0], true);
        pool.push(t[1], true);
        pool.push(t[2], false);
        CHECK(pool.next_task(0) == t[2]);
        CHECK(pool.next_task(0) == t[0]);
        CHECK(pool.next_task(0) == t[1]);
        CHECK(pool.next_task(0) == nullptr);
    }

    TEST_CASE("the LIFO slot three times in a row at most: then the ring's turn") {
        rt::detail::Pool pool(2);
        test::FakeTasks t(5);
        rt::detail::WorkerThread worker(pool, 0);
        REQUIRE(pool.next_task(0) == nullptr);
        pool.push(t[0], true);  // waits in the ring
        for (int i = 1; i <= 3; ++i) {
            pool.push(t[i], false);  // two tasks waking each other would do this
            CHECK(pool.next_task(0) == t[i]);
        }
        pool.push(t[4], false);
        INFO("after three LIFO tasks in a row, the ring's oldest runs: else two tasks that wake each other starve it");
        CHECK(pool.next_task(0) == t[0]);
        CHECK(pool.next_task(0) == t[4]);
    }

    TEST_CASE("every 61st look, the injection queue first, even with local work") {
        rt::detail::Pool pool(2);
        test::FakeTasks t(101);
        rt::detail::WorkerThread worker(pool, 0);
        REQUIRE(pool.next_task(0) == nullptr);  // look 1
        for (int i = 0; i < 100; ++i) pool.push(t[i], true);
        push_from_outside(pool, t[100]);
        int found_at = 0;
        for (int look = 2; look <= 101; ++look) {
            if (pool.next_task(0) == t[100]) {
                found_at = look;
                break;
            }
        }
        INFO("with 100 local tasks, a task from outside waits for the 61st look, not for the ring to empty");
        CHECK(found_at == 61);
    }

    TEST_CASE("the ring empty: the injection queue, a share of it moved into the ring") {
        rt::detail::Pool pool(2);
        test::FakeTasks t(10);
        rt::detail::WorkerThread worker(pool, 0);
        REQUIRE(pool.next_task(0) == nullptr);
        for (int i = 0; i < 10; ++i) push_from_outside(pool, t[i]);
        std::set<rt::detail::TaskHeader*> seen{pool.next_task(0)};
        INFO("one lock for a batch, not one per task; and not all of it: other workers may want some");
        CHECK(pool.ring_len(0) > 0);
        CHECK(pool.injected() > 0);
        while (rt::detail::TaskHeader* task = pool.next_task(0)) seen.insert(task);
        CHECK(seen.size() == 10);
        CHECK(seen.count(nullptr) == 0);
    }

    TEST_CASE("an idle worker steals half of another's ring, and becomes a searcher") {
        rt::detail::Pool pool(2);
        test::FakeTasks t(10);
        {
            rt::detail::WorkerThread worker(pool, 0);
            REQUIRE(pool.steal_work(0) == nullptr);  // nothing anywhere
            pool.found_work(0);                       // not searching any more
        }
        {
            rt::detail::WorkerThread other(pool, 1);
            for (int i = 0; i < 10; ++i) pool.push(t[i], true);
        }
        rt::detail::WorkerThread worker(pool, 0);
        rt::detail::TaskHeader* stolen = pool.steal_work(0);
        CHECK(t.index_of(stolen) >= 0);
        CHECK(t.index_of(stolen) < 5);
        CHECK(pool.ring_len(1) == 5);
        CHECK(pool.ring_len(0) == 4);
        CHECK(pool.steals() == 1);
        CHECK(pool.searching() == 1);
        pool.found_work(0);
        CHECK(pool.searching() == 0);
    }

    TEST_CASE("nothing to steal: the injection queue; and at most half the workers search at once") {
        rt::detail::Pool pool(2);
        test::FakeTasks t(2);
        {
            rt::detail::WorkerThread worker(pool, 0);
            REQUIRE(pool.steal_work(0) == nullptr);
            CHECK(pool.searching() == 1);
        }
        push_from_outside(pool, t[0]);
        {
            rt::detail::WorkerThread worker(pool, 1);
            INFO("worker 0 searches already, and 2 workers allow one searcher: worker 1 does not look");
            CHECK(pool.steal_work(1) == nullptr);
        }
        rt::detail::WorkerThread worker(pool, 0);
        CHECK(pool.steal_work(0) == t[0]);
    }
}
