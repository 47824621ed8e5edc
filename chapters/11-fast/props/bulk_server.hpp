// BulkServer: answers GET /<bytes> with a body of that many bytes, as fast
// as the connection takes them. A test fixture and a prop for the example,
// not part of the runtime: it has its own thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

#include "sys.hpp"

namespace rt {

// Serves one connection at a time from its own thread (HTTP/1.1,
// Content-Length, Connection: close): the body is 'x' repeated. A path it
// does not understand gets 404. Waits only in poll(2), with its stop
// eventfd beside the socket, so destroying it never hangs on a client
// that stopped reading.
class BulkServer {
public:
    BulkServer();   // listens on 127.0.0.1, on any free port
    ~BulkServer();  // stops the thread and closes the connection
    BulkServer(const BulkServer&) = delete;
    BulkServer& operator=(const BulkServer&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    // "http://127.0.0.1:<port>/<bytes>"
    std::string url(std::size_t bytes) const;

private:
    void run();
    // false once told to stop
    bool wait_for(int fd, short events);
    void serve(int fd);

    sys::Fd listener_;
    sys::Fd stop_;  // an eventfd
    std::uint16_t port_ = 0;
    std::thread thread_;
};

}  // namespace rt
