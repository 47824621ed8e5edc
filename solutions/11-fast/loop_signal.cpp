#include "loop_signal.hpp"

#include <utility>

namespace rt::detail {

LoopSignal::LoopSignal() : fd_(sys::event_fd()) {}

void LoopSignal::notify() {
    // exchange, not load: of many wakers, only the first writes; the loop
    // wakes once however many tasks were queued meanwhile.
    if (!fd_ || !blocking_.exchange(false, std::memory_order_seq_cst)) return;
    writes_.fetch_add(1, std::memory_order_relaxed);
    // A failed write can only mean the counter is full: the loop is woken already.
    (void)sys::event_fd_signal(fd_.get());
}

void LoopSignal::drain() noexcept {
    // Non-blocking: EAGAIN when the counter is zero already.
    (void)sys::event_fd_drain(fd_.get());
}

void LoopSignal::close() noexcept { fd_ = sys::Fd(); }

LoopHooks& loop_hooks() {
    thread_local LoopHooks hooks;
    return hooks;
}

void run_hook(std::function<void()>& hook) {
    if (hook) std::exchange(hook, nullptr)();
}

}  // namespace rt::detail
