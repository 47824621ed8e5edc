// JoinHandle<T>: the future of a spawned task's output.
#pragma once

#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "cancelled.hpp"
#include "future.hpp"
#include "stress.hpp"
#include "task.hpp"

namespace rt {

// Ready with the task's output once the task completes; rethrows the task's
// exception. Dropping the handle (or detach()) does not stop the task: it
// runs to completion, and its output is destroyed; abort() stops it. Move-only.
template <class T>
class [[nodiscard]] JoinHandle {
public:
    using Output = T;

    explicit JoinHandle(detail::TaskHeader* task) noexcept : task_(task) {}
    JoinHandle(JoinHandle&& other) noexcept : task_(std::exchange(other.task_, nullptr)) {}
    JoinHandle& operator=(JoinHandle&& other) noexcept {
        JoinHandle old(std::move(*this));
        task_ = std::exchange(other.task_, nullptr);
        return *this;
    }
    ~JoinHandle() { detach(); }

    Poll<T> poll(Context& cx);

    // Lets the task run on unobserved: what dropping the handle does.
    void detach() noexcept;

    // Cancels the task, from any thread: at its next turn the executor
    // destroys its future instead of polling it, and awaiting this handle
    // then throws rt::Cancelled. A task that has completed (with an output
    // or an exception) keeps what it has; after the handle has given its
    // output, or been detached, abort() does nothing.
    void abort();

private:
    // The output (or the task's exception), once completed. Gives up the reference.
    Poll<T> take();

    detail::TaskHeader* task_;  // one reference; null once detached or taken
};

template <class T>
Poll<T> JoinHandle<T>::poll(Context& cx) {
    using namespace detail::task_state;
    if (task_ == nullptr) throw std::logic_error("rt::JoinHandle: polled after it completed or was detached");
    std::uint32_t state = task_->state.load(std::memory_order_acquire);
    for (;;) {
        if (state & (completed | closed)) return take();
        if (state & join_waker) {
            // Take the slot back before touching it: with the bit clear, the
            // executor will not read it. Fails if the task has just completed.
            if (!task_->state.compare_exchange_weak(state, state & ~join_waker, std::memory_order_acq_rel,
                                                    std::memory_order_acquire))
                continue;
            state &= ~join_waker;
        }
        if (!task_->join_waker || !task_->join_waker->will_wake(cx.waker())) task_->join_waker = cx.waker();
        detail::stress::point();  // the task may complete on another worker here
        // Publish the slot (release: the executor's acquire sees the waker).
        // If the task completed meanwhile, the CAS fails and we look again.
        if (task_->state.compare_exchange_weak(state, state | join_waker, std::memory_order_acq_rel,
                                               std::memory_order_acquire))
            return pending;
    }
}

template <class T>
Poll<T> JoinHandle<T>::take() {
    using namespace detail::task_state;
    detail::TaskHeader* task = std::exchange(task_, nullptr);
    struct Release {
        detail::TaskHeader* task;
        ~Release() { detail::release(task); }
    } release{task};
    if (task->state.load(std::memory_order_acquire) & closed)
        throw std::runtime_error("rt::JoinHandle: the executor was destroyed before the task completed");
    std::optional<detail::ValueOr<T>> output;
    task->vtable->take_output(task, &output);  // rethrows the task's exception
    if constexpr (std::is_void_v<T>) return ready();
    else return std::move(*output);
}

template <class T>
void JoinHandle<T>::abort() {
    using namespace detail::task_state;
    if (task_ == nullptr) return;  // its output was taken, or it was detached
    std::uint32_t state = task_->state.load(std::memory_order_acquire);
    do {
        if (state & (completed | closed | cancelled)) return;  // over, or aborted already
    } while (!task_->state.compare_exchange_weak(state, state | cancelled, std::memory_order_acq_rel,
                                                 std::memory_order_acquire));
    // Its next turn destroys it. A task waiting for a wake has no turn
    // coming: schedule it, as a wake would.
    detail::schedule(task_);
}

template <class T>
void JoinHandle<T>::detach() noexcept {
    using namespace detail::task_state;
    detail::TaskHeader* task = std::exchange(task_, nullptr);
    if (task == nullptr) return;
    detail::stress::point();
    std::uint32_t state = task->state.fetch_and(~(handle | join_waker), std::memory_order_acq_rel);
    if (state & completed) {
        task->vtable->destroy_output(task);  // completed while we held the handle: the output is ours
    } else if ((state & join_waker) && !(state & closed)) {
        // With the bit cleared before completion or closing, the executor
        // will not read the slot: the waker in it is ours to drop. Nobody
        // awaits this handle any more.
        task->join_waker.reset();
    }
    detail::release(task);
}

}  // namespace rt
