#include <doctest/doctest.h>

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <span>
#include <string>
#include <system_error>

#include "counting_waker.hpp"
#include "io_helpers.hpp"
#include "rt.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;

namespace {

// What every test here starts from: a reactor driven by hand, a connected
// stream on it, and a counting waker (declared first: it outlives the
// stream, whose registration may hold a clone).
struct Setup {
    test::WakeCounter counter;
    rt::Reactor reactor{rt::Reactor::Manual{}};
    test::Connected c = test::connected_stream(reactor);
    rt::Waker waker = counter.waker();
    rt::Context cx{waker};
    std::array<char, 64> buffer{};

    rt::Poll<std::size_t> read() { return c.stream.poll_read(cx, buffer); }
    std::string text(std::size_t n) const { return std::string(buffer.data(), n); }
};

}  // namespace

TEST_SUITE("ex2: TcpStream::poll_read") {
    TEST_CASE("poll_read returns what is there, then 0 at the end of the stream") {
        Setup s;
        test::send_text(s.c.peer, "hello");
        std::this_thread::sleep_for(10ms);  // loopback: the bytes are there by now
        rt::Poll<std::size_t> got = s.read();
        REQUIRE(got.is_ready());
        CHECK(s.text(got.value()) == "hello");
        ::shutdown(s.c.peer, SHUT_WR);
        CHECK(test::eventually([&] {
            s.reactor.turn(0);
            rt::Poll<std::size_t> end = s.read();
            return end.is_ready() && end.value() == 0;
        }));
    }

    TEST_CASE("with nothing to read it is pending, and the next edge wakes it") {
        Setup s;
        REQUIRE(s.read().is_pending());
        CHECK(s.counter.clones == 1);  // the reactor keeps a clone to wake
        test::send_text(s.c.peer, "late");
        CHECK(s.reactor.turn(1000) == 1);
        CHECK(s.counter.wakes == 1);
        rt::Poll<std::size_t> got = s.read();
        REQUIRE(got.is_ready());
        CHECK(s.text(got.value()) == "late");
    }

    TEST_CASE("an edge between the failed read and the store of the waker is not lost") {
        Setup s;
        // Right after the read fails with EAGAIN, before poll_read can tell
        // the reactor about its waker, data arrives and the reactor sees it.
        rt::sys::hooks().after_would_block = [&] {
            test::send_text(s.c.peer, "race");
            std::this_thread::sleep_for(10ms);
            s.reactor.turn(1000);
        };
        rt::Poll<std::size_t> got = s.read();
        rt::sys::hooks().after_would_block = nullptr;
        REQUIRE_MESSAGE(got.is_ready(), "the edge came while nobody's waker was stored: poll_ready said so; read again");
        CHECK(s.text(got.value()) == "race");
    }

    TEST_CASE("a read interrupted by a signal (EINTR) is tried again") {
        Setup s;
        test::send_text(s.c.peer, "after the signal");
        std::this_thread::sleep_for(10ms);
        rt::sys::hooks().before_read = [] { return rt::sys::Result{-1, EINTR}; };
        rt::Poll<std::size_t> got = s.read();
        rt::sys::hooks().before_read = nullptr;
        REQUIRE(got.is_ready());
        CHECK(s.text(got.value()) == "after the signal");
    }

    TEST_CASE("a reset connection is an error that names the peer") {
        Setup s;
        REQUIRE(s.read().is_pending());
        linger abort{1, 0};
        ::setsockopt(s.c.peer, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
        ::close(std::exchange(s.c.peer, -1));  // sends an RST
        std::this_thread::sleep_for(10ms);
        s.reactor.turn(1000);
        CHECK_THROWS_WITH_AS((void)s.read(), "read from the test's peer: Connection reset by peer", std::system_error);
    }

    TEST_CASE("reads drain a megabyte that arrives in bursts; every edge is followed to EAGAIN") {
        Setup s;
        REQUIRE(s.read().is_pending());
        constexpr std::size_t total = 1 << 20;
        test::Thread writer([&] {
            std::string chunk(64 * 1024, 'z');
            for (std::size_t sent = 0; sent < total; sent += chunk.size()) test::send_text(s.c.peer, chunk);
        });
        std::size_t received = 0;
        std::string buffer(16 * 1024, '\0');
        bool all = test::eventually([&] {
            for (;;) {  // read until pending: then, and only then, wait for an edge
                rt::Poll<std::size_t> got = s.c.stream.poll_read(s.cx, std::span<char>(buffer));
                if (got.is_pending()) break;
                received += got.value();
            }
            s.reactor.turn(100);
            return received == total;
        }, 20'000ms);
        writer.join();
        CHECK(all);
        CHECK(received == total);
    }
}
