// Exercise 4: TcpStream::WriteAll::poll, then the stream as a whole: echoes
// through one reused buffer, 200 delayed requests at once, and many workers.
// Each test's first ring operation is a write on an adopted socket.
#include <doctest/doctest.h>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "props/delay_server.hpp"
#include "props/echo_server.hpp"
#include "rt.hpp"
#include "uring_helpers.hpp"

using namespace std::chrono_literals;

namespace {

// Caps every send at `limit` bytes while it exists: short sends on demand.
struct SendLimit {
    explicit SendLimit(std::size_t limit) { rt::detail::Uring::send_limit.store(limit); }
    ~SendLimit() { rt::detail::Uring::send_limit.store(0); }
};

rt::Async<void> write_then_close(rt::sys::Fd ours, std::string bytes) {
    rt::uring::TcpStream stream = rt::uring::TcpStream::adopt(std::move(ours), "the test's peer");
    co_await stream.write_all(std::move(bytes));
}

// Reads until the end of the stream, on the test's side (blocking).
std::string drain(int fd) {
    std::string all;
    char buffer[65536];
    for (;;) {
        long got = test::read_within(fd, buffer, sizeof buffer, 10000ms);
        if (got <= 0) return all;
        all.append(buffer, static_cast<std::size_t>(got));
    }
}

rt::Async<std::string> read_exactly(rt::uring::TcpStream* stream, std::size_t size, std::size_t buffer_size) {
    std::string all;
    std::vector<char> buffer(buffer_size);
    while (all.size() < size) {
        std::pair<std::size_t, std::vector<char>> got = co_await stream->read(std::move(buffer));
        if (got.first == 0) throw std::runtime_error("the echo ended early");
        all.append(got.second.data(), got.first);
        buffer = std::move(got.second);
    }
    co_return all;
}

rt::Async<std::string> echo(std::uint16_t port, std::string bytes, std::size_t buffer_size) {
    rt::uring::TcpStream stream = rt::uring::TcpStream::adopt(test::connect_blocking(port), "the echo server");
    std::size_t size = bytes.size();
    auto both = co_await rt::join(stream.write_all(std::move(bytes)), read_exactly(&stream, size, buffer_size));
    co_return std::get<1>(std::move(both));
}

rt::Async<std::string> delayed_get(std::uint16_t port, int delay_ms) {
    rt::uring::TcpStream stream = rt::uring::TcpStream::adopt(test::connect_blocking(port), "the delay server");
    co_await stream.write_all("GET /" + std::to_string(delay_ms) + "/hi HTTP/1.1\r\nHost: test\r\n\r\n");
    std::string response;
    std::vector<char> buffer(4096);
    for (;;) {
        std::pair<std::size_t, std::vector<char>> got = co_await stream.read(std::move(buffer));
        if (got.first == 0) co_return response;
        response.append(got.second.data(), got.first);
        buffer = std::move(got.second);
    }
}

rt::Async<int> many_delayed_gets(std::uint16_t port, int count, int delay_ms) {
    std::vector<rt::JoinHandle<std::string>> handles;
    for (int i = 0; i < count; ++i) handles.push_back(rt::spawn(delayed_get(port, delay_ms)));
    int answered = 0;
    for (auto& handle : handles) {
        std::string response = co_await handle;
        if (response.find("\r\n\r\nhi") != std::string::npos) ++answered;
    }
    co_return answered;
}

rt::Async<int> echoes(std::uint16_t port, int rounds) {
    int good = 0;
    for (int i = 0; i < rounds; ++i) {
        std::string sent = "request " + std::to_string(i);
        if (co_await echo(port, sent, 64) == sent) ++good;
    }
    co_return good;
}

rt::Async<int> echoes_on_every_worker(std::uint16_t port, int tasks, int rounds) {
    std::vector<rt::JoinHandle<int>> handles;
    for (int i = 0; i < tasks; ++i) handles.push_back(rt::spawn(echoes(port, rounds)));
    int good = 0;
    for (auto& handle : handles) good += co_await handle;
    co_return good;
}

// Races a write_all of `bytes` against a sleep that is over at once: the
// write is dropped after its first poll, with its first send in flight.
rt::Async<void> write_dropped(rt::sys::Fd ours, std::string bytes) {
    rt::uring::TcpStream stream = rt::uring::TcpStream::adopt(std::move(ours), "the test's peer");
    auto raced = co_await rt::select(stream.write_all(std::move(bytes)), rt::sleep(0ms));
    CHECK(raced.index() == 1);
    co_await rt::sleep(20ms);  // the cancel, or the send, completes meanwhile
}

rt::Async<int> write_after_reset(rt::sys::Fd ours, rt::sys::Fd theirs) {
    rt::uring::TcpStream stream = rt::uring::TcpStream::adopt(std::move(ours), "the test's peer");
    test::reset(std::move(theirs));
    try {
        for (int i = 0; i < 100; ++i) co_await stream.write_all(std::string(64 * 1024, 'x'));
    } catch (const std::system_error& e) {
        INFO(e.what());
        CHECK(std::string(e.what()).find("write to the test's peer") != std::string::npos);
        co_return e.code().value();
    }
    co_return 0;
}

}  // namespace

