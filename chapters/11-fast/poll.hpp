// Poll<T>: what one call to a future's poll() returns, a value or "not yet".
#pragma once

#include <optional>
#include <stdexcept>
#include <utility>

namespace rt {

// The "not yet" answer. `return rt::pending;` converts to any Poll<T>.
struct Pending {};
inline constexpr Pending pending{};

// Either a ready value of type T or pending, like Rust's Poll<T>.
template <class T>
class [[nodiscard]] Poll {
public:
    Poll(Pending) noexcept {}
    Poll(T value) : value_(std::move(value)) {}

    bool is_ready() const noexcept { return value_.has_value(); }
    bool is_pending() const noexcept { return !value_.has_value(); }

    // The ready value. Asking a pending poll for its value is a bug.
    T& value() & { return checked(); }
    T&& value() && { return std::move(checked()); }

private:
    T& checked() {
        if (!value_) throw std::logic_error("rt::Poll::value: the poll is pending");
        return *value_;
    }

    std::optional<T> value_;
};

// A future of no value is still ready or pending.
template <>
class [[nodiscard]] Poll<void> {
public:
    Poll(Pending) noexcept {}

    bool is_ready() const noexcept { return ready_; }
    bool is_pending() const noexcept { return !ready_; }

    // Nothing to return; checks readiness so that misuse is caught as with Poll<T>.
    void value() const {
        if (!ready_) throw std::logic_error("rt::Poll::value: the poll is pending");
    }

private:
    friend Poll<void> ready() noexcept;
    Poll() noexcept : ready_(true) {}

    bool ready_ = false;
};

// A ready Poll<void>: `return rt::ready();`.
inline Poll<void> ready() noexcept { return Poll<void>(); }

}  // namespace rt
