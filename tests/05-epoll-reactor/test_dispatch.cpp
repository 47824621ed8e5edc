#include <doctest/doctest.h>

#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "counting_waker.hpp"
#include "io_helpers.hpp"
#include "reports.hpp"
#include "rt.hpp"
#include "threads.hpp"
#include "throwing_waker.hpp"

using namespace std::chrono_literals;
using Direction = rt::Reactor::Direction;

namespace {

// A loopback connection: our end non-blocking, for the reactor; the peer's blocking.
struct SocketPair {
    int ours, peer;
    SocketPair() {
        std::tie(ours, peer) = test::tcp_pair();
        rt::sys::set_non_blocking(ours);
    }
    ~SocketPair() {
        ::close(ours);
        ::close(peer);
    }
};

epoll_event event_for(const rt::Reactor::Registration& registration, std::uint32_t what) {
    epoll_event event{};
    event.events = what;
    event.data.u64 = registration.token;
    return event;
}

// When woken, asks the reactor about its registration: that takes the
// registration's lock, so dispatch must not hold it while waking.
struct AsksBack {
    AsksBack(rt::Reactor* r, rt::Reactor::Registration* g) : reactor(r), registration(g) {}
    rt::Reactor* reactor;
    rt::Reactor::Registration* registration;
    mutable std::atomic<int> wakes{0};
    void wake() const {
        rt::Context cx(rt::Waker::noop());
        (void)reactor->poll_ready(*registration, Direction::read, cx);
        ++wakes;
    }
};

// Once armed, checks as it is destroyed at exit that the global reactor
// still works: its thread must wake a reader when data arrives. Ends the
// process with code 3 if not.
struct ChecksReactorAtExit {
    bool armed = false;
    ~ChecksReactorAtExit() {
        if (!armed) return;
        rt::Reactor& reactor = rt::Reactor::global();
        SocketPair sockets;
        auto registration = reactor.add(sockets.ours);
        test::WakeCounter reader;
        rt::Waker waker = reader.waker();
        rt::Context cx(waker);
        bool woken = reactor.poll_ready(*registration, Direction::read, cx).is_pending() &&
                     (test::send_text(sockets.peer, "x"), test::eventually([&] { return reader.wakes == 1; }, 5000ms));
        reactor.remove(registration);
        if (woken) return;
        std::fputs("at exit, the global reactor no longer wakes a reader\n", stderr);
        std::_Exit(3);
    }
};

}  // namespace

