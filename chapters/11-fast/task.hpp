// Task: a spawned future in one allocation, with its state, references and waker.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "arc.hpp"
#include "cancelled.hpp"
#include "future.hpp"
#include "join.hpp"
#include "report.hpp"
#include "scheduler.hpp"
#include "task_state.hpp"
#include "waker.hpp"

namespace rt::detail {

// What the executor and the JoinHandle need from a task without knowing its
// future's type: one vtable per future type, as for wakers.
struct TaskVTable {
    // Polls the future. When it finishes (or throws), destroys it, keeps the
    // output (or the exception), and returns true.
    bool (*poll)(TaskHeader* task, Context& cx);
    // These two report a destructor that throws: nobody waits for it.
    void (*destroy_future)(TaskHeader* task);  // a task closed before completing
    void (*destroy_output)(TaskHeader* task);  // an output nobody will take
    // An aborted task: destroys the future without polling it, and keeps
    // rt::Cancelled as the task's exception, for its JoinHandle.
    void (*cancel)(TaskHeader* task);
    // Moves the output into *(std::optional<Output>*)destination, or rethrows
    // the task's exception.
    void (*take_output)(TaskHeader* task, void* destination);
    void (*deallocate)(TaskHeader* task);  // the last reference is gone
};

// The part of every task that does not depend on its future's type.
struct TaskHeader {
    TaskHeader(const TaskVTable* vt, Arc<SchedulerShare> sched, std::uint32_t initial_state,
               std::uint32_t initial_refs)
        : vtable(vt), state(initial_state), refs(initial_refs), scheduler(std::move(sched)) {}

    const TaskVTable* vtable;
    std::atomic<std::uint32_t> state;  // task_state bits
    // One for each of: the executor's list of live tasks (until it completes
    // or is closed), a ready queue it is in, its JoinHandle, each Waker.
    std::atomic<std::uint32_t> refs;
    TaskHeader* next_ready = nullptr;  // link in a TaskQueue
    TaskHeader* prev_live = nullptr;   // links in the executor's list of live tasks
    TaskHeader* next_live = nullptr;
    std::uint32_t live_shard = 0;      // Executor(n): the shard of the live list it is in
    bool from_slab = false;            // its memory is a block of its scheduler's TaskSlab
    bool aborted = false;              // Task: its error is the rt::Cancelled of cancel() (here: no padding)
    // Executor() with the local wake path: queued again after waking
    // itself during its poll, with RUNNING still set (see LocalPoll). The
    // executor's thread only.
    bool kept_running = false;
    Arc<SchedulerShare> scheduler;     // ->scheduler is the Scheduler
    std::optional<Waker> join_waker;   // see task_state::join_waker
};

// Memory for a task of `bytes` aligned to `align`: a block of the
// scheduler's slab when it has one, this thread runs its executor, and the
// size fits; else from the heap. `from_slab` says which.
void* allocate_task(const Scheduler& scheduler, std::size_t bytes, std::size_t align, bool& from_slab);
// Gives it back where it came from: the heap, or the slab (its owner's
// list on the executor's thread, the remote list elsewhere).
void free_task(const Scheduler& scheduler, void* block, std::size_t bytes, std::size_t align, bool from_slab);

// The task this thread is polling, while its executor has the local wake
// path on (Executor(), chapter 11), and whether it woke itself meanwhile.
// A wake of that task, on this thread, during that poll, only sets
// `woken`: no compare-and-swap on its state, no reference counted. Only
// this thread can see the pair, so plain fields do.
struct LocalPoll {
    TaskHeader* task = nullptr;
    bool woken = false;
};
inline thread_local LocalPoll local_poll;

// Marks `task` (or nothing) as the task this thread polls, for as long as
// it exists; restores the previous one after (a task may run an executor).
class LocalPollScope {
public:
    explicit LocalPollScope(TaskHeader* task) noexcept : saved_(local_poll) { local_poll = LocalPoll{task, false}; }
    ~LocalPollScope() { local_poll = saved_; }
    LocalPollScope(const LocalPollScope&) = delete;
    LocalPollScope& operator=(const LocalPollScope&) = delete;
    bool woken() const noexcept { return local_poll.woken; }

private:
    LocalPoll saved_;
};

// Queues a task that has been woken, if it needs it: see task_state.
void schedule(TaskHeader* task);

// Gives up `count` references; the last one frees the task.
void release(TaskHeader* task, std::uint32_t count = 1) noexcept;

// A new Waker for the task (one more reference).
Waker task_waker(TaskHeader* task) noexcept;

// A Waker for a task that borrows a reference the caller holds instead of
// taking one: it is never destroyed, so it never gives back what it does not
// own. The executor polls with one, borrowing the ready queue's reference,
// and saves two atomic operations per poll. Clones of it are ordinary Wakers.
// (Rust executors do the same with ManuallyDrop<Waker>.)
class BorrowedWaker {
public:
    explicit BorrowedWaker(TaskHeader* task) noexcept;
    const Waker& get() const noexcept { return *std::launder(reinterpret_cast<const Waker*>(storage_)); }

private:
    alignas(Waker) unsigned char storage_[sizeof(Waker)];
};

// A spawned future of type F. While running, the union holds the future;
// once completed, its output (unless it threw: then `error` is set).
template <Future F>
class Task final : public TaskHeader {
public:
    using Output = ValueOr<typename F::Output>;

