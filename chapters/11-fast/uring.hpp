// Uring: one io_uring instance beside the reactor: operations queued, submitted once per turn, reaped.
#pragma once

#include <liburing.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "future.hpp"
#include "reactor.hpp"
#include "sys.hpp"
#include "uring_op.hpp"

namespace rt::uring {

// Whether io_uring works here: io_uring_setup succeeds and the kernel knows
// every opcode the stream uses (connect, recv, send, async cancel). Probed
// once; where it is false, one line on stderr says why. RT_NO_URING=1 in
// the environment makes it false, to try the fallback on a machine that has
// io_uring.
bool available();
// Why it is not available ("" when it is).
const std::string& unavailable_reason();

}  // namespace rt::uring

namespace rt::detail {

// The probe itself, run each time (available() caches it): "" when io_uring
// works, else the reason. Tests run it in a thread whose seccomp filter
// refuses io_uring_setup.
std::string probe_io_uring();

// A driver's ring. The driver's loop calls flush() (one io_uring_enter for
// every submission queued since the last turn: the batching), then waits in
// epoll_wait (the ring's eventfd is in the epoll set, so a completion ends
// the wait), then reap(). Operations may be started and abandoned on any
// thread; everything about them is guarded by one mutex.
//
// The ring is opened at the first start(): an executor that never uses it
// costs no ring, no eventfd and no system call.
class Uring {
public:
    static constexpr unsigned entries = 256;

    explicit Uring(Reactor& reactor) noexcept : reactor_(reactor) {}
    ~Uring();  // shut_down()
    Uring(const Uring&) = delete;
    Uring& operator=(const Uring&) = delete;

    // Queues `op`'s submission (its kind says which, from its fields) with
    // a fresh user_data; the next flush() submits it. Opens the ring first
    // if need be. Throws std::system_error if the ring cannot be opened, and
    // std::logic_error after shut_down() or while `op` is in flight.
    void start(const std::shared_ptr<Op>& op);

    // The result of `op`'s completion, or pending (storing the waker) until
    // it is reaped.
    Poll<int> poll_op(Op& op, Context& cx);

    // Submits what is queued: one io_uring_enter however many there are.
    // Throws std::system_error.
    void flush();

    // Reaps every completion in the queue, without a system call: each goes
    // to its operation, whose waker is woken (outside the lock). The
    // cancels' own completions (user_data 0) are skipped.
    void reap();

    // The future of `op` is going while `op` may be in flight: queues a
    // cancel for it and forgets its waker; the ring keeps `op` (its buffer,
    // its socket) until its own completion. Nothing to do if it is not in flight.
    void abandon(const std::shared_ptr<Op>& op);

    // The executor is going: cancels everything in flight, waits for every
    // completion (their buffers are freed only then), and closes the ring.
    void shut_down() noexcept;

    // Called after a start() that made the queue non-empty (outside the
    // lock): Executor(n) wakes the worker waiting in the driver, which would
    // otherwise submit it only at its next turn.
    void on_queued(std::function<void()> callback) { on_queued_ = std::move(callback); }

    // Counters (the example and the tests read them).
    std::size_t enters() const noexcept { return enters_.load(std::memory_order_relaxed); }
    std::size_t submissions() const noexcept { return submissions_.load(std::memory_order_relaxed); }
    std::size_t completions() const noexcept { return completions_.load(std::memory_order_relaxed); }
    std::size_t in_flight() const;
    bool is_open() const;

    // Test seam: at most this many bytes per send (0: no limit), to make
    // short sends happen on demand.
    static inline std::atomic<std::size_t> send_limit{0};

private:
    void open_locked();
    // A free submission queue entry; when the queue is full, submits what
    // is in it first. Throws std::system_error.
    io_uring_sqe* get_sqe_locked();
    void flush_locked();
    void flush_locked_noexcept() noexcept;  // shut_down's: reports a failure, and goes on
    void prepare_locked(io_uring_sqe* sqe, Op& op);

    Reactor& reactor_;
    mutable std::mutex mutex_;  // guards everything below but the counters, and every Op's "ring" fields
    bool open_ = false;
    bool shut_down_ = false;
    io_uring ring_{};
    sys::Fd eventfd_;  // the kernel writes it at each completion; the reactor watches it
    std::shared_ptr<Reactor::Registration> registration_;
    std::unordered_map<std::uint64_t, std::shared_ptr<Op>> in_flight_;  // by user_data
    std::uint64_t next_id_ = 1;  // 0 names a cancel's own completion
    unsigned queued_ = 0;        // submissions in the queue, not yet submitted
    std::function<void()> on_queued_;
    std::atomic<std::size_t> enters_{0}, submissions_{0}, completions_{0};
};

}  // namespace rt::detail
