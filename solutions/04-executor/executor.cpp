#include "executor.hpp"

#include "report.hpp"

namespace rt {

using namespace detail::task_state;

namespace {

thread_local Executor* current = nullptr;

// ANCHOR: wake-join-waker
// Wakes whoever awaits a task's JoinHandle. The waker is user code: if its
// wake throws, the exception has nobody to go to (the task is over, and the
// awaiting side is elsewhere), so it is reported, and the caller goes on.
void wake_join_waker(detail::TaskHeader* task) noexcept {
    Waker waker = std::move(*task->join_waker);
    task->join_waker.reset();
    try {
        std::move(waker).wake();
    } catch (...) {
        detail::report_exception("rt::Executor: the waker of a task's JoinHandle threw from wake");
    }
}
// ANCHOR_END: wake-join-waker

}  // namespace

Executor* detail::current_executor() noexcept { return current; }

Executor::Running::Running(Executor& executor)
    : executor_(executor.enter()), previous_(current), thread_(&*executor.scheduler_) {
    current = &executor;
}

Executor::Running::~Running() {
    current = previous_;
    executor_.leave();
}

// ANCHOR: enter
// Takes the executor for this thread. The same thread may take it again
// (run_until_idle inside a task); another is refused: two threads popping
// one local queue, or one linking a task while the other unlinks, would race.
Executor& Executor::enter() {
    std::lock_guard lock(mutex_);
    if (depth_ > 0 && runner_ != std::this_thread::get_id())
        throw std::logic_error(
            "rt::Executor: already running on another thread; one thread at a time may run an executor");
    runner_ = std::this_thread::get_id();
    ++depth_;
    return *this;
}
// ANCHOR_END: enter

void Executor::leave() noexcept {
    std::lock_guard lock(mutex_);
    --depth_;
}

Executor::Executor() : scheduler_(make_arc<detail::Scheduler>()) {}

// ANCHOR: executor-drop
Executor::~Executor() {
    // From now on a wake from another thread queues nothing.
    detail::TaskQueue queued = scheduler_->close();
    // Close every live task: destroy its future, and wake whoever awaits its
    // JoinHandle, who will find it closed.
    while (detail::TaskHeader* task = live_) {
        unlink(task);
        std::uint32_t state = task->state.fetch_or(closed, std::memory_order_acq_rel);
        task->vtable->destroy_future(task);  // may drop wakers, and so release tasks
        if (state & join_waker) wake_join_waker(task);
        detail::release(task);  // the live list's reference
    }
    // What was queued holds a reference each.
    while (detail::TaskHeader* task = queued.pop()) detail::release(task);
}
// ANCHOR_END: executor-drop

// ANCHOR: enqueue
void Executor::enqueue(detail::TaskHeader* task) {
    bool refused = false, queued = false;
    {
        // The thread running the executor owns the live list. Any other
        // thread takes the lock, which keeps a thread from starting to run
        // the executor meanwhile, and is refused if one runs it already.
        std::unique_lock<std::mutex> lock;
        if (current != this) lock = std::unique_lock(mutex_);
        refused = current != this && depth_ > 0;
        if (!refused) {
            link(task);
            queued = scheduler_->push(task);
            if (!queued) unlink(task);  // closed: the executor is being destroyed
        }
    }
    if (!queued) {
        // The task will never run: close it, after unlocking (its future's
        // destructor may spawn), and give back the list's and queue's counts.
        task->state.fetch_or(closed, std::memory_order_acq_rel);
        task->vtable->destroy_future(task);
        detail::release(task, 2);
    }
    if (refused) throw std::logic_error("rt::Executor::spawn: called from another thread while the executor runs");
}
// ANCHOR_END: enqueue

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

// ANCHOR: run-task
void Executor::run_task(detail::TaskHeader* task) {
    trace::Slice traced(trace::Kind::poll_begin, trace::Kind::poll_end, task);  // for a timeline
    // BEGIN EXERCISE ex2: poll a task, then complete it, queue it again or let it wait
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
    // END EXERCISE ex2
}
// ANCHOR_END: run-task

// ANCHOR: complete
// A task's future has finished: mark it completed, leave the output to the
// JoinHandle (or destroy it if there is none), wake whoever awaits it.
void Executor::complete(detail::TaskHeader* task) {
    trace::event(trace::Kind::complete, task);
    unlink(task);
    std::uint32_t state = task->state.load(std::memory_order_acquire);
    while (!task->state.compare_exchange_weak(state, (state & ~(running | scheduled)) | completed,
                                              std::memory_order_acq_rel, std::memory_order_acquire)) {
    }
    if (!(state & handle)) {
        task->vtable->destroy_output(task);  // nobody will take it
    } else if (state & join_waker) {
        wake_join_waker(task);
    }
    detail::release(task, 2);  // the queue's reference and the live list's
}
// ANCHOR_END: complete

}  // namespace rt
