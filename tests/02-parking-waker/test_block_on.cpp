#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "poll_helpers.hpp"
#include "rt.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Pending once; before it says so, it has already been woken, by another
// thread: the wake lands between "poll returned pending" and "park".
struct WokenBeforePending {
    using Output = std::string;
    int polls = 0;
    rt::Poll<std::string> poll(rt::Context& cx) {
        if (++polls == 2) return std::string("woken");
        test::Thread waker([&] { cx.waker().wake_by_ref(); });
        waker.join();  // the wake is done before we return pending
        return rt::pending;
    }
};

// At its first poll, user code plays with a parker of its own, as a library
// might; the runtime's wake-up, from another thread 20 ms later, must still arrive.
struct StrayParking {
    using Output = int;
    int polls = 0;
    rt::ThreadSleep sleep{20ms};
    rt::Poll<int> poll(rt::Context& cx) {
        ++polls;
        if (polls == 1) {
            rt::Parker mine;
            mine.unpark();
            mine.park();
        }
        if (sleep.poll(cx).is_pending()) return rt::pending;
        return polls;
    }
};

struct Nested {
    using Output = int;
    rt::Poll<int> poll(rt::Context&) { return rt::block_on(rt::Ready<int>(1)); }
};

struct Throws {
    using Output = int;
    rt::Poll<int> poll(rt::Context&) { throw std::runtime_error("the future failed"); }
};

}  // namespace

TEST_SUITE("ex3: block_on parks while pending") {
    TEST_CASE("a future woken from another thread after 50 ms is polled exactly twice") {
        int polls = 0;
        auto start = Clock::now();
        test::bounded("block_on(ThreadSleep(50ms))", [&] {
            rt::block_on(test::Counted<rt::ThreadSleep>{rt::ThreadSleep(50ms), &polls});
        });
        CHECK(polls == 2);
        CHECK(Clock::now() - start >= 50ms);
    }

    TEST_CASE("a wake between 'poll returned pending' and 'park' is not lost") {
        std::string out = test::bounded("block_on with a wake before park", [] {
            return rt::block_on(WokenBeforePending{});
        });
        CHECK(out == "woken");
    }

    TEST_CASE("a future that wakes itself by reference is polled again: Countdown(3)") {
        int result = test::bounded("block_on(Countdown(3))", [] { return rt::block_on(rt::Countdown(3)); });
        CHECK(result == 3);
    }

    TEST_CASE("user code parking its own Parker cannot steal block_on's wake-up") {
        int polls = test::bounded("block_on with stray parking", [] { return rt::block_on(StrayParking{}); });
        CHECK(polls == 2);
    }

    TEST_CASE("a nested block_on throws a clear error, and block_on works again after it") {
        test::bounded("nested block_on", [] {
            CHECK_THROWS_WITH_AS(rt::block_on(Nested{}),
                                 "rt::block_on: nested call: this thread is already inside rt::block_on, which "
                                 "cannot go on polling its own future while this one blocks",
                                 std::logic_error);
            CHECK(rt::block_on(rt::Ready<int>(5)) == 5);
        });
    }

    TEST_CASE("an exception from poll comes out of block_on, and block_on works again after it") {
        test::bounded("block_on of a throwing future", [] {
            CHECK_THROWS_WITH_AS(rt::block_on(Throws{}), "the future failed", std::runtime_error);
            CHECK(rt::block_on(rt::Countdown(2)) == 2);
        });
    }

    TEST_CASE("eight threads block_on at once, each woken on its own") {
        std::atomic<int> done{0};
        test::bounded("eight threads in block_on", [&] {
            std::vector<std::unique_ptr<test::Thread>> threads;
            for (int t = 0; t < 8; ++t)
                threads.push_back(std::make_unique<test::Thread>([&] {
                    for (int i = 0; i < 10; ++i) rt::block_on(rt::ThreadSleep(2ms));
                    ++done;
                }));
            for (auto& thread : threads) thread->join();
        });
        CHECK(done == 8);
    }
}
