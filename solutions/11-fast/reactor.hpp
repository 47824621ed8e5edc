// Reactor: one epoll instance that turns readiness into wakes, driven by the loop.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "future.hpp"
#include "sys.hpp"
#include "waker.hpp"

namespace rt {

// Every registered fd is watched for both directions, edge-triggered: epoll
// reports a change of readiness once, not the state again and again. The
// executor's loop calls turn(), which waits in epoll_wait and, for each
// event, marks the fd ready and wakes the waker stored for that direction.
//
// An I/O future uses it like this: try the operation; if it would block,
// call poll_ready(). That stores the waker, and, in the same critical
// section, looks whether an edge has come since the operation failed: if
// so it answers ready, and the future tries again. No edge can slip between.
class Reactor {
public:
    enum class Direction { read, write };

    // One registered fd: what the reactor knows of it. Shared by the reactor
    // and the stream that owns the fd.
    struct Registration {
        explicit Registration(int descriptor, std::uint64_t t) noexcept : fd(descriptor), token(t) {}
        const int fd;
        const std::uint64_t token;  // epoll's data for this fd: never reused
        std::mutex mutex;
        // An edge came that no operation has used up yet. Guarded by mutex.
        bool readable = false;
        bool writable = false;
        // Who to wake at the next edge, per direction. Guarded by mutex.
        std::optional<Waker> reader;
        std::optional<Waker> writer;
    };

    Reactor();  // throws std::system_error if epoll_create1 fails
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    // Watches `fd` (non-blocking) in both directions. Throws std::system_error.
    std::shared_ptr<Registration> add(int fd);
    // Stops watching: no event for it is dispatched any more. Call before
    // closing the fd. Safe on any thread, and after close().
    void remove(const std::shared_ptr<Registration>& registration) noexcept;

    // After an operation on the fd would block: ready if an edge has come
    // since (try again), else stores the waker and answers pending.
    Poll<void> poll_ready(Registration& registration, Direction direction, Context& cx);

    // Watches the loop's eventfd (level-triggered): turn() reports it
    // rather than dispatching it.
    void watch_signal(int eventfd);

    struct Turn {
        std::size_t events = 0;  // how many epoll_wait returned
        bool signalled = false;  // the eventfd was among them
    };
    // Waits up to timeout_ms (-1: no limit, 0: not at all) for events and
    // dispatches them. The loop's thread only.
    Turn turn(int timeout_ms);

    // Marks the registrations of `events` ready and wakes their wakers; a
    // wake that throws is reported, and the other wakes still happen.
    void dispatch(const epoll_event* events, int count);

    // Closes the epoll fd and forgets every registration, dropping its
    // wakers: the executor is going.
    void close() noexcept;

    std::size_t size() const;  // registrations

private:
    static constexpr std::uint64_t signal_token = 0;  // registrations count from 1

    std::shared_ptr<Registration> find(std::uint64_t token) const;

    mutable std::mutex mutex_;  // guards the three below: a stream may be dropped on any thread
    sys::Fd epoll_;             // closed by close()
    std::unordered_map<std::uint64_t, std::shared_ptr<Registration>> registrations_;
    std::uint64_t next_token_ = 1;
    std::array<epoll_event, 256> events_{};  // the loop's thread only
};

}  // namespace rt
