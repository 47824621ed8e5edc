// LoopSignal: how a wake from another thread reaches a loop blocked in epoll_wait.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

#include "sys.hpp"

namespace rt::detail {

// An eventfd, and a flag that says whether the loop is (about to be) blocked.
//
// The loop announces that it will block, then looks at its queues once more,
// and only then waits in epoll_wait, where the eventfd is watched. A waker
// from another thread first queues its task, then writes the eventfd if, and
// only if, the loop has announced it will block. Both sides write their own
// flag first and read the other's second (sequentially consistent), so at
// least one of them sees the other: either the loop finds the task, or the
// waker finds the flag and writes. No wake is lost, and a wake while the loop
// is busy costs no system call.
//
// Not thread-safe by itself: the Scheduler calls notify() and close() under
// its mutex, so that no write can come after the descriptor is closed.
class LoopSignal {
public:
    LoopSignal();  // throws std::system_error if no eventfd can be made

    int fd() const noexcept { return fd_.get(); }

    // The loop's side. announce_blocking() comes before the last look at the
    // queues; done_blocking() after epoll_wait returns.
    void announce_blocking() noexcept { blocking_.store(true, std::memory_order_seq_cst); }
    void done_blocking() noexcept { blocking_.store(false, std::memory_order_relaxed); }

    // The waker's side, after it has queued its task: writes the eventfd if
    // the loop announced it would block (the first such waker only).
    void notify();

    // Reads the eventfd back to zero, so that epoll_wait blocks again.
    void drain() noexcept;

    // Closes the eventfd: notify() writes nothing from now on.
    void close() noexcept;

    // How many times notify() wrote the eventfd (tests count them).
    std::size_t writes() const noexcept { return writes_.load(std::memory_order_relaxed); }

private:
    sys::Fd fd_;
    std::atomic<bool> blocking_{false};
    std::atomic<std::size_t> writes_{0};
};

// Test seams of the loop, on this thread only; each runs once, then is
// cleared. They let a test put a wake from another thread at the worst
// moments of the park race: just before the loop announces that it will
// block, and just before it calls epoll_wait.
struct LoopHooks {
    std::function<void()> before_announce;
    std::function<void()> before_wait;
};
LoopHooks& loop_hooks();

// Runs a hook once if it is set, clearing it first.
void run_hook(std::function<void()>& hook);

}  // namespace rt::detail
