// Scheduler: the ready queues of one executor, shared with every task's waker.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>

#include "arc.hpp"
#include "loop_signal.hpp"
#include "task_slab.hpp"

namespace rt::detail {

struct TaskHeader;
class Pool;

// A first-in first-out list of tasks, linked through the tasks themselves
// (TaskHeader::next_ready): pushing and popping never allocate. A task is in
// at most one queue at a time: its SCHEDULED bit says so.
class TaskQueue {
public:
    bool empty() const noexcept { return head_ == nullptr; }
    void push(TaskHeader* task) noexcept;
    TaskHeader* pop() noexcept;              // null when empty
    void append(TaskQueue& other) noexcept;  // moves all of `other` to our back

private:
    TaskHeader* head_ = nullptr;
    TaskHeader* tail_ = nullptr;
};

// Where wakes put tasks. A wake on the executor's own thread goes to the
// local queue, with no lock; a wake from another thread goes to the remote
// queue under a mutex and, if the loop is blocked, signals it. Its
// methods are const and thread-safe. Every
// task holds a reference to its Scheduler, so a late wake from another
// thread never finds it gone.
class Scheduler {
public:
    // workers == 0: the one-thread executor of chapter 08 (the queues
    // above). Otherwise a Pool of that many workers holds the queues.
    // slab: Executor() only, its tasks' memory comes from a TaskSlab.
    explicit Scheduler(std::size_t workers = 0, bool slab = false);
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // The many-thread executor's pool, or null for the one-thread executor.
    Pool* pool() const noexcept { return pool_.get(); }
    // The slab of the one-thread executor's tasks, or null (Executor(n), or turned off).
    TaskSlab* slab() const noexcept { return slab_.get(); }

    // Queues a task that a wake has just marked SCHEDULED. Returns false, and
    // queues nothing, once the executor is closed.
    bool push(TaskHeader* task) const;
    // Queues a task woken during its own poll: behind the others (a pool
    // worker's ring, not its LIFO slot).
    bool requeue(TaskHeader* task) const;

    // The next task to run, local ones first. Executor's thread only.
    TaskHeader* pop() const;

    // Refuses further pushes, closes the eventfd, and hands back what is queued.
    TaskQueue close() const;

    // Wakes the loop if it is blocked (the main future's waker uses it).
    void notify() const;

    // The loop's side of the park race. Announces that the loop will block,
    // then looks again: false (and the announcement withdrawn) if a remote
    // task or `main_woken` came meanwhile. After true, block in epoll_wait,
    // then call done_blocking().
    bool prepare_to_block(const std::atomic<bool>& main_woken) const;
    void done_blocking() const noexcept { signal_.done_blocking(); }

    // The eventfd the loop watches, drained by the loop when it fires.
    const LoopSignal& signal() const noexcept { return signal_; }
    void drain_signal() const noexcept { signal_.drain(); }

    // Whether the calling thread is the one running this scheduler's executor.
    bool on_executor_thread() const noexcept;

private:
    std::unique_ptr<Pool> pool_;
    // Outlives every task: each holds the scheduler, and gives its block
    // back before it lets go (see Task::deallocate).
    std::unique_ptr<TaskSlab> slab_;

    // Mutable: an Arc shares the scheduler, and its methods are
    // safe to call through that shared (const) access.
    mutable TaskQueue local_;  // the executor's thread only
    mutable unsigned pops_ = 0;  // the executor's thread only

    mutable std::mutex mutex_;
    mutable TaskQueue remote_;     // guarded by mutex_
    mutable bool closed_ = false;  // guarded by mutex_
    // Whether remote_ may hold tasks: lets pop() skip the lock when it does
    // not. Set under the mutex by push, cleared under it by pop.
    mutable std::atomic<bool> remote_pending_{false};

    // Written and closed under mutex_ only: no write after the close.
    mutable LoopSignal signal_;
};

// What a task holds to reach its scheduler: a share of it, with a reference
// count of its own. Executor(n) has one share per worker, and one for tasks
// spawned elsewhere; Executor() has one. A task takes a reference to the
// share of the worker that spawns it, and mostly gives it back on that
// worker, so the count's cache line stays in that core's cache. With one
// count for all, each spawn and each free would pull the line from the
// other core: a profile of a two-worker spawn + join had its two hottest
// functions waiting there (see the book). Each share holds the scheduler, so
// a late wake still never finds it gone.
struct alignas(64) SchedulerShare {
    explicit SchedulerShare(Arc<Scheduler> s) noexcept : scheduler(std::move(s)) {}
    Arc<Scheduler> scheduler;
};

// Marks the calling thread as running a scheduler's executor, for as long
// as it exists. Nests: it restores the previous one when destroyed.
class ExecutorThread {
public:
    explicit ExecutorThread(const Scheduler* scheduler) noexcept;
    ~ExecutorThread();
    ExecutorThread(const ExecutorThread&) = delete;
    ExecutorThread& operator=(const ExecutorThread&) = delete;

    static const Scheduler* current() noexcept;

private:
    const Scheduler* previous_;
};

}  // namespace rt::detail
