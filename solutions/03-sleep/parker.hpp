// Parker: lets a thread sleep until another thread says "go on".
#pragma once

#include <condition_variable>
#include <mutex>

namespace rt {

// One token, initially absent. unpark() makes the token present; park()
// waits until it is present and takes it. So an unpark() that comes first is
// not lost: the next park() returns at once. Unparking twice still leaves one
// token: tokens do not add up.
//
// Both methods are const and thread-safe, like Rust's &self methods: a Parker
// is shared (through an Arc, say) by the thread that parks and those that
// unpark it. Its state is mutable and guarded by the mutex.
class Parker {
public:
    // Blocks until the token is present, then takes it. Only the owning
    // thread parks.
    void park() const;

    // Makes the token present and wakes the parked thread, if any. Any thread.
    void unpark() const;

    // For tests: wakes a parked thread without a token, as a condition
    // variable is allowed to do on its own (a "spurious wake-up").
    void simulate_spurious_wakeup() const;

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable condvar_;
    mutable bool token_ = false;  // guarded by mutex_
};

}  // namespace rt
