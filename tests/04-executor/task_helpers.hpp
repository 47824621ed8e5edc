// Futures for the executor's tests: they count polls, keep their wakers, and
// note when they are destroyed.
#pragma once

#include <atomic>
#include <optional>
#include <stdexcept>
#include <utility>

#include "rt.hpp"

namespace test {

// Pending `pending_polls` times, waking itself each time when `self_wake`,
// then ready with `value`. Counts its polls and keeps its newest waker.
struct Probe {
    using Output = int;
    int value = 0;
    int pending_polls = 0;
    bool self_wake = false;
    std::atomic<int>* polls = nullptr;
    std::optional<rt::Waker>* waker = nullptr;

    rt::Poll<int> poll(rt::Context& cx) {
        if (polls != nullptr) ++*polls;
        if (waker != nullptr) *waker = cx.waker();
        if (pending_polls == 0) return value;
        --pending_polls;
        if (self_wake) cx.waker().wake_by_ref();
        return rt::pending;
    }
};

// Adds one to *destroyed when the future it wraps is destroyed.
template <rt::Future F>
struct Noticed {
    using Output = typename F::Output;
    F inner;
    std::atomic<int>* destroyed;

    Noticed(F f, std::atomic<int>* d) : inner(std::move(f)), destroyed(d) {}
    Noticed(Noticed&& other) noexcept : inner(std::move(other.inner)), destroyed(std::exchange(other.destroyed, nullptr)) {}
    ~Noticed() {
        if (destroyed != nullptr) ++*destroyed;
    }
    rt::Poll<Output> poll(rt::Context& cx) { return inner.poll(cx); }
};

// An output whose second move throws: the first takes it into the Poll, the
// second, into the task, comes after the future has been destroyed.
struct ThrowsOnMove {
    int moves = 0;
    ThrowsOnMove() = default;
    ThrowsOnMove(const ThrowsOnMove&) = delete;
    ThrowsOnMove(ThrowsOnMove&& other) : moves(other.moves + 1) {
        if (moves == 2) throw std::runtime_error("the output could not move");
    }
};

// Ready at once with a ThrowsOnMove; counts its destructions.
struct ReadyThrowingOutput {
    using Output = ThrowsOnMove;
    std::atomic<int>* destroyed;
    ReadyThrowingOutput(std::atomic<int>* d) : destroyed(d) {}
    ReadyThrowingOutput(ReadyThrowingOutput&& other) noexcept : destroyed(std::exchange(other.destroyed, nullptr)) {}
    ~ReadyThrowingOutput() {
        if (destroyed != nullptr) ++*destroyed;
    }
    rt::Poll<ThrowsOnMove> poll(rt::Context&) { return ThrowsOnMove{}; }
};

// Ready at once; its destructor, which the task runs as soon as it is
// ready, throws. Counts its destructions.
struct ThrowsWhenDestroyedAfterReady {
    using Output = int;
    std::atomic<int>* destroyed;
    explicit ThrowsWhenDestroyedAfterReady(std::atomic<int>* d) : destroyed(d) {}
    ThrowsWhenDestroyedAfterReady(ThrowsWhenDestroyedAfterReady&& other) noexcept
        : destroyed(std::exchange(other.destroyed, nullptr)) {}
    ~ThrowsWhenDestroyedAfterReady() noexcept(false) {
        if (destroyed == nullptr) return;
        ++*destroyed;
        throw std::runtime_error("the future threw from its destructor");
    }
    rt::Poll<int> poll(rt::Context&) { return 1; }
};

struct Throws {
    using Output = int;
    rt::Poll<int> poll(rt::Context&) { throw std::runtime_error("the task failed"); }
};

// Pending forever; its destructor throws (a moved-from one does not).
struct ThrowsWhenDestroyed {
    using Output = int;
    bool armed = true;
    ThrowsWhenDestroyed() = default;
    ThrowsWhenDestroyed(ThrowsWhenDestroyed&& other) noexcept : armed(std::exchange(other.armed, false)) {}
    ~ThrowsWhenDestroyed() noexcept(false) {
        if (armed) throw std::runtime_error("the future threw from its destructor");
    }
    rt::Poll<int> poll(rt::Context&) { return rt::pending; }
};

}  // namespace test
