// EchoServer: sends back every byte it receives, on every connection.
// A test fixture and a prop for the example, not part of the runtime: it has
// its own epoll loop and thread (plain epoll, not the runtime's), so that
// both of the chapter's streams are measured against the same server.
#pragma once

#include <cstdint>
#include <thread>

#include "sys.hpp"

namespace rt {

// Serves many connections at once from one thread, level-triggered: reads
// what came (64 KiB at most at a time), writes it back, and while some of it
// waits to be written reads no more from that connection. Closes a
// connection when the client closes its side.
class EchoServer {
public:
    EchoServer();   // listens on 127.0.0.1, on any free port
    ~EchoServer();  // stops the thread and closes every connection
    EchoServer(const EchoServer&) = delete;
    EchoServer& operator=(const EchoServer&) = delete;

    std::uint16_t port() const noexcept { return port_; }

private:
    void run();

    sys::Fd listener_;
    sys::Fd stop_;  // an eventfd
    std::uint16_t port_ = 0;
    std::thread thread_;
};

}  // namespace rt
