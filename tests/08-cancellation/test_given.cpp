// Tests of the code chapter 08 gives the learner: yield_now, unconstrained,
// scopes, the exceptions, the body's reserve, the bulk server. They pass on
// the learner's untouched copy: no select, timeout, abort, and no socket
// through the runtime (every read and write spends from the budget, ex3).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "cancel_helpers.hpp"
#include "counting_waker.hpp"
#include "props/bulk_server.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;
using test::Counters;
using test::Probe;
namespace budget = rt::detail::budget;

namespace {

// Reads the budget the inner poll sees.
struct ReadBudget {
    using Output = std::uint32_t;
    rt::Poll<std::uint32_t> poll(rt::Context&) { return budget::current().left; }
};

// A blocking GET of `path` from a local port; the whole response as it came.
std::string plain_get(std::uint16_t port, const std::string& path) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0)
        throw std::runtime_error("test: cannot connect to the bulk server");
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string response;
    char buffer[65536];
    for (;;) {
        pollfd readable{fd, POLLIN, 0};
        if (::poll(&readable, 1, 5000) <= 0) break;
        ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got <= 0) break;
        response.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(fd);
    return response;
}

}  // namespace

TEST_SUITE("given: yield_now and unconstrained") {
    TEST_CASE("yield_now: pending once, waking itself once, then ready") {
        static_assert(std::is_void_v<rt::YieldNow::Output>);
        test::WakeCounter wakes;
        rt::Waker waker = wakes.waker();
        rt::Context cx(waker);
        auto yielding = rt::yield_now();
        budget::Scope scope;
        CHECK(yielding.poll(cx).is_pending());
        CHECK(wakes.total_wakes() == 1);
        CHECK(scope.yielded());
        CHECK(yielding.poll(cx).is_ready());
        CHECK(wakes.total_wakes() == 1);
    }

    TEST_CASE("a task that yields lets another ready task run first") {
        rt::Executor executor;
        std::vector<std::string> log;
        auto polite = [&]() -> rt::Async<void> {
            log.push_back("a: before");
            co_await rt::yield_now();
            log.push_back("a: after");
        };
        auto other = [&]() -> rt::Async<void> {
            log.push_back("b");
            co_return;
        };
        auto a = executor.spawn(polite());
        auto b = executor.spawn(other());
        executor.run_until_idle();
        CHECK(log == std::vector<std::string>{"a: before", "b", "a: after"});
    }

    TEST_CASE("every poll of a task, and of block_on's future, starts with a full budget; outside, none") {
        CHECK(budget::current().left == budget::unlimited);
        rt::Executor executor;
        std::vector<std::uint32_t> seen;
        struct Look {
            using Output = void;
            std::vector<std::uint32_t>* seen;
            int polls = 0;
            rt::Poll<void> poll(rt::Context& cx) {
                seen->push_back(budget::current().left);
                budget::current().left = 7;  // as if it had spent some: the next poll starts afresh
                if (++polls == 3) return rt::ready();
                cx.waker().wake_by_ref();
                return rt::pending;
            }
        };
        auto task = executor.spawn(Look{&seen});
        executor.block_on(Look{&seen});
        executor.run_until_idle();
        CHECK(seen == std::vector<std::uint32_t>(6, budget::per_poll));
        CHECK(budget::current().left == budget::unlimited);
    }

    TEST_CASE("unconstrained: the inner future sees no limit; the budget around it comes back") {
        rt::Context cx(rt::Waker::noop());
        budget::Scope scope(5);
        auto free = rt::unconstrained(ReadBudget{});
        rt::Poll<std::uint32_t> seen = free.poll(cx);
        REQUIRE(seen.is_ready());
        CHECK(std::move(seen).value() == budget::unlimited);
        CHECK(budget::current().left == 5);
        CHECK_FALSE(scope.yielded());
    }

    TEST_CASE("unconstrained keeps a yield: the executor still hears that the task gave the thread away") {
        rt::Context cx(rt::Waker::noop());
        budget::Scope scope;
        auto free = rt::unconstrained(rt::yield_now());
        CHECK(free.poll(cx).is_pending());
        CHECK(scope.yielded());
        CHECK(budget::current().left == budget::per_poll);
    }
}

