// Executor: runs many tasks on one thread, and a main future beside them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "arc.hpp"
#include "arc_waker.hpp"
#include "block_on.hpp"
#include "budget.hpp"
#include "driver.hpp"
#include "future.hpp"
#include "join_handle.hpp"
#include "pool.hpp"
#include "scheduler.hpp"
#include "spin_lock.hpp"
#include "stress.hpp"
#include "task.hpp"
#include "trace.hpp"
#include "tuning.hpp"

namespace rt {

class Executor;

namespace detail {
// The executor whose block_on or run_until_idle runs on this thread, or null.
Executor* current_executor() noexcept;
}  // namespace detail

// An executor with its own loop. spawn() makes a task of a future;
// block_on() runs a main future to completion and, meanwhile, every task
// that is ready.
//
// Executor() is chapter 08's: one thread, the caller of block_on (or
// run_until_idle), polls every task; when nothing is ready, the loop waits
// in its driver's epoll_wait until an fd is ready, a timer is due, or
// another thread wakes it.
//
// Executor(n) starts n worker threads of its own, which poll the tasks
// (work stealing, chapter 09); block_on's caller polls only the main
// future, and sleeps on a condition variable between its polls. Wakes and
// spawns may come from any thread.
class Executor {
public:
    // Executor(Tuning::from_environment()).
    Executor();
    // One thread, with chapter 11's optimisations as `tuning` says.
    explicit Executor(Tuning tuning);
    // n worker threads (n >= 1; 0 throws std::invalid_argument), started here.
    explicit Executor(std::size_t workers);
    // Destroys every task that has not completed: their futures' destructors
    // run, and their JoinHandles report the executor gone. Then shuts the
    // driver down: its epoll fd and eventfd close, its timers are forgotten.
    ~Executor();
    Executor(const Executor&) = delete;
    Executor& operator=(const Executor&) = delete;

    // Makes a task of `future` (one allocation) and queues it. Executor():
    // from the thread that runs this executor, or from any thread while none
    // does; from another thread while one does, throws std::logic_error.
    // Executor(n): from any thread. Once the executor is being destroyed,
    // the task is closed at once.
    template <Future F>
    JoinHandle<typename F::Output> spawn(F future);

    // Runs `future` and the tasks until `future` is ready; returns its output.
    // One thread at a time runs an executor: a second throws std::logic_error.
    template <Future F>
    typename F::Output block_on(F future);

    // Runs ready tasks, and fires due timers and ready I/O without waiting,
    // until none is ready; returns how many polls it made. Executor() only:
    // Executor(n)'s workers run the tasks (std::logic_error).
    std::size_t run_until_idle();

    // Tasks spawned and neither completed nor closed.
    std::size_t live_tasks() const noexcept;

    // Worker threads: 0 for Executor(), n for Executor(n).
    std::size_t workers() const noexcept { return threads_.size(); }
    // The pool of Executor(n) (tests and the example read its counters), or null.
    detail::Pool* pool() const noexcept { return scheduler_->pool(); }

    // This executor's timers and epoll (tests read its counters).
    detail::Driver& driver() noexcept { return *driver_; }
    // How many times the loop wrote its eventfd to wake itself (tests count them).
    std::size_t signal_writes() const noexcept {
        return pool() != nullptr ? pool()->signal_writes() : scheduler_->signal().writes();
    }

private:
    friend std::shared_ptr<detail::Driver> detail::current_driver(const char* future);

    // Wakes the main future of block_on.
    // It holds the scheduler as a task does: it may be woken after the
    // executor has gone (by a handle of another executor's task, say).
    struct MainWaker {
        explicit MainWaker(Arc<detail::Scheduler> s) noexcept : scheduler(std::move(s)) {}
        Arc<detail::Scheduler> scheduler;
        mutable std::atomic<bool> woken{true};  // poll it at the start
        // Executor(n): block_on's caller sleeps on these between polls.
        mutable std::mutex mutex;
        mutable std::condition_variable condvar;
        void wake() const {
            trace::event(trace::Kind::wake);  // task 0: the main future
            // seq_cst: the loop's side of the park race reads it after
            // announcing that it will block.
            woken.store(true, std::memory_order_seq_cst);
            detail::stress::point();
            if (scheduler->pool() != nullptr) {
                // The caller looks at `woken` under the mutex before it
                // waits: taking it here puts this notify after that look.
                { std::lock_guard lock(mutex); }
                condvar.notify_one();
                return;
            }
            // On the executor's own thread the loop is running, not blocked:
            // it looks at `woken` before it blocks.
            if (!scheduler->on_executor_thread()) scheduler->notify();
        }
    };

