// Deadline: a future that is ready once the clock passes a time point.
#pragma once

#include <chrono>

#include "future.hpp"

namespace rt {

// Ready once steady_clock::now() >= deadline. It can only find out by
// looking, so while pending it wakes itself: every poll is a look at the
// clock. This is the "spin" future: waiting with it costs a whole core.
class Deadline {
public:
    using Output = void;
    using Clock = std::chrono::steady_clock;

    explicit Deadline(Clock::time_point deadline) noexcept : deadline_(deadline) {}

    Poll<void> poll(Context& cx) {
        if (Clock::now() >= deadline_) return ready();
        cx.waker().wake_by_ref();
        return pending;
    }

private:
    Clock::time_point deadline_;
};

}  // namespace rt
