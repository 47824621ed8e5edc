#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "props/delay_server.hpp"
#include "rt.hpp"
#include "scripted_server.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

rt::HttpResponse get(const std::string& url) {
    return test::bounded("http_get", [&] { return rt::block_on(rt::http_get(url)); }, 20'000ms);
}

std::string ok_head(const std::string& framing) { return "HTTP/1.1 200 OK\r\n" + framing + "\r\n"; }

}  // namespace

TEST_SUITE("ex5: HttpGet::poll, the state machine") {
    TEST_CASE("200 concurrent GETs of a 500 ms delay finish in under 2 s on one executor thread, all correct") {
        rt::DelayServer server;
        rt::Executor executor;
        auto start = Clock::now();
        std::vector<rt::HttpResponse> responses = test::bounded("200 GETs", [&] {
            return executor.block_on(rt::Then(rt::Ready<int>(0), [&](int) {
                std::vector<rt::JoinHandle<rt::HttpResponse>> handles;
                for (int i = 0; i < 200; ++i)
                    handles.push_back(rt::spawn(rt::http_get(server.url("/500/body" + std::to_string(i)))));
                return rt::join_in_order(std::move(handles));
            }));
        }, 30'000ms);
        auto elapsed = Clock::now() - start;
        CHECK(elapsed >= 500ms);
        CHECK(elapsed < 2s);  // one after the other: 100 s
        REQUIRE(responses.size() == 200);
        for (int i = 0; i < 200; ++i) {
            CHECK(responses[i].status == 200);
            CHECK(responses[i].body == "body" + std::to_string(i));
        }
        CHECK(rt::Reactor::global().size() == 0);
    }

    TEST_CASE("responses framed by Content-Length, by chunks, and by the end of the connection") {
        test::ScriptedServer length({test::write(ok_head("Content-Length: 6\r\n") + "length")});
        test::ScriptedServer chunked({test::write(ok_head("Transfer-Encoding: chunked\r\n") + "3\r\nchu\r\n"),
                                      test::pause(20ms), test::write("4\r\nnked\r\n0\r\n\r\n")});
        test::ScriptedServer until_close({test::write(ok_head("") + "until "), test::pause(20ms),
                                          test::write("the end"), test::close()});
        CHECK(get(length.url()).body == "length");
        CHECK(get(chunked.url()).body == "chunked");
        CHECK(get(until_close.url()).body == "until the end");
    }

    TEST_CASE("a response trickled one byte at a time") {
        test::ScriptedServer server({test::trickle(ok_head("Content-Length: 12\r\nX-Slow: yes\r\n") + "one at a time")});
        rt::HttpResponse response = get(server.url("/slow"));
        CHECK(response.status == 200);
        CHECK(response.header("x-slow") == "yes");
        CHECK(response.body == "one at a tim");
    }

    TEST_CASE("a body larger than the socket buffers: 1 MiB") {
        std::string body(1 << 20, 'x');
        for (std::size_t i = 0; i < body.size(); i += 4096) body[i] = static_cast<char>('a' + (i / 4096) % 26);
        test::ScriptedServer server({test::write(ok_head("Content-Length: " + std::to_string(body.size()) + "\r\n") + body)});
        rt::HttpResponse response = get(server.url());
        CHECK(response.body.size() == body.size());
        CHECK(response.body == body);
    }

    TEST_CASE("a refused connection is an exception naming the address") {
        std::string url = "http://127.0.0.1:" + std::to_string(test::closed_port()) + "/";
        CHECK_THROWS_WITH_AS(get(url), doctest::Contains("Connection refused"), std::system_error);
    }

    TEST_CASE("a server that closes before the header section ends") {
        test::ScriptedServer server({test::write("HTTP/1.1 200 OK\r\nContent-Le"), test::close()});
        CHECK_THROWS_WITH_AS(get(server.url()),
                             "rt::http_get: the server closed the connection before the header section ended",
                             std::runtime_error);
    }

    TEST_CASE("a reset in the middle of the body") {
        test::ScriptedServer server({test::write(ok_head("Content-Length: 100\r\n") + "only part"),
                                     test::pause(50ms), test::reset()});
        CHECK_THROWS_WITH_AS(get(server.url()), doctest::Contains("Connection reset by peer"), std::system_error);
    }

    TEST_CASE("a malformed status line, and a header section over 64 KiB") {
        test::ScriptedServer malformed({test::write("HTTP/1.1 twohundred OK\r\n\r\n")});
        CHECK_THROWS_WITH_AS(get(malformed.url()), "rt::http_get: malformed status line: 'HTTP/1.1 twohundred OK'",
                             std::runtime_error);
        std::string huge = "HTTP/1.1 200 OK\r\n";
        while (huge.size() < 70 * 1024) huge += "X-Filler: " + std::string(100, 'f') + "\r\n";
        test::ScriptedServer too_big({test::write(huge + "\r\n")});
        CHECK_THROWS_WITH_AS(get(too_big.url()), "rt::http_get: the header section is over 64 KiB", std::runtime_error);
    }

    TEST_CASE("after every request, done or failed, the reactor has no registration left") {
        test::ScriptedServer fine({test::write(ok_head("Content-Length: 2\r\n") + "ok")});
        test::ScriptedServer broken({test::write("nonsense\r\n\r\n")});
        CHECK(get(fine.url()).body == "ok");
        CHECK_THROWS_AS(get(broken.url()), std::runtime_error);
        CHECK(rt::Reactor::global().size() == 0);
    }

    TEST_CASE("the state machine goes connecting, sending, receiving, done, and refuses a poll after") {
        rt::DelayServer server;
        rt::Reactor reactor{rt::Reactor::Manual{}};
        rt::HttpGet get(server.url("/0/states"), reactor);
        rt::Context cx(rt::Waker::noop());
        std::vector<rt::HttpGet::State> seen{get.state()};
        std::optional<rt::HttpResponse> response;
        REQUIRE(test::eventually([&] {
            rt::Poll<rt::HttpResponse> poll = get.poll(cx);
            if (seen.back() != get.state()) seen.push_back(get.state());
            if (poll.is_ready()) response = std::move(poll).value();
            else reactor.turn(50);
            return response.has_value();
        }));
        CHECK(response->body == "states");
        CHECK(seen.front() == rt::HttpGet::State::connecting);
        CHECK(seen.back() == rt::HttpGet::State::done);
        CHECK_THROWS_AS((void)get.poll(cx), std::logic_error);
        CHECK(reactor.size() == 0);
    }

    TEST_CASE("a body over the caller's limit is an error; one within it arrives whole") {
        std::string body(1000, 'x');
        test::ScriptedServer server({test::write(ok_head("Content-Length: 1000\r\n") + body)});
        auto get_at_most = [&](std::size_t limit) {
            return test::bounded("http_get", [&] { return rt::block_on(rt::http_get(server.url(), limit)); }, 20'000ms);
        };
        REQUIRE_THROWS_WITH_AS(get_at_most(999),
                               "rt::http_get: a Content-Length of 1000 bytes is over the limit of 999 bytes",
                               std::runtime_error);
        CHECK(get_at_most(1000).body == body);
        CHECK(rt::Reactor::global().size() == 0);
    }
}

