// timeout: a future with a time limit.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "clock.hpp"
#include "future.hpp"
#include "sleep.hpp"

namespace rt {

// What a timeout throws when its time is up.
class TimedOut : public std::runtime_error {
public:
    explicit TimedOut(std::chrono::steady_clock::duration limit)
        : std::runtime_error("rt::timeout: the future did not finish within " +
                             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(limit).count()) +
                             " ms") {}
};

// `future`'s output, if it finishes within the limit; else, once the limit
// has passed, `future` is destroyed (which cancels it) and the poll throws
// rt::TimedOut. The deadline is fixed when the Timeout is made, as a
// Sleep's is. Each poll polls `future` first, then the deadline: a future
// that is ready wins, even when the time is up. Like a Sleep, it must not
// move once polled (moving it then throws std::logic_error).
template <Future F>
class Timeout {
public:
    using Output = typename F::Output;

    Timeout(std::chrono::steady_clock::duration limit, F future)
        : limit_(limit), future_(std::move(future)), deadline_(sleep(limit)) {}

    Poll<Output> poll(Context& cx);

private:
    std::chrono::steady_clock::duration limit_;
    std::optional<F> future_;  // emptied when the time is up
    Sleep deadline_;
    bool finished_ = false;
};

template <Future F>
Poll<typename F::Output> Timeout<F>::poll(Context& cx) {
    if (finished_) throw std::logic_error("rt::timeout: polled after it finished");
    Poll<Output> poll = future_->poll(cx);
    if (poll.is_ready()) {
        finished_ = true;
        return poll;
    }
    if (deadline_.poll(cx).is_pending()) return pending;
    finished_ = true;
    future_.reset();  // cancelled first: what it holds (a timer, a socket) goes before anyone hears
    throw TimedOut(limit_);
}

template <Future F, class Rep, class Period>
Timeout<F> timeout(std::chrono::duration<Rep, Period> limit, F future) {
    return Timeout<F>(saturating_cast(limit), std::move(future));
}

}  // namespace rt
