// Code chapter 06 gives the learner: connect, TcpStream and http_get, which
// now bind to the executor running on this thread at their first poll. They
// run here on a loop that never idles (test::busy_block_on): it looks at its
// driver without waiting, so no exercise is needed (a loop that waits is
// exercise 3's). The response parser is chapter 05's, and tested there.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "loop_helpers.hpp"
#include "rt.hpp"
#include "scripted_server.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;
using test::Clock;

namespace {

std::string ok_head(const std::string& framing) { return "HTTP/1.1 200 OK\r\n" + framing + "\r\n"; }

// GET `url` on an executor of its own, on a loop that never idles; afterwards, no registration is left.
rt::HttpResponse get(const std::string& url, std::size_t max_body_bytes = rt::ResponseParser::default_max_body_bytes) {
    rt::Executor executor;
    struct Check {
        rt::Executor& executor;
        ~Check() { CHECK(executor.driver().reactor().size() == 0); }
    } check{executor};
    return test::busy_block_on(executor, rt::http_get(url, max_body_bytes));
}

}  // namespace

TEST_SUITE("given: TCP and HTTP, bound at the first poll, on a loop that never idles") {
    TEST_CASE("connect, http_get and adopt where no executor runs throw std::logic_error; making them needs none") {
        rt::Context cx(rt::Waker::noop());
        rt::ConnectFuture connect = rt::TcpStream::connect("127.0.0.1:9");
        CHECK_THROWS_WITH_AS((void)connect.poll(cx),
                             doctest::Contains("rt::TcpStream::connect: polled where no executor runs on this thread"),
                             std::logic_error);
        rt::HttpGet get = rt::http_get("http://127.0.0.1:9/");
        CHECK_THROWS_WITH_AS((void)get.poll(cx),
                             doctest::Contains("rt::TcpStream::connect: polled where no executor runs on this thread"),
                             std::logic_error);
        auto [ours, peer] = test::tcp_pair();
        CHECK_THROWS_WITH_AS(rt::TcpStream::adopt(rt::sys::Fd(ours), "the test's peer"),
                             doctest::Contains("rt::TcpStream::adopt: polled where no executor runs on this thread"),
                             std::logic_error);
        ::close(peer);
    }

    TEST_CASE("a connect gives a stream on its executor's reactor; neither it nor a connect dropped pending stays") {
        test::ScriptedServer server({test::close()}, test::ScriptedServer::Start::at_once);
        std::string address = "localhost:" + std::to_string(server.port());
        rt::Executor executor;
        {
            rt::TcpStream stream = test::busy_block_on(executor, rt::TcpStream::connect(address));
            CHECK(stream.peer() == address);
            CHECK(executor.driver().reactor().size() == 1);  // the stream's registration, from the connect future
        }
        CHECK(executor.driver().reactor().size() == 0);
        std::size_t while_pending = 0;
        bool pending = test::busy_block_on(executor, test::poll_fn<bool>([&](rt::Context& cx) -> rt::Poll<bool> {
            rt::ConnectFuture connect = rt::TcpStream::connect(address);
            bool was_pending = connect.poll(cx).is_pending();  // no turn yet: the handshake's edge is not seen
            while_pending = executor.driver().reactor().size();
            return was_pending;
        }));
        CHECK(pending);
        CHECK(while_pending == 1);
        CHECK(executor.driver().reactor().size() == 0);
    }

    TEST_CASE("a refused connection is an error naming the address; a reset right after connecting says so") {
        rt::Executor executor;
        std::string refused = "127.0.0.1:" + std::to_string(test::closed_port());
        CHECK_THROWS_WITH_AS(test::busy_block_on(executor, rt::TcpStream::connect(refused)),
                             ("connect to " + refused + ": Connection refused").c_str(), std::system_error);
        test::ScriptedServer server({test::reset()}, test::ScriptedServer::Start::at_once);
        std::string address = "127.0.0.1:" + std::to_string(server.port());
        std::optional<rt::ConnectFuture> connect;
        CHECK_THROWS_WITH_AS(test::busy_block_on(executor, test::poll_fn<bool>([&](rt::Context& cx) -> rt::Poll<bool> {
                                 if (!connect) {
                                     connect.emplace(rt::TcpStream::connect(address));
                                     if (connect->poll(cx).is_ready()) return false;  // the handshake has started
                                     // Accepted, then reset, before the loop's next look at epoll. Loopback
                                     // delivers the RST within the server's close(), unless the kernel
                                     // defers it under load: a margin for that.
                                     (void)test::eventually([&] { return server.finished() == 1; });
                                     std::this_thread::sleep_for(20ms);
                                     return rt::pending;
                                 }
                                 if (connect->poll(cx).is_pending()) return rt::pending;
                                 return true;  // connected: not what the test expects
                             })),
                             ("reset by " + address + " right after connecting: Connection reset by peer").c_str(),
                             std::system_error);
        connect.reset();
        CHECK(executor.driver().reactor().size() == 0);
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

    TEST_CASE("a reset in the body, a malformed head, a body over the limit: errors, and no registration left") {
        test::ScriptedServer reset({test::write(ok_head("Content-Length: 100\r\n") + "only part"), test::pause(20ms),
                                    test::reset()});
        CHECK_THROWS_WITH_AS(get(reset.url()), doctest::Contains("Connection reset by peer"), std::system_error);
        test::ScriptedServer malformed({test::write("HTTP/1.1 twohundred OK\r\n\r\n")});
        CHECK_THROWS_WITH_AS(get(malformed.url()), "rt::http_get: malformed status line: 'HTTP/1.1 twohundred OK'",
                             std::runtime_error);
        test::ScriptedServer cut({test::write("HTTP/1.1 200 OK\r\nContent-Le"), test::close()});
        CHECK_THROWS_WITH_AS(get(cut.url()),
                             "rt::http_get: the server closed the connection before the header section ended",
                             std::runtime_error);
        std::string body(1000, 'x');
        test::ScriptedServer big({test::write(ok_head("Content-Length: 1000\r\n") + body)});
        CHECK_THROWS_WITH_AS(get(big.url(), 999),
                             "rt::http_get: a Content-Length of 1000 bytes is over the limit of 999 bytes",
                             std::runtime_error);
        CHECK(get(big.url(), 1000).body == body);
    }

    TEST_CASE("the state machine goes connecting, sending, receiving, done, and refuses a poll after") {
        test::ScriptedServer server({test::pause(10ms), test::write(ok_head("Content-Length: 6\r\n") + "states")});
        rt::Executor executor;
        std::optional<rt::HttpGet> get;
        std::vector<rt::HttpGet::State> seen;
        rt::HttpResponse response =
            test::busy_block_on(executor, test::poll_fn<rt::HttpResponse>([&](rt::Context& cx) -> rt::Poll<rt::HttpResponse> {
                if (!get) {
                    get.emplace(server.url("/states"));
                    seen.push_back(get->state());
                }
                rt::Poll<rt::HttpResponse> poll = get->poll(cx);
                if (seen.back() != get->state()) seen.push_back(get->state());
                return poll;
            }));
        CHECK(response.body == "states");
        CHECK(seen == std::vector<rt::HttpGet::State>{rt::HttpGet::State::connecting, rt::HttpGet::State::receiving,
                                                      rt::HttpGet::State::done});
        rt::Context cx(rt::Waker::noop());
        CHECK_THROWS_WITH_AS((void)get->poll(cx), "rt::HttpGet: polled after it completed", std::logic_error);
        CHECK(executor.driver().reactor().size() == 0);
    }

    TEST_CASE("a loop that never idles still fires its timers and its I/O, every 64 polls, without waiting") {
        test::ScriptedServer server({test::pause(30ms), test::write(ok_head("Content-Length: 2\r\n") + "ok")});
        rt::Executor executor;
        auto start = Clock::now();
        auto [timer, response] =
            test::busy_block_on(executor, rt::join(test::At(start + 40ms), rt::http_get(server.url())));
        (void)timer;
        CHECK(Clock::now() - start >= 40ms);
        CHECK(response.body == "ok");
        CHECK(executor.driver().turns() > 0);
        CHECK(executor.driver().blocking_turns() == 0);
        CHECK(executor.signal_writes() == 0);
    }
}
