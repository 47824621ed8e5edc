#include "uring.hpp"

#include <errno.h>

#include <cstdio>

#include <stdexcept>
#include <utility>
#include <vector>

#include "report.hpp"
#include "trace.hpp"

namespace rt::detail {

Uring::~Uring() { shut_down(); }

void Uring::open_locked() {
    if (int failed = io_uring_queue_init(entries, &ring_, 0); failed < 0) sys::throw_error(-failed, "io_uring_setup");
    try {
        eventfd_ = sys::event_fd();
        if (int failed = io_uring_register_eventfd(&ring_, eventfd_.get()); failed < 0)
            sys::throw_error(-failed, "io_uring_register_eventfd");
        // Edge-triggered, and never drained: the kernel's write at each
        // completion is a new edge that ends the loop's epoll_wait, and
        // reap() looks at the completion queue itself, not at the counter.
        // (Draining it would cost a read per turn.)
        registration_ = reactor_.add(eventfd_.get());
    } catch (...) {
        io_uring_queue_exit(&ring_);
        eventfd_ = sys::Fd();
        throw;
    }
    open_ = true;
}

io_uring_sqe* Uring::get_sqe_locked() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe != nullptr) return sqe;
    flush_locked();  // full: submit what is there, which frees the queue
    sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) sys::throw_error(EBUSY, "io_uring: the submission queue is full");
    return sqe;
}

void Uring::prepare_locked(io_uring_sqe* sqe, Op& op) {
    int fd = op.socket->get();
    switch (op.kind) {
    case Op::Kind::connect:
        io_uring_prep_connect(sqe, fd, reinterpret_cast<const sockaddr*>(&op.address), sizeof op.address);
        break;
    case Op::Kind::recv:
        io_uring_prep_recv(sqe, fd, op.buffer.data(), op.buffer.size(), 0);
        break;
    case Op::Kind::send: {
        std::size_t length = op.bytes.size() - op.offset;
        if (std::size_t limit = send_limit.load(std::memory_order_relaxed); limit != 0 && length > limit)
            length = limit;
        // MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE.
        io_uring_prep_send(sqe, fd, op.bytes.data() + op.offset, length, MSG_NOSIGNAL);
        break;
    }
    }
}

void Uring::start(const std::shared_ptr<Op>& op) {
    bool first = false;
    {
        std::lock_guard lock(mutex_);
        if (shut_down_) throw std::logic_error("rt::uring: an operation started after its executor was destroyed");
        if (op->id != 0) throw std::logic_error("rt::uring: an operation started again while in flight");
        if (!open_) open_locked();
        io_uring_sqe* sqe = get_sqe_locked();
        prepare_locked(sqe, *op);
        op->id = next_id_++;
        op->done = false;
        io_uring_sqe_set_data64(sqe, op->id);
        in_flight_.emplace(op->id, op);  // the ring's reference, until the completion
        first = queued_++ == 0;
    }
    // Not submitted here: the driver's next turn submits every queued
    // operation with one io_uring_enter.
    if (first && on_queued_) on_queued_();
}

Poll<int> Uring::poll_op(Op& op, Context& cx) {
    std::optional<Waker> replaced;  // declared first, so dropped after unlocking: a drop may run any code
    std::lock_guard lock(mutex_);
    if (op.done) return op.result;
    if (!op.waker || !op.waker->will_wake(cx.waker())) {
        replaced.swap(op.waker);
        op.waker.emplace(cx.waker());
    }
    return pending;
}

void Uring::flush() {
    std::lock_guard lock(mutex_);
    if (!open_) return;  // never used: no system call
    flush_locked();
}

void Uring::flush_locked() {
    while (queued_ > 0) {
        int submitted = io_uring_submit(&ring_);  // one io_uring_enter for the whole batch
        enters_.fetch_add(1, std::memory_order_relaxed);
        if (submitted == -EINTR) continue;
        // The completion queue is backed up (EBUSY) or the kernel is short
        // of memory (EAGAIN): keep them queued; the turn reaps, and the next
        // one submits.
        if (submitted == -EBUSY || submitted == -EAGAIN || submitted == 0) return;
        if (submitted < 0) sys::throw_error(-submitted, "io_uring_enter");
        submissions_.fetch_add(static_cast<std::size_t>(submitted), std::memory_order_relaxed);
        queued_ -= static_cast<unsigned>(submitted);
    }
}