    // Marks this thread as running the executor while it exists: rt::spawn
    // finds it, and wakes on this thread go to the local queue, unlocked.
    // Throws std::logic_error if another thread runs it.
    class Running {
    public:
        explicit Running(Executor& executor);
        ~Running();
        Running(const Running&) = delete;
        Running& operator=(const Running&) = delete;

    private:
        Executor& executor_;  // first: enter() refuses before anything else is set
        Executor* previous_;
        detail::ExecutorThread thread_;
    };

    // How many tasks block_on runs between two looks at its main future;
    // also how many polls a loop that never idles makes between two looks
    // at its driver (without blocking), so that I/O and timers still fire.
    static constexpr std::size_t tasks_per_turn = 64;

    // Nothing is ready: wait in the driver for I/O, a due timer or a wake
    // from another thread, then fire what came.
    void park(const std::atomic<bool>& main_woken);
    // Something is ready, but it is time to look at the driver: fire what
    // is due and ready now, without waiting.
    void look_at_driver();

    void run_task(detail::TaskHeader* task);
    // A worker thread's loop: find a task, run it, or park (Executor(n)).
    void run_worker(std::size_t index);
    // block_on for Executor(n): the caller polls the main future only.
    template <Future F>
    typename F::Output block_on_pooled(F& future);
    void complete(detail::TaskHeader* task);
    void cancel(detail::TaskHeader* task);
    void enqueue(detail::TaskHeader* task);
    void link(detail::TaskHeader* task) noexcept;
    void unlink(detail::TaskHeader* task) noexcept;
    // Executor(n): the live list is split into shards, each under its own
    // lock: one per worker, for the tasks it spawns, and one for tasks
    // spawned from outside. Any worker may complete a task, so the lock
    // stays; but a task mostly completes on the worker that spawned it,
    // whose shard's cache line then never leaves its core. (One lock for
    // all, or shards picked by address, would send the line from core to
    // core twice per task: chapter 09's book says why.)
    struct alignas(64) LiveShard {
        mutable detail::SpinLock spin;
        detail::TaskHeader* head = nullptr;  // guarded by spin
        std::size_t count = 0;               // guarded by spin
    };
    LiveShard& shard_of(const detail::TaskHeader* task) const noexcept { return shards_[task->live_shard]; }
    // Where a task spawned on this thread belongs: the spawning worker's
    // share of the scheduler and shard of the live list, or the last ones
    // when spawned from elsewhere. (Executor(): 0.)
    std::size_t spawn_home() const noexcept;
    void link_shared(detail::TaskHeader* task) noexcept;
    void unlink_shared(detail::TaskHeader* task) noexcept;
    Executor& enter();
    void leave() noexcept;

