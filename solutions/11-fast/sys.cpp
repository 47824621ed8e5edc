#include "sys.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <system_error>
#include <utility>

namespace rt::sys {

namespace {

Result from(long value) noexcept { return value < 0 ? Result{-1, errno} : Result{value, 0}; }

// The read and write wrappers pass EAGAIN through the test seam on the way out.
Result after_io(Result result) {
    if (result.would_block() && hooks().after_would_block) std::exchange(hooks().after_would_block, nullptr)();
    return result;
}

}  // namespace

bool Result::would_block() const noexcept { return error == EAGAIN || error == EWOULDBLOCK; }

void throw_error(int error, const std::string& what) { throw std::system_error(error, std::generic_category(), what); }

Fd& Fd::operator=(Fd&& other) noexcept {
    Fd old(std::move(*this));
    fd_ = std::exchange(other.fd_, -1);
    return *this;
}

// A failed close is ignored: the descriptor is gone either way, and there is
// nobody to tell from a destructor.
Fd::~Fd() {
    if (fd_ >= 0) ::close(fd_);
}

Hooks& hooks() {
    thread_local Hooks hooks;
    return hooks;
}

Result read(int fd, std::span<char> buffer) {
    if (hooks().before_read)
        if (std::optional<Result> instead = std::exchange(hooks().before_read, nullptr)()) return *instead;
    return after_io(from(::read(fd, buffer.data(), buffer.size())));
}

Result write(int fd, std::string_view bytes) {
    return after_io(from(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL)));
}

Fd tcp_socket() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw_error(errno, "socket");
    return Fd(fd);
}

// io_uring waits for a blocking socket itself (it arms a poll and retries);
// on a non-blocking one it may hand EAGAIN back to us instead.
Fd tcp_socket_blocking() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw_error(errno, "socket");
    return Fd(fd);
}

void set_blocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) throw_error(errno, "fcntl(~O_NONBLOCK)");
}

void set_non_blocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_error(errno, "fcntl(O_NONBLOCK)");
}

Result connect(int fd, const sockaddr_in& address) {
    return from(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address));
}

Fd tcp_listener(const sockaddr_in& address) {
    Fd fd = tcp_socket();
    int yes = 1;
    // Best effort: lets a server restart at once on a port in TIME_WAIT.
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0)
        throw_error(errno, "bind to port " + std::to_string(ntohs(address.sin_port)));
    if (::listen(fd.get(), SOMAXCONN) < 0) throw_error(errno, "listen");
    return fd;
}

std::uint16_t local_port(int fd) {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) < 0) throw_error(errno, "getsockname");
    return ntohs(address.sin_port);
}

Result accept(int listener) { return from(::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)); }

int socket_error(int fd) {
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0) return errno;
    return error;
}

Fd epoll_create() {
    int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw_error(errno, "epoll_create1");
    return Fd(fd);
}

Result epoll_add(int epoll, int fd, unsigned events, std::uint64_t token) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = token;
    return from(::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event));
}

Result epoll_modify(int epoll, int fd, unsigned events, std::uint64_t token) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = token;
    return from(::epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event));
}

Result epoll_delete(int epoll, int fd) { return from(::epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr)); }

Result epoll_wait(int epoll, epoll_event* events, int capacity, int timeout_ms) {
    return from(::epoll_wait(epoll, events, capacity, timeout_ms));
}

Fd event_fd() {
    int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) throw_error(errno, "eventfd");
    return Fd(fd);
}

Result event_fd_signal(int fd) {
    std::uint64_t one = 1;
    return from(::write(fd, &one, sizeof one));
}

Result event_fd_drain(int fd) {
    std::uint64_t count = 0;
    return from(::read(fd, &count, sizeof count));
}

}  // namespace rt::sys
