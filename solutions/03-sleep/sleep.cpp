#include "sleep.hpp"

#include <stdexcept>

#include "clock.hpp"
#include "todo.hpp"

namespace rt {

// ANCHOR: sleep-move
Sleep::Sleep(Sleep&& other) : timer_(other.timer_), entry_(other.entry_.deadline), done_(other.done_) {
    if (other.polled_)
        throw std::logic_error("rt::Sleep: moved after its first poll: the timer points into it, so it must stay put");
}
// ANCHOR_END: sleep-move

// ANCHOR: sleep-drop
Sleep::~Sleep() {
    if (polled_) timer_->cancel(entry_);  // nothing may point at entry_ once we are gone
}
// ANCHOR_END: sleep-drop

// ANCHOR: sleep-poll
Poll<void> Sleep::poll(Context& cx) {
    if (done_) return ready();
    polled_ = true;
    // BEGIN EXERCISE ex3: store the waker first, then look at the clock
    // The order matters. Were we to look at the clock first, the timer could
    // fire between our look and our store, waking the old waker only.
    timer_->store(entry_, cx.waker());
    if (timer_->now() < entry_.deadline) return pending;
    timer_->cancel(entry_);  // due, though perhaps not fired yet: leave the heap
    done_ = true;
    return ready();
    // END EXERCISE ex3
}
// ANCHOR_END: sleep-poll

// ANCHOR: sleep-fns
Sleep sleep(std::chrono::steady_clock::duration duration) {
    // Saturating: sleep(duration::max()) is a sleep that never ends.
    return Sleep(Timer::global(), saturating_add(std::chrono::steady_clock::now(), duration));
}

Sleep sleep_until(std::chrono::steady_clock::time_point deadline) { return Sleep(Timer::global(), deadline); }
// ANCHOR_END: sleep-fns

}  // namespace rt
