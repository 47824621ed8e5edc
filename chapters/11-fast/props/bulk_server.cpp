#include "bulk_server.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>

#include <algorithm>
#include <charconv>
#include <string_view>

namespace rt {

BulkServer::BulkServer() : stop_(sys::event_fd()) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener_ = sys::tcp_listener(address);
    port_ = sys::local_port(listener_.get());
    thread_ = std::thread([this] { run(); });
}

BulkServer::~BulkServer() {
    (void)sys::event_fd_signal(stop_.get());
    thread_.join();
}

std::string BulkServer::url(std::size_t bytes) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(bytes);
}

bool BulkServer::wait_for(int fd, short events) {
    pollfd fds[2] = {{fd, events, 0}, {stop_.get(), POLLIN, 0}};
    while (::poll(fds, 2, -1) < 0 && errno == EINTR) {
    }
    return (fds[1].revents & POLLIN) == 0;
}

void BulkServer::run() {
    while (wait_for(listener_.get(), POLLIN)) {
        sys::Result accepted = sys::accept(listener_.get());
        if (!accepted.ok()) continue;  // gone already, or EAGAIN: wait again
        sys::Fd connection(static_cast<int>(accepted.value));
        serve(connection.get());
    }
}

void BulkServer::serve(int fd) {
    // The request head, up to its blank line.
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
        if (!wait_for(fd, POLLIN)) return;
        sys::Result got = sys::read(fd, buffer);
        if (got.would_block() || got.error == EINTR) continue;
        if (!got.ok() || got.value == 0) return;
        request.append(buffer, static_cast<std::size_t>(got.value));
    }
    std::string_view line(request.data(), request.find("\r\n"));
    std::size_t bytes = 0;
    std::string_view target = line.substr(std::min<std::size_t>(4, line.size()));
    target = target.substr(0, target.find(' '));
    bool understood = line.substr(0, 5) == "GET /" &&
                      std::from_chars(target.data() + 1, target.data() + target.size(), bytes).ptr ==
                          target.data() + target.size() && target.size() > 1;
    std::string head = understood ? "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(bytes) +
                                        "\r\nConnection: close\r\n\r\n"
                                  : "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    if (!understood) bytes = 0;
    // The head, then the body from one block of 'x', as fast as it is taken.
    static const std::string block(1 << 20, 'x');
    std::size_t head_left = head.size(), body_left = bytes;
    while (head_left + body_left > 0) {
        std::string_view piece = head_left > 0 ? std::string_view(head).substr(head.size() - head_left)
                                               : std::string_view(block).substr(0, std::min(body_left, block.size()));
        sys::Result wrote = sys::write(fd, piece);
        if (wrote.would_block() || wrote.error == EINTR) {
            if (!wait_for(fd, POLLOUT)) return;
            continue;
        }
        if (!wrote.ok()) return;  // the client went: a reset, or EPIPE
        std::size_t n = static_cast<std::size_t>(wrote.value);
        std::size_t from_head = std::min(n, head_left);
        head_left -= from_head;
        body_left -= n - from_head;
    }
}

}  // namespace rt
