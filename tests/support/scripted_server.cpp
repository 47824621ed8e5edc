#include "scripted_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

namespace test {

namespace {

// A socket listening on 127.0.0.1 at a free port; returns it and the port.
std::pair<int, std::uint16_t> listen_any() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 || ::listen(fd, 64) < 0)
        throw std::runtime_error("test: cannot listen on loopback: " + std::to_string(errno));
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    return {fd, ntohs(address.sin_port)};
}

void write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t wrote = ::send(fd, data, size, MSG_NOSIGNAL);
        if (wrote <= 0) return;  // the client went away: the script ends here
        data += wrote;
        size -= static_cast<std::size_t>(wrote);
    }
}

}  // namespace

ScriptedServer::ScriptedServer(std::vector<Step> script, Start start) : script_(std::move(script)), start_(start) {
    std::tie(listener_, port_) = listen_any();
    thread_ = std::thread([this] {
        while (!stopping_) {
            pollfd waiting{listener_, POLLIN, 0};
            if (::poll(&waiting, 1, 20) <= 0) continue;  // look at stopping_ every 20 ms
            int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            ++connections_;
            serve(fd);
            ++finished_;
        }
    });
}

ScriptedServer::~ScriptedServer() {
    stopping_ = true;
    thread_.join();
    ::close(listener_);
}

std::string ScriptedServer::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void ScriptedServer::serve(int fd) {
    // Read the request head first, with a bounded wait.
    std::string head;
    char buffer[4096];
    while (start_ == Start::after_request && head.find("\r\n\r\n") == std::string::npos) {
        pollfd readable{fd, POLLIN, 0};
        if (::poll(&readable, 1, 5000) <= 0) break;
        ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got <= 0) break;
        head.append(buffer, static_cast<std::size_t>(got));
    }
    for (const Step& step : script_) {
        switch (step.kind) {
            case Step::write:
                write_all(fd, step.bytes.data(), step.bytes.size());
                break;
            case Step::trickle:
                for (char c : step.bytes) {
                    write_all(fd, &c, 1);
                    std::this_thread::sleep_for(step.delay);
                }
                break;
            case Step::pause:
                std::this_thread::sleep_for(step.delay);
                break;
            case Step::reset: {
                linger abort{1, 0};
                ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
                ::close(fd);
                return;
            }
            case Step::close:
                ::close(fd);
                return;
        }
    }
    ::close(fd);
}

std::pair<int, int> tcp_pair() {
    auto [listener, port] = listen_any();
    int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0)
        throw std::runtime_error("test: cannot connect on loopback");
    int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    ::close(listener);
    return {client, server};
}

std::uint16_t closed_port() {
    auto [fd, port] = listen_any();
    ::close(fd);  // nobody listens there now; the port is not handed out again at once
    return port;
}

}  // namespace test