    Task(F future, Arc<SchedulerShare> sched, std::uint32_t initial_state, std::uint32_t initial_refs)
        : TaskHeader(&vtable_, std::move(sched), initial_state, initial_refs) {
        new (&future_) F(std::move(future));
    }
    ~Task() {}  // the union's member is destroyed through the vtable

private:
    static Task* self(TaskHeader* task) noexcept { return static_cast<Task*>(task); }

    static bool poll(TaskHeader* task, Context& cx) {
        Task* t = self(task);
        bool future_alive = true;
        try {
            Poll<typename F::Output> poll = t->future_.poll(cx);
            if (poll.is_pending()) return false;
            // The value is in `poll`, not in the future: the future can go
            // now, its resources with it, before the output takes its place.
            // Marked gone first: a destructor that throws has ended it too.
            future_alive = false;
            t->future_.~F();
            if constexpr (std::is_void_v<typename F::Output>) new (&t->output_) Output();
            else new (&t->output_) Output(std::move(poll).value());
        } catch (...) {
            // From the poll, the future's destructor or the output's move:
            // the task's exception, for its JoinHandle.
            t->error_ = std::current_exception();
            if (future_alive) destroy_future(task);  // the poll threw: the future goes now
        }
        return true;
    }

    // The next two run where nobody waits for an exception (the executor's
    // destructor, a detached task): a destructor that throws is reported.
    static void destroy_future(TaskHeader* task) noexcept {
        try {
            self(task)->future_.~F();
        } catch (...) {
            report_exception("rt::Executor: a task's future threw from its destructor");
        }
    }

    static void cancel(TaskHeader* task) {
        Task* t = self(task);
        destroy_future(task);
        t->error_ = std::make_exception_ptr(Cancelled());
        t->aborted = true;
    }

    static void destroy_output(TaskHeader* task) noexcept {
        Task* t = self(task);
        if (!t->error_) drop_output(t);
        // An aborted task's rt::Cancelled is no news to whoever aborted it.
        else if (!t->aborted) report_exception("rt: a detached task ended with an exception nobody awaited", t->error_);
        t->error_ = nullptr;
    }

    static void take_output(TaskHeader* task, void* destination) {
        Task* t = self(task);
        if (t->error_) std::rethrow_exception(std::exchange(t->error_, nullptr));
        // The output leaves the task whether its move succeeds or throws: an
        // exception goes to whoever polls the handle, and nothing stays behind.
        struct Drop {
            Task* t;
            ~Drop() { drop_output(t); }
        } drop{t};
        static_cast<std::optional<Output>*>(destination)->emplace(std::move(t->output_));
    }

    static void drop_output(Task* t) noexcept {
        try {
            t->output_.~Output();
        } catch (...) {
            report_exception("rt::Executor: a task's output threw from its destructor");
        }
    }

    // The last reference is gone. The task holds the scheduler, whose slab
    // may hold its memory: the scheduler is kept past the task's destructor
    // until the block is back.
    static void deallocate(TaskHeader* task) {
        Task* t = self(task);
        Arc<SchedulerShare> share = std::move(t->scheduler);
        bool from_slab = t->from_slab;
        t->~Task();
        free_task(*share->scheduler, t, sizeof(Task), alignof(Task), from_slab);
    }

public:
    // Makes a task in memory from allocate_task (the arguments: the constructor's).
    static Task* make(F future, Arc<SchedulerShare> sched, std::uint32_t initial_state, std::uint32_t initial_refs) {
        const Scheduler& scheduler = *sched->scheduler;
        bool from_slab = false;
        void* memory = allocate_task(scheduler, sizeof(Task), alignof(Task), from_slab);
        Task* task = nullptr;
        try {
            task = ::new (memory) Task(std::move(future), std::move(sched), initial_state, initial_refs);
        } catch (...) {
            free_task(scheduler, memory, sizeof(Task), alignof(Task), from_slab);  // F's move threw
            throw;
        }
        task->from_slab = from_slab;
        return task;
    }

private:

    static constexpr TaskVTable vtable_{poll, destroy_future, destroy_output, cancel, take_output, deallocate};

    union {
        F future_;
        Output output_;
    };
    std::exception_ptr error_;
};

}  // namespace rt::detail
