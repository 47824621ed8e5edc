// A clock that tests set by hand, for timers without a thread.
#pragma once

#include <chrono>
#include <functional>
#include <utility>

#include "rt.hpp"

namespace test {


struct FakeClock {
    rt::Timer::TimePoint now{};  // starts at the clock's epoch
    // Runs once, inside the next reading of the clock, after the reading is
    // taken: it can move time on behind the reader's back.
    std::function<void()> on_next_read;

    rt::Timer::NowFn reader() {
        return [this] {
            rt::Timer::TimePoint reading = now;
            if (on_next_read) std::exchange(on_next_read, nullptr)();
            return reading;
        };
    }
};

}  // namespace test
