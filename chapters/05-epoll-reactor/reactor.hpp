// Reactor: one epoll instance and a thread that turns readiness into wakes.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "future.hpp"
#include "sys.hpp"
#include "waker.hpp"

namespace rt {

// Every registered fd is watched for both directions, edge-triggered: epoll
// reports a change of readiness once, not the state again and again. The
// reactor's thread waits in epoll_wait and, for each event, marks the fd
// ready and wakes the waker stored for that direction.
//
// An I/O future uses it like this: try the operation; if it would block,
// call poll_ready(). That stores the waker, and, in the same critical
// section, looks whether an edge has come since the operation failed: if
// so it answers ready, and the future tries again. No edge can slip between.
class Reactor {
public:
    enum class Direction { read, write };

    // One registered fd: what the reactor knows of it. Shared by the reactor
    // and the stream that owns the fd. (A std::shared_ptr: rt::Arc would do,
    // but would make every field mutable.)
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

    // The reactor behind TcpStream: made at its first use and never
    // destroyed, so that streams destroyed at exit still find it.
    static Reactor& global();

    // A reactor with its own thread.
    Reactor();
    struct Manual {};
    // A reactor without a thread: the caller drives it with turn() (tests).
    explicit Reactor(Manual);
    ~Reactor();
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    // Watches `fd` (non-blocking) in both directions. Throws std::system_error.
    std::shared_ptr<Registration> add(int fd);
    // Stops watching: no event for it is dispatched any more. Call before closing the fd.
    void remove(const std::shared_ptr<Registration>& registration) noexcept;

    // After an operation on the fd would block: ready if an edge has come
    // since (try again), else stores the waker and answers pending.
    Poll<void> poll_ready(Registration& registration, Direction direction, Context& cx);

    // Waits up to timeout_ms for events, dispatches them; how many it got.
    // The reactor's thread loops on it; tests call it on a manual reactor.
    std::size_t turn(int timeout_ms);

    // Marks the registrations of `events` ready and wakes their wakers; a
    // wake that throws is reported, and the other wakes still happen.
    void dispatch(const epoll_event* events, int count);

    std::size_t size() const;  // registrations

private:
    static constexpr std::uint64_t shutdown_token = 0;

    void run();
    std::shared_ptr<Registration> find(std::uint64_t token) const;

    sys::Fd epoll_;
    sys::Fd shutdown_;  // an eventfd: written once, by the destructor
    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, std::shared_ptr<Registration>> registrations_;  // guarded by mutex_
    std::uint64_t next_token_ = 1;                                                     // guarded by mutex_
    bool stopping_ = false;  // the thread's only
    std::array<epoll_event, 256> events_{};
    std::thread thread_;  // last: starts once the rest exists
};

}  // namespace rt
