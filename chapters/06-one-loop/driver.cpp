#include "driver.hpp"

#include <climits>
#include <stdexcept>
#include <string>

#include "todo.hpp"

namespace rt::detail {

int Driver::timeout_ms(std::optional<Timer::TimePoint> next, Timer::TimePoint now) {
    // BEGIN EXERCISE ex2: how long the loop may block in epoll_wait
    rt::todo("ex2: how long the loop may block in epoll_wait");
    // END EXERCISE ex2
}

Reactor::Turn Driver::turn(int timeout_ms) {
    ++turns_;
    if (timeout_ms != 0) ++blocking_turns_;
    Reactor::Turn turn = reactor_.turn(timeout_ms);
    timer_.fire_due();
    return turn;
}

void Driver::shut_down() noexcept {
    shut_down_.store(true, std::memory_order_release);
    timer_.clear();
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
