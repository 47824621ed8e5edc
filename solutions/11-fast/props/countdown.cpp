#include "countdown.hpp"

#include <stdexcept>
#include <string>

namespace rt {

Countdown::Countdown(int n) : n_(n) {
    if (n < 1) throw std::invalid_argument("rt::Countdown: n must be at least 1, got " + std::to_string(n));
}

Poll<int> Countdown::poll(Context& cx) {
    if (polls_ == n_) throw std::logic_error("rt::Countdown: polled after it completed");
    ++polls_;
    if (polls_ == n_) return n_;
    cx.waker().wake_by_ref();  // ask to be polled again: nothing else will
    return pending;
}

}  // namespace rt
