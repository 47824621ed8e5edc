// block_on: run one future to completion on the calling thread.
#pragma once

#include "future.hpp"
#include "todo.hpp"
#include "waker.hpp"

namespace rt {

// Polls `future` until it is ready and returns its output.
//
// The future is taken by value and then polled where it lies, in this
// function's frame: a future may point into itself once polled, so it must
// not move between polls.
//
// This version never sleeps: with the no-op waker there is nobody to tell us
// when to poll again, so we poll again at once. It burns a whole core.
template <Future F>
typename F::Output block_on(F future) {
    // BEGIN EXERCISE ex4: busy-poll a future to completion
    rt::todo("ex4: busy-poll a future to completion");
    // END EXERCISE ex4
}

}  // namespace rt
