// LocalQueue: a worker's bounded ring of ready tasks, stealable by the other workers.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "scheduler.hpp"
#include "stress.hpp"

namespace rt::detail {

struct TaskHeader;

// A ring of 256 task pointers (Tokio's size), with one owner and any number
// of thieves. The owner pushes at the tail and pops at the head; a thief
// takes half of what is there, from the head, into its own ring.
//
// head and tail are counters that only grow (they wrap at 2^32; the
// differences stay right); slot i % capacity holds entry i. The owner alone
// writes tail and the slots. Everyone, owner included, takes entries by a
// compare-and-swap on head: of two that race for the same entries, one
// wins, and the other looks again. The slots are atomics (relaxed): a thief
// may read a slot the owner is overwriting, but then its compare-and-swap
// fails and it throws what it read away.
class LocalQueue {
public:
    static constexpr std::uint32_t capacity = 256;

    // Owner only. Appends `task`; false (and nothing done) when full.
    bool push_back(TaskHeader* task);
    // Owner only. The task at the head, or null when empty.
    TaskHeader* pop();
    // Any thread but the owner; `into` is the caller's own ring, and must be
    // empty. Moves half of this ring's tasks (rounded up) into `into` and
    // returns one of them to run now, or null if this ring was empty.
    TaskHeader* steal_into(LocalQueue& into);

    // Owner only, when the ring is full: takes the older half out, oldest
    // first, into `out` (for the injection queue: one lock for 128 tasks,
    // as Tokio does). Returns how many it took; 0 if thieves took them first.
    std::uint32_t take_half(TaskQueue& out);

    // A snapshot: another thread may change it at once.
    std::uint32_t len() const noexcept {
        std::uint32_t tail = tail_.load(std::memory_order_acquire);
        return tail - head_.load(std::memory_order_acquire);
    }
    bool empty() const noexcept { return len() == 0; }

private:
    std::atomic<std::uint32_t> head_{0};  // next entry to take: CAS by owner and thieves
    std::atomic<std::uint32_t> tail_{0};  // next free entry: written by the owner only
    std::array<std::atomic<TaskHeader*>, capacity> slots_{};
};

inline std::uint32_t LocalQueue::take_half(TaskQueue& out) {
    std::uint32_t head = head_.load(std::memory_order_acquire);
    for (;;) {
        std::uint32_t tail = tail_.load(std::memory_order_relaxed);
        std::uint32_t take = (tail - head) / 2;
        if (take == 0) return 0;
        TaskHeader* taken[capacity / 2];
        for (std::uint32_t i = 0; i < take; ++i) taken[i] = slots_[(head + i) % capacity].load(std::memory_order_relaxed);
        stress::point();
        // Thieves may have taken some meanwhile: then head moved, and we look again.
        if (!head_.compare_exchange_weak(head, head + take, std::memory_order_acq_rel, std::memory_order_acquire))
            continue;
        for (std::uint32_t i = 0; i < take; ++i) out.push(taken[i]);
        return take;
    }
}

inline bool LocalQueue::push_back(TaskHeader* task) {
    std::uint32_t tail = tail_.load(std::memory_order_relaxed);  // ours: nobody else writes it
    // acquire: a thief's compare-and-swap on head (release) comes before we
    // reuse the slots it took, so it has read them by then.
    std::uint32_t head = head_.load(std::memory_order_acquire);
    if (tail - head >= capacity) return false;  // full
    slots_[tail % capacity].store(task, std::memory_order_relaxed);
    stress::point();
    // release: whoever reads the new tail sees the slot written.
    tail_.store(tail + 1, std::memory_order_release);
    return true;
}

inline TaskHeader* LocalQueue::pop() {
    std::uint32_t head = head_.load(std::memory_order_acquire);
    for (;;) {
        std::uint32_t tail = tail_.load(std::memory_order_relaxed);
        if (head == tail) return nullptr;  // empty
        TaskHeader* task = slots_[head % capacity].load(std::memory_order_relaxed);
        stress::point();
        // A thief may have taken it meanwhile: then head moved, and we look again.
        if (head_.compare_exchange_weak(head, head + 1, std::memory_order_acq_rel, std::memory_order_acquire))
            return task;
    }
}

inline TaskHeader* LocalQueue::steal_into(LocalQueue& into) {
    std::uint32_t head = head_.load(std::memory_order_acquire);
    for (;;) {
        // acquire: the slots below tail were written before tail was.
        std::uint32_t tail = tail_.load(std::memory_order_acquire);
        std::uint32_t available = tail - head;
        if (available == 0 || available > capacity) {
            // Empty; or head and tail read at different moments (the owner
            // popped and pushed between): read both again.
            if (available == 0) return nullptr;
            head = head_.load(std::memory_order_acquire);
            continue;
        }
        std::uint32_t take = available - available / 2;  // half, rounded up: one task is worth stealing
        // Copy first, claim second: our ring is ours, and its tail is not
        // published until the claim succeeds.
        std::uint32_t into_tail = into.tail_.load(std::memory_order_relaxed);
        for (std::uint32_t i = 0; i < take; ++i)
            into.slots_[(into_tail + i) % capacity].store(slots_[(head + i) % capacity].load(std::memory_order_relaxed),
                                                          std::memory_order_relaxed);
        stress::point();
        if (!head_.compare_exchange_weak(head, head + take, std::memory_order_acq_rel, std::memory_order_acquire))
            continue;  // the owner or another thief took some first: what we copied may be stale
        // The last one copied we run now; the others go public in our ring.
        TaskHeader* task = into.slots_[(into_tail + take - 1) % capacity].load(std::memory_order_relaxed);
        if (take > 1) into.tail_.store(into_tail + take - 1, std::memory_order_release);
        return task;
    }
}

}  // namespace rt::detail
