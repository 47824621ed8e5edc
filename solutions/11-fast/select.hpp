// select: several futures race; the first to finish wins, and the others are destroyed.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <variant>

#include "future.hpp"
#include "join.hpp"

namespace rt {

// The output of the first child to finish, as a variant whose index() is
// that child's place in the argument list (a child of void gives rt::Unit).
// Each poll polls the children in argument order and stops at the first
// that is ready: the children after it are not polled in that turn. Before
// select answers ready, every other child is destroyed, which cancels it:
// a sleep leaves the timer heap, a stream closes its socket.
//
// The order is a bias: when two children are ready in the same turn, the
// first in the list wins. A select in a loop whose first child is always
// ready never lets the last one finish; put the rarer event first, or
// rotate the order. (Tokio's select! starts at a random child for this
// reason, unless told `biased;`.)
//
// A child that throws ends the race too: every child is destroyed, and the
// exception leaves select's poll. Polled again after it finished, select
// throws std::logic_error. A child whose destructor throws ends the
// program, as std::optional's reset() is noexcept.
template <Future... F>
class Select {
    static_assert(sizeof...(F) >= 1, "rt::select: give it at least one future");

public:
    using Output = std::variant<detail::ValueOr<typename F::Output>...>;

    explicit Select(F... futures) : children_(std::move(futures)...) {}

    Poll<Output> poll(Context& cx);

private:
    // The type of child I, a future.
    template <std::size_t I>
    using Child = std::tuple_element_t<I, std::tuple<F...>>;
    // Polls child I (unless an earlier one won) and keeps its output in *winner.
    template <std::size_t I>
    bool poll_child(Context& cx, std::optional<Output>& winner);
    void destroy_children() noexcept {
        std::apply([](auto&... child) { (child.reset(), ...); }, children_);
    }

    std::tuple<std::optional<F>...> children_;  // emptied once the race is over
    bool finished_ = false;
};

template <Future... F>
Poll<typename Select<F...>::Output> Select<F...>::poll(Context& cx) {
    if (finished_) throw std::logic_error("rt::select: polled after it finished");
    std::optional<Output> winner;
    try {
        // A fold over the children's places, in order: || stops at the first true.
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (void)(poll_child<I>(cx, winner) || ...);
        }(std::index_sequence_for<F...>{});
    } catch (...) {
        finished_ = true;
        destroy_children();
        throw;
    }
    if (!winner) return pending;
    finished_ = true;
    destroy_children();  // the losers are cancelled before anyone sees the winner
    return std::move(*winner);
}

template <Future... F>
template <std::size_t I>
bool Select<F...>::poll_child(Context& cx, std::optional<Output>& winner) {
    auto& child = *std::get<I>(children_);
    auto poll = child.poll(cx);
    if (poll.is_pending()) return false;
    // in_place_index, not the type: two children may have the same output type.
    if constexpr (std::is_void_v<typename Child<I>::Output>)
        winner.emplace(std::in_place_index<I>);
    else
        winner.emplace(std::in_place_index<I>, std::move(poll).value());
    return true;
}

template <Future... F>
Select<F...> select(F... futures) {
    return Select<F...>(std::move(futures)...);
}

}  // namespace rt
