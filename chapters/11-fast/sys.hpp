// System calls, each wrapped once: a Result instead of -1 and errno.
#pragma once

#include <netinet/in.h>
#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace rt::sys {

// What a system call returned: a value, or the errno it failed with.
struct Result {
    long value = 0;
    int error = 0;  // 0: no error
    bool ok() const noexcept { return error == 0; }
    bool would_block() const noexcept;  // EAGAIN or EWOULDBLOCK
};

// Throws std::system_error for `error`, saying what was being done: "read from 127.0.0.1:8080".
[[noreturn]] void throw_error(int error, const std::string& what);

// An owned file descriptor, closed when destroyed. Move-only.
class Fd {
public:
    Fd() noexcept = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept;
    ~Fd();

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }

private:
    int fd_ = -1;
};

// Each of these is one system call. None retries EINTR: that is the
// caller's decision (the I/O futures retry; nothing blocks here anyway).
Result read(int fd, std::span<char> buffer);
Result write(int fd, std::string_view bytes);  // send(MSG_NOSIGNAL): a closed peer is EPIPE, not SIGPIPE
Fd tcp_socket();                                // non-blocking, close-on-exec; throws on failure
Fd tcp_socket_blocking();                       // blocking, close-on-exec (io_uring's sockets); throws on failure
void set_non_blocking(int fd);                  // throws on failure
void set_blocking(int fd);                      // throws on failure
Result connect(int fd, const sockaddr_in& address);
Fd tcp_listener(const sockaddr_in& address);     // bound, listening, non-blocking; throws on failure
std::uint16_t local_port(int fd);               // the port a socket is bound to
Result accept(int listener);                    // value: a new non-blocking, close-on-exec socket
int socket_error(int fd);                       // getsockopt(SO_ERROR): the outcome of a connect
Fd epoll_create();                              // throws on failure
Result epoll_add(int epoll, int fd, unsigned events, std::uint64_t token);
Result epoll_modify(int epoll, int fd, unsigned events, std::uint64_t token);
Result epoll_delete(int epoll, int fd);
Result epoll_wait(int epoll, epoll_event* events, int capacity, int timeout_ms);
Fd event_fd();                                  // non-blocking eventfd; throws on failure
Result event_fd_signal(int fd);                 // adds one to the counter
Result event_fd_drain(int fd);                  // reads the counter back to zero

// Test seams, on this thread only; each runs once, then is cleared.
// `before_read` may return a result for the next read to give instead of
// reading (an EINTR, say). `after_would_block` runs when a read or write is
// about to return EAGAIN, before it returns: a test uses it to make an edge
// arrive at the worst moment.
struct Hooks {
    std::function<std::optional<Result>()> before_read;
    std::function<void()> after_would_block;
};
Hooks& hooks();

}  // namespace rt::sys
