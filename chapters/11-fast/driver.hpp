// Driver: what the loop waits on when it has nothing to run: the reactor's
// epoll, the timer's wheel (or heap) and the io_uring ring, owned by one executor.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

#include "reactor.hpp"
#include "timer.hpp"
#include "uring.hpp"

namespace rt::detail {

// One executor's I/O and timers. The executor owns it through a shared_ptr,
// and a leaf future (a Sleep, a TcpStream) holds a copy from its first poll:
// so the driver's memory outlives the executor while a leaf future may still
// touch it. The executor's destructor shuts it down, which closes the epoll
// fd and forgets every timer; a leaf future polled after that throws
// std::logic_error, and destroying it is safe.
class Driver {
public:
    explicit Driver(Timer::Kind timers = Timer::Kind::heap) : timer_(Timer::Clock::now, timers) {}
    Driver(const Driver&) = delete;
    Driver& operator=(const Driver&) = delete;

    Reactor& reactor() noexcept { return reactor_; }
    Timer& timer() noexcept { return timer_; }
    Uring& uring() noexcept { return uring_; }

    // How long epoll_wait may block, in milliseconds, when the earliest
    // deadline is `next` and the time is `now`: -1 (no limit) without one,
    // 0 when it has passed, else the time left rounded up, at most INT_MAX.
    static int timeout_ms(std::optional<Timer::TimePoint> next, Timer::TimePoint now);

    // Submits the ring's queued operations (one io_uring_enter), waits in
    // epoll_wait for up to timeout_ms and dispatches what came, reaps the
    // ring's completions, then wakes every sleep that is due. The loop's
    // thread only (Executor(n): the worker holding the driver).
    Reactor::Turn turn(int timeout_ms);

    // The executor is going: cancels the ring's operations and waits for
    // their completions, closes the ring and the epoll fd, forgets every
    // registration and timer, and refuses leaf futures from now on.
    void shut_down() noexcept;
    bool is_shut_down() const noexcept { return shut_down_.load(std::memory_order_acquire); }

    // Throws std::logic_error, naming `future`, unless this driver's
    // executor runs on this thread: a leaf future is polled only there.
    void check_running(const char* future) const;
    // Whether this driver's executor runs on this thread.
    bool runs_here() const noexcept;

    // How many times turn() ran, and how many of those could block (tests count them).
    std::size_t turns() const noexcept { return turns_; }
    std::size_t blocking_turns() const noexcept { return blocking_turns_; }

private:
    Reactor reactor_;
    Timer timer_;
    Uring uring_{reactor_};  // after the reactor: it watches the ring's eventfd there
    std::atomic<bool> shut_down_{false};
    std::size_t turns_ = 0;  // the loop's thread only
    std::size_t blocking_turns_ = 0;
};

// The driver of the executor that runs on this thread, for a leaf future's
// first poll. Throws std::logic_error, naming `future`, when none runs here.
std::shared_ptr<Driver> current_driver(const char* future);

}  // namespace rt::detail
