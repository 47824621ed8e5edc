// Sleep: a future that is ready once a deadline has passed, woken by its executor's loop.
#pragma once

#include <chrono>
#include <memory>

#include "clock.hpp"
#include "driver.hpp"
#include "future.hpp"

namespace rt {

// Ready once the clock reaches the deadline, which is fixed when the Sleep
// is made (as Tokio's is), not at its first poll. Making one needs no
// runtime; its first poll binds it to the driver of the executor running on
// this thread and puts its entry in that driver's timer heap. Polled where
// no executor runs, or after its executor has gone, it throws
// std::logic_error. Destroying it takes the entry out of the heap.
//
// The heap points at the entry inside this object, so once polled a Sleep
// must not move: moving it then throws std::logic_error.
class Sleep {
public:
    using Output = void;

    explicit Sleep(Timer::TimePoint deadline) noexcept : entry_(deadline) {}
    Sleep(Sleep&& other);
    Sleep& operator=(Sleep&&) = delete;
    ~Sleep();

    Poll<void> poll(Context& cx);

    Timer::TimePoint deadline() const noexcept { return entry_.deadline; }

private:
    std::shared_ptr<detail::Driver> driver_;  // null until the first poll
    Timer::Entry entry_;  // entry_.done: ready once, ready for ever
};

// A Sleep ready `duration` from now; duration::max() (or any duration past
// the clock's end) never.
Sleep sleep(std::chrono::steady_clock::duration duration);
// The same for any unit: sleep(std::chrono::hours::max()) never ends either.
template <class Rep, class Period>
Sleep sleep(std::chrono::duration<Rep, Period> duration) {
    return sleep(saturating_cast(duration));
}
// A Sleep ready at `deadline`.
Sleep sleep_until(std::chrono::steady_clock::time_point deadline);

}  // namespace rt
