#include "executor.hpp"

#include <stdexcept>
#include <string>

#include "report.hpp"

namespace rt {

using namespace detail::task_state;

namespace {

thread_local Executor* current = nullptr;

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

}  // namespace

Executor* detail::current_executor() noexcept { return current; }

std::shared_ptr<detail::Driver> detail::current_driver(const char* future) {
    if (current == nullptr)
        throw std::logic_error(std::string(future) +
                               ": polled where no executor runs on this thread; poll it inside rt::block_on, "
                               "Executor::block_on or a task");
    return current->driver_;
}

bool detail::Driver::runs_here() const noexcept { return current != nullptr && &current->driver() == this; }

Executor::Running::Running(Executor& executor)
    : executor_(executor.enter()), previous_(current), thread_(&*executor.scheduler_) {
    current = &executor;
}

Executor::Running::~Running() {
    current = previous_;
    executor_.leave();
}

// Takes the executor for this thread. The same thread may take it again
// (run_until_idle inside a task); another is refused: two threads popping
// one local queue, or one linking a task while the other unlinks, would race.
Executor& Executor::enter() {
    if (pool() != nullptr) return *this;  // Executor(n): its workers run the tasks, and block_on runs anywhere
    std::lock_guard lock(mutex_);
    if (depth_ > 0 && runner_ != std::this_thread::get_id())
        throw std::logic_error(
            "rt::Executor: already running on another thread; one thread at a time may run an executor");
    runner_ = std::this_thread::get_id();
    ++depth_;
    return *this;
}

void Executor::leave() noexcept {
    if (pool() != nullptr) return;
    std::lock_guard lock(mutex_);
    --depth_;
}

Executor::Executor() : Executor(Tuning::from_environment()) {}

Executor::Executor(Tuning tuning)
    : scheduler_(make_arc<detail::Scheduler>(0, tuning.task_slab)),
      driver_(std::make_shared<detail::Driver>(tuning.timer_wheel ? Timer::Kind::wheel : Timer::Kind::heap)),
      local_wake_(tuning.local_wake) {
    shares_.push_back(make_arc<detail::SchedulerShare>(scheduler_));
    driver_->reactor().watch_signal(scheduler_->signal().fd());
}

Executor::Executor(std::size_t workers)
    : scheduler_(make_arc<detail::Scheduler>(workers)),
      driver_(std::make_shared<detail::Driver>(Tuning::from_environment().timer_wheel ? Timer::Kind::wheel
                                                                                       : Timer::Kind::heap)),
      live_shards_(workers + 1),
      shards_(std::make_unique<LiveShard[]>(live_shards_)) {
    if (workers == 0) throw std::invalid_argument("rt::Executor: at least one worker");
    for (std::size_t i = 0; i < live_shards_; ++i) shares_.push_back(make_arc<detail::SchedulerShare>(scheduler_));
    detail::Pool& pool = *scheduler_->pool();
    pool.attach(driver_.get());
    driver_->reactor().watch_signal(pool.signal_fd());
    // A sleep whose deadline comes before the one the driver's waiter sleeps
    // until wakes that waiter, to sleep again for less. The callback holds
    // the scheduler (and so the pool and its eventfd) as a task does.
    driver_->timer().on_earlier([scheduler = scheduler_] { scheduler->pool()->wake_driver(); });
    // An operation queued on the ring while a worker waits in the driver
    // would be submitted only at that worker's next turn: wake it, as for a
    // new earliest deadline (once per batch: the first of a turn's queue).
    driver_->uring().on_queued([scheduler = scheduler_] { scheduler->pool()->wake_driver(); });
    threads_.reserve(workers);
    try {
        for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this, i] { run_worker(i); });
    } catch (...) {
        pool.shut_down();
        for (std::thread& thread : threads_) thread.join();
        throw;
    }
}

void Executor::run_worker(std::size_t index) {
    std::string name = "worker " + std::to_string(index);
    trace::name_thread(name.c_str());
    detail::Pool& pool = *scheduler_->pool();
    // This thread runs the executor: rt::spawn and leaf futures find it, and
    // wakes here go to this worker's LIFO slot and ring.
    Executor* previous = std::exchange(current, this);
    detail::ExecutorThread thread(&*scheduler_);
    detail::WorkerThread worker(pool, index);
    std::uint32_t ticks = 0;
    while (!pool.is_shut_down()) {
        // Busy or not, the driver gets a look now and then: timers and I/O
        // must not wait until this worker runs out of tasks.
        if (++ticks % detail::Pool::global_interval == 0) pool.look_at_driver();
        detail::TaskHeader* task = pool.next_task(index);
        if (task == nullptr) task = pool.steal_work(index);
        if (task == nullptr) {
            pool.park(index);
            continue;
        }
        pool.found_work(index);
        run_task(task);
    }
    current = previous;
}

