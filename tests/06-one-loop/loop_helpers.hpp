// Helpers of chapter 06's tests: counting the process's threads and file
// descriptors, futures written as lambdas, a timer future of the tests' own
// (so that the loop's tests do not go through rt::sleep, exercise 4), and a
// loop that never idles (so that the given tests never park, exercise 3).
#pragma once

#include <dirent.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include "rt.hpp"

namespace test {

using Clock = std::chrono::steady_clock;

// How many entries a /proc/self directory has.
inline int proc_entries(const char* directory) {
    DIR* dir = ::opendir(directory);
    if (dir == nullptr) return -1;
    int count = 0;
    while (dirent* entry = ::readdir(dir))
        if (entry->d_name[0] != '.') ++count;
    ::closedir(dir);
    return count;
}

// The threads of this process, now.
inline int thread_count() { return proc_entries("/proc/self/task"); }

// The open file descriptors of this process, now (less the one opendir uses to count them).
inline int fd_count() { return proc_entries("/proc/self/fd") - 1; }

// Busy for a moment: `n` steps of a loop the compiler cannot remove (a few ns each).
inline void spin(unsigned n) {
    volatile unsigned sink = 0;
    for (unsigned i = 0; i < n; ++i) sink = sink + 1;
}

// A future whose poll is `fn(cx)`, returning rt::Poll<T>.
template <class T, class Fn>
struct PollFn {
    using Output = T;
    Fn fn;
    rt::Poll<T> poll(rt::Context& cx) { return fn(cx); }
};

template <class T, class Fn>
PollFn<T, Fn> poll_fn(Fn fn) {
    return PollFn<T, Fn>{std::move(fn)};
}

// A timer future of the tests' own, over the timer of the executor that runs
// on this thread: what rt::sleep does once exercise 4 is written. Like a
// Sleep, it must not move once polled.
class At {
public:
    using Output = void;

    explicit At(Clock::time_point deadline) noexcept : entry_(deadline) {}
    At(At&& other) : entry_(other.entry_.deadline) {
        if (other.driver_ != nullptr) throw std::logic_error("test::At: moved after its first poll");
    }
    At& operator=(At&&) = delete;
    ~At() {
        if (driver_ != nullptr) driver_->timer().cancel(entry_);
    }

    rt::Poll<void> poll(rt::Context& cx) {
        if (done_) return rt::ready();
        if (driver_ == nullptr) driver_ = rt::detail::current_driver("test::At");
        rt::Timer& timer = driver_->timer();
        timer.store(entry_, cx.waker());
        if (timer.now() < entry_.deadline) return rt::pending;
        timer.cancel(entry_);
        done_ = true;
        return rt::ready();
    }

    Clock::time_point deadline() const noexcept { return entry_.deadline; }

private:
    std::shared_ptr<rt::detail::Driver> driver_;
    rt::Timer::Entry entry_;
    bool done_ = false;
};

inline At after(Clock::duration wait) { return At(Clock::now() + wait); }

// Polls `inner` and, while it is pending, wakes itself: the executor never
// parks (no exercise code runs), and looks at its driver, without waiting,
// every 64 polls. Throws std::runtime_error once `until` has passed.
template <rt::Future F>
struct Busy {
    using Output = typename F::Output;
    F inner;
    Clock::time_point until;

    rt::Poll<Output> poll(rt::Context& cx) {
        rt::Poll<Output> polled = inner.poll(cx);
        if (polled.is_ready()) return polled;
        if (Clock::now() > until) throw std::runtime_error("test::busy_block_on: still pending after its time limit");
        cx.waker().wake_by_ref();
        return rt::pending;
    }
};

// executor.block_on(future) on a loop that never idles, for at most `limit`.
template <rt::Future F>
typename F::Output busy_block_on(rt::Executor& executor, F future,
                                 std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    return executor.block_on(Busy<F>{std::move(future), Clock::now() + limit});
}

// Polls `inner` and throws std::runtime_error if it is still pending after
// `limit`: a bound on a wait that runs on the loop itself, with no thread.
template <rt::Future F>
class Within {
public:
    using Output = typename F::Output;
    Within(F inner, Clock::duration limit) : inner_(std::move(inner)), limit_(limit) {}
    Within(Within&& other) : inner_(std::move(other.inner_)), limit_(other.limit_) {}  // before the first poll

    rt::Poll<Output> poll(rt::Context& cx) {
        rt::Poll<Output> polled = inner_.poll(cx);
        if (polled.is_ready()) return polled;
        if (!timer_) timer_.emplace(Clock::now() + limit_);
        if (timer_->poll(cx).is_ready()) throw std::runtime_error("test::Within: still pending after its time limit");
        return rt::pending;
    }

private:
    F inner_;
    Clock::duration limit_;
    std::optional<At> timer_;
};

template <rt::Future F>
Within<F> within(F inner, Clock::duration limit = std::chrono::seconds(10)) {
    return Within<F>(std::move(inner), limit);
}

// Clears the loop's hooks on this thread when it goes: a hook left set would
// run in the next test.
struct ClearHooks {
    ClearHooks() = default;
    ClearHooks(const ClearHooks&) = delete;
    ClearHooks& operator=(const ClearHooks&) = delete;
    ~ClearHooks() { rt::detail::loop_hooks() = {}; }
};

}  // namespace test
