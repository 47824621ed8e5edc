#include "sleep.hpp"

#include <stdexcept>

#include "clock.hpp"
#include "todo.hpp"

namespace rt {

Sleep::Sleep(Sleep&& other) : entry_(other.entry_.deadline), done_(other.done_) {
    if (other.driver_ != nullptr)
        throw std::logic_error("rt::Sleep: moved after its first poll: the timer points into it, so it must stay put");
}

Sleep::~Sleep() {
    // Nothing may point at entry_ once we are gone. After shut_down the
    // heap is empty, and cancel finds nothing to take out.
    if (driver_ != nullptr) driver_->timer().cancel(entry_);
}

Poll<void> Sleep::poll(Context& cx) {
    // BEGIN EXERCISE ex4: bind to this thread's executor at the first poll, then as before
    rt::todo("ex4: bind to this thread's executor at the first poll, then as before");
    // END EXERCISE ex4
}

Sleep sleep(std::chrono::steady_clock::duration duration) {
    // Saturating: sleep(duration::max()) is a sleep that never ends.
    return Sleep(saturating_add(std::chrono::steady_clock::now(), duration));
}

Sleep sleep_until(std::chrono::steady_clock::time_point deadline) { return Sleep(deadline); }

}  // namespace rt
