#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "rt.hpp"

using namespace std::chrono_literals;

namespace {

// Records where it is in memory at every poll, and whether it was moved
// after its first poll; ready at its third poll.
struct WhereAmI {
    using Output = std::vector<const void*>;
    std::vector<const void*> seen;
    bool moved_after_first_poll = false;

    WhereAmI() = default;
    WhereAmI(WhereAmI&& other) noexcept
        : seen(std::move(other.seen)), moved_after_first_poll(other.moved_after_first_poll || !seen.empty()) {}
    WhereAmI& operator=(WhereAmI&& other) noexcept {
        seen = std::move(other.seen);
        moved_after_first_poll = other.moved_after_first_poll || !seen.empty();
        return *this;
    }

    rt::Poll<Output> poll(rt::Context& cx) {
        if (seen.size() == 3) throw std::logic_error("WhereAmI: polled after it completed");
        if (moved_after_first_poll) throw std::logic_error("WhereAmI: moved after its first poll");
        seen.push_back(this);
        if (seen.size() == 3) return seen;
        cx.waker().wake_by_ref();
        return rt::pending;
    }
};

// Fails at its second poll.
struct FailsLater {
    using Output = int;
    int polls = 0;

    rt::Poll<int> poll(rt::Context& cx) {
        if (++polls == 2) throw std::runtime_error("the future failed");
        cx.waker().wake_by_ref();
        return rt::pending;
    }
};

}  // namespace

TEST_SUITE("ex4: a busy-polling block_on") {
    TEST_CASE("block_on returns the output of a future that is ready at once") {
        CHECK(rt::block_on(rt::Ready<std::string>("done")) == "done");
    }

    TEST_CASE("block_on polls until ready: Countdown(5) takes five polls") {
        CHECK(rt::block_on(rt::Countdown(5)) == 5);
    }

    TEST_CASE("block_on polls the future where it lies: never moved, the same address at every poll") {
        std::vector<const void*> seen = rt::block_on(WhereAmI{});
        REQUIRE(seen.size() == 3);
        CHECK(seen[0] == seen[1]);
        CHECK(seen[1] == seen[2]);
    }

    TEST_CASE("block_on waits out a Deadline of void output") {
        auto start = std::chrono::steady_clock::now();
        rt::block_on(rt::Deadline(start + 20ms));
        CHECK(std::chrono::steady_clock::now() - start >= 20ms);
    }

    TEST_CASE("an exception thrown by poll comes out of block_on") {
        CHECK_THROWS_WITH_AS(rt::block_on(FailsLater{}), "the future failed", std::runtime_error);
    }
}
