#include "timer.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "report.hpp"
#include "trace.hpp"

namespace rt {

Timer::Timer(NowFn now, Kind kind) : now_(std::move(now)), kind_(kind), start_(now_()) {}

std::uint64_t Timer::tick_of(TimePoint deadline) const noexcept {
    if (deadline <= start_) return 0;
    return static_cast<std::uint64_t>(std::chrono::ceil<std::chrono::milliseconds>(deadline - start_).count());
}

bool Timer::held(const Entry& entry) const noexcept {
    if (kind_ == Kind::heap) return entry.heap_index != detail::TimerHeap<Entry>::npos;
    return entry.level != detail::WheelEntry::nowhere;
}

void Timer::insert(Entry& entry) {
    if (kind_ == Kind::heap) heap_.push(&entry);
    else wheel_.insert(entry, tick_of(entry.deadline));
}

void Timer::take_out(Entry& entry) noexcept {
    if (kind_ == Kind::heap) heap_.remove(&entry);
    else wheel_.remove(entry);
}

std::optional<Timer::TimePoint> Timer::earliest() const {
    if (kind_ == Kind::heap) {
        if (heap_.empty()) return std::nullopt;
        return heap_.top()->deadline;
    }
    // The wheel knows ticks: the start of the first slot to look at, which
    // may be a cascade rather than a deadline (the loop then sleeps again).
    std::optional<std::uint64_t> tick = wheel_.next_expiration();
    if (!tick) return std::nullopt;
    return start_ + std::chrono::milliseconds(*tick);
}

void Timer::store(Entry& entry, const Waker& waker) {
    std::optional<Waker> replaced;  // the old waker, dropped after unlocking: a drop may run any code
    bool earlier = false;
    {
        std::lock_guard lock(mutex_);
        if (entry.fired) return;  // too late: the timer has already woken the entry
        // will_wake: the same waker as last time needs no clone.
        if (!entry.waker || !entry.waker->will_wake(waker)) {
            replaced.swap(entry.waker);
            entry.waker.emplace(waker);
        }
        if (!held(entry)) {
            // Only Executor(n) asks (on_earlier): the loop need not look.
            std::optional<TimePoint> before = on_earlier_ ? earliest() : std::nullopt;
            insert(entry);
            earlier = on_earlier_ && (!before || *earliest() < *before);
        }
    }
    if (earlier) on_earlier_();
}

void Timer::cancel(Entry& entry) noexcept {
    std::optional<Waker> dropped;  // dropped after unlocking: a drop may run arbitrary code
    std::lock_guard lock(mutex_);
    if (held(entry)) take_out(entry);
    dropped.swap(entry.waker);
}

std::optional<Timer::TimePoint> Timer::next_deadline() const {
    std::lock_guard lock(mutex_);
    return earliest();
}

// The next entry due by `now`, out of the heap or the wheel; null when none is.
Timer::Entry* Timer::pop_due(TimePoint now) {
    if (kind_ == Kind::heap) {
        if (heap_.empty() || heap_.top()->deadline > now) return nullptr;
        return heap_.pop();
    }
    for (;;) {
        auto* entry = static_cast<Entry*>(wheel_.pop_due());
        if (entry == nullptr || entry->deadline <= now) return entry;
        // Clamped (more than about two years ahead): not due, back in.
        wheel_.insert(*entry, tick_of(entry->deadline));
    }
}

std::size_t Timer::fire_due() {
    TimePoint now = now_();
    std::size_t fired = 0;
    {
        std::lock_guard lock(mutex_);
        // The wheel moves on to this millisecond: every entry whose tick has come is due.
        if (kind_ == Kind::wheel && now >= start_)
            wheel_.advance(static_cast<std::uint64_t>(
                std::chrono::floor<std::chrono::milliseconds>(now - start_).count()));
        while (Entry* entry = pop_due(now)) {
            ++fired;
            entry->fired = true;
            if (entry->waker) due_.emplace_back(entry->deadline, std::move(*entry->waker));
            entry->waker.reset();
        }
    }
    // The wheel hands them out by millisecond: within one, in the order they
    // came. Deadline order it is, as the heap's (stable: ties keep that order).
    auto by_deadline = [](const auto& a, const auto& b) { return a.first < b.first; };
    if (!std::is_sorted(due_.begin(), due_.end(), by_deadline))
        std::stable_sort(due_.begin(), due_.end(), by_deadline);
    // Wake outside the lock, in deadline order: each wake queues its task at
    // the back of the local queue, so the tasks run in that order too. Past
    // the unlock the entries may be destroyed: we touch only the wakers.
    if (fired > 0) trace::event(trace::Kind::timers_fired, nullptr, fired);
    for (auto& [deadline, waker] : due_) {
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
        Entry* entry = nullptr;
        if (kind_ == Kind::heap) {
            if (heap_.empty()) return;
            entry = heap_.pop();
        } else {
            // Every entry, due or not: advance to the end of time puts them all in the due list.
            if (wheel_.empty()) return;
            wheel_.advance(std::numeric_limits<std::uint64_t>::max());
            entry = static_cast<Entry*>(wheel_.pop_due());
        }
        dropped.swap(entry->waker);
    }
}

std::size_t Timer::size() const {
    std::lock_guard lock(mutex_);
    return kind_ == Kind::heap ? heap_.size() : wheel_.size();
}

}  // namespace rt
