// Scheduler: the ready queues of one executor, shared with every task's waker.
#pragma once

#include <atomic>
#include <mutex>

#include "parker.hpp"

namespace rt::detail {

struct TaskHeader;

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
// local queue, with no lock; a wake from another thread (the timer's, say)
// goes to the remote queue under a mutex and unparks the executor. Its
// methods are const and thread-safe, as Parker's are. Every
// task holds a reference to its Scheduler, so a late wake from another
// thread never finds it gone.
class Scheduler {
public:
    // Queues a task that a wake has just marked SCHEDULED. Returns false, and
    // queues nothing, once the executor is closed.
    bool push(TaskHeader* task) const;

    // The next task to run, local ones first. Executor's thread only.
    TaskHeader* pop() const;

    // Refuses further pushes and hands back what is queued.
    TaskQueue close() const;

    // The executor sleeps here when it has nothing to run.
    const Parker& parker() const noexcept { return parker_; }

    // Whether the calling thread is the one running this scheduler's executor.
    bool on_executor_thread() const noexcept;

private:
    // Mutable, as in Parker: an Arc shares the scheduler, and its methods are
    // safe to call through that shared (const) access.
    mutable TaskQueue local_;  // the executor's thread only
    mutable unsigned pops_ = 0;  // the executor's thread only

    mutable std::mutex mutex_;
    mutable TaskQueue remote_;     // guarded by mutex_
    mutable bool closed_ = false;  // guarded by mutex_
    // Whether remote_ may hold tasks: lets pop() skip the lock when it does
    // not. Set under the mutex by push, cleared under it by pop.
    mutable std::atomic<bool> remote_pending_{false};

    Parker parker_;
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