TEST_SUITE("ex1: Reactor::dispatch") {
    TEST_CASE("an edge marks the registration readable and wakes the waiting reader, once") {
        test::WakeCounter reader, writer;
        rt::Reactor reactor{rt::Reactor::Manual{}};
        SocketPair sockets;
        auto registration = reactor.add(sockets.ours);
        reactor.turn(0);  // a new registration starts with an edge: writable
        rt::Waker r = reader.waker(), w = writer.waker();
        rt::Context cx_r(r), cx_w(w);
        CHECK(reactor.poll_ready(*registration, Direction::read, cx_r).is_pending());
        test::send_text(sockets.peer, "x");
        CHECK(reactor.turn(1000) == 1);
        CHECK(reader.wakes == 1);
        CHECK(writer.total_wakes() == 0);
        CHECK(reactor.poll_ready(*registration, Direction::read, cx_r).is_ready());    // the edge, used up
        CHECK(reactor.poll_ready(*registration, Direction::read, cx_r).is_pending());  // now we wait again
        reactor.remove(registration);
    }

    TEST_CASE("an edge takes the waker: a second edge, with no waker stored since, wakes nobody") {
        test::WakeCounter reader;
        rt::Reactor reactor{rt::Reactor::Manual{}};
        SocketPair sockets;
        auto registration = reactor.add(sockets.ours);
        rt::Waker r = reader.waker();
        rt::Context cx(r);
        reactor.turn(0);
        REQUIRE(reactor.poll_ready(*registration, Direction::read, cx).is_pending());
        epoll_event first = event_for(*registration, EPOLLIN);
        reactor.dispatch(&first, 1);
        CHECK(reader.wakes == 1);
        epoll_event second = event_for(*registration, EPOLLIN);
        reactor.dispatch(&second, 1);
        INFO("take the waker out of the registration (swap or std::move), do not copy it: a waker is woken once");
        CHECK(reader.wakes == 1);
        reactor.remove(registration);
    }

    TEST_CASE("a writable edge wakes the writer, not the reader") {
        test::WakeCounter reader, writer;
        rt::Reactor reactor{rt::Reactor::Manual{}};
        SocketPair sockets;
        auto registration = reactor.add(sockets.ours);
        reactor.dispatch(nullptr, 0);  // (the stub fails here)
        rt::Waker r = reader.waker(), w = writer.waker();
        rt::Context cx_r(r), cx_w(w);
        CHECK(reactor.poll_ready(*registration, Direction::read, cx_r).is_pending());
        CHECK(reactor.poll_ready(*registration, Direction::write, cx_w).is_pending());
        epoll_event writable = event_for(*registration, EPOLLOUT);
        reactor.dispatch(&writable, 1);
        CHECK(writer.wakes == 1);
        CHECK(reader.total_wakes() == 0);
        CHECK(registration->writable);
        CHECK_FALSE(registration->readable);
        reactor.remove(registration);
    }

    TEST_CASE("a hang-up or an error wakes both directions") {
        for (std::uint32_t what : {std::uint32_t(EPOLLHUP), std::uint32_t(EPOLLERR)}) {
            test::WakeCounter reader, writer;
            rt::Reactor reactor{rt::Reactor::Manual{}};
            SocketPair sockets;
            auto registration = reactor.add(sockets.ours);
            reactor.dispatch(nullptr, 0);
            rt::Waker r = reader.waker(), w = writer.waker();
            rt::Context cx_r(r), cx_w(w);
            CHECK(reactor.poll_ready(*registration, Direction::read, cx_r).is_pending());
            CHECK(reactor.poll_ready(*registration, Direction::write, cx_w).is_pending());
            epoll_event event = event_for(*registration, what);
            reactor.dispatch(&event, 1);
            CHECK(reader.wakes == 1);
            CHECK(writer.wakes == 1);
            reactor.remove(registration);
        }
    }

    TEST_CASE("an event for a registration removed since wakes nobody") {
        test::WakeCounter reader;
        rt::Reactor reactor{rt::Reactor::Manual{}};
        SocketPair sockets;
        auto registration = reactor.add(sockets.ours);
        reactor.dispatch(nullptr, 0);
        rt::Waker r = reader.waker();
        rt::Context cx(r);
        CHECK(reactor.poll_ready(*registration, Direction::read, cx).is_pending());
        epoll_event stale = event_for(*registration, EPOLLIN);
        reactor.remove(registration);
        CHECK(reactor.size() == 0);
        reactor.dispatch(&stale, 1);
        CHECK(reader.total_wakes() == 0);
    }

    TEST_CASE("wakes happen outside the registration's lock") {
        rt::Reactor reactor{rt::Reactor::Manual{}};
        SocketPair sockets;
        auto registration = reactor.add(sockets.ours);
        reactor.dispatch(nullptr, 0);
        auto target = rt::make_arc<AsksBack>(&reactor, registration.get());
        rt::Waker waker = rt::waker_from(target);
        rt::Context cx(waker);
        CHECK(reactor.poll_ready(*registration, Direction::read, cx).is_pending());
        epoll_event readable = event_for(*registration, EPOLLIN);
        test::bounded("dispatch with a waker that asks the reactor back", [&] { reactor.dispatch(&readable, 1); });
        CHECK(target->wakes == 1);
        reactor.remove(registration);
    }

    TEST_CASE("a reactor's own thread wakes a waiting reader when data arrives") {
        test::WakeCounter reader;
        rt::Reactor{rt::Reactor::Manual{}}.dispatch(nullptr, 0);  // (the stub fails here, not on the reactor's thread)
        rt::Reactor reactor;
        SocketPair sockets;
        auto registration = reactor.add(sockets.ours);
        rt::Waker r = reader.waker();
        rt::Context cx(r);
        CHECK(reactor.poll_ready(*registration, Direction::read, cx).is_pending());
        test::send_text(sockets.peer, "data");
        CHECK(test::eventually([&] { return reader.wakes == 1; }, 5000ms));
        reactor.remove(registration);
    }

    TEST_CASE("a wake that throws is reported, and the other direction is still woken") {
        test::CatchReports reports;
        test::ThrowingWaker thrower(test::ThrowingWaker::on_wake);
        test::WakeCounter writer;
        rt::Reactor reactor{rt::Reactor::Manual{}};
        SocketPair sockets;
        auto registration = reactor.add(sockets.ours);
        reactor.dispatch(nullptr, 0);  // (the stub fails here)
        rt::Waker r = thrower.waker(), w = writer.waker();
        rt::Context cx_r(r), cx_w(w);
        CHECK(reactor.poll_ready(*registration, Direction::read, cx_r).is_pending());
        CHECK(reactor.poll_ready(*registration, Direction::write, cx_w).is_pending());
        epoll_event hang_up = event_for(*registration, EPOLLHUP);
        reactor.dispatch(&hang_up, 1);
        CHECK(thrower.wakes == 1);
        CHECK(writer.wakes == 1);
        CHECK(reports.lines() == std::vector<std::string>{"rt::Reactor: a waker's wake threw: the waker threw from wake"});
        CHECK(thrower.live() == 1);  // ours
        reactor.remove(registration);
    }

    TEST_CASE("the reactor's thread survives a wake that throws, and goes on dispatching") {
        rt::Reactor{rt::Reactor::Manual{}}.dispatch(nullptr, 0);  // (the stub fails here, not on the reactor's thread)
        test::CatchReports reports;
        test::ThrowingWaker thrower(test::ThrowingWaker::on_wake);
        test::WakeCounter reader;
        rt::Reactor reactor;
        SocketPair sockets;
        auto registration = reactor.add(sockets.ours);
        rt::Waker bad = thrower.waker(), good = reader.waker();
        rt::Context cx_bad(bad), cx_good(good);
        CHECK(reactor.poll_ready(*registration, Direction::read, cx_bad).is_pending());
        test::send_text(sockets.peer, "x");
        REQUIRE(test::eventually([&] { return reports.count() == 1; }, 5000ms));
        char byte;
        CHECK(::read(sockets.ours, &byte, 1) == 1);  // take the byte, as a reader would
        CHECK(reactor.poll_ready(*registration, Direction::read, cx_good).is_ready());    // the old edge
        CHECK(reactor.poll_ready(*registration, Direction::read, cx_good).is_pending());
        test::send_text(sockets.peer, "y");
        CHECK(test::eventually([&] { return reader.wakes == 1; }, 5000ms));
        reactor.remove(registration);
    }

    TEST_CASE("the global reactor outlives a static stream destroyed at exit (run in a child process)") {
        rt::Reactor{rt::Reactor::Manual{}}.dispatch(nullptr, 0);  // (the stub fails here, not on the reactor's thread)
        // In the child, these statics are made before the global reactor, so
        // they are destroyed after it, at exit: ~TcpStream then deregisters
        // there, and the checker tries to wait for data through it.
        static ChecksReactorAtExit checker;
        static std::optional<rt::TcpStream> kept;
        auto [ours, peer] = test::tcp_pair();
        kept.emplace(rt::TcpStream::adopt(rt::sys::Fd(ours), "the test's peer"));
        if (test::in_child()) {
            checker.armed = true;
            return;  // leave them for the end of the process
        }
        kept.reset();
        ::close(peer);
        test::ChildResult child = test::run_in_child(doctest::getContextOptions()->currentTest->m_name);
        INFO(child.report());
        CHECK(child.ok());
    }
}
