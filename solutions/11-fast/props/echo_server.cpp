#include "echo_server.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/epoll.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rt {

namespace {
struct Connection {
    sys::Fd fd;
    std::string pending;  // read, not yet written back
};
}  // namespace

EchoServer::EchoServer() : stop_(sys::event_fd()) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener_ = sys::tcp_listener(address);
    port_ = sys::local_port(listener_.get());
    thread_ = std::thread([this] { run(); });
}

EchoServer::~EchoServer() {
    (void)sys::event_fd_signal(stop_.get());
    thread_.join();
}

void EchoServer::run() {
    sys::Fd epoll = sys::epoll_create();
    constexpr std::uint64_t listener_token = 0, stop_token = 1;
    (void)sys::epoll_add(epoll.get(), listener_.get(), EPOLLIN, listener_token);
    (void)sys::epoll_add(epoll.get(), stop_.get(), EPOLLIN, stop_token);
    std::map<std::uint64_t, std::unique_ptr<Connection>> connections;
    std::uint64_t next_token = 2;
    std::vector<char> buffer(64 * 1024);
    std::vector<epoll_event> events(256);
    for (;;) {
        sys::Result got = sys::epoll_wait(epoll.get(), events.data(), static_cast<int>(events.size()), -1);
        int count = got.ok() ? static_cast<int>(got.value) : 0;
        for (int i = 0; i < count; ++i) {
            std::uint64_t token = events[i].data.u64;
            if (token == stop_token) return;
            if (token == listener_token) {
                for (;;) {
                    sys::Result accepted = sys::accept(listener_.get());
                    if (accepted.error == EINTR || accepted.error == ECONNABORTED) continue;
                    if (!accepted.ok()) break;  // EAGAIN: no more for now (or out of descriptors: next time)
                    auto c = std::make_unique<Connection>();
                    c->fd = sys::Fd(static_cast<int>(accepted.value));
                    if (sys::epoll_add(epoll.get(), c->fd.get(), EPOLLIN, next_token).ok())
                        connections.emplace(next_token++, std::move(c));
                }
                continue;
            }
            auto found = connections.find(token);
            if (found == connections.end()) continue;
            Connection& c = *found->second;
            if (c.pending.empty()) {
                sys::Result read = sys::read(c.fd.get(), buffer);
                if (read.would_block() || read.error == EINTR) continue;
                if (!read.ok() || read.value == 0) {  // the client closed (or reset): so do we
                    connections.erase(found);
                    continue;
                }
                c.pending.assign(buffer.data(), static_cast<std::size_t>(read.value));
            }
            sys::Result wrote = sys::write(c.fd.get(), c.pending);
            if (wrote.ok()) c.pending.erase(0, static_cast<std::size_t>(wrote.value));
            else if (!wrote.would_block() && wrote.error != EINTR) {
                connections.erase(found);
                continue;
            }
            // Something left to write: wait until it can go, reading nothing meanwhile.
            (void)sys::epoll_modify(epoll.get(), c.fd.get(), c.pending.empty() ? EPOLLIN : EPOLLOUT, token);
        }
    }
}

}  // namespace rt
