#include "reactor.hpp"

#include <errno.h>

#include <utility>

#include "report.hpp"
#include "trace.hpp"

namespace rt {

Reactor::Reactor() : epoll_(sys::epoll_create()) {}

std::shared_ptr<Reactor::Registration> Reactor::add(int fd) {
    std::lock_guard lock(mutex_);
    auto registration = std::make_shared<Registration>(fd, next_token_++);
    sys::Result added = sys::epoll_add(epoll_.get(), fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, registration->token);
    if (!added.ok()) sys::throw_error(added.error, "epoll_ctl(ADD)");
    registrations_.emplace(registration->token, registration);
    return registration;
}

void Reactor::remove(const std::shared_ptr<Registration>& registration) noexcept {
    {
        // Under the lock, so that close() cannot close the epoll fd (and the
        // number be reused) between our look and our epoll_ctl. A failed
        // EPOLL_CTL_DEL is ignored: the fd is about to close, which takes it
        // out of the epoll set anyway.
        std::lock_guard lock(mutex_);
        if (registrations_.erase(registration->token) == 0) return;  // closed, or removed already
        (void)sys::epoll_delete(epoll_.get(), registration->fd);
    }
    // Nobody will wake these now. Drop them (outside the lock: a drop may run any code).
    std::optional<Waker> reader, writer;
    std::lock_guard lock(registration->mutex);
    reader.swap(registration->reader);
    writer.swap(registration->writer);
}

void Reactor::watch_signal(int eventfd) {
    std::lock_guard lock(mutex_);
    sys::Result added = sys::epoll_add(epoll_.get(), eventfd, EPOLLIN, signal_token);
    if (!added.ok()) sys::throw_error(added.error, "epoll_ctl(ADD eventfd)");
}

std::shared_ptr<Reactor::Registration> Reactor::find(std::uint64_t token) const {
    std::lock_guard lock(mutex_);
    auto found = registrations_.find(token);
    return found == registrations_.end() ? nullptr : found->second;
}

std::size_t Reactor::size() const {
    std::lock_guard lock(mutex_);
    return registrations_.size();
}

void Reactor::close() noexcept {
    std::unordered_map<std::uint64_t, std::shared_ptr<Registration>> forgotten;
    {
        std::lock_guard lock(mutex_);
        epoll_ = sys::Fd();
        forgotten.swap(registrations_);
    }
    // Drop the wakers outside every lock: a drop may run any code.
    for (auto& [token, registration] : forgotten) {
        std::optional<Waker> reader, writer;
        std::lock_guard lock(registration->mutex);
        reader.swap(registration->reader);
        writer.swap(registration->writer);
    }
}

Poll<void> Reactor::poll_ready(Registration& registration, Direction direction, Context& cx) {
    std::optional<Waker> replaced;  // declared first, so dropped after unlocking: a drop may run any code
    std::lock_guard lock(registration.mutex);
    bool& ready = direction == Direction::read ? registration.readable : registration.writable;
    std::optional<Waker>& waker = direction == Direction::read ? registration.reader : registration.writer;
    if (ready) {
        ready = false;  // used up: the operation will find out for itself
        return rt::ready();
    }
    if (!waker || !waker->will_wake(cx.waker())) {
        replaced.swap(waker);
        waker.emplace(cx.waker());
    }
    return pending;
}

Reactor::Turn Reactor::turn(int timeout_ms) {
    // The loop's thread is the only one that closes the epoll fd (the
    // executor's destructor), so reading it unlocked here is safe.
    trace::Slice traced(trace::Kind::wait_begin, trace::Kind::wait_end, nullptr, 1);  // 1: epoll_wait
    sys::Result got = sys::epoll_wait(epoll_.get(), events_.data(), static_cast<int>(events_.size()), timeout_ms);
    traced.end_value = got.ok() ? static_cast<std::uint64_t>(got.value) : 0;
    if (!got.ok()) {
        if (got.error == EINTR) return {};  // a signal: the loop just goes round again
        sys::throw_error(got.error, "epoll_wait");
    }
    Turn turn{static_cast<std::size_t>(got.value), false};
    int count = static_cast<int>(got.value);
    // Take the eventfd's event out, keeping the others in order.
    int kept = 0;
    for (int i = 0; i < count; ++i) {
        if (events_[i].data.u64 == signal_token) turn.signalled = true;
        else events_[kept++] = events_[i];
    }
    dispatch(events_.data(), kept);
    return turn;
}

void Reactor::dispatch(const epoll_event* events, int count) {
    for (int i = 0; i < count; ++i) {
        std::shared_ptr<Registration> registration = find(events[i].data.u64);
        if (registration == nullptr) continue;  // removed since epoll_wait returned
        std::uint32_t happened = events[i].events;
        std::optional<Waker> reader, writer;
        {
            std::lock_guard lock(registration->mutex);
            // A hang-up or an error ends waiting in both directions: the
            // operation, tried again, will report it.
            if (happened & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                registration->readable = true;
                reader.swap(registration->reader);
            }
            if (happened & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
                registration->writable = true;
                writer.swap(registration->writer);
            }
        }
        // Wake outside the lock: a wake runs user code, which may call
        // poll_ready() or remove(). One that throws is reported; the loop goes on.
        auto wake = [](std::optional<Waker>& waker) {
            if (!waker) return;
            try {
                std::move(*waker).wake();
            } catch (...) {
                detail::report_exception("rt::Reactor: a waker's wake threw");
            }
        };
        wake(reader);
        wake(writer);
    }
}

}  // namespace rt
