// SpinLock: a lock for a few instructions, taken with one atomic exchange.
#pragma once

#include <atomic>
#include <thread>

namespace rt::detail {

// Executor(n)'s live list is split into shards whose lock is held for a
// handful of pointer writes, and whose owner rarely meets anybody there
// (see LiveShard). std::mutex would cost two calls into the C library and
// an atomic read-modify-write on each side, twice per task; this costs one
// exchange to take and a plain store to give back. Whoever finds it taken
// waits with plain loads (a loop of exchanges would pull the cache line
// back and forth) and, after a few tries, gives its thread away: the
// holder may have been preempted.
class SpinLock {
public:
    void lock() noexcept {
        int tries = 0;
        while (locked_.exchange(true, std::memory_order_acquire)) {
            while (locked_.load(std::memory_order_relaxed)) {
                if (++tries > 64) std::this_thread::yield();
            }
        }
    }
    void unlock() noexcept { locked_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> locked_{false};
};

}  // namespace rt::detail
