// Exercise 3: Async::poll, and with it the rules a coroutine keeps as a
// future: laziness, results and exceptions, one poll of the awaited future
// per poll, the outermost Context at every depth, cancellation by
// destruction, moves, and a flat stack for a million ready awaits.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "alloc_counter.hpp"
#include "coroutine_helpers.hpp"
#include "counting_waker.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

rt::Async<int> answer(int* ran) {
    ++*ran;
    co_return 42;
}

rt::Async<void> nothing(int* ran) {
    ++*ran;
    co_return;
}

// Awaits a gate, noting how far the body got.
rt::Async<int> through_gate(test::Gate& gate, int* stage) {
    *stage = 1;
    int value = co_await test::GateFuture(gate, 10);
    *stage = 2;
    co_return value + 1;
}

// Awaits two gates in turn.
rt::Async<int> two_gates(test::Gate& first, test::Gate& second) {
    int a = co_await test::GateFuture(first, 1);
    int b = co_await test::GateFuture(second, 2);
    co_return a + b;
}

rt::Async<int> throws_at_once() {
    throw std::runtime_error("thrown before the first co_await");
    co_return 0;
}

rt::Async<int> throws_later(int pending_polls) {
    int value = co_await test::ThrowAt(pending_polls, "thrown by the awaited future");
    co_return value;
}

rt::Async<std::string> catches_later() {
    try {
        co_await test::ThrowAt(2, "caught inside");
    } catch (const std::runtime_error& e) {
        co_return std::string("caught: ") + e.what();
    }
    co_return std::string("not thrown");
}

rt::Async<int> level_three(test::Gate& gate) { co_return co_await test::GateFuture(gate, 3) * 100; }
rt::Async<int> level_two(test::Gate& gate) { co_return co_await level_three(gate) + 20; }
rt::Async<int> level_one(test::Gate& gate) {
    rt::Async<int> two = level_two(gate);
    int value = co_await two;  // an lvalue Async: polled in place
    co_return value + 1;
}

// Keeps a local and awaits a gate: for cancellation.
rt::Async<int> holds_a_local(test::Lives& lives, test::Gate& gate) {
    test::LifeProbe local(lives);
    int value = co_await test::GateFuture(gate, 1, &lives);
    co_return value;
}

rt::Async<long> million_ready(long n) {
    long sum = 0;
    for (long i = 0; i < n; ++i) sum += co_await rt::Ready<long>(1);
    co_return sum;
}

rt::Async<long> ready_child(long i) { co_return co_await rt::Ready<long>(i); }

rt::Async<long> many_children(long n) {
    long sum = 0;
    for (long i = 0; i < n; ++i) sum += co_await ready_child(1);
    co_return sum;
}

rt::Async<long> recurse(int depth) {
    if (depth == 0) co_return 0;
    co_return 1 + co_await recurse(depth - 1);
}

}  // namespace

