#include "loop_signal.hpp"

#include <utility>

#include "todo.hpp"

namespace rt::detail {

LoopSignal::LoopSignal() : fd_(sys::event_fd()) {}

void LoopSignal::notify() {
    // BEGIN EXERCISE ex1: write the eventfd if the loop announced it will block, once
    rt::todo("ex1: write the eventfd if the loop announced it will block, once");
    // END EXERCISE ex1
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
