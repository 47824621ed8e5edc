// Then: await one future, then a second one made from its output. The state
// machine that `a.await` followed by `b.await` compiles to in Rust.
#pragma once

#include <functional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "future.hpp"

namespace rt {

namespace detail {
// The future that make_second returns, given the first future's output (or nothing).
template <class A, class MakeB>
struct SecondFuture {
    using type = std::invoke_result_t<MakeB, typename A::Output>;
};
template <class A, class MakeB>
    requires std::is_void_v<typename A::Output>
struct SecondFuture<A, MakeB> {
    using type = std::invoke_result_t<MakeB>;
};
}  // namespace detail

// Polls `first` to completion, then calls make_second(output) and polls the
// future it returns. Output: the second future's output. A poll after that
// throws std::logic_error("rt::Then: polled after it completed").
template <Future A, class MakeB>
class Then {
public:
    using B = typename detail::SecondFuture<A, MakeB>::type;
    static_assert(Future<B>, "rt::Then: make_second must return a future");
    using Output = typename B::Output;

    enum class State { first, second, done };

    Then(A first, MakeB make_second)
        : state_(std::in_place_type<First>, std::move(first), std::move(make_second)) {}

    Poll<Output> poll(Context& cx);

    State state() const noexcept { return static_cast<State>(state_.index()); }

private:
    struct First {
        First(A f, MakeB m) : future(std::move(f)), make_second(std::move(m)) {}
        A future;
        MakeB make_second;
    };
    struct Done {};

    // Replaces the finished first future by the second, built in place.
    void start_second(Poll<typename A::Output>& finished);

    // One alternative per State, in the same order. Only one future exists
    // at a time, and each is polled where it was built: never moved once polled.
    std::variant<First, B, Done> state_;
};

template <Future A, class MakeB>
auto Then<A, MakeB>::poll(Context& cx) -> Poll<Output> {
    if (First* first = std::get_if<First>(&state_)) {
        Poll<typename A::Output> a = first->future.poll(cx);
        if (a.is_pending()) return pending;
        start_second(a);
        // No return here: the second future has not been polled yet, so
        // nothing would wake us. Poll it now.
    }
    if (B* second = std::get_if<B>(&state_)) {
        Poll<Output> b = second->poll(cx);
        if (b.is_ready()) state_.template emplace<Done>();
        return b;
    }
    throw std::logic_error("rt::Then: polled after it completed");
}

template <Future A, class MakeB>
void Then<A, MakeB>::start_second(Poll<typename A::Output>& finished) {
    MakeB make_second = std::move(std::get<First>(state_).make_second);
    // emplace destroys the first future, then builds the second in its place.
    if constexpr (std::is_void_v<typename A::Output>)
        state_.template emplace<B>(std::invoke(std::move(make_second)));
    else
        state_.template emplace<B>(std::invoke(std::move(make_second), std::move(finished).value()));
}

}  // namespace rt