TEST_SUITE("ex3: Async::poll: re-poll the awaited future, resume only when it is ready") {
    TEST_CASE("lazy: the call runs nothing; the first poll runs the body") {
        int ran = 0;
        rt::Async<int> future = answer(&ran);
        CHECK(ran == 0);
        rt::Context cx(rt::Waker::noop());
        rt::Poll<int> poll = future.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(ran == 1);
        CHECK(poll.value() == 42);
    }

    TEST_CASE("co_return of void; a poll after completion throws std::logic_error naming rt::Async") {
        int ran = 0;
        rt::Async<void> future = nothing(&ran);
        rt::Context cx(rt::Waker::noop());
        REQUIRE(future.poll(cx).is_ready());
        CHECK(ran == 1);
        CHECK_THROWS_WITH_AS((void)future.poll(cx), doctest::Contains("rt::Async"), std::logic_error);
    }

    TEST_CASE("a pending await: pending; each later poll polls the awaited future once, and resumes only when ready") {
        test::Gate gate;
        int stage = 0;
        rt::Async<int> future = through_gate(gate, &stage);
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        REQUIRE(future.poll(cx).is_pending());
        CHECK(stage == 1);
        CHECK(gate.polls == 1);
        INFO("a poll without a wake (spurious): the awaited future is polled once, the body stays suspended");
        CHECK(future.poll(cx).is_pending());
        CHECK(gate.polls == 2);
        CHECK(stage == 1);
        gate.release();
        CHECK(counter.wakes == 1);
        rt::Poll<int> poll = future.poll(cx);
        CHECK(gate.polls == 3);
        REQUIRE(poll.is_ready());
        CHECK(stage == 2);
        CHECK(poll.value() == 11);
    }

    TEST_CASE("polled only when woken, as an executor does: the awaited future's wake brings the one poll that finishes") {
        test::Gate gate;
        int stage = 0;
        rt::Async<int> future = through_gate(gate, &stage);
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        REQUIRE(future.poll(cx).is_pending());
        INFO("nothing woke the Async: an executor would not poll it again");
        CHECK(counter.total_wakes() == 0);
        gate.release();
        CHECK(counter.wakes == 1);
        rt::Poll<int> poll = future.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == 11);
        CHECK(gate.polls == 2);
    }

    TEST_CASE("awaited futures see the Context of the current poll, at every depth") {
        test::Gate gate;
        rt::Async<int> future = level_one(gate);
        test::WakeCounter first, second;
        rt::Waker first_waker = first.waker(), second_waker = second.waker();
        rt::Context first_cx(first_waker), second_cx(second_waker);
        REQUIRE(future.poll(first_cx).is_pending());
        REQUIRE(future.poll(second_cx).is_pending());
        INFO("the gate keeps the waker of its last poll: the second poll's");
        gate.release();
        CHECK(first.total_wakes() == 0);
        CHECK(second.wakes == 1);
        rt::Poll<int> poll = future.poll(second_cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == 321);
        CHECK(gate.polls == 3);
    }

    TEST_CASE("a co_await that starts at a later poll polls with that poll's Context") {
        test::Gate first, second;
        rt::Async<int> future = two_gates(first, second);
        test::WakeCounter a, b;
        rt::Waker a_waker = a.waker(), b_waker = b.waker();
        rt::Context a_cx(a_waker), b_cx(b_waker);
        REQUIRE(future.poll(a_cx).is_pending());
        first.release();
        REQUIRE(future.poll(b_cx).is_pending());  // resumed, then suspended on the second gate
        INFO("the second gate was first polled inside the second poll: it must keep that poll's waker");
        second.release();
        CHECK(a.wakes == 1);  // the first gate's wake
        CHECK(b.wakes == 1);
        rt::Poll<int> poll = future.poll(b_cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == 3);
    }

    TEST_CASE("an exception before the first co_await comes out of the first poll") {
        rt::Async<int> future = throws_at_once();
        rt::Context cx(rt::Waker::noop());
        CHECK_THROWS_WITH_AS((void)future.poll(cx), "thrown before the first co_await", std::runtime_error);
        CHECK_THROWS_AS((void)future.poll(cx), std::logic_error);
    }

    TEST_CASE("an exception from an awaited future's later poll comes out of the poll that saw it") {
        rt::Async<int> future = throws_later(2);
        rt::Context cx(rt::Waker::noop());
        REQUIRE(future.poll(cx).is_pending());
        REQUIRE(future.poll(cx).is_pending());
        CHECK_THROWS_WITH_AS((void)future.poll(cx), "thrown by the awaited future", std::runtime_error);
    }

    TEST_CASE("an exception from a later poll is thrown by the co_await: the body can catch it") {
        rt::Async<std::string> future = catches_later();
        rt::Context cx(rt::Waker::noop());
        REQUIRE(future.poll(cx).is_pending());
        REQUIRE(future.poll(cx).is_pending());
        rt::Poll<std::string> poll = future.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == "caught: caught inside");
    }

    TEST_CASE("destroying a suspended Async destroys its locals and the future it awaits, once each") {
        test::Lives lives;
        test::Gate gate;
        {
            rt::Async<int> future = holds_a_local(lives, gate);
            rt::Context cx(rt::Waker::noop());
            REQUIRE(future.poll(cx).is_pending());
            CHECK(lives.destroyed == 0);
        }
        CHECK(lives.destroyed == 2);  // the local, and the GateFuture in the awaiter
    }

    TEST_CASE("moving before the first poll, and after it") {
        test::Gate gate;
        int stage = 0;
        rt::Context cx(rt::Waker::noop());
        rt::Async<int> first = through_gate(gate, &stage);
        rt::Async<int> second = std::move(first);  // before the first poll
        CHECK_THROWS_AS((void)first.poll(cx), std::logic_error);
        REQUIRE(second.poll(cx).is_pending());
        rt::Async<int> third = std::move(second);  // suspended: the frame stays where it is
        CHECK_THROWS_AS((void)second.poll(cx), std::logic_error);
        gate.release();
        rt::Poll<int> poll = third.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == 11);
    }

    TEST_CASE("assigning over a suspended Async destroys the frame it held, once") {
        test::Lives lives;
        test::Gate gate, other_gate;
        int stage = 0;
        rt::Context cx(rt::Waker::noop());
        rt::Async<int> future = holds_a_local(lives, gate);
        REQUIRE(future.poll(cx).is_pending());
        future = through_gate(other_gate, &stage);
        CHECK(lives.destroyed == 2);
        other_gate.open = true;
        rt::Poll<int> poll = future.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == 11);
        CHECK(lives.destroyed == 2);
    }

    TEST_CASE("co_await rt::sleep, under rt::block_on") {
        auto start = Clock::now();
        int value = rt::block_on([]() -> rt::Async<int> {
            co_await rt::sleep(20ms);
            co_return 5;
        }());
        CHECK(value == 5);
        CHECK(Clock::now() - start >= 20ms);
    }

    TEST_CASE("co_await on an lvalue Async polls it in place and leaves it completed") {
        int ran = 0;
        rt::Async<int> child = answer(&ran);
        rt::Async<int> parent = [](rt::Async<int>& awaited) -> rt::Async<int> { co_return co_await awaited; }(child);
        rt::Context cx(rt::Waker::noop());
        rt::Poll<int> poll = parent.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == 42);
        CHECK(ran == 1);
        INFO("the caller's Async was the one polled: it has completed");
        CHECK_THROWS_WITH_AS((void)child.poll(cx), doctest::Contains("rt::Async"), std::logic_error);
    }

    TEST_CASE("an Async three deep, each awaiting the next, under rt::block_on") {
        test::Gate gate;
        gate.open = true;
        CHECK(rt::block_on(level_one(gate)) == 321);
    }

    TEST_CASE("spawning an Async from an Async, and awaiting its JoinHandle") {
        int value = rt::block_on([]() -> rt::Async<int> {
            rt::JoinHandle<int> handle = rt::spawn([]() -> rt::Async<int> {
                co_await rt::sleep(5ms);
                co_return 7;
            }());
            int got = co_await handle;
            co_return got * 6;
        }());
        CHECK(value == 42);
    }

    TEST_CASE("exceptions reach block_on's caller and the JoinHandle, with their type and message") {
        CHECK_THROWS_WITH_AS(rt::block_on(throws_later(1)), "thrown by the awaited future", std::runtime_error);
        std::string caught = rt::block_on([]() -> rt::Async<std::string> {
            rt::JoinHandle<int> handle = rt::spawn(throws_at_once());
            try {
                co_await handle;
            } catch (const std::runtime_error& e) {
                co_return e.what();
            }
            co_return "nothing thrown";
        }());
        CHECK(caught == "thrown before the first co_await");
    }

    TEST_CASE("destroying an Async suspended on a sleep takes its timer out of the loop") {
        rt::Executor executor;
        std::size_t timers_while_suspended = 99;
        executor.block_on([&]() -> rt::Async<void> {
            rt::Async<void> sleeper = []() -> rt::Async<void> { co_await rt::sleep(1h); }();
            rt::Context cx(rt::Waker::noop());
            REQUIRE(sleeper.poll(cx).is_pending());
            timers_while_suspended = executor.driver().timer().size();
            sleeper = []() -> rt::Async<void> { co_return; }();  // the sleeping frame goes
            CHECK(executor.driver().timer().size() == 0);
            co_return;
        }());
        CHECK(timers_while_suspended == 1);
    }

    TEST_CASE("a million co_awaits of ready futures in one poll, and a hundred thousand awaited calls: no stack overflow") {
        rt::Context cx(rt::Waker::noop());
        rt::Async<long> sequential = million_ready(1'000'000);
        rt::Poll<long> poll = sequential.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == 1'000'000);
        rt::Async<long> children = many_children(100'000);
        rt::Poll<long> second = children.poll(cx);
        REQUIRE(second.is_ready());
        CHECK(second.value() == 100'000);
    }

    TEST_CASE("recursion 1000 deep: each level's poll nests inside its parent's") {
        rt::Context cx(rt::Waker::noop());
        rt::Async<long> deep = recurse(1000);
        rt::Poll<long> poll = deep.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == 1000);
    }

    TEST_CASE("a call allocates its frame once; awaiting ready futures allocates nothing") {
        rt::Context cx(rt::Waker::noop());
        rt::detail::FrameCounts before = rt::detail::frame_counts();
#if TEST_COUNTS_ALLOCATIONS
        test::CountAllocations allocations;
#endif
        {
            rt::Async<long> future = million_ready(1000);
            REQUIRE(future.poll(cx).is_ready());
        }
        rt::detail::FrameCounts after = rt::detail::frame_counts();
        CHECK(after.allocations - before.allocations == 1);
        CHECK(after.frees - before.frees == 1);
#if TEST_COUNTS_ALLOCATIONS
        INFO("every allocation is the frame's, from the heap when the frame pool had none of its size");
        CHECK(allocations.count() == static_cast<long>(after.heap_allocations - before.heap_allocations));
#endif
    }
}
