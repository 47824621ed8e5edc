#include "countdown.hpp"

#include <stdexcept>
#include <string>

#include "todo.hpp"

namespace rt {

Countdown::Countdown(int n) : n_(n) {
    if (n < 1) throw std::invalid_argument("rt::Countdown: n must be at least 1, got " + std::to_string(n));
}

// ANCHOR: countdown-poll
Poll<int> Countdown::poll(Context& cx) {
    // BEGIN EXERCISE ex3: count down, waking yourself while pending
    if (polls_ == n_) throw std::logic_error("rt::Countdown: polled after it completed");
    ++polls_;
    if (polls_ == n_) return n_;
    cx.waker().wake_by_ref();  // ask to be polled again: nothing else will
    return pending;
    // END EXERCISE ex3
}
// ANCHOR_END: countdown-poll

}  // namespace rt