TEST_SUITE("given: scope") {
    TEST_CASE("ready only when the body and every child have finished") {
        Counters first, second;
        auto body = [&](rt::Scope& s) -> rt::Async<void> {
            s.spawn(Probe<void>(first, 2));
            s.spawn(Probe<void>(second, 3));
            co_return;
        };
        auto scoped = rt::scope(body);
        rt::Context cx(rt::Waker::noop());
        CHECK(scoped.poll(cx).is_pending());
        CHECK(scoped.poll(cx).is_pending());
        CHECK(first.drops == 1);  // finished children go at once
        CHECK(scoped.poll(cx).is_ready());
        CHECK(second.drops == 1);
        CHECK(second.polls == 3);
        CHECK_THROWS_AS((void)scoped.poll(cx), std::logic_error);
    }

    TEST_CASE("children that sleep, in an executor; a child spawned by a child runs too") {
        std::vector<std::string> log;
        auto napper = [&](std::chrono::milliseconds d, std::string name) -> rt::Async<void> {
            co_await rt::sleep(d);
            log.push_back(std::move(name));
        };
        auto parent = [&](rt::Scope& s) -> rt::Async<void> {
            co_await rt::sleep(5ms);
            s.spawn(napper(5ms, "grandchild"));
            log.push_back("child");
        };
        auto body = [&](rt::Scope& s) -> rt::Async<void> {
            s.spawn(napper(200ms, "slow"));
            s.spawn(parent(s));
            log.push_back("body");
            co_return;
        };
        rt::block_on(rt::scope(body));
        CHECK(log == std::vector<std::string>{"body", "child", "grandchild", "slow"});
    }

    TEST_CASE("a child throws: the other children are destroyed at once, and the exception leaves the poll") {
        Counters a, b, c;
        auto body = [&](rt::Scope& s) -> rt::Async<void> {
            s.spawn(Probe<void>(a));
            s.spawn(Probe<void>(b, 0, {}, 2));
            s.spawn(Probe<void>(c));
            co_return;
        };
        auto scoped = rt::scope(body);
        rt::Context cx(rt::Waker::noop());
        CHECK(scoped.poll(cx).is_pending());
        CHECK_THROWS_WITH_AS((void)scoped.poll(cx), "probe: thrown", std::runtime_error);
        CHECK(a.drops == 1);
        CHECK(b.drops == 1);
        CHECK(c.drops == 1);
        CHECK_THROWS_AS((void)scoped.poll(cx), std::logic_error);
    }

    TEST_CASE("the scope's future destroyed from outside: every child is destroyed with it") {
        Counters a, b;
        auto body = [&](rt::Scope& s) -> rt::Async<void> {
            s.spawn(Probe<void>(a));
            s.spawn(Probe<void>(b));
            co_return;
        };
        auto scoped = std::make_unique<rt::ScopeFuture<decltype(body)>>(body);
        rt::Context cx(rt::Waker::noop());
        CHECK(scoped->poll(cx).is_pending());
        CHECK(a.drops == 0);
        scoped.reset();
        CHECK(a.drops == 1);
        CHECK(b.drops == 1);
    }

    TEST_CASE("spawning into a scope that has finished: std::logic_error") {
        rt::Scope* kept = nullptr;
        Counters late;
        auto body = [&](rt::Scope& s) -> rt::Async<void> {
            kept = &s;
            co_return;
        };
        auto scoped = rt::scope(body);
        rt::Context cx(rt::Waker::noop());
        CHECK(scoped.poll(cx).is_ready());
        REQUIRE(kept != nullptr);
        CHECK_THROWS_AS(kept->spawn(Probe<void>(late)), std::logic_error);
        CHECK(late.polls == 0);
    }

    TEST_CASE("a ScopeFuture moves before its first poll, not after") {
        Counters child;
        auto body = [&](rt::Scope& s) -> rt::Async<void> {
            s.spawn(Probe<void>(child));
            co_return;
        };
        auto scoped = rt::scope(body);
        auto moved = std::move(scoped);  // not polled yet: fine
        rt::Context cx(rt::Waker::noop());
        CHECK(moved.poll(cx).is_pending());
        CHECK_THROWS_AS(auto again = std::move(moved), std::logic_error);
    }
}

TEST_SUITE("given: errors, the body's reserve, the bulk server") {
    TEST_CASE("rt::TimedOut and rt::Cancelled are std::runtime_errors that say what happened") {
        static_assert(std::is_base_of_v<std::runtime_error, rt::TimedOut>);
        static_assert(std::is_base_of_v<std::runtime_error, rt::Cancelled>);
        rt::TimedOut timed_out(std::chrono::milliseconds(1500));
        CHECK(std::string(timed_out.what()).find("1500 ms") != std::string::npos);
        CHECK(std::string(rt::Cancelled().what()).find("aborted") != std::string::npos);
    }

    TEST_CASE("a body of known length is reserved whole when the head arrives, not grown by doubling") {
        constexpr std::size_t size = 1'100'000;
        rt::ResponseParser parser(2 * size);
        parser.feed("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n");
        std::string piece(8192, 'y');
        std::size_t fed = 0;
        while (fed < size) {
            std::size_t n = std::min(piece.size(), size - fed);
            parser.feed(std::string_view(piece.data(), n));
            fed += n;
        }
        REQUIRE(parser.done());
        rt::HttpResponse response = parser.take();
        CHECK(response.body.size() == size);
        CHECK(response.body.capacity() == size);
    }

    TEST_CASE("the bulk server answers GET /<bytes> with that many bytes, and anything else with 404") {
        rt::BulkServer server;
        CHECK(server.url(1000) == "http://127.0.0.1:" + std::to_string(server.port()) + "/1000");
        std::string response = plain_get(server.port(), "/1000");
        std::size_t end = response.find("\r\n\r\n");
        REQUIRE(end != std::string::npos);
        CHECK(response.substr(0, 15) == "HTTP/1.1 200 OK");
        CHECK(response.find("Content-Length: 1000\r\n") != std::string::npos);
        CHECK(response.substr(end + 4) == std::string(1000, 'x'));
        CHECK(plain_get(server.port(), "/lots").substr(0, 12) == "HTTP/1.1 404");
    }
}