Executor::~Executor() {
    // Executor(n): stop the workers first, busy ones included (each sees the
    // flag at its next look for a task), and join them: from then on no
    // poll is running, and the futures can go.
    if (detail::Pool* pool = scheduler_->pool()) {
        pool->shut_down();
        for (std::thread& thread : threads_) thread.join();
        // No worker runs: the shards' lists are ours. One list, as Executor()'s.
        for (std::size_t i = 0; i < live_shards_; ++i) {
            while (detail::TaskHeader* task = shards_[i].head) {
                shards_[i].head = task->next_live;
                task->prev_live = task->next_live = nullptr;
                link(task);
            }
            shards_[i].count = 0;
        }
    }
    // From now on a wake from another thread queues nothing, and writes
    // nothing: the eventfd closes here, under the lock wakers write it under.
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
    // Last, the driver: the tasks' sleeps and streams, destroyed above, have
    // taken themselves out of it. What is left (a leaf future kept outside
    // any task) is forgotten, and throws if polled again.
    driver_->shut_down();
}

void Executor::enqueue(detail::TaskHeader* task) {
    bool refused = false, queued = false;
    {
        // The thread running the executor owns the live list. Any other
        // thread takes the lock, which keeps a thread from starting to run
        // the executor meanwhile, and is refused if one runs it already.
        std::unique_lock<std::mutex> lock;
        if (current != this && pool() == nullptr) lock = std::unique_lock(mutex_);
        refused = current != this && depth_ > 0;
        if (!refused && pool() == nullptr) {
            link(task);
            queued = scheduler_->push(task);
            if (!queued) unlink(task);  // closed: the executor is being destroyed
        }
    }
    if (pool() != nullptr) {
        // Executor(n): linked in its shard, then pushed (from any thread).
        link_shared(task);
        queued = scheduler_->push(task);
        if (!queued) unlink_shared(task);  // shut down: the executor is being destroyed
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

void Executor::link(detail::TaskHeader* task) noexcept {
    task->next_live = live_;
    if (live_ != nullptr) live_->prev_live = task;
    live_ = task;
    ++live_count_;
}

std::size_t Executor::spawn_home() const noexcept {
    std::size_t index = 0;
    if (pool() != nullptr && detail::Pool::current(&index) == pool()) return index;
    return shares_.size() - 1;
}

void Executor::link_shared(detail::TaskHeader* task) noexcept {
    LiveShard& shard = shard_of(task);
    std::lock_guard guard(shard.spin);
    task->next_live = shard.head;
    if (shard.head != nullptr) shard.head->prev_live = task;
    shard.head = task;
    ++shard.count;
}

void Executor::unlink_shared(detail::TaskHeader* task) noexcept {
    LiveShard& shard = shard_of(task);
    std::lock_guard guard(shard.spin);
    if (task->prev_live != nullptr) task->prev_live->next_live = task->next_live;
    else shard.head = task->next_live;
    if (task->next_live != nullptr) task->next_live->prev_live = task->prev_live;
    task->prev_live = task->next_live = nullptr;
    --shard.count;
}

std::size_t Executor::live_tasks() const noexcept {
    if (pool() == nullptr || threads_.empty()) return live_count_;
    std::size_t count = 0;
    for (std::size_t i = 0; i < live_shards_; ++i) {
        std::lock_guard guard(shards_[i].spin);
        count += shards_[i].count;
    }
    return count;
}

void Executor::unlink(detail::TaskHeader* task) noexcept {
    if (task->prev_live != nullptr) task->prev_live->next_live = task->next_live;
    else live_ = task->next_live;
    if (task->next_live != nullptr) task->next_live->prev_live = task->prev_live;
    task->prev_live = task->next_live = nullptr;
    --live_count_;
}

std::size_t Executor::run_until_idle() {
    if (pool() != nullptr)
        throw std::logic_error("rt::Executor::run_until_idle: Executor(n)'s workers run the tasks; one thread only");
    Running running(*this);
    std::size_t polls = 0;
    for (;;) {
        detail::TaskHeader* task = scheduler_->pop();
        if (task == nullptr) {
            look_at_driver();  // due timers and ready I/O may wake tasks
            task = scheduler_->pop();
            if (task == nullptr) return polls;
        }
        run_task(task);
        ++polls;
    }
}

void Executor::park(const std::atomic<bool>& main_woken) {
    // Announce first, then look at the queues again: a wake from another
    // thread either comes before the look (and is found) or sees the
    // announcement (and writes the eventfd, which ends the wait).
    bool block = scheduler_->prepare_to_block(main_woken);
    int timeout = 0;  // something came meanwhile: look at the driver, do not wait
    if (block) {
        Timer& timer = driver_->timer();
        timeout = detail::Driver::timeout_ms(timer.next_deadline(), timer.now());
        detail::run_hook(detail::loop_hooks().before_wait);
    }
    Reactor::Turn turn = driver_->turn(timeout);
    if (block) scheduler_->done_blocking();  // from now on a wake needs no write
    // Level-triggered: left unread, the eventfd would end every wait at once.
    if (turn.signalled) scheduler_->drain_signal();
}

void Executor::look_at_driver() {
    if (detail::Pool* pool = scheduler_->pool()) {
        pool->look_at_driver();  // unless another worker is in the driver: then it does the looking
        return;
    }
    if (driver_->turn(0).signalled) scheduler_->drain_signal();
}

// ANCHOR: run_task
void Executor::run_task(detail::TaskHeader* task) {
    trace::Slice traced(trace::Kind::poll_begin, trace::Kind::poll_end, task);  // for a timeline
    std::uint32_t state = 0;
    if (task->kept_running) {
        // Queued again by its own wake (below): RUNNING is still set, and
        // SCHEDULED too if another thread woke it meanwhile (one poll
        // covers that wake). A load, for an abort's CANCELLED, and no RMW.
        task->kept_running = false;
        state = task->state.load(std::memory_order_acquire);
    } else {
        // Queued -> running: a queued task has SCHEDULED set and RUNNING clear,
        // so one XOR flips both. With SCHEDULED clear, a wake during the poll can set it again.
        detail::stress::point();
        state = task->state.fetch_xor(scheduled | running, std::memory_order_acq_rel);
    }
    if (state & cancelled) {  // aborted: this turn ends it
        cancel(task);
        return;
    }
    detail::BorrowedWaker waker(task);  // borrows the queue's reference, which we hold
    Context cx(waker.get());
    bool yielded = false;
    bool woke_itself = false;
    {
        detail::budget::Scope budget;  // each poll starts with a full budget
        detail::LocalPollScope local(local_wake_ ? task : nullptr);
        if (task->vtable->poll(task, cx)) {
            complete(task);
            return;
        }
        yielded = budget.yielded();
        woke_itself = local.woken();
    }
    if (woke_itself) {
        // It woke itself: back in the queue, behind the others, RUNNING
        // still set, so that a wake from another thread meanwhile only
        // marks it SCHEDULED, as during a poll. Nothing atomic happens.
        if (yielded) look_at_driver();
        task->kept_running = true;
        scheduler_->requeue(task);  // the queue keeps its reference
        return;
    }
    // Running -> waiting, unless woken during the poll.
    detail::stress::point();  // a wake from another thread may come just before or after
    state = task->state.fetch_and(~running, std::memory_order_acq_rel);
    // It gave the thread away (its budget ran out, or it yielded): before
    // it goes back in the queue, let due timers and ready I/O queue their
    // tasks, ahead of it. Else a task that always has data would keep the
    // queue busy, and the loop would look at its timers only every
    // tasks_per_turn polls. (Tokio defers such self-wakes the same way.)
    if (yielded) look_at_driver();
    if (state & scheduled) scheduler_->requeue(task);  // woken meanwhile: poll again; the queue keeps its reference
    else detail::release(task);                     // waits for a wake: the queue's reference goes
}
// ANCHOR_END: run_task

// An aborted task's turn: its future is destroyed, not polled, and the task
// completes with rt::Cancelled for its JoinHandle.
void Executor::cancel(detail::TaskHeader* task) {
    task->vtable->cancel(task);  // destroys the future; keeps rt::Cancelled as the task's exception
    complete(task);
}

// A task's future has finished: mark it completed, leave the output to the
// JoinHandle (or destroy it if there is none), wake whoever awaits it.
void Executor::complete(detail::TaskHeader* task) {
    trace::event(trace::Kind::complete, task);
    if (pool() != nullptr) unlink_shared(task);  // Executor(n): any worker completes tasks
    else unlink(task);
    std::uint32_t state = task->state.load(std::memory_order_acquire);
    detail::stress::point();  // the JoinHandle may store its waker, or go, between the load and the CAS
    while (!task->state.compare_exchange_weak(state, (state & ~(running | scheduled)) | completed,
                                              std::memory_order_acq_rel, std::memory_order_acquire)) {
    }
    if (!(state & handle)) {
        task->vtable->destroy_output(task);  // nobody will take it
    } else if (state & join_waker) {
        // Executor(n): the task awaiting this one goes behind the others,
        // not in the LIFO slot. A parent awaiting its children one by one
        // would otherwise run after each child (only to wait for the next),
        // and spawn + join would poll twice per task (a test counts them).
        detail::Pool::WakeBehind behind;
        wake_join_waker(task);
    }
    detail::release(task, 2);  // the queue's reference and the live list's
}

}  // namespace rt
