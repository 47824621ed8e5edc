// Exercise 1: Uring::reap. The tests start operations by hand (start and
// poll_op are given) and turn a driver of their own, so that the first
// exercise code they reach is reap, in the driver's turn.
#include <doctest/doctest.h>

#include <sys/socket.h>

#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "counting_waker.hpp"
#include "rt.hpp"
#include "uring_helpers.hpp"

using namespace std::chrono_literals;

namespace {

struct UnixPair {
    rt::sys::Fd ours, theirs;
};
UnixPair unix_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        throw std::system_error(errno, std::generic_category(), "socketpair");
    return {rt::sys::Fd(fds[0]), rt::sys::Fd(fds[1])};
}

rt::Async<rt::uring::TcpStream> connect_to(std::string address) {
    co_return co_await rt::uring::TcpStream::connect(address);
}

}  // namespace

TEST_SUITE("ex1: Uring::reap: each completion to its operation, then its waker") {
    TEST_CASE("768 completions in three rounds of 256: each reaches its operation, with its count, and wakes it once") {
        if (!test::uring_or_skip()) return;
        rt::detail::Driver driver;
        rt::detail::Uring& uring = driver.uring();
        constexpr int n = 256;
        long live_before = rt::detail::Op::live.load();
        std::vector<rt::sys::Fd> theirs;
        std::vector<std::shared_ptr<rt::detail::Op>> ops;
        for (int i = 0; i < n; ++i) {
            UnixPair pair = unix_pair();
            auto op = std::make_shared<rt::detail::Op>(rt::detail::Op::Kind::recv,
                                                       std::make_shared<rt::sys::Fd>(std::move(pair.ours)));
            op->buffer.resize(16);
            ops.push_back(op);
            theirs.push_back(std::move(pair.theirs));
        }
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        for (int round = 0; round < 3; ++round) {
            INFO("round " << round);
            for (auto& op : ops) {
                uring.start(op);  // again after each completion: reap must mark it no longer in flight
                REQUIRE(uring.poll_op(*op, cx).is_pending());
            }
            for (int i = 0; i < n; ++i) test::write_fully(theirs[i].get(), std::to_string(round * 1000 + i));
            // Turn until every operation is done: 2 s at most.
            for (int turn = 0; turn < 200 && uring.in_flight() > 0; ++turn) driver.turn(10);
            INFO("a completion left in the queue: the ring stops taking submissions once it is full");
            REQUIRE(uring.in_flight() == 0);
            for (int i = 0; i < n; ++i) {
                std::string sent = std::to_string(round * 1000 + i);
                rt::Poll<int> result = uring.poll_op(*ops[i], cx);
                REQUIRE(result.is_ready());
                INFO("the completion's res is the operation's result: here, how many bytes arrived");
                CHECK(result.value() == static_cast<int>(sent.size()));
                CHECK(std::string(ops[i]->buffer.data(), sent.size()) == sent);
            }
        }
        INFO("each completion wakes its operation's waker once, by value");
        CHECK(counter.wakes.load() == 3 * n);
        CHECK(counter.live() == 1);  // ours
        CHECK(uring.completions() == 3 * n);
        ops.clear();
        INFO("the ring keeps no reference to a completed operation");
        CHECK(rt::detail::Op::live.load() == live_before);
    }

    TEST_CASE("connect completes through the ring; a refused one is a std::system_error with ECONNREFUSED") {
        if (!test::uring_or_skip()) return;
        rt::sys::Fd listener = rt::sys::tcp_listener(test::loopback(0));
        std::string address = "127.0.0.1:" + std::to_string(rt::sys::local_port(listener.get()));
        rt::uring::TcpStream stream = rt::block_on(rt::timeout(5s, connect_to(address)));
        CHECK(stream.peer() == address);
        CHECK(stream.fd() >= 0);

        listener = rt::sys::Fd();  // nobody listens there now
        try {
            rt::block_on(rt::timeout(5s, connect_to(address)));
            FAIL("connected to a closed port");
        } catch (const std::system_error& e) {
            CHECK(e.code().value() == ECONNREFUSED);
            INFO(e.what());
            CHECK(std::string(e.what()).find("connect to " + address) != std::string::npos);
        }
    }
}
