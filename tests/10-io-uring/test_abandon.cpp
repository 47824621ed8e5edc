// Exercise 2: Uring::abandon. The tests start a receive by hand, submit it
// (flush, given), and abandon it before any turn reaps anything.
#include <doctest/doctest.h>

#include <sys/socket.h>

#include <memory>
#include <system_error>

#include "counting_waker.hpp"
#include "rt.hpp"
#include "uring_helpers.hpp"

using namespace std::chrono_literals;

namespace {

struct Receive {
    std::shared_ptr<rt::detail::Op> op;
    rt::sys::Fd theirs;
};
// A receive on one end of a fresh socket pair, started (not yet submitted);
// the op owns that end.
Receive start_receive(rt::detail::Uring& uring, rt::Context& cx) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        throw std::system_error(errno, std::generic_category(), "socketpair");
    auto op = std::make_shared<rt::detail::Op>(rt::detail::Op::Kind::recv, std::make_shared<rt::sys::Fd>(fds[0]));
    op->buffer.resize(64);
    uring.start(op);
    REQUIRE(uring.poll_op(*op, cx).is_pending());
    return {op, rt::sys::Fd(fds[1])};
}

void turn_until_idle(rt::detail::Driver& driver) {
    for (int turn = 0; turn < 200 && driver.uring().in_flight() > 0; ++turn) driver.turn(10);
}

}  // namespace

TEST_SUITE("ex2: Uring::abandon: cancel in flight, keep the buffer until the completion") {
    TEST_CASE("an abandoned receive: the waker goes at once, the op (buffer, socket) at its own completion") {
        if (!test::uring_or_skip()) return;
        rt::detail::Driver driver;
        long live_before = rt::detail::Op::live.load();
        test::WakeCounter counter;
        Receive receive;
        {
            rt::Waker waker = counter.waker();
            rt::Context cx(waker);
            receive = start_receive(driver.uring(), cx);
        }
        driver.uring().flush();  // submitted: the kernel holds the buffer now
        driver.uring().abandon(receive.op);
        INFO("nobody awaits the operation any more: its waker is dropped at once");
        CHECK(counter.live() == 0);
        std::weak_ptr<rt::detail::Op> weak = receive.op;
        receive.op.reset();
        INFO("the kernel may still write into the buffer: the ring keeps the op until its own completion");
        CHECK_FALSE(weak.expired());
        CHECK(driver.uring().in_flight() == 1);
        turn_until_idle(driver);
        INFO("the cancel must reach the kernel: without it the receive waits for data for ever");
        REQUIRE(driver.uring().in_flight() == 0);
        CHECK(weak.expired());
        CHECK(rt::detail::Op::live.load() == live_before);
        INFO("the socket closed with the op: the other end reads the end of the stream");
        char c;
        CHECK(test::read_within(receive.theirs.get(), &c, 1, 1000ms) == 0);
    }

    TEST_CASE("the cancelled receive completes with ECANCELED; the cancel's own completion names no operation") {
        if (!test::uring_or_skip()) return;
        rt::detail::Driver driver;
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        Receive receive = start_receive(driver.uring(), cx);
        driver.uring().flush();
        driver.uring().abandon(receive.op);
        turn_until_idle(driver);
        REQUIRE(driver.uring().in_flight() == 0);
        CHECK(receive.op->done);
        INFO("the operation's own completion, not the cancel's, gives its result");
        CHECK(receive.op->result == -ECANCELED);
        CHECK(driver.uring().completions() == 2);  // the receive's and the cancel's
        CHECK(counter.wakes.load() == 0);
    }

    TEST_CASE("abandoning an operation that is not in flight (never started, or completed) submits nothing") {
        if (!test::uring_or_skip()) return;
        rt::detail::Driver driver;
        rt::Context cx(rt::Waker::noop());
        Receive receive = start_receive(driver.uring(), cx);  // opens the ring
        auto never_started =
            std::make_shared<rt::detail::Op>(rt::detail::Op::Kind::recv, std::make_shared<rt::sys::Fd>());
        driver.uring().abandon(never_started);
        driver.uring().flush();
        INFO("only the receive was submitted: a cancel of nothing is a submission for nothing");
        CHECK(driver.uring().submissions() == 1);
        test::write_fully(receive.theirs.get(), "done");
        turn_until_idle(driver);
        REQUIRE(receive.op->done);
        driver.uring().abandon(receive.op);  // completed
        driver.turn(0);
        CHECK(driver.uring().submissions() == 1);
        CHECK(driver.uring().completions() == 1);
        CHECK(receive.op->result == 4);
    }

    TEST_CASE("abandoned before it was submitted: the receive and its cancel go in one batch") {
        if (!test::uring_or_skip()) return;
        rt::detail::Driver driver;
        rt::Context cx(rt::Waker::noop());
        Receive receive = start_receive(driver.uring(), cx);
        driver.uring().abandon(receive.op);
        CHECK(driver.uring().enters() == 0);
        turn_until_idle(driver);
        REQUIRE(driver.uring().in_flight() == 0);
        CHECK(receive.op->result == -ECANCELED);
        INFO("one io_uring_enter submitted both");
        CHECK(driver.uring().enters() == 1);
        CHECK(driver.uring().submissions() == 2);
    }
}
