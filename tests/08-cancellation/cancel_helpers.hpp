// Futures for chapter 08's tests: they count their polls and their
// destruction, so a test can see what select, timeout, abort and scope
// cancel, and when. And a bound on a wait that uses no exercise's code.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "rt.hpp"

namespace test {

// What a Probe or a Tracked future saw: its polls, and whether it was destroyed.
struct Counters {
    int polls = 0;
    int drops = 0;
};

// A future of T (void too) that counts in *counters: ready with `value` from
// its `ready_at`-th poll on (never if 0; again at every later poll), throws
// std::runtime_error("probe: thrown") from its `throw_at`-th (never if 0).
// Each pending poll wakes its waker by reference: "poll me again".
template <class T>
class Probe {
public:
    using Output = T;
    using Value = rt::detail::ValueOr<T>;

    explicit Probe(Counters& counters, int ready_at = 0, Value value = Value{}, int throw_at = 0)
        : counters_(&counters), ready_at_(ready_at), throw_at_(throw_at), value_(std::move(value)) {}
    Probe(Probe&& other) noexcept
        : counters_(std::exchange(other.counters_, nullptr)),
          ready_at_(other.ready_at_),
          throw_at_(other.throw_at_),
          value_(std::move(other.value_)) {}
    Probe& operator=(Probe&&) = delete;
    ~Probe() {
        if (counters_ != nullptr) ++counters_->drops;
    }

    rt::Poll<T> poll(rt::Context& cx) {
        int n = ++counters_->polls;
        if (throw_at_ != 0 && n >= throw_at_) throw std::runtime_error("probe: thrown");
        if (ready_at_ != 0 && n >= ready_at_) {
            if constexpr (std::is_void_v<T>) return rt::ready();
            else return value_;
        }
        cx.waker().wake_by_ref();
        return rt::pending;
    }

private:
    Counters* counters_;
    int ready_at_;
    int throw_at_;
    Value value_;
};

// Wraps a future and counts its polls and its destruction in *counters.
template <rt::Future F>
class Tracked {
public:
    using Output = typename F::Output;
    Tracked(F inner, Counters& counters) : inner_(std::move(inner)), counters_(&counters) {}
    Tracked(Tracked&& other) : inner_(std::move(other.inner_)), counters_(std::exchange(other.counters_, nullptr)) {}
    Tracked& operator=(Tracked&&) = delete;
    ~Tracked() {
        if (counters_ != nullptr) ++counters_->drops;
    }

    rt::Poll<Output> poll(rt::Context& cx) {
        ++counters_->polls;
        return inner_.poll(cx);
    }

private:
    F inner_;
    Counters* counters_;
};

// Polls *future (in place) until it is ready, or until `limit` has passed:
// ready with true, or with false when the time ran out first. It throws what
// the future throws. A bound on a wait made of a plain Sleep, so that a
// test of one exercise needs no other exercise's select or timeout.
template <rt::Future F>
class Within {
public:
    using Output = bool;
    Within(F& future, std::chrono::steady_clock::duration limit) : future_(&future), limit_(rt::sleep(limit)) {}

    rt::Poll<bool> poll(rt::Context& cx) {
        if (future_->poll(cx).is_ready()) return true;
        if (limit_.poll(cx).is_ready()) return false;
        return rt::pending;
    }

private:
    F* future_;
    rt::Sleep limit_;
};

template <rt::Future F>
Within<F> within(F& future, std::chrono::steady_clock::duration limit) {
    return Within<F>(future, limit);
}

// A loopback listener that never accepts and never answers: a connection to
// it is made (the kernel's backlog takes it), and a request to it waits forever.
class QuietListener {
public:
    QuietListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 || ::listen(fd_, 8) < 0)
            throw std::runtime_error("test: cannot listen on loopback");
        socklen_t length = sizeof address;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
    }
    ~QuietListener() { ::close(fd_); }
    QuietListener(const QuietListener&) = delete;
    QuietListener& operator=(const QuietListener&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

    // Accepts the connection made to it (waiting up to 2 s), reads until the
    // end of the stream (up to 2 s more), and answers whether the client
    // closed its side: false if nothing came, or the stream stayed open.
    bool client_closed() {
        pollfd waiting{fd_, POLLIN, 0};
        if (::poll(&waiting, 1, 2000) <= 0) return false;
        int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return false;
        char buffer[4096];
        bool closed = false;
        for (;;) {
            pollfd readable{fd, POLLIN, 0};
            if (::poll(&readable, 1, 2000) <= 0) break;
            ssize_t got = ::read(fd, buffer, sizeof buffer);
            if (got <= 0) {
                closed = got == 0;
                break;
            }
        }
        ::close(fd);
        return closed;
    }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace test
