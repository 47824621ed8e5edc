// scope: structured concurrency. Children run inside one future, which
// finishes only when all of them have; the first to throw cancels the rest.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "future.hpp"
#include "report.hpp"

namespace rt {

template <class Body>
class ScopeFuture;

// Where a scope's body (and its children) start children. Each child is a
// future of void, polled by the scope's future, in the task that awaits it:
// no child outlives the scope, so a child may borrow anything that outlives
// the scope's future (the caller's locals), never the body's own locals,
// which go when the body finishes.
class Scope {
public:
    Scope() = default;
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

    // Adds a child. It is first polled in the scope's current turn if that
    // turn has not passed it yet, else in the next. Once the scope has
    // failed or finished, throws std::logic_error.
    template <Future F>
    void spawn(F child) {
        static_assert(std::is_void_v<typename F::Output>,
                      "rt::Scope::spawn: a child is a future of void; to give back a value, write it "
                      "somewhere that outlives the scope");
        if (closed_) throw std::logic_error("rt::Scope::spawn: the scope has finished or failed");
        children_.push_back(std::make_unique<Child<F>>(std::move(child)));
    }

    // Children spawned and not yet finished.
    std::size_t active() const noexcept { return children_.size(); }

private:
    template <class Body>
    friend class ScopeFuture;

    struct AnyChild {
        virtual ~AnyChild() = default;
        virtual bool poll(Context& cx) = 0;  // true once finished
    };
    template <Future F>
    struct Child final : AnyChild {
        explicit Child(F f) : future(std::move(f)) {}
        bool poll(Context& cx) override { return future.poll(cx).is_ready(); }
        F future;
    };

    // Polls each child once, in the order spawned (children spawned during
    // the turn too), and drops those that finished. Throws what a child throws.
    void poll_children(Context& cx) {
        std::size_t kept = 0;
        for (std::size_t i = 0; i < children_.size(); ++i) {
            // By pointer: a child's poll may spawn, and move the vector.
            AnyChild* child = children_[i].get();
            if (child->poll(cx)) children_[i].reset();
        }
        for (std::unique_ptr<AnyChild>& child : children_)
            if (child != nullptr) children_[kept++] = std::move(child);
        children_.resize(kept);
    }

    // Destroys every child, the last spawned first, and refuses new ones.
    void cancel_children() noexcept {
        closed_ = true;
        while (!children_.empty()) {
            std::unique_ptr<AnyChild> child = std::move(children_.back());
            children_.pop_back();
            try {
                child.reset();
            } catch (...) {
                detail::report_exception("rt::Scope: a child threw from its destructor while being cancelled");
            }
        }
    }

    std::vector<std::unique_ptr<AnyChild>> children_;
    bool closed_ = false;
};

// The future of rt::scope(body): makes the body's future (body(scope)) at
// its first poll, then polls it and every child until all have finished.
// - All finish: ready.
// - The body or a child throws: every other child and the body are
//   destroyed (cancelled), and then the poll throws that exception.
// - The scope's future is destroyed first (a timeout, a select, an abort):
//   the children and the body are destroyed with it, children first.
// The body's future holds the Scope by reference, so once polled the
// ScopeFuture must not move (moving it then throws std::logic_error).
template <class Body>
class ScopeFuture {
public:
    using BodyFuture = std::invoke_result_t<Body&, Scope&>;
    static_assert(Future<BodyFuture> && std::is_void_v<typename BodyFuture::Output>,
                  "rt::scope: the body takes an rt::Scope& and returns a future of void");
    using Output = void;

    explicit ScopeFuture(Body body) : make_body_(std::move(body)) {}
    ScopeFuture(ScopeFuture&& other) : make_body_(std::move(other.make_body_)) {
        if (other.started_)
            throw std::logic_error("rt::ScopeFuture: moved after its first poll: its body points at its scope");
    }
    ScopeFuture& operator=(ScopeFuture&&) = delete;
    // Children first: they may borrow from the body's future while it lives.
    ~ScopeFuture() { scope_.cancel_children(); }

    Poll<void> poll(Context& cx) {
        if (finished_) throw std::logic_error("rt::scope: polled after it finished");
        if (!started_) {
            started_ = true;
            body_.emplace(std::invoke(make_body_, scope_));
        }
        try {
            if (body_ && body_->poll(cx).is_ready()) body_.reset();
            scope_.poll_children(cx);
        } catch (...) {
            finished_ = true;
            scope_.cancel_children();
            body_.reset();
            throw;
        }
        if (body_ || scope_.active() > 0) return pending;
        finished_ = true;
        scope_.closed_ = true;
        return ready();
    }

private:
    Body make_body_;
    Scope scope_;
    std::optional<BodyFuture> body_;
    bool started_ = false;
    bool finished_ = false;
};

// Runs `body(scope)` and the children it spawns into `scope` as one future.
// For instance, in a coroutine:
//
//     co_await rt::scope([&](rt::Scope& s) -> rt::Async<void> {
//         s.spawn(fetch(a));
//         s.spawn(fetch(b));
//         co_return;
//     });
template <class Body>
ScopeFuture<Body> scope(Body body) {
    return ScopeFuture<Body>(std::move(body));
}

}  // namespace rt
