// The promise of an rt::Async coroutine: the Context of the current poll,
// the hook that polls the awaited future, and the result or the exception.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "frame_pool.hpp"
#include "future.hpp"

namespace rt {

template <class T>
class Async;

namespace detail {

// Coroutine frames allocated and freed on this thread, and their bytes.
// The promise's operator new and delete count them (the example reads them),
// and take the frames from this thread's pool (frame_pool.hpp).
struct FrameCounts {
    std::size_t allocations = 0;
    std::size_t frees = 0;
    std::size_t bytes = 0;
    std::size_t heap_allocations = 0;  // of the allocations, those the frame pool could not serve
};

inline FrameCounts& frame_counts() noexcept {
    thread_local FrameCounts counts;
    return counts;
}

// "Poll the future this coroutine awaits, once": a function that knows the
// awaiter's type and a pointer to the awaiter. It answers true when the
// coroutine may resume (the future is ready, or its poll threw).
struct AwaitHook {
    bool (*poll)(void* awaiter, Context& cx) = nullptr;
    void* awaiter = nullptr;
};

template <class F>
class Awaiter;

// What every Async's promise holds, whatever its output type.
class PromiseBase {
public:
    // Lazy: the call makes the frame and runs nothing (suspend_always).
    std::suspend_always initial_suspend() noexcept { return {}; }
    // Stops at the end without freeing the frame: Async::poll takes the
    // result out, then the Async destroys the frame.
    std::suspend_always final_suspend() noexcept { return {}; }

    // co_await on any rt::Future: see await.hpp. An lvalue is polled in
    // place; an rvalue is moved into the awaiter, which lives in the frame.
    template <class F>
        requires Future<std::remove_cvref_t<F>>
    Awaiter<F> await_transform(F&& future);

    // The Context of the current poll of the outermost Async: set by
    // Async::poll before each resume, read by the awaiters.
    Context* cx = nullptr;
    // Set while suspended on a pending future; cleared when it resumes.
    AwaitHook awaiting;
    // What the awaited future's poll threw through the hook: the awaiter's
    // await_resume rethrows it inside the body, where the co_await is.
    std::exception_ptr awaited_error;

    // The body threw (called inside a catch): keep the exception for
    // Async::poll, which rethrows it to whoever polls the Async.
    void unhandled_exception() {
        error_ = std::current_exception();
    }

    // The frame's allocation: counted, so that the example can show what a
    // call costs, and served by this thread's frame pool when it can.
    static void* operator new(std::size_t bytes) {
        bool heap = false;
        void* frame = frame_pool().allocate(bytes, heap);
        FrameCounts& counts = frame_counts();
        ++counts.allocations;
        counts.bytes += bytes;
        if (heap) ++counts.heap_allocations;
        return frame;
    }
    // The compiler passes the size it allocated: the pool finds the class.
    static void operator delete(void* frame, std::size_t bytes) noexcept {
        ++frame_counts().frees;
        frame_pool().deallocate(frame, bytes);
    }

protected:
    std::exception_ptr error_;  // what the body threw, until taken
};

// The promise of a coroutine returning Async<T>: its value, or its exception.
template <class T>
class Promise : public PromiseBase {
public:
    static_assert(!std::is_reference_v<T>, "rt::Async<T>: T must be an object type or void");

    Async<T> get_return_object() noexcept;

    // co_return value;
    void return_value(T value) {
        value_.emplace(std::move(value));
    }

    // Once the coroutine is done: its value, or its exception rethrown.
    T take_result() {
        if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
        if (!value_) throw std::logic_error("rt::Async: the coroutine returned no value");
        T value = std::move(*value_);
        value_.reset();
        return value;
    }

private:
    std::optional<T> value_;
};

template <>
class Promise<void> : public PromiseBase {
public:
    Async<void> get_return_object() noexcept;

    // co_return; or the end of the body.
    void return_void() noexcept {}

    void take_result() {
        if (error_ != nullptr) std::rethrow_exception(std::exchange(error_, nullptr));
    }
};

}  // namespace detail
}  // namespace rt
