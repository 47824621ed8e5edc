#include "budget.hpp"

#include "todo.hpp"

namespace rt::detail::budget {

State& current() noexcept {
    thread_local State state;
    return state;
}

// ANCHOR: poll-proceed
bool poll_proceed(Context& cx) {
    // BEGIN EXERCISE ex3: spend a unit, or run out: wake the task and refuse
    State& budget = current();
    if (budget.left == unlimited) return true;
    if (budget.left == 0) {
        budget.yielded = true;
        cx.waker().wake_by_ref();  // the data is there: no event will come to wake us
        return false;
    }
    --budget.left;
    return true;
    // END EXERCISE ex3
}
// ANCHOR_END: poll-proceed

}  // namespace rt::detail::budget
