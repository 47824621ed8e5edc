#include "reactor.hpp"

#include <errno.h>

#include <utility>

#include "report.hpp"
#include "trace.hpp"
#include "todo.hpp"

namespace rt {

Reactor& Reactor::global() {
    // Never destroyed, as Timer::global(): a TcpStream in a static object
    // (or in a task of a static executor) may be destroyed at exit after any
    // static Reactor would be, and its destructor deregisters here.
    static Reactor* const reactor = new Reactor();
    return *reactor;
}

Reactor::Reactor(Manual) : epoll_(sys::epoll_create()), shutdown_(sys::event_fd()) {
    sys::Result added = sys::epoll_add(epoll_.get(), shutdown_.get(), EPOLLIN, shutdown_token);
    if (!added.ok()) sys::throw_error(added.error, "epoll_ctl(ADD eventfd)");
}

Reactor::Reactor() : Reactor(Manual{}) {
    thread_ = std::thread([this] { run(); });
}

Reactor::~Reactor() {
    if (thread_.joinable()) {
        // Wake the thread out of epoll_wait; it sees the eventfd's token and returns.
        // A failed write can only mean the counter is full: already signalled.
        (void)sys::event_fd_signal(shutdown_.get());
        thread_.join();
    }
}

void Reactor::run() {
    trace::name_thread("reactor");
    while (!stopping_) turn(-1);
}

std::shared_ptr<Reactor::Registration> Reactor::add(int fd) {
    std::lock_guard lock(mutex_);
    auto registration = std::make_shared<Registration>(fd, next_token_++);
    sys::Result added = sys::epoll_add(epoll_.get(), fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, registration->token);
    if (!added.ok()) sys::throw_error(added.error, "epoll_ctl(ADD)");
    registrations_.emplace(registration->token, registration);
    return registration;
}

void Reactor::remove(const std::shared_ptr<Registration>& registration) noexcept {
    // The thread may hold an event for it from an epoll_wait that returned
    // before this: find() will not know the token any more, so the event is
    // dropped. A failed EPOLL_CTL_DEL is ignored: the fd is about to close,
    // which takes it out of the epoll set anyway.
    (void)sys::epoll_delete(epoll_.get(), registration->fd);
    {
        std::lock_guard lock(mutex_);
        registrations_.erase(registration->token);
    }
    // Nobody will wake these now. Drop them (outside the lock: a drop may run any code).
    std::optional<Waker> reader, writer;
    std::lock_guard lock(registration->mutex);
    reader.swap(registration->reader);
    writer.swap(registration->writer);
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

std::size_t Reactor::turn(int timeout_ms) {
    trace::Slice traced(trace::Kind::wait_begin, trace::Kind::wait_end, nullptr, 1);  // 1: epoll_wait
    sys::Result got = sys::epoll_wait(epoll_.get(), events_.data(), static_cast<int>(events_.size()), timeout_ms);
    traced.end_value = got.ok() ? static_cast<std::uint64_t>(got.value) : 0;
    if (!got.ok()) {
        if (got.error == EINTR) return 0;  // a signal: the caller just waits again
        sys::throw_error(got.error, "epoll_wait");
    }
    int count = static_cast<int>(got.value);
    for (int i = 0; i < count; ++i)
        if (events_[i].data.u64 == shutdown_token) {
            stopping_ = true;  // shutting down: nobody waits for the other events any more
            return static_cast<std::size_t>(count);
        }
    dispatch(events_.data(), count);
    return static_cast<std::size_t>(count);
}

void Reactor::dispatch(const epoll_event* events, int count) {
    // BEGIN EXERCISE ex1: mark each event's registration ready and wake who waits
    rt::todo("ex1: mark each event's registration ready and wake who waits");
    // END EXERCISE ex1
}

}  // namespace rt
