// yield_now: a future that gives the thread to the other tasks once.
#pragma once

#include "budget.hpp"
#include "future.hpp"

namespace rt {

// Pending at its first poll, ready at the second. It wakes its own task as
// it answers pending, so the task goes to the back of the ready queue, and
// it tells the executor to look at its timers and epoll first: what was
// waiting for the thread gets it. Tokio's yield_now does the same.
class YieldNow {
public:
    using Output = void;

    Poll<void> poll(Context& cx) {
        if (yielded_) return ready();
        yielded_ = true;
        detail::budget::current().yielded = true;
        cx.waker().wake_by_ref();
        return pending;
    }

private:
    bool yielded_ = false;
};

inline YieldNow yield_now() noexcept { return YieldNow(); }

}  // namespace rt
