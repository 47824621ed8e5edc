// The delay server on its own: scripts/tutor server, or build/solutions/05-epoll-reactor/delay-server --port 8080.
#include <fmt/core.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <exception>

#include "delay_server.hpp"

int main(int argc, char** argv) {
    unsigned port = 8080;
    for (int i = 1; i < argc; ++i) {
        const char* value = i + 1 < argc ? argv[i + 1] : "";
        const char* end = value + std::strlen(value);
        if (std::strcmp(argv[i], "--port") == 0 && std::from_chars(value, end, port).ptr == end && *value != '\0' &&
            port <= 65535) {
            ++i;
        } else {
            fmt::print(stderr, "usage: {} [--port N], N a port number up to 65535\n", argv[0]);
            return 2;
        }
    }
    try {
        rt::DelayServer server(static_cast<std::uint16_t>(port));
        fmt::print("delay server on {}: try curl {}\n", server.url(""), server.url("/500/hello"));
        fmt::print("GET /<delay_ms>/<message> answers <message> after the delay. Ctrl-C stops it.\n");
        std::fflush(stdout);
        for (;;) ::pause();
    } catch (const std::exception& e) {
        fmt::print(stderr, "delay-server: {}\n", e.what());
        return 1;
    }
}