TEST_SUITE("ex4: TcpStream::WriteAll::poll: send the rest until every byte is sent") {
    TEST_CASE("short sends: write_all sends the rest until every byte is sent, in order") {
        if (!test::uring_or_skip()) return;
        SendLimit limit(1000);  // every send takes 1000 bytes at most
        test::TcpPair pair = test::tcp_pair();
        const std::string sent = test::pattern(100 * 1000 + 7);
        std::string got;
        std::thread reader([&got, fd = pair.theirs.get()] { got = drain(fd); });
        try {
            rt::block_on(rt::timeout(8s, write_then_close(std::move(pair.ours), sent)));
        } catch (...) {
            reader.join();  // our end closed with the stream: the reader sees the end
            throw;
        }
        reader.join();
        CHECK(got.size() == sent.size());
        CHECK(got == sent);
    }

    TEST_CASE("a write_all dropped in flight stops: what the kernel had not taken is never sent") {
        if (!test::uring_or_skip()) return;
        SendLimit limit(1000);
        test::TcpPair pair = test::tcp_pair();
        const std::string sent = test::pattern(100 * 1000);
        std::string got;
        std::thread reader([&got, fd = pair.theirs.get()] { got = drain(fd); });
        try {
            rt::block_on(rt::timeout(8s, write_dropped(std::move(pair.ours), sent)));
        } catch (...) {
            reader.join();
            throw;
        }
        reader.join();
        INFO("at most the one send that was in flight: " << got.size() << " bytes");
        CHECK(got.size() <= 1000);
        CHECK(got == sent.substr(0, got.size()));
    }

    TEST_CASE("a reset peer: write_all throws std::system_error (EPIPE or ECONNRESET), naming the peer") {
        if (!test::uring_or_skip()) return;
        test::TcpPair pair = test::tcp_pair();
        int error = rt::block_on(rt::timeout(5s, write_after_reset(std::move(pair.ours), std::move(pair.theirs))));
        CHECK((error == EPIPE || error == ECONNRESET));
    }

    TEST_CASE("an echo: 4 MiB written and read back exactly, through one reused 16 KiB buffer") {
        if (!test::uring_or_skip()) return;
        rt::EchoServer server;
        const std::string sent = test::pattern(4 << 20);
        std::string got = rt::block_on(rt::timeout(8s, echo(server.port(), sent, 16 * 1024)));
        CHECK(got.size() == sent.size());
        CHECK(got == sent);
    }

    TEST_CASE("200 concurrent requests to a 300 ms delay take about one delay, not 200") {
        if (!test::uring_or_skip()) return;
        rt::DelayServer server;
        auto start = std::chrono::steady_clock::now();
        int answered = rt::block_on(rt::timeout(8s, many_delayed_gets(server.port(), 200, 300)));
        auto took = std::chrono::steady_clock::now() - start;
        CHECK(answered == 200);
        INFO("took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
        CHECK(took >= 300ms);
        CHECK(took < 1500ms);  // about one delay; the margin is for the sanitizer builds
    }

    TEST_CASE("many workers: Executor(2) runs uring streams on both workers") {
        if (!test::uring_or_skip()) return;
        rt::EchoServer server;
        rt::Executor executor(2);
        int good = executor.block_on(rt::timeout(8s, echoes_on_every_worker(server.port(), 16, 20)));
        CHECK(good == 16 * 20);
    }
}
