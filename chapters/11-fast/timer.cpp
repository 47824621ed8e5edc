#include "timer.hpp"

#include <utility>

#include "report.hpp"
#include "trace.hpp"

namespace rt {

Timer::Timer(NowFn now) : now_(std::move(now)) {}

void Timer::store(Entry& entry, const Waker& waker) {
    std::optional<Waker> replaced;  // the old waker, dropped after unlocking: a drop may run any code
    bool earliest = false;
    {
        std::lock_guard lock(mutex_);
        if (entry.fired) return;  // too late: the timer has already woken the entry
        // will_wake: the same waker as last time needs no clone.
        if (!entry.waker || !entry.waker->will_wake(waker)) {
            replaced.swap(entry.waker);
            entry.waker.emplace(waker);
        }
        if (entry.heap_index == detail::TimerHeap<Entry>::npos) {
            heap_.push(&entry);
            earliest = heap_.top() == &entry;
        }
    }
    if (earliest && on_earlier_) on_earlier_();
}

void Timer::cancel(Entry& entry) noexcept {
    std::optional<Waker> dropped;  // dropped after unlocking: a drop may run arbitrary code
    std::lock_guard lock(mutex_);
    if (entry.heap_index != detail::TimerHeap<Entry>::npos) heap_.remove(&entry);
    dropped.swap(entry.waker);
}

std::optional<Timer::TimePoint> Timer::next_deadline() const {
    std::lock_guard lock(mutex_);
    if (heap_.empty()) return std::nullopt;
    return heap_.top()->deadline;
}

std::size_t Timer::fire_due() {
    TimePoint now = now_();
    std::size_t fired = 0;
    {
        std::lock_guard lock(mutex_);
        while (!heap_.empty() && heap_.top()->deadline <= now) {
            Entry* entry = heap_.pop();
            ++fired;
            entry->fired = true;
            if (entry->waker) due_.push_back(std::move(*entry->waker));
            entry->waker.reset();
        }
    }
    // Wake outside the lock, in deadline order: each wake queues its task at
    // the back of the local queue, so the tasks run in that order too. Past
    // the unlock the entries may be destroyed: we touch only the wakers.
    if (fired > 0) trace::event(trace::Kind::timers_fired, nullptr, fired);
    for (Waker& waker : due_) {
        // A wake is user code. One that throws must not stop the others, nor
        // the loop: report it.
        try {
            std::move(waker).wake();
        } catch (...) {
            detail::report_exception("rt::Timer: a waker's wake threw");
        }
    }
    due_.clear();
    return fired;
}

void Timer::clear() noexcept {
    for (;;) {
        std::optional<Waker> dropped;  // dropped after unlocking: a drop may cancel another entry
        std::lock_guard lock(mutex_);
        if (heap_.empty()) return;
        dropped.swap(heap_.pop()->waker);
    }
}

std::size_t Timer::size() const {
    std::lock_guard lock(mutex_);
    return heap_.size();
}

}  // namespace rt
