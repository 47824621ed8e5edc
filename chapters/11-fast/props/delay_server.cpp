#include "delay_server.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <map>
#include <memory>
#include <queue>
#include <vector>

namespace rt {

namespace {

using Clock = std::chrono::steady_clock;

// One client connection: what it sent, then what we send back.
struct Connection {
    sys::Fd fd;
    std::string request;    // until the blank line
    std::string response;   // once due
    std::size_t written = 0;
    bool answering = false;  // the response is being written
};

// Turns %xx escapes into bytes: /0/hello%20world says "hello world".
std::string percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        unsigned value = 0;
        const char* digits = text.data() + i + 1;
        if (text[i] == '%' && i + 2 < text.size() && std::from_chars(digits, digits + 2, value, 16).ptr == digits + 2) {
            out += static_cast<char>(value);
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string response(int status, std::string_view reason, std::string_view body) {
    return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\nContent-Type: text/plain\r\n" +
           "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + std::string(body);
}

// The delay and the response for a request head: "GET /250/hello HTTP/1.1".
std::pair<Clock::duration, std::string> answer(std::string_view head) {
    std::string_view line = head.substr(0, head.find("\r\n"));
    if (line.substr(0, 4) != "GET ") return {{}, response(405, "Method Not Allowed", "only GET\n")};
    std::string_view target = line.substr(4, line.find(' ', 4) - 4);  // "/250/hello"
    std::size_t slash = target.find('/', 1);
    unsigned delay_ms = 0;
    if (target.empty() || target[0] != '/' || slash == std::string_view::npos ||
        std::from_chars(target.data() + 1, target.data() + slash, delay_ms).ptr != target.data() + slash)
        return {{}, response(404, "Not Found", "ask for /<delay_ms>/<message>\n")};
    return {std::chrono::milliseconds(delay_ms), response(200, "OK", percent_decode(target.substr(slash + 1)))};
}

}  // namespace

DelayServer::DelayServer(std::uint16_t port) : stop_(sys::event_fd()) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener_ = sys::tcp_listener(address);
    port_ = sys::local_port(listener_.get());
    thread_ = std::thread([this] { run(); });
}

DelayServer::~DelayServer() {
    (void)sys::event_fd_signal(stop_.get());
    thread_.join();
}

std::string DelayServer::url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void DelayServer::run() {
    sys::Fd epoll = sys::epoll_create();
    constexpr std::uint64_t listener_token = 0, stop_token = 1;
    for (auto [fd, token] : {std::pair{listener_.get(), listener_token}, std::pair{stop_.get(), stop_token}})
        if (sys::Result added = sys::epoll_add(epoll.get(), fd, EPOLLIN, token); !added.ok())
            sys::throw_error(added.error, "DelayServer: epoll_ctl(ADD)");
    std::map<std::uint64_t, std::unique_ptr<Connection>> connections;  // by token
    std::uint64_t next_token = 2;
    using Due = std::pair<Clock::time_point, std::uint64_t>;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> due;  // responses waiting for their time

    auto close = [&](std::uint64_t token) { connections.erase(token); };  // closing the fd leaves epoll too
    // Writes what it can of a connection's response; closes it when all is sent.
    auto write_some = [&](std::uint64_t token, Connection& c) {
        while (c.written < c.response.size()) {
            sys::Result wrote = sys::write(c.fd.get(), std::string_view(c.response).substr(c.written));
            if (wrote.would_block()) {
                (void)sys::epoll_modify(epoll.get(), c.fd.get(), EPOLLOUT, token);  // a failure shows as a hang-up
                return;
            }
            if (wrote.error == EINTR) continue;
            if (!wrote.ok()) return close(token);  // the client went away
            c.written += static_cast<std::size_t>(wrote.value);
        }
        close(token);
    };

    std::vector<epoll_event> events(256);
    for (;;) {
        int timeout = -1;
        if (!due.empty()) {
            auto wait = std::chrono::ceil<std::chrono::milliseconds>(due.top().first - Clock::now()).count();
            timeout = static_cast<int>(std::max<decltype(wait)>(wait, 0));
        }
        sys::Result got = sys::epoll_wait(epoll.get(), events.data(), static_cast<int>(events.size()), timeout);
        int count = got.ok() ? static_cast<int>(got.value) : 0;
        for (int i = 0; i < count; ++i) {
            std::uint64_t token = events[i].data.u64;
            if (token == stop_token) return;
            if (token == listener_token) {
                for (;;) {  // every connection that is waiting
                    sys::Result accepted = sys::accept(listener_.get());
                    if (accepted.error == EINTR || accepted.error == ECONNABORTED) continue;
                    if (accepted.error == EMFILE || accepted.error == ENFILE) {
                        // Out of descriptors: the listener stays readable, so
                        // back off a little rather than spin.
                        std::this_thread::sleep_for(std::chrono::milliseconds(10));
                        break;
                    }
                    if (!accepted.ok()) break;  // EAGAIN: no more for now
                    auto c = std::make_unique<Connection>();
                    c->fd = sys::Fd(static_cast<int>(accepted.value));
                    if (!sys::epoll_add(epoll.get(), c->fd.get(), EPOLLIN, next_token).ok()) continue;  // drops it
                    connections.emplace(next_token++, std::move(c));
                }
                continue;
            }
            auto found = connections.find(token);
            if (found == connections.end()) continue;
            Connection& c = *found->second;
            if (c.answering) {
                write_some(token, c);
                continue;
            }
            char buffer[4096];
            sys::Result got_bytes = sys::read(c.fd.get(), buffer);
            if (got_bytes.would_block() || got_bytes.error == EINTR) continue;  // level-triggered: it comes back
            if (!got_bytes.ok() || got_bytes.value == 0) {
                close(token);  // the client left before asking
                continue;
            }
            c.request.append(buffer, static_cast<std::size_t>(got_bytes.value));
            std::size_t end = c.request.find("\r\n\r\n");
            if (end == std::string::npos) {
                if (c.request.size() > 64 * 1024) close(token);  // no request head is that long
                continue;
            }
            auto [delay, reply] = answer(c.request);
            c.response = std::move(reply);
            c.answering = true;
            // Nothing more to read: wait for the time, not for input. (A failure
            // here only costs spurious wake-ups.)
            (void)sys::epoll_modify(epoll.get(), c.fd.get(), 0, token);
            if (delay == Clock::duration::zero()) write_some(token, c);
            else due.emplace(Clock::now() + delay, token);
        }
        // Answer every response whose time has come.
        while (!due.empty() && due.top().first <= Clock::now()) {
            std::uint64_t token = due.top().second;
            due.pop();
            if (auto found = connections.find(token); found != connections.end()) write_some(token, *found->second);
        }
    }
}

}  // namespace rt
