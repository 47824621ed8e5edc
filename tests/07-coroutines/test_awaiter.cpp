// Exercise 1: the awaiter, driven by hand as a coroutine would drive it:
// await_ready, then (if pending) await_suspend, the hook at each later
// poll, and await_resume once the hook answers true.
#include <doctest/doctest.h>

#include <coroutine>
#include <stdexcept>
#include <string>

#include "coroutine_helpers.hpp"
#include "counting_waker.hpp"
#include "rt.hpp"

namespace {

// A promise with a Context, as Async::poll leaves it before it resumes the body.
struct Harness {
    test::WakeCounter counter;
    rt::Waker waker = counter.waker();
    rt::Context cx{waker};
    rt::detail::PromiseBase promise;
    Harness() { promise.cx = &cx; }

    // What Async::poll does while suspended: the hook, once.
    bool poll_hook() {
        REQUIRE((promise.awaiting.poll != nullptr));
        return promise.awaiting.poll(promise.awaiting.awaiter, cx);
    }
};

}  // namespace

TEST_SUITE("ex1: Awaiter: poll in place, keep the output or the exception") {
    TEST_CASE("a ready future: await_ready polls it once and answers true; await_resume gives its output") {
        Harness h;
        test::Gate gate;
        gate.open = true;
        test::GateFuture future(gate, 42);
        auto awaiter = h.promise.await_transform(future);
        REQUIRE(awaiter.await_ready());
        INFO("await_ready polls the future once: a ready future never suspends the coroutine");
        CHECK(gate.polls == 1);
        CHECK(awaiter.await_resume() == 42);
    }

    TEST_CASE("an lvalue is polled in place, with the promise's Context") {
        Harness h;
        rt::Countdown countdown(3);
        auto awaiter = h.promise.await_transform(countdown);
        REQUIRE_FALSE(awaiter.await_ready());
        INFO("co_await on an lvalue polls that object itself, not a copy");
        CHECK(countdown.polls() == 1);
        INFO("the future is polled with the Context the promise holds: its wake must reach that waker");
        CHECK(h.counter.wakes_by_ref == 1);
        awaiter.await_suspend(std::noop_coroutine());
        CHECK_FALSE(h.poll_hook());
        CHECK(countdown.polls() == 2);
        CHECK(h.counter.wakes_by_ref == 2);
        CHECK(h.poll_hook());
        CHECK(countdown.polls() == 3);
        CHECK(awaiter.await_resume() == 3);
    }

    TEST_CASE("an rvalue is moved into the awaiter before its first poll, and polled there") {
        Harness h;
        test::Gate gate;
        test::GateFuture future(gate, 7);
        auto awaiter = h.promise.await_transform(std::move(future));
        CHECK(future.moved_from());
        REQUIRE_FALSE(awaiter.await_ready());  // a poll of the moved-from one would throw
        CHECK(gate.polls == 1);
        awaiter.await_suspend(std::noop_coroutine());
        gate.release();
        CHECK(h.counter.wakes == 1);
        CHECK(h.poll_hook());
        CHECK(awaiter.await_resume() == 7);
    }

    TEST_CASE("each call of the hook polls the future exactly once") {
        Harness h;
        test::Gate gate;
        test::GateFuture future(gate, 1);
        auto awaiter = h.promise.await_transform(future);
        REQUIRE_FALSE(awaiter.await_ready());
        awaiter.await_suspend(std::noop_coroutine());
        for (int i = 0; i < 3; ++i) CHECK_FALSE(h.poll_hook());
        CHECK(gate.polls == 4);
        gate.release();
        CHECK(h.poll_hook());
        CHECK(gate.polls == 5);
        CHECK(awaiter.await_resume() == 1);
    }

    TEST_CASE("a future of void: await_resume returns once it is ready") {
        Harness h;
        struct Once {
            using Output = void;
            int polls = 0;
            rt::Poll<void> poll(rt::Context&) {
                if (++polls < 2) return rt::pending;
                return rt::ready();
            }
        } once;
        auto awaiter = h.promise.await_transform(once);
        REQUIRE_FALSE(awaiter.await_ready());
        awaiter.await_suspend(std::noop_coroutine());
        CHECK(h.poll_hook());
        CHECK(once.polls == 2);
        awaiter.await_resume();
    }

    TEST_CASE("an exception from the first poll comes out of await_ready") {
        Harness h;
        test::ThrowAt future(0, "refused at once");
        auto awaiter = h.promise.await_transform(future);
        CHECK_THROWS_WITH_AS((void)awaiter.await_ready(), "refused at once", std::runtime_error);
    }

    TEST_CASE("an exception from a later poll: the hook keeps it and answers true; await_resume rethrows it") {
        Harness h;
        test::ThrowAt future(1, "reset later");
        auto awaiter = h.promise.await_transform(future);
        REQUIRE_FALSE(awaiter.await_ready());
        awaiter.await_suspend(std::noop_coroutine());
        INFO("the hook runs inside Async::poll, outside the coroutine's body: an exception thrown there could not "
             "be caught by the body, so the hook keeps it and resumes the coroutine");
        bool resume = h.poll_hook();
        CHECK(resume);
        CHECK_THROWS_WITH_AS((void)awaiter.await_resume(), "reset later", std::runtime_error);
    }
}
