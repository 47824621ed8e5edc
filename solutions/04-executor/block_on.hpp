// block_on: run one future to completion on the calling thread, sleeping while it waits.
#pragma once

#include "arc.hpp"
#include "future.hpp"
#include "parker.hpp"
#include "waker.hpp"

namespace rt {

namespace detail {

// Waking a thread blocked in block_on means unparking its parker.
struct ThreadWaker {
    Parker parker;
    void wake() const { parker.unpark(); }
};

// What block_on needs on each thread: a Parker, and a Waker that unparks it.
// Made at the thread's first block_on and kept until the thread ends, so a
// call allocates nothing. Private to block_on: no other code can park on this
// parker and take a token meant for it.
class BlockOnThread {
public:
    static BlockOnThread& current();  // this thread's

    const Parker& parker() const noexcept { return thread_waker_->parker; }
    const Waker& waker() const noexcept { return waker_; }

    // Marks this thread as inside block_on until the Guard is destroyed.
    // Throws std::logic_error if it is already inside, or runs an executor's
    // task: a nested block_on would block the outer future, or every task,
    // which could then never finish.
    class Guard {
    public:
        explicit Guard(BlockOnThread& thread);
        ~Guard() { thread_.running_ = false; }
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;

    private:
        BlockOnThread& thread_;
    };

private:
    BlockOnThread();

    Arc<ThreadWaker> thread_waker_;
    Waker waker_;  // over thread_waker_
    bool running_ = false;
};

}  // namespace detail

// Polls `future` until it is ready and returns its output, parking the
// thread whenever the future is pending: a wake-up unparks it.
//
// A wake that arrives after poll() returned pending but before park() is not
// lost: it leaves the parker's token, and park() returns at once.
template <Future F>
typename F::Output block_on(F future) {
    detail::BlockOnThread& thread = detail::BlockOnThread::current();
    detail::BlockOnThread::Guard guard(thread);
    Context cx(thread.waker());
    for (;;) {
        Poll<typename F::Output> poll = future.poll(cx);
        if (poll.is_ready()) return std::move(poll).value();
        thread.parker().park();  // returns at once if woken since the poll began
    }
}

}  // namespace rt
