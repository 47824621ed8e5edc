// Ready: a future whose value is there at the first poll.
#pragma once

#include <optional>
#include <stdexcept>
#include <utility>

#include "future.hpp"

namespace rt {

template <class T>
class Ready {
public:
    using Output = T;

    explicit Ready(T value) : value_(std::move(value)) {}

    Poll<T> poll(Context&) {
        if (!value_) throw std::logic_error("rt::Ready: polled after it completed");
        T value = std::move(*value_);
        value_.reset();
        return value;
    }

private:
    std::optional<T> value_;  // empty once handed out
};

}  // namespace rt
