#include "thread_sleep.hpp"

#include <utility>

#include "clock.hpp"
#include "report.hpp"

namespace rt {

ThreadSleep::ThreadSleep(Clock::duration duration) : shared_(std::make_unique<Shared>()) {
    // Fixed at creation, as Tokio's sleep does; duration::max() means never.
    shared_->deadline = saturating_add(Clock::now(), duration);
}

ThreadSleep::~ThreadSleep() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard lock(shared_->mutex);
        shared_->cancelled = true;
    }
    shared_->condvar.notify_one();
    thread_.join();
}

Poll<void> ThreadSleep::poll(Context& cx) {
    std::optional<Waker> replaced;  // declared first, so dropped after unlocking: a drop may run any code
    std::lock_guard lock(shared_->mutex);
    if (shared_->done) return ready();
    // Keep the newest waker: the future may have moved to another task since
    // the last poll. will_wake() spares a clone when it is the same one.
    if (!shared_->waker || !shared_->waker->will_wake(cx.waker())) {
        replaced.swap(shared_->waker);
        shared_->waker.emplace(cx.waker());
    }
    if (!thread_.joinable()) thread_ = std::thread(sleep_then_wake, std::ref(*shared_));
    return pending;
}

void ThreadSleep::sleep_then_wake(Shared& shared) {
    std::unique_lock lock(shared.mutex);
    if (shared.condvar.wait_until(lock, shared.deadline, [&] { return shared.cancelled; })) return;
    shared.done = true;
    std::optional<Waker> waker = std::exchange(shared.waker, std::nullopt);
    lock.unlock();  // wake outside the lock: the woken thread will want it
    if (!waker) return;
    // Nobody on this thread could catch a throwing wake: report it.
    try {
        std::move(*waker).wake();
    } catch (...) {
        detail::report_exception("rt::ThreadSleep: a waker's wake threw on the sleep's thread");
    }
}

}  // namespace rt