void Uring::reap() {
    std::vector<Waker> woken;  // woken after unlocking: a wake runs user code
    {
        std::lock_guard lock(mutex_);
        if (!open_) return;  // never used
        io_uring_cqe* cqe = nullptr;
        unsigned head = 0, seen = 0;
        io_uring_for_each_cqe(&ring_, head, cqe) {
            ++seen;
            // user_data 0 is a cancel's own completion: it names no operation.
            auto found = in_flight_.find(io_uring_cqe_get_data64(cqe));
            if (found == in_flight_.end()) continue;
            Op& op = *found->second;
            op.result = cqe->res;
            op.done = true;
            op.id = 0;  // no longer in flight: it may start again
            if (op.waker) {
                woken.push_back(std::move(*op.waker));
                op.waker.reset();
            }
            // The ring's reference goes: an abandoned op (its future gone)
            // is freed here, buffer and all, now that the kernel is done with it.
            in_flight_.erase(found);
        }
        // Hand the entries back to the kernel; left in place, the queue
        // fills up and the kernel stops taking submissions.
        io_uring_cq_advance(&ring_, seen);
        completions_.fetch_add(seen, std::memory_order_relaxed);
    }
    for (Waker& waker : woken) {
        try {
            std::move(waker).wake();
        } catch (...) {
            report_exception("rt::uring: a waker's wake threw");
        }
    }
}

void Uring::abandon(const std::shared_ptr<Op>& op) {
    std::optional<Waker> forgotten;  // dropped after unlocking: a drop may run any code
    std::lock_guard lock(mutex_);
    // Shut down: everything was cancelled and reaped already. Never opened:
    // nothing was ever in flight.
    if (shut_down_ || !open_) return;
    if (op->id == 0) return;  // not in flight (done, or never started): nothing to cancel
    op->abandoned = true;
    forgotten.swap(op->waker);  // nobody awaits it any more
    // Ask the kernel to cancel it. The cancel may lose the race (the
    // completion is in the queue already: -ENOENT or -EALREADY), so the op
    // stays in in_flight_, owning its buffer and socket, until its own
    // completion is reaped; the cancel's completion carries user_data 0.
    io_uring_sqe* sqe = get_sqe_locked();
    io_uring_prep_cancel64(sqe, op->id, 0);
    io_uring_sqe_set_data64(sqe, 0);
    ++queued_;
}

std::size_t Uring::in_flight() const {
    std::lock_guard lock(mutex_);
    return in_flight_.size();
}

bool Uring::is_open() const {
    std::lock_guard lock(mutex_);
    return open_;
}

void Uring::shut_down() noexcept {
    std::vector<Waker> forgotten;  // dropped after unlocking
    std::unique_lock lock(mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    if (!open_) return;
    // 1. Cancel everything still in flight (a future dropped already has
    //    queued its cancel; one more does no harm).
    for (auto& [id, op] : in_flight_) {
        if (op->waker) forgotten.push_back(std::move(*std::exchange(op->waker, std::nullopt)));
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (sqe == nullptr) {
            flush_locked_noexcept();
            sqe = io_uring_get_sqe(&ring_);
        }
        if (sqe == nullptr) break;  // cannot be after a flush; the wait below still ends each one
        io_uring_prep_cancel64(sqe, id, 0);
        io_uring_sqe_set_data64(sqe, 0);
        ++queued_;
    }
    flush_locked_noexcept();
    // 2. Wait for each operation's own completion: until then the kernel may
    //    write into its buffer, so freeing it earlier would be a use after free
    //    that no sanitizer sees (the writer is the kernel).
    trace::Slice traced(trace::Kind::wait_begin, trace::Kind::wait_end);  // a timeline shows it as a wait
    int quiet_seconds = 0;
    while (!in_flight_.empty()) {
        io_uring_cqe* cqe = nullptr;
        __kernel_timespec second{1, 0};
        int waited = io_uring_wait_cqe_timeout(&ring_, &cqe, &second);
        enters_.fetch_add(1, std::memory_order_relaxed);
        if (waited == -EINTR || (waited == -ETIME && ++quiet_seconds < 5)) continue;
        if (waited < 0) {
            // A cancelled operation always completes, at once; one that has
            // not in 5 s is a bug (an op left in in_flight_ after its
            // completion, say). Leaking the operations is safe, freeing them
            // is not: the leak checker will name them.
            std::fprintf(stderr, "rt::uring: %zu operations never completed; their memory is leaked\n",
                         in_flight_.size());
            for (auto& [id, op] : in_flight_) new std::shared_ptr<Op>(op);
            in_flight_.clear();
            break;
        }
        quiet_seconds = 0;
        unsigned head = 0, seen = 0;
        io_uring_for_each_cqe(&ring_, head, cqe) {
            ++seen;
            in_flight_.erase(io_uring_cqe_get_data64(cqe));
        }
        io_uring_cq_advance(&ring_, seen);
        completions_.fetch_add(seen, std::memory_order_relaxed);
    }
    // 3. Close: the eventfd out of the epoll set, then the ring.
    reactor_.remove(registration_);
    registration_.reset();
    io_uring_queue_exit(&ring_);
    eventfd_ = sys::Fd();
    open_ = false;
}

void Uring::flush_locked_noexcept() noexcept {
    try {
        flush_locked();
    } catch (...) {
        report_exception("rt::uring: submitting the last cancels failed");
    }
}

}  // namespace rt::detail
