// Exercise 3: TcpStream::Read::poll. Each test adopts one end of a loopback
// pair (no ring operation in that), so that its first ring operation is a read.
#include <doctest/doctest.h>

#include <sys/socket.h>

#include <atomic>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "rt.hpp"
#include "uring_helpers.hpp"

using namespace std::chrono_literals;

namespace {

const char* const peer_name = "the test's peer";

rt::Async<void> read_hello_then_end(rt::sys::Fd ours, rt::sys::Fd theirs) {
    rt::uring::TcpStream stream = rt::uring::TcpStream::adopt(std::move(ours), peer_name);
    test::write_fully(theirs.get(), "hello");
    std::vector<char> buffer(64);
    const char* allocation = buffer.data();
    std::pair<std::size_t, std::vector<char>> got = co_await stream.read(std::move(buffer));
    CHECK(got.first == 5);
    CHECK(std::string(got.second.data(), got.first) == "hello");
    INFO("the buffer comes back: the same allocation, its size unchanged");
    CHECK(got.second.data() == allocation);
    CHECK(got.second.size() == 64);
    theirs = rt::sys::Fd();  // an orderly close: the end of the stream
    std::pair<std::size_t, std::vector<char>> end = co_await stream.read(std::move(got.second));
    INFO("the end of the stream is a read of 0");
    CHECK(end.first == 0);
    CHECK(end.second.data() == allocation);
}

rt::Async<int> read_after_reset(rt::sys::Fd ours, rt::sys::Fd theirs) {
    rt::uring::TcpStream stream = rt::uring::TcpStream::adopt(std::move(ours), peer_name);
    test::reset(std::move(theirs));
    try {
        co_await stream.read(std::vector<char>(64));
    } catch (const std::system_error& e) {
        INFO(e.what());
        CHECK(std::string(e.what()).find(std::string("read from ") + peer_name) != std::string::npos);
        co_return e.code().value();
    }
    co_return 0;
}

rt::Async<std::string> read_all(rt::sys::Fd ours, std::size_t buffer_size) {
    rt::uring::TcpStream stream = rt::uring::TcpStream::adopt(std::move(ours), peer_name);
    std::string all;
    std::vector<char> buffer(buffer_size);
    const char* allocation = buffer.data();
    for (;;) {
        std::pair<std::size_t, std::vector<char>> got = co_await stream.read(std::move(buffer));
        if (got.second.data() != allocation) throw std::runtime_error("a read gave back another buffer");
        if (got.first == 0) co_return all;
        all.append(got.second.data(), got.first);
        buffer = std::move(got.second);
    }
}

rt::Async<void> drop_a_read_in_flight(rt::sys::Fd ours, int theirs) {
    {
        rt::uring::TcpStream stream = rt::uring::TcpStream::adopt(std::move(ours), peer_name);
        auto raced = co_await rt::select(stream.read(std::vector<char>(64)), rt::sleep(20ms));
        INFO("nothing was sent: the sleep wins, and the read is dropped in flight");
        CHECK(raced.index() == 1);
    }  // the stream goes too; the socket closes once the cancelled read has completed
    for (int i = 0; i < 200 && !test::readable_within(theirs, 0ms); ++i) co_await rt::sleep(5ms);
    char c;
    INFO("the socket closed: the peer reads the end of the stream");
    CHECK(test::read_within(theirs, &c, 1, 0ms) == 0);
    // The runtime goes on: another stream reads as before.
    test::TcpPair next = test::tcp_pair();
    rt::uring::TcpStream stream = rt::uring::TcpStream::adopt(std::move(next.ours), peer_name);
    test::write_fully(next.theirs.get(), "x");
    std::pair<std::size_t, std::vector<char>> got = co_await stream.read(std::vector<char>(8));
    CHECK(got.first == 1);
}

}  // namespace

TEST_SUITE("ex3: TcpStream::Read::poll: start once, then give back the count and the buffer") {
    TEST_CASE("a read gives what has arrived and the same buffer back; the end of the stream reads 0") {
        if (!test::uring_or_skip()) return;
        test::TcpPair pair = test::tcp_pair();
        rt::block_on(rt::timeout(5s, read_hello_then_end(std::move(pair.ours), std::move(pair.theirs))));
    }

    TEST_CASE("a reset peer: std::system_error with ECONNRESET, naming the peer") {
        if (!test::uring_or_skip()) return;
        test::TcpPair pair = test::tcp_pair();
        int error = rt::block_on(rt::timeout(5s, read_after_reset(std::move(pair.ours), std::move(pair.theirs))));
        CHECK(error == ECONNRESET);
    }

    TEST_CASE("4 MiB read exactly, through one reused 16 KiB buffer") {
        if (!test::uring_or_skip()) return;
        test::TcpPair pair = test::tcp_pair();
        const std::string sent = test::pattern(4 << 20);
        // The writer stops at the first error: if the reader fails, its socket closes and the write fails.
        std::thread writer([fd = std::move(pair.theirs), &sent]() mutable {
            try {
                test::write_fully(fd.get(), sent);
            } catch (const std::system_error&) {
            }
        });
        std::string got;
        try {
            got = rt::block_on(rt::timeout(8s, read_all(std::move(pair.ours), 16 * 1024)));
        } catch (...) {
            writer.join();
            throw;
        }
        writer.join();
        CHECK(got.size() == sent.size());
        CHECK(got == sent);
    }

    TEST_CASE("dropping a read in flight cancels it, frees it at its completion, closes the socket; the runtime goes on") {
        if (!test::uring_or_skip()) return;
        long live_before = rt::detail::Op::live.load();
        test::TcpPair pair = test::tcp_pair();
        rt::block_on(rt::timeout(5s, drop_a_read_in_flight(std::move(pair.ours), pair.theirs.get())));
        INFO("every operation was freed (AddressSanitizer's leak checker says the same in its build)");
        CHECK(rt::detail::Op::live.load() == live_before);
    }
}
