#include "timer.hpp"

#include <utility>

#include "report.hpp"
#include "trace.hpp"

namespace rt {

Timer& Timer::global() {
    // Made at the first use and never destroyed: a Sleep in a static object
    // (or in a task of a static executor) may be destroyed at exit after any
    // static Timer would be, and its destructor cancels on this timer. A
    // pointer in a static is still reachable, so the leak checker is content.
    static Timer* const timer = new Timer();
    return *timer;
}

Timer::Timer() : now_(Clock::now), thread_([this] { run(); }) {}

Timer::Timer(NowFn now) : now_(std::move(now)) {}

Timer::~Timer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_thread_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void Timer::store(Entry& entry, const Waker& waker) {
    std::optional<Waker> replaced;  // the old waker, dropped after unlocking: a drop may run any code
    bool new_earliest = false;
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
            new_earliest = heap_.top() == &entry;
        }
    }
    // The thread sleeps until the old earliest deadline: make it wait for ours.
    if (new_earliest) notify_thread();
}

void Timer::notify_thread() {
    notifications_.fetch_add(1, std::memory_order_relaxed);
    wake_thread_.notify_one();
}

void Timer::cancel(Entry& entry) noexcept {
    std::optional<Waker> dropped;  // dropped after unlocking: a drop may run arbitrary code
    std::lock_guard lock(mutex_);
    if (entry.heap_index != detail::TimerHeap<Entry>::npos) heap_.remove(&entry);
    dropped.swap(entry.waker);
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
    // Wake outside the lock: a woken future may be polled at once, on another
    // thread, and call store() or cancel(). Past the unlock the entries may be
    // destroyed: we touch only the wakers we took.
    if (fired > 0) trace::event(trace::Kind::timers_fired, nullptr, fired);
    for (Waker& waker : due_) {
        // A wake is user code. One that throws must not stop the others, nor
        // end the timer's thread: nobody there could catch it. Report it.
        try {
            std::move(waker).wake();
        } catch (...) {
            detail::report_exception("rt::Timer: a waker's wake threw");
        }
    }
    due_.clear();
    return fired;
}

std::size_t Timer::size() const {
    std::lock_guard lock(mutex_);
    return heap_.size();
}

void Timer::run() {
    trace::name_thread("timer");
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (heap_.empty()) {
            trace::Slice traced(trace::Kind::wait_begin, trace::Kind::wait_end);
            wake_thread_.wait(lock);
        } else if (TimePoint next = heap_.top()->deadline; now_() < next) {
            trace::Slice traced(trace::Kind::wait_begin, trace::Kind::wait_end);
            wake_thread_.wait_until(lock, next);  // until then, or a new earliest deadline
        } else {
            lock.unlock();
            fire_due();
            lock.lock();
        }
    }
}

}  // namespace rt
