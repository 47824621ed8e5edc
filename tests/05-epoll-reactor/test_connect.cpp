#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <system_error>
#include <thread>

#include "counting_waker.hpp"
#include "props/delay_server.hpp"
#include "io_helpers.hpp"
#include "rt.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;

TEST_SUITE("ex3: ConnectFuture::poll") {
    TEST_CASE("connecting to a listening server gives a connected stream, after a pending poll") {
        test::WakeCounter counter;
        rt::DelayServer server;
        rt::Reactor reactor{rt::Reactor::Manual{}};
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        auto connect = rt::TcpStream::connect("127.0.0.1:" + std::to_string(server.port()), reactor);
        std::optional<rt::TcpStream> stream;
        REQUIRE(test::eventually([&] {
            rt::Poll<rt::TcpStream> poll = connect.poll(cx);
            if (poll.is_ready()) stream.emplace(std::move(poll).value());
            else reactor.turn(100);
            return stream.has_value();
        }));
        CHECK(stream->peer() == "127.0.0.1:" + std::to_string(server.port()));
        CHECK(reactor.size() == 1);  // the stream's registration, moved from the connect future
    }

    TEST_CASE("connect works under block_on with the global reactor, localhost too") {
        rt::DelayServer server;
        rt::TcpStream stream = test::bounded("connect", [&] {
            return rt::block_on(rt::TcpStream::connect("localhost:" + std::to_string(server.port())));
        });
        CHECK(stream.peer() == "localhost:" + std::to_string(server.port()));
    }

    TEST_CASE("a refused connection is an error that names the address") {
        std::string address = "127.0.0.1:" + std::to_string(test::closed_port());
        CHECK_THROWS_WITH_AS(test::bounded("a refused connect", [&] { return rt::block_on(rt::TcpStream::connect(address)); }),
                             ("connect to " + address + ": Connection refused").c_str(), std::system_error);
    }

    TEST_CASE("a connect future destroyed while pending leaves no registration behind") {
        test::WakeCounter counter;
        rt::DelayServer server;
        rt::Reactor reactor{rt::Reactor::Manual{}};
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        {
            auto connect = rt::TcpStream::connect("127.0.0.1:" + std::to_string(server.port()), reactor);
            REQUIRE(connect.poll(cx).is_pending());  // the manual reactor has not seen the handshake end yet
            CHECK(reactor.size() == 1);
        }
        CHECK(reactor.size() == 0);
        CHECK(counter.live() == 1);  // the reactor's clone of our waker went with the registration
    }

    TEST_CASE("a server that accepts and resets at once: a reset is reported, not a failed connect") {
        test::WakeCounter counter;
        test::ScriptedServer server({test::reset()}, test::ScriptedServer::Start::at_once);
        rt::Reactor reactor{rt::Reactor::Manual{}};
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        std::string address = "127.0.0.1:" + std::to_string(server.port());
        auto connect = rt::TcpStream::connect(address, reactor);
        REQUIRE(connect.poll(cx).is_pending());                              // the handshake has started
        REQUIRE(test::eventually([&] { return server.finished() == 1; }));  // accepted, then reset
        // Loopback delivers the RST within the server's close(), unless the kernel defers it to
        // ksoftirqd under load: a margin for that.
        std::this_thread::sleep_for(20ms);
        auto finish_connect = [&] {
            for (int turn = 0; turn < 100; ++turn) {
                if (connect.poll(cx).is_ready()) return;
                reactor.turn(10);
            }
        };
        CHECK_THROWS_WITH_AS(finish_connect(),
                             ("reset by " + address + " right after connecting: Connection reset by peer").c_str(),
                             std::system_error);
    }
}

