// Sockets and reactors for the reactor's tests.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "rt.hpp"
#include "scripted_server.hpp"

namespace test {

// Our end of a loopback TCP connection as a TcpStream on `reactor`, and the
// peer's end as a plain blocking socket.
struct Connected {
    rt::TcpStream stream;
    int peer;
    ~Connected() {
        if (peer >= 0) ::close(peer);
    }
};

inline Connected connected_stream(rt::Reactor& reactor) {
    auto [ours, theirs] = tcp_pair();
    return Connected{rt::TcpStream::adopt(rt::sys::Fd(ours), "the test's peer", reactor), theirs};
}

inline void send_text(int fd, const std::string& text) { (void)::send(fd, text.data(), text.size(), MSG_NOSIGNAL); }


}  // namespace test
