#include "timer.hpp"

#include <utility>

#include "report.hpp"
#include "todo.hpp"

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
    // BEGIN EXERCISE ex1: keep the newest waker, and put the entry in the heap
    rt::todo("ex1: keep the newest waker, and put the entry in the heap");
    // END EXERCISE ex1
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
    // BEGIN EXERCISE ex2: take the due entries out under the lock, wake them after
    rt::todo("ex2: take the due entries out under the lock, wake them after");
    // END EXERCISE ex2
}

std::size_t Timer::size() const {
    std::lock_guard lock(mutex_);
    return heap_.size();
}

void Timer::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (heap_.empty()) {
            wake_thread_.wait(lock);
        } else if (TimePoint next = heap_.top()->deadline; now_() < next) {
            wake_thread_.wait_until(lock, next);  // until then, or a new earliest deadline
        } else {
            lock.unlock();
            fire_due();
            lock.lock();
        }
    }
}

}  // namespace rt
