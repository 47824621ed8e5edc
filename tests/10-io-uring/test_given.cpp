// Tests of code chapter 10 gives the learner (suite "given: ..."): the
// probe, the batching, the ring's shut-down, and the errors outside a
// runtime. They pass on the learner's copy: none of them reaps a completion
// through a turn (reap is exercise 1).
#include <doctest/doctest.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "rt.hpp"
#include "uring_helpers.hpp"

using namespace std::chrono_literals;

namespace {

// Refuses io_uring_setup with EPERM on this thread (and threads it starts),
// as a container's seccomp filter does; everything else is allowed.
bool refuse_io_uring_on_this_thread() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    // Without privileges a filter needs no_new_privs; both are per thread.
    // No SECCOMP_FILTER_FLAG_TSYNC: the other threads keep io_uring.
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return false;
    return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0;
}

std::shared_ptr<rt::detail::Op> receive_on_a_pair(rt::sys::Fd* theirs) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        throw std::system_error(errno, std::generic_category(), "socketpair");
    *theirs = rt::sys::Fd(fds[1]);
    auto op = std::make_shared<rt::detail::Op>(rt::detail::Op::Kind::recv, std::make_shared<rt::sys::Fd>(fds[0]));
    op->buffer.resize(64);
    return op;
}

}  // namespace

TEST_SUITE("given: chapter 10") {
    TEST_CASE("available(): io_uring works here, or the tests say why they skip") {
        if (!test::uring_or_skip()) return;
        CHECK(rt::uring::available());
        CHECK(rt::uring::unavailable_reason().empty());
    }

    TEST_CASE("the probe, where a seccomp filter refuses io_uring_setup: not available, and the reason says so") {
        if (!test::uring_or_skip()) return;
        std::string reason;
        bool filtered = false;
        std::thread([&] {
            filtered = refuse_io_uring_on_this_thread();
            if (filtered) reason = rt::detail::probe_io_uring();
        }).join();
        if (!filtered) {
            MESSAGE("skipped: this kernel does not let a thread install a seccomp filter");
            return;
        }
        INFO(reason);
        CHECK_FALSE(reason.empty());
        CHECK(reason.find("not permitted") != std::string::npos);
        INFO("the other threads are not filtered");
        CHECK(rt::detail::probe_io_uring().empty());
    }

    TEST_CASE("the probe with RT_NO_URING=1: not available, and the reason names the variable") {
        ::setenv("RT_NO_URING", "1", 1);
        std::string reason = rt::detail::probe_io_uring();
        ::unsetenv("RT_NO_URING");
        CHECK(reason.find("RT_NO_URING") != std::string::npos);
    }

    TEST_CASE("an executor that never uses the ring opens none: no ring, no system call") {
        rt::Executor executor;
        executor.block_on(rt::sleep(1ms));
        CHECK_FALSE(executor.driver().uring().is_open());
        CHECK(executor.driver().uring().enters() == 0);
    }

    TEST_CASE("batching: 100 operations started in one turn are submitted by one io_uring_enter") {
        if (!test::uring_or_skip()) return;
        rt::detail::Driver driver;
        rt::sys::Fd theirs[100];
        std::shared_ptr<rt::detail::Op> ops[100];
        for (int i = 0; i < 100; ++i) {
            ops[i] = receive_on_a_pair(&theirs[i]);
            driver.uring().start(ops[i]);
        }
        CHECK(driver.uring().enters() == 0);
        driver.uring().flush();
        CHECK(driver.uring().enters() == 1);
        CHECK(driver.uring().submissions() == 100);
        driver.uring().flush();
        INFO("nothing queued: no system call");
        CHECK(driver.uring().enters() == 1);
        driver.shut_down();
    }

    TEST_CASE("shutting a driver down cancels what is in flight and reaps it before freeing the buffers") {
        if (!test::uring_or_skip()) return;
        long live_before = rt::detail::Op::live.load();
        rt::sys::Fd theirs;
        std::weak_ptr<rt::detail::Op> weak;
        {
            rt::detail::Driver driver;
            std::shared_ptr<rt::detail::Op> op = receive_on_a_pair(&theirs);
            weak = op;
            driver.uring().start(op);
            driver.uring().flush();
            op.reset();
            CHECK_FALSE(weak.expired());
            driver.shut_down();
            INFO("shut_down waited for the receive's completion, then let it go");
            CHECK(weak.expired());
            CHECK(driver.uring().in_flight() == 0);
        }
        CHECK(rt::detail::Op::live.load() == live_before);
        char c;
        CHECK(test::read_within(theirs.get(), &c, 1, 1000ms) == 0);
    }

    TEST_CASE("a ring operation after its driver shut down, and a uring stream outside a runtime, throw std::logic_error") {
        if (!test::uring_or_skip()) return;
        rt::detail::Driver driver;
        driver.shut_down();
        rt::sys::Fd theirs;
        CHECK_THROWS_AS(driver.uring().start(receive_on_a_pair(&theirs)), std::logic_error);
        auto connect = rt::uring::TcpStream::connect("127.0.0.1:1");
        rt::Context cx(rt::Waker::noop());
        CHECK_THROWS_AS((void)connect.poll(cx), std::logic_error);
    }
}
