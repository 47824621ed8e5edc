// Sleep: a future that is ready once a deadline has passed, woken by the Timer.
#pragma once

#include <chrono>

#include "clock.hpp"
#include "future.hpp"
#include "timer.hpp"

namespace rt {

// Ready once its timer's clock reaches the deadline, which is fixed when the
// Sleep is made (as Tokio's is), not at its first poll. Its first poll puts
// its entry in the timer's heap; destroying it takes the entry out again.
//
// The heap points at the entry inside this object, so once polled a Sleep
// must not move: moving it then throws std::logic_error.
class Sleep {
public:
    using Output = void;

    Sleep(Timer& timer, Timer::TimePoint deadline) noexcept : timer_(&timer), entry_(deadline) {}
    Sleep(Sleep&& other);
    Sleep& operator=(Sleep&&) = delete;
    ~Sleep();

    Poll<void> poll(Context& cx);

    Timer::TimePoint deadline() const noexcept { return entry_.deadline; }

private:
    Timer* timer_;
    Timer::Entry entry_;
    bool polled_ = false;  // the timer may know entry_'s address
    bool done_ = false;
};

// A Sleep on the global timer, ready `duration` from now; duration::max()
// (or any duration past the clock's end) never.
Sleep sleep(std::chrono::steady_clock::duration duration);
// The same for any unit: sleep(std::chrono::hours::max()) never ends either.
template <class Rep, class Period>
Sleep sleep(std::chrono::duration<Rep, Period> duration) {
    return sleep(saturating_cast(duration));
}
// A Sleep on the global timer, ready at `deadline`.
Sleep sleep_until(std::chrono::steady_clock::time_point deadline);

}  // namespace rt
