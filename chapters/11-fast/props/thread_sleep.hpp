// ThreadSleep: a future that another thread wakes once a duration has passed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "future.hpp"

namespace rt {

// Ready once `duration` has passed since it was created. Its first poll
// starts a thread that sleeps until then and wakes the newest waker it was
// given. One thread per sleep: simple, and, as chapter 03 measures, costly.
class ThreadSleep {
public:
    using Output = void;
    using Clock = std::chrono::steady_clock;

    explicit ThreadSleep(Clock::duration duration);
    ThreadSleep(ThreadSleep&&) noexcept = default;
    ThreadSleep& operator=(ThreadSleep&&) = delete;
    // Destroying a pending sleep stops its thread early.
    ~ThreadSleep();

    Poll<void> poll(Context& cx);

private:
    // What the future and its thread share; on the heap, so it stays put.
    struct Shared {
        std::mutex mutex;
        std::condition_variable condvar;
        Clock::time_point deadline;
        bool done = false;             // the deadline has passed
        bool cancelled = false;        // the future was destroyed first
        std::optional<Waker> waker;    // the newest waker, until the thread takes it
    };

    static void sleep_then_wake(Shared& shared);

    std::unique_ptr<Shared> shared_;
    std::thread thread_;  // started by the first poll
};

}  // namespace rt
