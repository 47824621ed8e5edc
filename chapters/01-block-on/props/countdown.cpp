#include "countdown.hpp"

#include <stdexcept>
#include <string>

#include "todo.hpp"

namespace rt {

Countdown::Countdown(int n) : n_(n) {
    if (n < 1) throw std::invalid_argument("rt::Countdown: n must be at least 1, got " + std::to_string(n));
}

Poll<int> Countdown::poll(Context& cx) {
    // BEGIN EXERCISE ex3: count down, waking yourself while pending
    rt::todo("ex3: count down, waking yourself while pending");
    // END EXERCISE ex3
}

}  // namespace rt
