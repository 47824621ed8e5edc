// The state bits of a task: one atomic word, changed by compare-and-swap.
#pragma once

#include <cstdint>
#include <string>

namespace rt::detail::task_state {

// Set while the task waits in a ready queue. Set while RUNNING too, it means
// "woken during its poll": the executor queues it again after the poll. A
// wake that finds it set does nothing: the task will be polled anyway.
inline constexpr std::uint32_t scheduled = 1u << 0;

// Set while the executor polls the task's future. Only the executor's thread
// sets and clears it.
inline constexpr std::uint32_t running = 1u << 1;

// Set once the future has finished, with an output or an exception. The
// future is destroyed; wakes do nothing from now on. Never cleared.
inline constexpr std::uint32_t completed = 1u << 2;

// Set when the executor was destroyed before the task completed: its future
// is destroyed and there is no output. Wakes do nothing. Never cleared.
inline constexpr std::uint32_t closed = 1u << 3;

// Set while a JoinHandle for the task exists. Whoever sees the output left
// behind with no handle (the executor at completion, or the handle as it
// goes) destroys it.
inline constexpr std::uint32_t handle = 1u << 4;

// Set while the task's join_waker slot holds the waker of whoever awaits the
// JoinHandle. The handle writes the slot only while this is clear; the
// executor reads it only after seeing this set along with COMPLETED.
inline constexpr std::uint32_t join_waker = 1u << 5;

// Set by JoinHandle::abort, from any thread. At its next turn the executor
// destroys the future instead of polling it, and the task completes with
// rt::Cancelled. Ignored once the task has completed or closed.
inline constexpr std::uint32_t cancelled = 1u << 6;

// The bits as names, "scheduled|running", for traces and test messages.
inline std::string describe(std::uint32_t state) {
    static constexpr const char* names[] = {"scheduled", "running",    "completed", "closed",
                                            "handle",    "join_waker", "cancelled"};
    std::string out;
    for (std::uint32_t bit = 0; bit < 7; ++bit) {
        if ((state & (1u << bit)) == 0) continue;
        if (!out.empty()) out += '|';
        out += names[bit];
    }
    return out.empty() ? "idle" : out;
}

}  // namespace rt::detail::task_state
