// Driving a future by hand in tests, without any executor from the chapter.
#pragma once

#include <stdexcept>
#include <utility>

#include "rt.hpp"

namespace test {

// Wraps a future and counts its polls in *polls.
template <rt::Future F>
struct Counted {
    using Output = typename F::Output;
    F inner;
    int* polls;

    rt::Poll<Output> poll(rt::Context& cx) {
        ++*polls;
        return inner.poll(cx);
    }
};

// Polls `future` with `waker` until it is ready and returns its output.
// Throws if it is still pending after `max_polls` polls.
template <rt::Future F>
typename F::Output poll_until_ready(F& future, const rt::Waker& waker, int max_polls = 1'000'000) {
    rt::Context cx(waker);
    for (int i = 0; i < max_polls; ++i) {
        rt::Poll<typename F::Output> poll = future.poll(cx);
        if (poll.is_ready()) return std::move(poll).value();
    }
    throw std::runtime_error("test::poll_until_ready: still pending after max_polls polls");
}

}  // namespace test
