// Countdown: a future that is pending a set number of times, waking itself each time.
#pragma once

#include "future.hpp"

namespace rt {

// Ready at its n-th poll, with output n. Each of the n-1 pending polls first
// calls wake_by_ref(): "poll me again", since nobody else will. A poll after
// that throws std::logic_error("rt::Countdown: polled after it completed").
class Countdown {
public:
    using Output = int;

    // Throws std::invalid_argument unless n >= 1.
    explicit Countdown(int n);

    Poll<int> poll(Context& cx);

    int polls() const noexcept { return polls_; }

private:
    int n_;
    int polls_ = 0;
};

}  // namespace rt
