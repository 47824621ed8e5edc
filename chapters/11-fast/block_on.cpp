#include "block_on.hpp"

#include <stdexcept>

#include "scheduler.hpp"

namespace rt::detail {

namespace {
thread_local bool inside_block_on = false;
}  // namespace

BlockOnGuard::BlockOnGuard() {
    if (inside_block_on)
        throw std::logic_error(
            "rt::block_on: nested call: this thread is already inside rt::block_on, "
            "which cannot go on polling its own future while this one blocks");
    // A task, or run_until_idle, runs here: the executor's loop is below us
    // on this thread, and blocking would stop it and every task with it.
    if (ExecutorThread::current() != nullptr)
        throw std::logic_error(
            "rt::block_on: nested call: this thread is running an executor (a task, or run_until_idle), "
            "whose tasks cannot run while this call blocks");
    inside_block_on = true;
}

BlockOnGuard::~BlockOnGuard() { inside_block_on = false; }

}  // namespace rt::detail
