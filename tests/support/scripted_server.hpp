// ScriptedServer: a loopback server that misbehaves on purpose, for the
// HTTP tests. Each connection gets the same script: read the request head
// (unless told not to), then write, trickle, pause, close or reset as told.
// Blocking sockets and one thread: simple, and independent of the runtime
// under test.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace test {

struct Step {
    enum Kind { write, trickle, pause, close, reset };
    Kind kind;
    std::string bytes;                   // write, trickle
    std::chrono::milliseconds delay{};   // pause; trickle: between bytes
};

inline Step write(std::string bytes) { return {Step::write, std::move(bytes), {}}; }
inline Step trickle(std::string bytes, std::chrono::milliseconds gap = std::chrono::milliseconds(1)) {
    return {Step::trickle, std::move(bytes), gap};
}
inline Step pause(std::chrono::milliseconds d) { return {Step::pause, {}, d}; }
inline Step close() { return {Step::close, {}, {}}; }
inline Step reset() { return {Step::reset, {}, {}}; }  // an RST: SO_LINGER of 0, then close

class ScriptedServer {
public:
    enum class Start { after_request, at_once };
    explicit ScriptedServer(std::vector<Step> script, Start start = Start::after_request);
    ~ScriptedServer();
    ScriptedServer(const ScriptedServer&) = delete;
    ScriptedServer& operator=(const ScriptedServer&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    std::string url(const std::string& path = "/") const;
    int connections() const noexcept { return connections_.load(); }
    int finished() const noexcept { return finished_.load(); }  // connections whose script has run to its end

private:
    void serve(int fd);

    std::vector<Step> script_;
    Start start_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> connections_{0};
    std::atomic<int> finished_{0};
    std::thread thread_;
};

// Two ends of a TCP connection on loopback, as blocking sockets.
std::pair<int, int> tcp_pair();

// A loopback port with nothing listening on it: connecting is refused.
std::uint16_t closed_port();

}  // namespace test
