#include "task.hpp"

#include <cstddef>
#include <new>
#include <stdexcept>

#include "stress.hpp"
#include "trace.hpp"

namespace rt::detail {

using namespace task_state;

void* allocate_task(const Scheduler& scheduler, std::size_t bytes, std::size_t align, bool& from_slab) {
    TaskSlab* slab = scheduler.slab();
    // Only the thread running the executor owns the slab's lists (a spawn
    // from elsewhere, allowed while none runs it, takes heap memory).
    from_slab = slab != nullptr && align <= alignof(std::max_align_t) && TaskSlab::fits(bytes) &&
                scheduler.on_executor_thread();
    if (from_slab) return slab->allocate(bytes);
    if (align > __STDCPP_DEFAULT_NEW_ALIGNMENT__) return ::operator new(bytes, std::align_val_t(align));
    return ::operator new(bytes);
}

void free_task(const Scheduler& scheduler, void* block, std::size_t bytes, std::size_t align, bool from_slab) {
    if (!from_slab) {
        if (align > __STDCPP_DEFAULT_NEW_ALIGNMENT__) ::operator delete(block, std::align_val_t(align));
        else ::operator delete(block);
    } else if (scheduler.on_executor_thread()) {
        scheduler.slab()->free_local(block, bytes);  // the owner: no atomic at all
    } else {
        scheduler.slab()->free_remote(block, bytes);  // a JoinHandle or a waker let go elsewhere
    }
}

void schedule(TaskHeader* task) {
    std::uint32_t state = task->state.load(std::memory_order_acquire);
    for (;;) {
        // Finished, or closed with its executor: there is nothing to poll.
        if (state & (completed | closed)) return;
        // Queued already, or already marked to be polled again: one poll covers every wake.
        if (state & scheduled) return;
        stress::point();  // another wake, the poll's end or an abort may come between the load and the CAS
        if (!task->state.compare_exchange_weak(state, state | scheduled, std::memory_order_acq_rel,
                                               std::memory_order_acquire))
            continue;  // the state changed under us: look again
        // Being polled right now: the executor sees SCHEDULED after the poll
        // and queues the task itself. Queuing it here would run it twice at once.
        if (state & running) return;
        stress::point();
        // Idle: queue it. The queue holds a reference until the task is run.
        task->refs.fetch_add(1, std::memory_order_relaxed);
        if (!task->scheduler->scheduler->push(task)) release(task);  // the executor is gone
        return;
    }
}

void release(TaskHeader* task, std::uint32_t count) noexcept {
    // NOTE: acq_rel, as Arc's release: every owner's use of the task happens
    // before the last owner frees it.
    if (task->refs.fetch_sub(count, std::memory_order_acq_rel) == count) task->vtable->deallocate(task);
}

namespace {

TaskHeader* task_of(const void* data) noexcept {
    // NOTE: the data pointer is the TaskHeader the waker was made from; the
    // const in RawWaker only says that wakers share it.
    return static_cast<TaskHeader*>(const_cast<void*>(data));
}

RawWaker clone_task_waker(const void* data);
void wake_task(const void* data) {
    trace::event(trace::Kind::wake, data);
    if (local_poll.task == task_of(data)) local_poll.woken = true;  // itself, here, in its poll
    else schedule(task_of(data));
    release(task_of(data));
}
void wake_task_by_ref(const void* data) {
    trace::event(trace::Kind::wake, data);
    // Woken by itself, on this thread, during its poll: the executor sees
    // the flag after the poll. No other thread can be polling it, and a
    // wake from one still goes through schedule(), which sees RUNNING.
    if (local_poll.task == task_of(data)) {
        local_poll.woken = true;
        return;
    }
    schedule(task_of(data));
}
void drop_task_waker(const void* data) { release(task_of(data)); }

constexpr RawWakerVTable task_waker_vtable{clone_task_waker, wake_task, wake_task_by_ref, drop_task_waker};

RawWaker clone_task_waker(const void* data) {
    task_of(data)->refs.fetch_add(1, std::memory_order_relaxed);
    return RawWaker{data, &task_waker_vtable};
}

}  // namespace

Waker task_waker(TaskHeader* task) noexcept {
    task->refs.fetch_add(1, std::memory_order_relaxed);
    return Waker::from_raw(RawWaker{task, &task_waker_vtable});
}

BorrowedWaker::BorrowedWaker(TaskHeader* task) noexcept {
    new (storage_) Waker(Waker::from_raw(RawWaker{task, &task_waker_vtable}));
}

}  // namespace rt::detail
