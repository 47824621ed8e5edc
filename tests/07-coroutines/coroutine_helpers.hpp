// Helpers of chapter 07's tests: hand-written futures that count their polls,
// moves and destructions, and a gate a test opens by hand.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "rt.hpp"

namespace test {

// Counts the destructions of the objects made with it (copies and moves too).
struct Lives {
    int destroyed = 0;
};
class LifeProbe {
public:
    explicit LifeProbe(Lives& lives) noexcept : lives_(&lives) {}
    LifeProbe(const LifeProbe& other) noexcept : lives_(other.lives_) {}
    ~LifeProbe() { ++lives_->destroyed; }

private:
    Lives* lives_;
};

// A gate: futures made from it are pending (and keep the waker) until a test opens it.
struct Gate {
    bool open = false;
    int polls = 0;  // of every future over this gate
    std::optional<rt::Waker> waker;

    // Opens the gate and wakes the last future that waited on it.
    void release() {
        open = true;
        if (waker) std::move(*waker).wake();
        waker.reset();
    }
};

// Ready with `value` once its gate is open; each pending poll keeps cx's waker.
// Counts its polls (in the gate) and its destruction (in `lives`, if given).
class GateFuture {
public:
    using Output = int;
    GateFuture(Gate& gate, int value, Lives* lives = nullptr) noexcept : gate_(&gate), value_(value), lives_(lives) {}
    GateFuture(GateFuture&& other) noexcept
        : gate_(other.gate_), value_(other.value_), lives_(std::exchange(other.lives_, nullptr)) {
        other.moved_from_ = true;
    }
    ~GateFuture() {
        if (lives_ != nullptr) ++lives_->destroyed;
    }

    rt::Poll<int> poll(rt::Context& cx) {
        if (moved_from_) throw std::logic_error("test::GateFuture: polled after it was moved from");
        ++gate_->polls;
        if (gate_->open) return value_;
        gate_->waker = cx.waker();
        return rt::pending;
    }

    bool moved_from() const noexcept { return moved_from_; }

private:
    Gate* gate_;
    int value_;
    Lives* lives_;
    bool moved_from_ = false;
};

// Pending at its first `pending_polls` polls (waking itself each time), then
// throws std::runtime_error(message).
class ThrowAt {
public:
    using Output = int;
    ThrowAt(int pending_polls, std::string message) : pending_polls_(pending_polls), message_(std::move(message)) {}

    rt::Poll<int> poll(rt::Context& cx) {
        if (polls_++ < pending_polls_) {
            cx.waker().wake_by_ref();
            return rt::pending;
        }
        throw std::runtime_error(message_);
    }

private:
    int pending_polls_;
    std::string message_;
    int polls_ = 0;
};

}  // namespace test
