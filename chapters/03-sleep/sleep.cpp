#include "sleep.hpp"

#include <stdexcept>

#include "clock.hpp"
#include "todo.hpp"

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
    // BEGIN EXERCISE ex3: store the waker first, then look at the clock
    rt::todo("ex3: store the waker first, then look at the clock");
    // END EXERCISE ex3
}

Sleep sleep(std::chrono::steady_clock::duration duration) {
    // Saturating: sleep(duration::max()) is a sleep that never ends.
    return Sleep(Timer::global(), saturating_add(std::chrono::steady_clock::now(), duration));
}

Sleep sleep_until(std::chrono::steady_clock::time_point deadline) { return Sleep(Timer::global(), deadline); }

}  // namespace rt
