#include "block_on.hpp"

#include <stdexcept>

#include "arc_waker.hpp"
#include "scheduler.hpp"

namespace rt::detail {

BlockOnThread& BlockOnThread::current() {
    thread_local BlockOnThread thread;
    return thread;
}

BlockOnThread::BlockOnThread() : thread_waker_(make_arc<ThreadWaker>()), waker_(waker_from(thread_waker_)) {}

BlockOnThread::Guard::Guard(BlockOnThread& thread) : thread_(thread) {
    if (thread_.running_)
        throw std::logic_error(
            "rt::block_on: nested call: this thread is already inside rt::block_on, "
            "which cannot go on polling its own future while this one blocks");
    // A task, or run_until_idle, runs here: the executor's loop is below us
    // on this thread, and blocking would stop it and every task with it.
    if (ExecutorThread::current() != nullptr)
        throw std::logic_error(
            "rt::block_on: nested call: this thread is running an executor (a task, or run_until_idle), "
            "whose tasks cannot run while this call blocks");
    thread_.running_ = true;
}

}  // namespace rt::detail
