// Code the chapter gives the learner: it must work before any exercise is solved.
#include <doctest/doctest.h>

#include <unistd.h>

#include <tuple>

#include "counting_waker.hpp"
#include "drop_hook.hpp"
#include "io_helpers.hpp"
#include "rt.hpp"
#include "threads.hpp"

using Direction = rt::Reactor::Direction;

TEST_SUITE("given: poll_ready's waker slot") {
    TEST_CASE("the waker poll_ready replaces is dropped after unlocking: its drop may deregister the stream") {
        rt::Reactor reactor{rt::Reactor::Manual{}};
        auto [ours, peer] = test::tcp_pair();
        rt::sys::set_non_blocking(ours);
        auto registration = reactor.add(ours);
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
        ::close(ours);
        ::close(peer);
    }
}
