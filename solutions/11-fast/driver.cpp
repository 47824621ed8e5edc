#include "driver.hpp"

#include <climits>
#include <stdexcept>
#include <string>

namespace rt::detail {

int Driver::timeout_ms(std::optional<Timer::TimePoint> next, Timer::TimePoint now) {
    if (!next) return -1;        // no timer: only I/O or a wake can end the wait
    if (*next <= now) return 0;  // due already: just look, do not block
    // Round up, never down: woken a little early, the loop would find the
    // sleep not yet due and spin until it is. Compare before converting to
    // int: a deadline a year away has too many milliseconds for one.
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
    return left >= INT_MAX ? INT_MAX : static_cast<int>(left);
}

Reactor::Turn Driver::turn(int timeout_ms) {
    ++turns_;
    if (timeout_ms != 0) ++blocking_turns_;
    uring_.flush();  // every operation started since the last turn, in one system call
    Reactor::Turn turn = reactor_.turn(timeout_ms);
    uring_.reap();   // no system call: the completion queue is shared memory
    timer_.fire_due();
    return turn;
}

void Driver::shut_down() noexcept {
    shut_down_.store(true, std::memory_order_release);
    timer_.clear();
    uring_.shut_down();  // before the reactor closes: it takes its eventfd out of the epoll set
    reactor_.close();
}

void Driver::check_running(const char* future) const {
    if (is_shut_down())
        throw std::logic_error(std::string(future) +
                               ": polled after its executor was destroyed; a leaf future belongs to the executor "
                               "that first polled it");
    if (!runs_here())
        throw std::logic_error(std::string(future) +
                               ": polled on a thread where its executor does not run; a leaf future belongs to the "
                               "executor that first polled it");
}

}  // namespace rt::detail
