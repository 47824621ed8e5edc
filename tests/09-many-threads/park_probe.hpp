// Pools driven by hand: a test thread enters as a worker and calls the
// pool's methods itself, so that each exercise's tests reach its own code
// first, with no worker thread in between.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "rt.hpp"

namespace test {

// Stand-ins for tasks: the pool only queues them, never polls them.
struct FakeTasks {
    explicit FakeTasks(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i)
            tasks.push_back(std::make_unique<rt::detail::TaskHeader>(
                nullptr, rt::make_arc<rt::detail::SchedulerShare>(rt::make_arc<rt::detail::Scheduler>()), 0u, 1u));
    }
    rt::detail::TaskHeader* operator[](std::size_t i) { return tasks[i].get(); }
    // Which of ours `task` is, or -1.
    int index_of(const rt::detail::TaskHeader* task) const {
        for (std::size_t i = 0; i < tasks.size(); ++i)
            if (tasks[i].get() == task) return static_cast<int>(i);
        return -1;
    }
    std::vector<std::unique_ptr<rt::detail::TaskHeader>> tasks;
};

// A pool of `workers` with a driver of its own, as Executor(n) sets them up.
struct HandPool {
    explicit HandPool(std::size_t workers) : pool(workers) {
        pool.attach(&driver);
        driver.reactor().watch_signal(pool.signal_fd());
    }
    rt::detail::Pool pool;
    rt::detail::Driver driver;
};

// Parks worker 0 of a pool by hand while another thread, once it sees it
// registered as a sleeper, pushes a task from outside: park must return.
// The first call the tests of Executor(n) make: on a copy where park() is
// not written yet, they fail here, naming ex4.
inline bool park_works() {
    HandPool hand(2);
    FakeTasks tasks(1);
    std::atomic<bool> parked_returned{false};
    std::thread pusher([&] {
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!hand.pool.is_parked(0) && !parked_returned.load() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        hand.pool.push(tasks[0], false);
    });
    struct Join {
        std::thread& thread;
        std::atomic<bool>& flag;
        ~Join() {
            flag.store(true);
            thread.join();
        }
    } join{pusher, parked_returned};
    rt::detail::WorkerThread worker(hand.pool, 0);
    hand.pool.park(0);
    return !hand.pool.is_parked(0);
}

}  // namespace test
