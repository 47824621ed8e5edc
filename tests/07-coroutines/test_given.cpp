// Code chapter 07 gives the learner: what a coroutine call does before any
// poll (it allocates the frame, runs nothing, and can be moved or
// destroyed), and chapter 05's state machine, HttpGet, which stays.
#include <doctest/doctest.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "coroutine_helpers.hpp"
#include "props/delay_server.hpp"
#include "rt.hpp"

namespace {

rt::Async<int> counts_runs(int* ran, test::LifeProbe parameter) {
    ++*ran;
    (void)parameter;
    co_return 1;
}

}  // namespace

static_assert(rt::Future<rt::Async<int>>);
static_assert(rt::Future<rt::Async<void>>);
static_assert(std::is_same_v<rt::Async<std::string>::Output, std::string>);
static_assert(!std::is_copy_constructible_v<rt::Async<int>> && !std::is_copy_assignable_v<rt::Async<int>>);
static_assert(std::is_nothrow_move_constructible_v<rt::Async<int>> && std::is_nothrow_move_assignable_v<rt::Async<int>>);

TEST_SUITE("given: a coroutine call before its first poll, and HttpGet") {
    TEST_CASE("a call makes the frame and runs nothing; destroying it frees the frame and its copy of the parameters") {
        int ran = 0;
        test::Lives lives;
        rt::detail::FrameCounts before = rt::detail::frame_counts();
        {
            rt::Async<int> future = counts_runs(&ran, test::LifeProbe(lives));
            // One frame, or none: clang may elide the allocation (HALO) of a frame that it
            // sees destroyed in this very function, and put the frame on this stack.
            std::size_t allocated = rt::detail::frame_counts().allocations - before.allocations;
            CHECK(allocated <= 1);
            if (allocated == 1) CHECK(rt::detail::frame_counts().bytes - before.bytes >= sizeof(test::LifeProbe));
            INFO("the argument is gone at the end of the call; the frame keeps a copy of its own");
            CHECK(lives.destroyed == 1);
            rt::Async<int> moved = std::move(future);  // the handle moves; the frame stays
            CHECK(lives.destroyed == 1);
        }
        CHECK(ran == 0);
        CHECK(rt::detail::frame_counts().frees - before.frees == rt::detail::frame_counts().allocations - before.allocations);
        CHECK(lives.destroyed == 2);  // the frame's copy too
    }

    TEST_CASE("the frame pool: a frame freed on this thread serves its next call of the same size") {
        int ran = 0;
        test::Lives lives;
        rt::detail::FramePool& pool = rt::detail::frame_pool();
        { rt::Async<int> first = counts_runs(&ran, test::LifeProbe(lives)); }  // its frame goes to the pool
        rt::detail::FrameCounts before = rt::detail::frame_counts();
        { rt::Async<int> second = counts_runs(&ran, test::LifeProbe(lives)); }
        rt::detail::FrameCounts pooled = rt::detail::frame_counts();
        if (rt::detail::FramePool::compiled_in) CHECK(pooled.heap_allocations == before.heap_allocations);
        pool.set_enabled(false);
        { rt::Async<int> third = counts_runs(&ran, test::LifeProbe(lives)); }
        pool.set_enabled(true);
        rt::detail::FrameCounts off = rt::detail::frame_counts();
        INFO("with the pool off, every frame comes from the heap (or is elided: then none is counted)");
        CHECK(off.heap_allocations - pooled.heap_allocations == off.allocations - pooled.allocations);
        CHECK(ran == 0);
    }

    TEST_CASE("polling an Async that was moved from throws std::logic_error") {
        int ran = 0;
        test::Lives lives;
        rt::Async<int> future = counts_runs(&ran, test::LifeProbe(lives));
        rt::Async<int> moved = std::move(future);
        rt::Context cx(rt::Waker::noop());
        CHECK_THROWS_WITH_AS((void)future.poll(cx), doctest::Contains("rt::Async"), std::logic_error);
        CHECK(ran == 0);
    }

    TEST_CASE("HttpGet, the state machine, still GETs") {
        rt::DelayServer server;
        rt::HttpResponse response = rt::block_on(rt::HttpGet(server.url("/1/still-here")));
        CHECK(response.status == 200);
        CHECK(response.body == "still-here");
    }
}
