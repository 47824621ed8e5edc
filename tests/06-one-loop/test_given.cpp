// Code chapter 06 gives the learner: the reactor, the timer and the driver,
// driven by hand, with no executor (and so no exercise) in the way.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "counting_waker.hpp"
#include "drop_hook.hpp"
#include "loop_helpers.hpp"
#include "reports.hpp"
#include "rt.hpp"
#include "scripted_server.hpp"
#include "threads.hpp"
#include "throwing_waker.hpp"

using namespace std::chrono_literals;
using Direction = rt::Reactor::Direction;
using test::Clock;

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

void send_text(int fd, const std::string& text) { (void)::send(fd, text.data(), text.size(), MSG_NOSIGNAL); }

// A waker that appends its id to `order` when woken.
struct Records {
    Records(std::vector<int>* o, int i) : order(o), id(i) {}
    std::vector<int>* order;
    int id;
    void wake() const { order->push_back(id); }
};

rt::Waker recorder(std::vector<int>& order, int id) { return rt::waker_from(rt::make_arc<Records>(&order, id)); }

}  // namespace

TEST_SUITE("given: the reactor, the timer and the driver, by hand") {
    TEST_CASE("a turn reports the eventfd as signalled, dispatches the other events, and the eventfd stays "
              "readable until drained") {
        rt::Reactor reactor;
        rt::sys::Fd signal = rt::sys::event_fd();
        reactor.watch_signal(signal.get());
        SocketPair sockets;
        auto registration = reactor.add(sockets.ours);
        (void)reactor.turn(0);  // a new registration starts with an edge: writable
        test::WakeCounter reader;
        rt::Waker waker = reader.waker();
        rt::Context cx(waker);
        REQUIRE(reactor.poll_ready(*registration, Direction::read, cx).is_pending());
        send_text(sockets.peer, "x");
        REQUIRE(rt::sys::event_fd_signal(signal.get()).ok());
        rt::Reactor::Turn turn = reactor.turn(1000);
        CHECK(turn.signalled);
        CHECK(turn.events == 2);
        CHECK(reader.wakes == 1);
        // Level-triggered: the eventfd ends the next wait too, until it is read back to zero.
        CHECK(reactor.turn(1000).signalled);
        CHECK(rt::sys::event_fd_drain(signal.get()).ok());
        CHECK_FALSE(reactor.turn(0).signalled);
        reactor.remove(registration);
    }

    TEST_CASE("close() forgets every registration and drops its wakers; remove() after it does nothing") {
        rt::Reactor reactor;
        SocketPair sockets;
        auto registration = reactor.add(sockets.ours);
        (void)reactor.turn(0);
        test::WakeCounter reader;
        {
            rt::Waker waker = reader.waker();
            rt::Context cx(waker);
            REQUIRE(reactor.poll_ready(*registration, Direction::read, cx).is_pending());
        }
        CHECK(reader.live() == 1);  // the registration's clone
        reactor.close();
        CHECK(reactor.size() == 0);
        CHECK(reader.live() == 0);
        reactor.remove(registration);
        CHECK(reactor.size() == 0);
    }

    TEST_CASE("the waker poll_ready replaces is dropped after unlocking: its drop may deregister the stream") {
        rt::Reactor reactor;
        SocketPair sockets;
        auto registration = reactor.add(sockets.ours);
        // As a task's last waker, whose task owns the stream, would as it drops.
        test::DropHook hook([&] { reactor.remove(registration); });
        {
            rt::Waker hooked = hook.waker();
            rt::Context cx(hooked);
            CHECK(reactor.poll_ready(*registration, Direction::read, cx).is_pending());
        }
        hook.arm();  // the registration's clone is the only one left
        test::WakeCounter counter;
        rt::Waker other = counter.waker();
        rt::Context cx(other);
        // Under the registration's lock, remove() would lock it again: a deadlock.
        CHECK(test::bounded("a poll_ready whose replaced waker deregisters as it drops",
                            [&] { return reactor.poll_ready(*registration, Direction::read, cx).is_pending(); }));
        CHECK(hook.ran());
        CHECK(reactor.size() == 0);
        CHECK(counter.live() == 1);  // remove() dropped the clone it found
    }

    TEST_CASE("fire_due wakes what is due in deadline order, leaves the rest, and reports a wake that throws") {
        test::CatchReports reports;
        auto t0 = Clock::now();
        auto now = t0;
        rt::Timer timer([&] { return now; });
        std::vector<int> order;
        std::vector<rt::Timer::Entry> entries;
        entries.reserve(5);  // the heap points into them: they must not move
        const int offsets_ms[] = {30, 10, 50, 20, 40};
        for (int ms : offsets_ms) entries.emplace_back(t0 + std::chrono::milliseconds(ms));
        for (std::size_t i = 0; i < entries.size(); ++i) timer.store(entries[i], recorder(order, offsets_ms[i]));
        test::ThrowingWaker thrower(test::ThrowingWaker::on_wake);
        rt::Timer::Entry throws(t0 + 25ms);
        timer.store(throws, thrower.waker());
        CHECK(timer.size() == 6);
        CHECK(timer.next_deadline() == t0 + 10ms);
        CHECK(timer.fire_due() == 0);
        now = t0 + 30ms;
        CHECK(timer.fire_due() == 4);
        CHECK(order == std::vector<int>{10, 20, 30});
        CHECK(thrower.wakes == 1);
        CHECK(reports.lines() == std::vector<std::string>{"rt::Timer: a waker's wake threw: the waker threw from wake"});
        CHECK(timer.next_deadline() == t0 + 40ms);
        // A fired entry is not stored again.
        timer.store(entries[1], recorder(order, 99));
        CHECK(timer.size() == 2);
        now = t0 + 1h;
        CHECK(timer.fire_due() == 2);
        CHECK(order == std::vector<int>{10, 20, 30, 40, 50});
        CHECK_FALSE(timer.next_deadline().has_value());
    }

    TEST_CASE("a driver counts its turns; shut down, it forgets its timers and refuses leaf futures") {
        rt::detail::Driver driver;
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Timer::Entry entry(Clock::now() + 1h);
        driver.timer().store(entry, waker);
        (void)driver.turn(0);
        (void)driver.turn(1);
        CHECK(driver.turns() == 2);
        CHECK(driver.blocking_turns() == 1);
        CHECK_FALSE(driver.runs_here());
        CHECK_THROWS_WITH_AS(driver.check_running("rt::sleep"),
                             doctest::Contains("rt::sleep: polled on a thread where its executor does not run"),
                             std::logic_error);
        driver.shut_down();
        CHECK(driver.is_shut_down());
        CHECK(driver.timer().size() == 0);
        CHECK(counter.live() == 1);  // the timer's clone is dropped; ours is left
        CHECK_THROWS_WITH_AS(driver.check_running("rt::sleep"),
                             doctest::Contains("rt::sleep: polled after its executor was destroyed"),
                             std::logic_error);
        driver.timer().cancel(entry);  // as the Sleep's destructor would: nothing to take out
    }

    TEST_CASE("the loop's hooks run once, then are cleared") {
        test::ClearHooks clear;
        int runs = 0;
        rt::detail::loop_hooks().before_wait = [&] { ++runs; };
        rt::detail::run_hook(rt::detail::loop_hooks().before_wait);
        rt::detail::run_hook(rt::detail::loop_hooks().before_wait);
        CHECK(runs == 1);
        CHECK_FALSE(rt::detail::loop_hooks().before_wait);
    }

    TEST_CASE("an executor's driver is current only while it runs; rt::block_on runs a fresh executor") {
        CHECK_THROWS_WITH_AS(rt::detail::current_driver("rt::sleep"),
                             doctest::Contains("rt::sleep: polled where no executor runs on this thread"),
                             std::logic_error);
        rt::Executor executor;
        bool here = executor.block_on(test::poll_fn<bool>([&](rt::Context&) -> rt::Poll<bool> {
            return rt::detail::current_driver("test").get() == &executor.driver() && executor.driver().runs_here();
        }));
        CHECK(here);
        CHECK_FALSE(executor.driver().runs_here());
        // A task spawned inside rt::block_on runs on its executor; the task's wake is local: no park, no write.
        int answer = rt::block_on(rt::Then(rt::Ready<int>(0), [](int) { return rt::spawn(rt::Ready<int>(42)); }));
        CHECK(answer == 42);
    }
}
