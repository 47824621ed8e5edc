#include "budget.hpp"

namespace rt::detail::budget {

State& current() noexcept {
    thread_local State state;
    return state;
}

bool poll_proceed(Context& cx) {
    State& budget = current();
    if (budget.left == unlimited) return true;
    if (budget.left == 0) {
        budget.yielded = true;
        cx.waker().wake_by_ref();  // the data is there: no event will come to wake us
        return false;
    }
    --budget.left;
    return true;
}

}  // namespace rt::detail::budget
