// join: run several futures at once inside one future; join_all for a vector of them.
#pragma once

#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "future.hpp"

namespace rt {

// What a future of void output contributes to join's tuple, like Rust's ().
struct Unit {
    bool operator==(const Unit&) const = default;
};

namespace detail {

template <class T>
using ValueOr = std::conditional_t<std::is_void_v<T>, Unit, T>;

// One child of a join: the future, then its output once it has one.
template <Future F>
class JoinChild {
public:
    using Output = ValueOr<typename F::Output>;

    explicit JoinChild(F future) : future_(std::move(future)) {}

    // Polls the future unless it is done already; true once it is.
    bool poll(Context& cx) {
        if (output_) return true;
        Poll<typename F::Output> poll = future_.poll(cx);
        if (poll.is_pending()) return false;
        if constexpr (std::is_void_v<typename F::Output>) output_.emplace();
        else output_.emplace(std::move(poll).value());
        return true;
    }

    bool done() const noexcept { return output_.has_value(); }
    Output take() { return std::move(*output_); }

private:
    F future_;
    std::optional<Output> output_;
};

}  // namespace detail

// Polls every child at each poll, so they all make progress at once: the
// join takes as long as its slowest child, not the sum. Output: a tuple of
// the children's outputs in argument order (Unit for void). An exception
// from any child comes out of the join.
template <Future... Fs>
class Join {
public:
    using Output = std::tuple<detail::ValueOr<typename Fs::Output>...>;

    explicit Join(Fs... futures) : children_(detail::JoinChild<Fs>(std::move(futures))...) {}

    Poll<Output> poll(Context& cx) {
        bool all_ready = true;
        // Poll first, then combine: && the other way round would stop at the first pending child.
        std::apply([&](auto&... child) { ((all_ready = child.poll(cx) && all_ready), ...); }, children_);
        if (!all_ready) return pending;
        return std::apply([](auto&... child) { return Output(child.take()...); }, children_);
    }

private:
    std::tuple<detail::JoinChild<Fs>...> children_;
};

template <Future... Fs>
Join<Fs...> join(Fs... futures) {
    return Join<Fs...>(std::move(futures)...);
}

// join for any number of futures of one type: a vector of their outputs.
// It polls every child that is not done at each poll, so a poll costs time
// in proportion to the children still pending.
template <Future F>
class JoinAll {
public:
    using Output = std::vector<detail::ValueOr<typename F::Output>>;

    explicit JoinAll(std::vector<F> futures) {
        children_.reserve(futures.size());  // no reallocation: a polled child must not move
        for (F& future : futures) children_.emplace_back(std::move(future));
    }

    Poll<Output> poll(Context& cx) {
        bool all_ready = true;
        for (std::size_t i = next_; i < children_.size(); ++i) all_ready = children_[i].poll(cx) && all_ready;
        while (next_ < children_.size() && children_[next_].done()) ++next_;  // skip the finished prefix next time
        if (!all_ready) return pending;
        Output outputs;
        outputs.reserve(children_.size());
        for (auto& child : children_) outputs.push_back(child.take());
        return outputs;
    }

private:
    std::vector<detail::JoinChild<F>> children_;
    std::size_t next_ = 0;  // children before it are all done
};

template <Future F>
JoinAll<F> join_all(std::vector<F> futures) {
    return JoinAll<F>(std::move(futures));
}

// Awaits the futures one after another: it polls only the first that is not
// done. Only right for futures that progress without being polled, such as
// JoinHandles (their tasks run anyway); then a poll costs the same whatever
// the count, where join_all would poll every pending handle at every wake.
template <Future F>
class JoinInOrder {
public:
    using Output = std::vector<detail::ValueOr<typename F::Output>>;

    explicit JoinInOrder(std::vector<F> futures) : futures_(std::move(futures)) { outputs_.reserve(futures_.size()); }

    Poll<Output> poll(Context& cx) {
        while (outputs_.size() < futures_.size()) {
            Poll<typename F::Output> poll = futures_[outputs_.size()].poll(cx);
            if (poll.is_pending()) return pending;
            if constexpr (std::is_void_v<typename F::Output>) outputs_.emplace_back();
            else outputs_.push_back(std::move(poll).value());
        }
        return std::move(outputs_);
    }

private:
    std::vector<F> futures_;
    Output outputs_;
};

template <Future F>
JoinInOrder<F> join_in_order(std::vector<F> futures) {
    return JoinInOrder<F>(std::move(futures));
}

}  // namespace rt
