// Async<T>: the return type of a coroutine, and an rt::Future of T.
#pragma once

#include <coroutine>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "await.hpp"
#include "future.hpp"
#include "promise.hpp"

namespace rt {

// A coroutine that returns Async<T> is a future of T: the compiler writes
// its state machine, one state per co_await. The call allocates the frame
// and runs nothing; each poll runs the body up to its next pending
// co_await, or to the end. Inside, co_await takes any rt::Future and gives
// its output. Move-only; destroying it destroys the frame, with the locals
// and the future it awaits: that is how a coroutine is cancelled.
template <class T>
class [[nodiscard]] Async {
public:
    using Output = T;
    using promise_type = detail::Promise<T>;

    Async(Async&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}
    Async& operator=(Async&& other) noexcept {
        if (this != &other) {
            destroy();
            frame_ = std::exchange(other.frame_, {});
        }
        return *this;
    }
    ~Async() { destroy(); }

    // Runs the body until it awaits a pending future or ends. Its output,
    // or the exception its body threw. A poll after that (or of an Async
    // moved from) throws std::logic_error.
    Poll<T> poll(Context& cx);

private:
    friend promise_type;
    explicit Async(std::coroutine_handle<promise_type> frame) noexcept : frame_(frame) {}

    // Destroys a suspended frame: its locals and the future it awaits are
    // destroyed with it, in reverse order, as when a function returns.
    void destroy() noexcept {
        if (frame_) std::exchange(frame_, {}).destroy();
    }

    std::coroutine_handle<promise_type> frame_;  // null once done, or moved from
};

template <class T>
Poll<T> Async<T>::poll(Context& cx) {
    if (!frame_) throw std::logic_error("rt::Async: polled after it completed, or after it was moved from");
    promise_type& promise = frame_.promise();
    promise.cx = &cx;
    detail::AwaitHook awaiting = promise.awaiting;
    // Suspended on a future: poll it (once), and resume only if it is ready.
    if (awaiting.poll != nullptr && !awaiting.poll(awaiting.awaiter, cx)) return pending;
    promise.awaiting = {};  // resumed: a pending co_await sets it again
    frame_.resume();
    if (!frame_.done()) return pending;  // suspended on another pending future
    // Done: the frame goes when we return, whether the result is a value or an exception.
    struct Destroy {
        Async& async;
        ~Destroy() { async.destroy(); }
    } destroy_frame{*this};
    if constexpr (std::is_void_v<T>) {
        promise.take_result();
        return ready();
    } else {
        return promise.take_result();
    }
}

namespace detail {
template <class T>
Async<T> Promise<T>::get_return_object() noexcept {
    return Async<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Async<void> Promise<void>::get_return_object() noexcept {
    return Async<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace rt
