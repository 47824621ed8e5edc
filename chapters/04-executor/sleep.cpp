#include "sleep.hpp"

#include <stdexcept>

#include "clock.hpp"

namespace rt {

Sleep::Sleep(Sleep&& other) : timer_(other.timer_), entry_(other.entry_.deadline), done_(other.done_) {
    if (other.polled_)
        throw std::logic_error("rt::Sleep: moved after its first poll: the timer points into it, so it must stay put");
}

Sleep::~Sleep() {
    if (polled_) timer_->cancel(entry_);  // nothing may point at entry_ once we are gone
}

Poll<void> Sleep::poll(Context& cx) {
    if (done_) return ready();
    polled_ = true;
    // The order matters. Were we to look at the clock first, the timer could
    // fire between our look and our store, waking the old waker only.
    timer_->store(entry_, cx.waker());
    if (timer_->now() < entry_.deadline) return pending;
    timer_->cancel(entry_);  // due, though perhaps not fired yet: leave the heap
    done_ = true;
    return ready();
}

Sleep sleep(std::chrono::steady_clock::duration duration) {
    // Saturating: sleep(duration::max()) is a sleep that never ends.
    return Sleep(Timer::global(), saturating_add(std::chrono::steady_clock::now(), duration));
}

Sleep sleep_until(std::chrono::steady_clock::time_point deadline) { return Sleep(Timer::global(), deadline); }

}  // namespace rt
