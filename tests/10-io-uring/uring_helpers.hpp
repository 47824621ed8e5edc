// Tools for chapter 10's tests: the skip when io_uring is refused, connected
// loopback socket pairs, and blocking reads and writes for the test's side.
#pragma once

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "rt.hpp"

namespace test {

// False, saying why, where the kernel refuses io_uring: the test is
// skipped, not failed (a container whose seccomp filter refuses it, say).
inline bool uring_or_skip() {
    if (rt::uring::available()) return true;
    MESSAGE("skipped: io_uring is not available here: " << rt::uring::unavailable_reason());
    return false;
}

inline sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

// A blocking socket connected to 127.0.0.1:port (on loopback the handshake
// is over when connect returns, whether or not the server has accepted yet).
inline rt::sys::Fd connect_blocking(std::uint16_t port) {
    rt::sys::Fd fd = rt::sys::tcp_socket_blocking();
    sockaddr_in address = loopback(port);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
        throw std::system_error(errno, std::generic_category(), "test: connect");
    return fd;
}

// A connected pair over loopback TCP: `ours` for the stream under test,
// `theirs` (blocking) for the test thread.
struct TcpPair {
    rt::sys::Fd ours, theirs;
};
inline TcpPair tcp_pair() {
    rt::sys::Fd listener = rt::sys::tcp_listener(loopback(0));
    TcpPair pair;
    pair.ours = connect_blocking(rt::sys::local_port(listener.get()));
    rt::sys::Result accepted = rt::sys::accept(listener.get());
    if (!accepted.ok()) throw std::system_error(accepted.error, std::generic_category(), "test: accept");
    pair.theirs = rt::sys::Fd(static_cast<int>(accepted.value));
    rt::sys::set_blocking(pair.theirs.get());
    return pair;
}

// Waits up to `limit` for `fd` to be readable; true if it is.
inline bool readable_within(int fd, std::chrono::milliseconds limit) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(limit.count())) == 1;
}

// Reads what is there within `limit`: the count (0: the end of the
// stream), or -1 if nothing came.
inline long read_within(int fd, char* buffer, std::size_t size, std::chrono::milliseconds limit) {
    if (!readable_within(fd, limit)) return -1;
    return ::read(fd, buffer, size);
}

// Writes every byte (blocking).
inline void write_fully(int fd, const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t wrote = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote < 0) throw std::system_error(errno, std::generic_category(), "test: send");
        done += static_cast<std::size_t>(wrote);
    }
}

// Closes `fd` with a reset (RST) rather than an orderly end (FIN).
inline void reset(rt::sys::Fd fd) {
    linger now{1, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &now, sizeof now);
}  // the Fd closes here

// `size` bytes of a pattern that a lost, repeated or reordered chunk breaks.
inline std::string pattern(std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>('a' + (i * 7 + i / 4093) % 26);
    return bytes;
}

}  // namespace test
