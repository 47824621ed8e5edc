// Timer: a wheel (or chapter 03's heap) of deadlines that the loop fires; no thread of its own.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "timer_heap.hpp"
#include "timer_wheel.hpp"
#include "waker.hpp"

namespace rt {

// Keeps its entries in a timer wheel of 1 ms ticks (chapter 11), or in
// the min-heap by deadline of the chapters before, chosen when it is made. The loop that owns it asks for
// the earliest deadline (to bound its wait in epoll_wait), then calls
// fire_due(), which wakes every entry that is due. A Sleep owns one Entry and
// hands it to the timer. The mutex is for the one case that crosses threads:
// a Sleep destroyed on another thread cancels its entry here.
class Timer {
public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;
    using NowFn = std::function<TimePoint()>;

    // Where the entries are kept: the heap (O(log n) to insert, remove or
    // pop, exact deadlines) or the wheel (O(1), deadlines rounded up to the ms).
    enum class Kind { heap, wheel };

    // The wheel's links come first (WheelEntry, whose tick is the heap's index too).
    // The two flags come first: they fit in the base's last 8 bytes, beside
    // its level and slot, where after the waker they would cost 8 more.
    struct Entry : detail::WheelEntry {
        explicit Entry(TimePoint d) noexcept : deadline(d) { heap_index = detail::TimerHeap<Entry>::npos; }
        bool fired = false;  // the timer has taken it out of the heap or wheel and woken it
        bool done = false;   // its owner's: a Sleep that has completed
        TimePoint deadline;
        std::optional<Waker> waker;  // the newest waker; given away when the entry fires
    };

    // A timer reading `now` (steady_clock unless a test gives its own clock).
    explicit Timer(NowFn now = Clock::now, Kind kind = Kind::heap);
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

    std::size_t size() const;  // entries in the heap (or the wheel)
    Kind kind() const noexcept { return kind_; }

private:
    // The wheel's tick of a deadline: whole ms since the timer's start, rounded up.
    std::uint64_t tick_of(TimePoint deadline) const noexcept;
    // The heap's or the wheel's, under mutex_.
    bool held(const Entry& entry) const noexcept;
    void insert(Entry& entry);
    void take_out(Entry& entry) noexcept;
    std::optional<TimePoint> earliest() const;
    Entry* pop_due(TimePoint now);

    NowFn now_;
    Kind kind_;
    TimePoint start_;  // the wheel's tick 0
    mutable std::mutex mutex_;
    detail::TimerHeap<Entry> heap_;  // guarded by mutex_
    detail::TimerWheel wheel_;       // guarded by mutex_
    std::vector<std::pair<TimePoint, Waker>> due_;  // fire_due's batch, kept to reuse its memory
    std::function<void()> on_earlier_;  // set before any store, read-only after
};

}  // namespace rt
