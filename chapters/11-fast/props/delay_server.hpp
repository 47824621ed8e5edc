// DelayServer: answers GET /<delay_ms>/<message> with <message>, after the delay.
// A test fixture, not part of the runtime: it has its own epoll loop and
// thread, so it works whatever state the runtime under test is in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include "sys.hpp"

namespace rt {

// Serves many connections at once from one thread. Each request is answered
// (HTTP/1.1, Content-Length, Connection: close) once its delay has passed,
// then the connection is closed. A path it does not understand gets 404.
class DelayServer {
public:
    // Listens on 127.0.0.1:port; port 0 takes any free port (see port()).
    explicit DelayServer(std::uint16_t port = 0);
    ~DelayServer();  // stops the thread and closes every connection
    DelayServer(const DelayServer&) = delete;
    DelayServer& operator=(const DelayServer&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    // "http://127.0.0.1:<port><path>"
    std::string url(std::string_view path) const;

private:
    void run();

    sys::Fd listener_;
    sys::Fd stop_;  // an eventfd
    std::uint16_t port_ = 0;
    std::thread thread_;
};

}  // namespace rt
