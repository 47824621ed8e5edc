#include "sleep.hpp"

#include <stdexcept>

#include "clock.hpp"

namespace rt {

Sleep::Sleep(Sleep&& other) : entry_(other.entry_.deadline) {
    entry_.done = other.entry_.done;
    if (other.driver_ != nullptr)
        throw std::logic_error("rt::Sleep: moved after its first poll: the timer points into it, so it must stay put");
}

Sleep::~Sleep() {
    // Nothing may point at entry_ once we are gone. After shut_down the
    // heap is empty, and cancel finds nothing to take out.
    if (driver_ != nullptr) driver_->timer().cancel(entry_);
}

Poll<void> Sleep::poll(Context& cx) {
    if (entry_.done) return ready();
    // The first poll binds; every poll checks that the executor is alive
    // and runs here: a shut-down driver would never fire our entry.
    if (driver_ == nullptr) driver_ = detail::current_driver("rt::sleep");
    driver_->check_running("rt::sleep");
    Timer& timer = driver_->timer();
    // The order matters, as in chapter 03: store first, then look at the
    // clock, or a deadline passing between the two would wake nobody.
    timer.store(entry_, cx.waker());
    if (timer.now() < entry_.deadline) return pending;
    timer.cancel(entry_);  // due, though perhaps not fired yet: leave the heap
    entry_.done = true;
    return ready();
}

Sleep sleep(std::chrono::steady_clock::duration duration) {
    // Saturating: sleep(duration::max()) is a sleep that never ends.
    return Sleep(saturating_add(std::chrono::steady_clock::now(), duration));
}

Sleep sleep_until(std::chrono::steady_clock::time_point deadline) { return Sleep(deadline); }

}  // namespace rt
