// Awaiter<F>: what `co_await future` does inside an rt::Async coroutine.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "future.hpp"
#include "promise.hpp"

namespace rt::detail {

// Awaits a future of type F (an lvalue: F is G&, and the awaiter polls the
// caller's G in place) or F (an rvalue, moved in here before its first
// poll). The awaiter is a temporary of the co_await expression, so it lives
// in the coroutine's frame while the coroutine is suspended on it: the
// future it holds never moves once polled.
template <class F>
class Awaiter {
public:
    using Output = typename std::remove_reference_t<F>::Output;

    Awaiter(PromiseBase& promise, F&& future) : promise_(&promise), future_(std::forward<F>(future)) {}
    Awaiter(const Awaiter&) = delete;
    Awaiter& operator=(const Awaiter&) = delete;

    // Polls the future once, with the Context of the current poll. Ready:
    // no suspension at all. An exception goes out of the co_await.
    bool await_ready() {
        return poll_once(*promise_->cx);
    }

    // Pending: the coroutine suspends, and the next Async::poll polls the
    // future again through the hook before it resumes the coroutine.
    void await_suspend(std::coroutine_handle<>) noexcept { promise_->awaiting = {&poll_hook, this}; }

    // The output, or the exception that a later poll threw.
    Output await_resume();

private:
    // One poll; keeps the output and answers true when it is ready.
    bool poll_once(Context& cx);

    // The hook Async::poll calls while suspended here: an exception is kept
    // in the promise and rethrown by await_resume, inside the coroutine,
    // where the co_await is.
    static bool poll_hook(void* self, Context& cx) {
        Awaiter& awaiter = *static_cast<Awaiter*>(self);
        try {
            return awaiter.poll_once(cx);
        } catch (...) {
            awaiter.promise_->awaited_error = std::current_exception();
            return true;
        }
    }

    // What a ready poll gave: the output, or for a future of void, that it is done.
    using Stored = std::conditional_t<std::is_void_v<Output>, bool, std::optional<Output>>;

    PromiseBase* promise_;
    F future_;  // a reference for an lvalue, the future itself for an rvalue
    Stored output_{};
};

template <class F>
bool Awaiter<F>::poll_once(Context& cx) {
    Poll<Output> poll = future_.poll(cx);
    if (poll.is_pending()) return false;
    if constexpr (std::is_void_v<Output>) output_ = true;
    else output_.emplace(std::move(poll).value());
    return true;
}

template <class F>
auto Awaiter<F>::await_resume() -> Output {
    if (promise_->awaited_error) std::rethrow_exception(std::exchange(promise_->awaited_error, nullptr));
    if (!output_) throw std::logic_error("rt::Async: resumed before the awaited future was ready");
    if constexpr (!std::is_void_v<Output>) return std::move(*output_);
}

template <class F>
    requires Future<std::remove_cvref_t<F>>
Awaiter<F> PromiseBase::await_transform(F&& future) {
    // F is G& for an lvalue (the awaiter holds a reference), G for an rvalue
    // (the awaiter holds a G, moved in).
    return Awaiter<F>(*this, std::forward<F>(future));
}

}  // namespace rt::detail
