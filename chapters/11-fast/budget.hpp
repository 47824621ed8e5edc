// budget: how much I/O one poll of a task may do before it must let others run.
#pragma once

#include <cstdint>
#include <limits>

#include "future.hpp"

namespace rt {

namespace detail::budget {

// Units each poll of a task (and of block_on's future) starts with, as in
// Tokio: about a hundred reads is plenty of work for one turn.
inline constexpr std::uint32_t per_poll = 128;
// No budget at all: a poll that is not a task's (a test driving a future by
// hand), or inside rt::unconstrained.
inline constexpr std::uint32_t unlimited = std::numeric_limits<std::uint32_t>::max();

// This thread's budget: what the poll running now has left, and whether a
// leaf future has been refused for lack of it since the poll began.
struct State {
    std::uint32_t left = unlimited;
    bool yielded = false;
};
State& current() noexcept;

// A leaf future calls it before each attempt at I/O. Spends one unit and
// answers true; or, with nothing left, marks the budget run out, wakes the
// task (so that it is polled again: no I/O event will come for data that is
// there already) and answers false, and the future answers pending. Outside
// a task's poll (a future polled by hand), the budget is unlimited.
bool poll_proceed(Context& cx);

// Gives this thread `units` for the poll it scopes, and puts the previous
// budget back at the end (a poll may run inside another: run_until_idle).
class Scope {
public:
    explicit Scope(std::uint32_t units = per_poll) noexcept : saved_(current()) { current() = State{units, false}; }
    ~Scope() { current() = saved_; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

    // Whether the task gave the thread away during this poll: the executor
    // then looks at its timers and epoll before polling it again.
    bool yielded() const noexcept { return current().yielded; }

private:
    State saved_;
};

}  // namespace detail::budget

// Polls `future` with no budget: its I/O never yields to other tasks.
// Tokio has the same (tokio::task::unconstrained); chapter 08's example
// uses it to measure what the budget buys.
template <Future F>
class Unconstrained {
public:
    using Output = typename F::Output;
    explicit Unconstrained(F future) : future_(std::move(future)) {}

    Poll<Output> poll(Context& cx) {
        // What the inner future spends is not taken from the task's budget.
        // A yield inside (yield_now) is kept: the task still gives the thread away.
        detail::budget::State& state = detail::budget::current();
        struct Restore {
            detail::budget::State& state;
            std::uint32_t left;
            ~Restore() { state.left = left; }
        } restore{state, state.left};
        state.left = detail::budget::unlimited;
        return future_.poll(cx);
    }

private:
    F future_;
};

template <Future F>
Unconstrained<F> unconstrained(F future) {
    return Unconstrained<F>(std::move(future));
}

}  // namespace rt