    Arc<detail::Scheduler> scheduler_;
    std::vector<Arc<detail::SchedulerShare>> shares_;  // see SchedulerShare: workers + 1, or 1
    // Shared with every leaf future polled here (they check that it runs).
    std::shared_ptr<detail::Driver> driver_;
    // The list of live tasks, for the destructor: the running thread's, or
    // while none runs, whoever holds mutex_.
    detail::TaskHeader* live_ = nullptr;
    std::size_t live_count_ = 0;
    std::size_t live_shards_ = 0;          // Executor(n): workers + 1
    std::unique_ptr<LiveShard[]> shards_;  // Executor(n) only
    std::mutex mutex_;  // guards the two below, and the list while none runs
    std::thread::id runner_;  // the thread inside block_on or run_until_idle...
    std::size_t depth_ = 0;   // ...and how deep: run_until_idle may run inside a task
    bool local_wake_ = false;           // Executor() with Tuning::local_wake
    std::vector<std::thread> threads_;  // Executor(n)'s workers; last: they start once all else is set
};

template <Future F>
JoinHandle<typename F::Output> Executor::spawn(F future) {
    using namespace detail::task_state;
    // Three references: the live list, the ready queue, the JoinHandle.
    std::size_t home = spawn_home();
    auto* task = detail::Task<F>::make(std::move(future), shares_[home], scheduled | handle, 3);
    task->live_shard = static_cast<std::uint32_t>(home);
    JoinHandle<typename F::Output> result(task);  // should enqueue throw, its destructor detaches
    trace::event(trace::Kind::spawn, task);
    enqueue(task);
    return result;
}

namespace detail {
// Polls block_on's main future; a timeline (scripts/tutor timeline) shows it as task 0.
template <Future F>
Poll<typename F::Output> poll_main(F& future, Context& cx) {
    trace::Slice traced(trace::Kind::poll_begin, trace::Kind::poll_end);
    return future.poll(cx);
}
}  // namespace detail

template <Future F>
typename F::Output Executor::block_on(F future) {
    detail::BlockOnGuard guard;  // no nesting, with rt::block_on either
    if (pool() != nullptr) return block_on_pooled(future);
    Running running(*this);
    Arc<MainWaker> main = make_arc<MainWaker>(scheduler_);
    Waker waker = waker_from(main);
    Context cx(waker);
    std::size_t polls_since_driver = 0;
    for (;;) {
        if (main->woken.exchange(false, std::memory_order_acquire)) {
            ++polls_since_driver;
            bool yielded = false;
            {
                detail::budget::Scope budget;  // each poll starts with a full budget
                Poll<typename F::Output> poll = detail::poll_main(future, cx);
                if (poll.is_ready()) return std::move(poll).value();
                yielded = budget.yielded();
            }
            // It gave the thread away (its budget ran out, or it yielded):
            // due timers and ready I/O wake their tasks first, and those
            // run before its next poll.
            if (yielded) {
                look_at_driver();
                polls_since_driver = 0;
            }
        }
        // Run a batch of ready tasks before looking at the main future again:
        // were it polled after every task, a main future awaiting many tasks
        // would be polled (and woken) once per task.
        std::size_t ran = 0;
        while (ran < tasks_per_turn) {
            detail::TaskHeader* task = scheduler_->pop();
            if (task == nullptr) break;
            run_task(task);
            ++ran;
        }
        polls_since_driver += ran;
        if (ran == 0 && !main->woken.load(std::memory_order_acquire)) {
            park(main->woken);  // nothing to do: wait for I/O, a timer or a wake
            polls_since_driver = 0;
        } else if (polls_since_driver >= tasks_per_turn) {
            look_at_driver();  // busy, but I/O and timers must not starve
            polls_since_driver = 0;
        }
    }
}

template <Future F>
typename F::Output Executor::block_on_pooled(F& future) {
    // This thread runs the main future only: leaf futures in it work (their
    // driver is the executor's), rt::spawn finds the executor, and the
    // workers run every task.
    Running running(*this);
    Arc<MainWaker> main = make_arc<MainWaker>(scheduler_);
    Waker waker = waker_from(main);
    Context cx(waker);
    for (;;) {
        if (main->woken.exchange(false, std::memory_order_acq_rel)) {
            detail::budget::Scope budget;  // each poll starts with a full budget
            Poll<typename F::Output> poll = detail::poll_main(future, cx);
            if (poll.is_ready()) return std::move(poll).value();
            continue;  // woken during its poll, perhaps: look again before sleeping
        }
        trace::Slice traced(trace::Kind::wait_begin, trace::Kind::wait_end);
        std::unique_lock lock(main->mutex);
        main->condvar.wait(lock, [&] { return main->woken.load(std::memory_order_acquire); });
    }
}

// Runs `future` to completion on a fresh executor of its own, on this
// thread, and returns its output. Inside it, rt::spawn spawns on that
// executor, and leaf futures (sleeps, streams) use its driver; tasks still
// pending when it returns are destroyed with the executor.
template <Future F>
typename F::Output block_on(F future) {
    Executor executor;
    return executor.block_on(std::move(future));
}

// Spawns on the executor running the current task (or block_on's future).
// Throws std::logic_error on a thread that runs no executor.
template <Future F>
JoinHandle<typename F::Output> spawn(F future);

template <Future F>
JoinHandle<typename F::Output> spawn(F future) {
    Executor* executor = detail::current_executor();
    if (executor == nullptr)
        throw std::logic_error(
            "rt::spawn: no executor runs on this thread; call it from a task, or from the future given to "
            "Executor::block_on");
    return executor->spawn(std::move(future));
}

}  // namespace rt
