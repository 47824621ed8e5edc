// Code the chapter gives the learner: it must work before any exercise is solved.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "props/delay_server.hpp"
#include "rt.hpp"
#include "scripted_server.hpp"

using namespace std::chrono_literals;

namespace {

// A GET with a blocking socket: to test the delay server without the runtime.
std::string blocking_get(std::uint16_t port, const std::string& path) {
    auto [client, server] = std::pair<int, int>{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), -1};
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    (void)::send(client, request.data(), request.size(), MSG_NOSIGNAL);
    std::string response;
    char buffer[4096];
    for (;;) {
        pollfd readable{client, POLLIN, 0};
        if (::poll(&readable, 1, 5000) <= 0) break;
        ssize_t got = ::read(client, buffer, sizeof buffer);
        if (got <= 0) break;
        response.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(client);
    (void)server;
    return response;
}

}  // namespace

TEST_SUITE("given: URLs, addresses, the header parser, the reactor's life, the delay server") {
    TEST_CASE("a URL is split into what to connect to and what to ask for") {
        rt::Url url = rt::Url::parse("http://127.0.0.1:8080/500/hello");
        CHECK(url.authority == "127.0.0.1:8080");
        CHECK(url.path == "/500/hello");
        CHECK(rt::Url::parse("http://localhost").authority == "localhost:80");
        CHECK(rt::Url::parse("http://localhost:9").path == "/");
    }

    TEST_CASE("a URL that is not http:// is refused with a clear message") {
        CHECK_THROWS_WITH_AS(rt::http_get("https://127.0.0.1/"),
                             "rt::http_get: only http:// URLs are supported, not 'https://127.0.0.1/'",
                             std::invalid_argument);
        CHECK_THROWS_AS(rt::http_get("ftp://x/"), std::invalid_argument);
        CHECK_THROWS_AS(rt::http_get("http:///path"), std::invalid_argument);
    }

    TEST_CASE("an address is IPv4 or localhost, with a port") {
        CHECK(rt::SocketAddress::parse("localhost:80").address.sin_port == htons(80));
        CHECK_THROWS_AS(rt::SocketAddress::parse("example.com:80"), std::invalid_argument);
        CHECK_THROWS_AS(rt::SocketAddress::parse("127.0.0.1"), std::invalid_argument);
        CHECK_THROWS_AS(rt::SocketAddress::parse("127.0.0.1:99999"), std::invalid_argument);
    }

    TEST_CASE("a malformed status line is refused with a clear message") {
        rt::ResponseParser parser;
        CHECK_THROWS_WITH_AS(parser.feed("HTTP/1.1 OK\r\n\r\n"), "rt::http_get: malformed status line: 'HTTP/1.1 OK'",
                             std::runtime_error);
        rt::ResponseParser other;
        CHECK_THROWS_AS(other.feed("SMTP ready\r\n\r\n"), std::runtime_error);
    }

    TEST_CASE("a status line needs three digits; an interim 1xx response is skipped; 204 and 304 have no body") {
        rt::ResponseParser negative;
        CHECK_THROWS_AS(negative.feed("HTTP/1.1 -20 OK\r\n\r\n"), std::runtime_error);
        rt::ResponseParser interim;
        interim.feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX-Final: yes\r\n\r\n");
        REQUIRE(interim.done());
        rt::HttpResponse response = interim.take();
        CHECK(response.status == 204);
        CHECK(response.header("X-Final") == "yes");
        CHECK(response.body.empty());
        rt::ResponseParser not_modified;
        not_modified.feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n");
        CHECK(not_modified.done());
    }

    TEST_CASE("a header section over 64 KiB is refused, even before it ends") {
        rt::ResponseParser parser;
        parser.feed("HTTP/1.1 200 OK\r\n");
        std::string big = "X-Filler: " + std::string(1024, 'x') + "\r\n";
        CHECK_THROWS_WITH_AS(
            [&] {
                for (int i = 0; i < 70; ++i) parser.feed(big);
            }(),
            "rt::http_get: the header section is over 64 KiB", std::runtime_error);
    }

    TEST_CASE("a response cut short in its head is an error") {
        rt::ResponseParser parser;
        parser.feed("HTTP/1.1 200 OK\r\nContent-");
        CHECK_THROWS_WITH_AS(parser.finish(),
                             "rt::http_get: the server closed the connection before the header section ended",
                             std::runtime_error);
    }

    TEST_CASE("a reactor with a thread shuts down through its eventfd, at once") {
        auto start = std::chrono::steady_clock::now();
        { rt::Reactor reactor; }
        CHECK(std::chrono::steady_clock::now() - start < 5s);
    }

    TEST_CASE("the delay server answers after the delay, with the message") {
        rt::DelayServer server;
        auto start = std::chrono::steady_clock::now();
        std::string response = blocking_get(server.port(), "/50/hello%20there");
        CHECK(std::chrono::steady_clock::now() - start >= 50ms);
        CHECK(response.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
        CHECK(response.find("Content-Length: 11\r\n") != std::string::npos);
        CHECK(response.substr(response.size() - 11) == "hello there");
        CHECK(blocking_get(server.port(), "/nonsense").rfind("HTTP/1.1 404", 0) == 0);
    }
}
