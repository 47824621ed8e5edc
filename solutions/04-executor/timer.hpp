// Timer: one thread that wakes every sleep whose deadline has passed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "timer_heap.hpp"
#include "waker.hpp"

namespace rt {

// Keeps a min-heap of entries by deadline. Its thread sleeps until the
// earliest deadline, then wakes every entry that is due. A Sleep future owns
// one Entry and hands it to the timer; the timer's mutex guards the entries.
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

    // The timer behind rt::sleep. Made at the first use and never destroyed,
    // so that sleeps destroyed at exit still find it.
    static Timer& global();

    // A timer with a thread, reading steady_clock.
    Timer();
    // A timer without a thread, reading `now`: tests drive it with fire_due().
    explicit Timer(NowFn now);
    ~Timer();  // stops the thread; entries still pending are never woken
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    TimePoint now() const { return now_(); }

    // Stores the newest waker for an entry and puts the entry in the heap if
    // it is not there yet. Does nothing once the entry has fired.
    void store(Entry& entry, const Waker& waker);

    // Takes the entry out of the heap, if it is there, and drops its waker.
    void cancel(Entry& entry) noexcept;

    // Takes every entry whose deadline has passed out of the heap, then wakes
    // them, outside the lock; a wake that throws is reported, and the others
    // still happen. Returns how many fired. One caller at a time: the timer's
    // thread, or a test driving a timer without one.
    std::size_t fire_due();

    std::size_t size() const;  // entries in the heap

    // How many times store() has woken the thread for a new earliest deadline (tests count them).
    std::size_t notifications() const { return notifications_.load(std::memory_order_relaxed); }

private:
    void run();  // the thread
    // Wakes the thread to look at the earliest deadline again (harmless without a thread).
    void notify_thread();

    NowFn now_;
    mutable std::mutex mutex_;
    std::condition_variable wake_thread_;  // a new earliest deadline, or stop
    detail::TimerHeap<Entry> heap_;        // guarded by mutex_
    bool stopping_ = false;                // guarded by mutex_
    std::vector<Waker> due_;               // fire_due's batch, kept to reuse its memory
    std::atomic<std::size_t> notifications_{0};
    std::thread thread_;                   // last: starts once the rest exists
};

}  // namespace rt
