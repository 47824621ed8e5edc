// The Future concept: anything with an Output type and poll(Context&).
#pragma once

#include <concepts>

#include "poll.hpp"
#include "waker.hpp"

namespace rt {

// A future is a value that computes an Output when polled often enough.
// poll() must not block. When it returns pending it must have arranged for
// cx.waker() (or a clone of it) to be woken once polling again can make
// progress; otherwise nobody will poll it again.
template <class F>
concept Future = requires(F& future, Context& cx) {
    typename F::Output;
    { future.poll(cx) } -> std::same_as<Poll<typename F::Output>>;
};

}  // namespace rt
