#include "executor.hpp"

#include <thread>

namespace rt {

using namespace detail::task_state;

namespace {
thread_local Executor* current = nullptr;
}  // namespace

Executor* detail::current_executor() noexcept { return current; }

Executor::Running::Running(Executor& executor)
    : executor_(executor), previous_(current), was_running_(executor.running_.exchange(true)),
      thread_(&*executor.scheduler_) {
    current = &executor;
}

Executor::Running::~Running() {
    executor_.running_ = was_running_;
    current = previous_;
}

Executor::Executor() : scheduler_(make_arc<detail::Scheduler>()) {}

Executor::~Executor() {
    // From now on a wake from another thread queues nothing.
    detail::TaskQueue queued = scheduler_->close();
    // Close every live task: destroy its future, and wake whoever awaits its
    // JoinHandle, who will find it closed.
    while (detail::TaskHeader* task = live_) {
        unlink(task);
        std::uint32_t state = task->state.fetch_or(closed, std::memory_order_acq_rel);
        task->vtable->destroy_future(task);  // may drop wakers, and so release tasks
        if (state & join_waker) {
            Waker waker = std::move(*task->join_waker);
            task->join_waker.reset();
            std::move(waker).wake();
        }
        detail::release(task);  // the live list's reference
    }
    // What was queued holds a reference each.
    while (detail::TaskHeader* task = queued.pop()) detail::release(task);
}

void Executor::check_spawn_allowed() const {
    if (running_ && current != this)
        throw std::logic_error("rt::Executor::spawn: called from another thread while the executor runs");
}

void Executor::link(detail::TaskHeader* task) noexcept {
    task->next_live = live_;
    if (live_ != nullptr) live_->prev_live = task;
    live_ = task;
    ++live_count_;
}

void Executor::unlink(detail::TaskHeader* task) noexcept {
    if (task->prev_live != nullptr) task->prev_live->next_live = task->next_live;
    else live_ = task->next_live;
    if (task->next_live != nullptr) task->next_live->prev_live = task->prev_live;
    task->prev_live = task->next_live = nullptr;
    --live_count_;
}

std::size_t Executor::run_until_idle() {
    Running running(*this);
    std::size_t polls = 0;
    while (detail::TaskHeader* task = scheduler_->pop()) {
        run_task(task);
        ++polls;
    }
    return polls;
}

void Executor::run_task(detail::TaskHeader* task) {
    // Queued -> running: a queued task has SCHEDULED set and RUNNING clear,
    // so one XOR flips both. With SCHEDULED clear, a wake during the poll can set it again.
    task->state.fetch_xor(scheduled | running, std::memory_order_acq_rel);
    detail::BorrowedWaker waker(task);  // borrows the queue's reference, which we hold
    Context cx(waker.get());
    if (task->vtable->poll(task, cx)) {
        complete(task);
        return;
    }
    // Running -> waiting, unless woken during the poll.
    std::uint32_t state = task->state.fetch_and(~running, std::memory_order_acq_rel);
    if (state & scheduled) scheduler_->push(task);  // woken meanwhile: poll again; the queue keeps its reference
    else detail::release(task);                     // waits for a wake: the queue's reference goes
}

// A task's future has finished: mark it completed, leave the output to the
// JoinHandle (or destroy it if there is none), wake whoever awaits it.
void Executor::complete(detail::TaskHeader* task) {
    unlink(task);
    std::uint32_t state = task->state.load(std::memory_order_acquire);
    while (!task->state.compare_exchange_weak(state, (state & ~(running | scheduled)) | completed,
                                              std::memory_order_acq_rel, std::memory_order_acquire)) {
    }
    if (!(state & handle)) {
        task->vtable->destroy_output(task);  // nobody will take it
    } else if (state & join_waker) {
        Waker waker = std::move(*task->join_waker);
        task->join_waker.reset();
        std::move(waker).wake();
    }
    detail::release(task, 2);  // the queue's reference and the live list's
}

}  // namespace rt
