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

struct Throws {
    using Output = int;
    rt::Poll<int> poll(rt::Context&) { throw std::runtime_error("the task failed"); }
};

}  // namespace test
