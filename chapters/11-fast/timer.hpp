// Timer: a heap of deadlines that the loop fires; no thread of its own.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "timer_heap.hpp"
#include "waker.hpp"

namespace rt {

// Keeps a min-heap of entries by deadline. The loop that owns it asks for
// the earliest deadline (to bound its wait in epoll_wait), then calls
// fire_due(), which wakes every entry that is due. A Sleep owns one Entry and
// hands it to the timer. The mutex is for the one case that crosses threads:
// a Sleep destroyed on another thread cancels its entry here.
class Timer {
public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;
    using NowFn = std::function<TimePoint()>;

    struct Entry {
        explicit Entry(TimePoint d) noexcept : deadline(d) {}
        TimePoint deadline;
        std::size_t heap_index = detail::TimerHeap<Entry>::npos;  // npos: not in the heap
        std::optional<Waker> waker;  // the newest waker; given away when the entry fires
        bool fired = false;          // the timer has taken it out of the heap and woken it
    };

    // A timer reading `now` (steady_clock unless a test gives its own clock).
    explicit Timer(NowFn now = Clock::now);
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    TimePoint now() const { return now_(); }

    // Stores the newest waker for an entry and puts the entry in the heap if
    // it is not there yet. Does nothing once the entry has fired. An entry
    // that becomes the earliest calls the on_earlier callback (after
    // unlocking): a thread asleep in epoll_wait until an older deadline
    // must wake up and sleep again for less.
    void store(Entry& entry, const Waker& waker);

    // Set once, before any store: the many-thread executor's (chapter 09).
    void on_earlier(std::function<void()> callback) { on_earlier_ = std::move(callback); }

    // Takes the entry out of the heap, if it is there, and drops its waker.
    void cancel(Entry& entry) noexcept;

    // The earliest deadline in the heap, if any.
    std::optional<TimePoint> next_deadline() const;

    // Takes every entry whose deadline has passed out of the heap, then wakes
    // them in deadline order, outside the lock; a wake that throws is
    // reported, and the others still happen. Returns how many fired. The
    // loop's thread only.
    std::size_t fire_due();

    // Empties the heap and drops every waker: the executor is going, and
    // nothing will fire these entries now. Their Sleeps find out when polled.
    void clear() noexcept;

    std::size_t size() const;  // entries in the heap

private:
    NowFn now_;
    mutable std::mutex mutex_;
    detail::TimerHeap<Entry> heap_;  // guarded by mutex_
    std::vector<Waker> due_;         // fire_due's batch, kept to reuse its memory
    std::function<void()> on_earlier_;  // set before any store, read-only after
};

}  // namespace rt
