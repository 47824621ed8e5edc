#include "parker.hpp"

#include "trace.hpp"

namespace rt {

void Parker::park() const {
    trace::Slice traced(trace::Kind::wait_begin, trace::Kind::wait_end);  // for a timeline
    std::unique_lock lock(mutex_);
    // A loop, not an if: wait() may return without a notify (a spurious
    // wake-up), and then the token is still absent.
    while (!token_) condvar_.wait(lock);
    token_ = false;
}

void Parker::unpark() const {
    {
        std::lock_guard lock(mutex_);
        token_ = true;
    }
    // Notify after unlocking: the woken thread can take the mutex at once.
    condvar_.notify_one();
}

void Parker::simulate_spurious_wakeup() const { condvar_.notify_all(); }

}  // namespace rt
