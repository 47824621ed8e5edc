#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "counting_waker.hpp"
#include "poll_helpers.hpp"
#include "rt.hpp"

namespace {

using State = rt::Then<rt::Countdown, rt::Countdown (*)(int)>::State;

// A future that is ready at once and logs when it is destroyed.
struct Logged {
    using Output = int;
    std::vector<std::string>* log;
    std::string name;
    int value;
    bool alive = true;

    Logged(std::vector<std::string>* log_, std::string name_, int value_)
        : log(log_), name(std::move(name_)), value(value_) {}
    Logged(Logged&& other) noexcept : log(other.log), name(other.name), value(other.value) { other.alive = false; }
    ~Logged() {
        if (alive) log->push_back("destroy " + name);
    }
    rt::Poll<int> poll(rt::Context&) { return value; }
};

}  // namespace

TEST_SUITE("ex5: Then, a hand-written state machine") {
    TEST_CASE("Then goes first -> second -> done, and the second future is made from the first's output") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        rt::Then then(rt::Countdown(2), +[](int n) { return rt::Countdown(n + 1); });

        CHECK(then.state() == State::first);
        CHECK(then.poll(cx).is_pending());  // first: pending
        CHECK(then.state() == State::first);
        CHECK(then.poll(cx).is_pending());  // first ready with 2; second Countdown(3) polled once
        CHECK(then.state() == State::second);
        CHECK(then.poll(cx).is_pending());
        rt::Poll<int> last = then.poll(cx);
        REQUIRE(last.is_ready());
        CHECK(last.value() == 3);
        CHECK(then.state() == State::done);
        CHECK(counter.wakes_by_ref == 3);  // one per pending answer: none is left unwoken
    }

    TEST_CASE("when the first future completes, the second is polled in the same call") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        rt::Then then(rt::Ready<int>(2), [](int n) { return rt::Countdown(n); });
        // Pending without a wake would leave the future stuck: the second must be polled now.
        CHECK(then.poll(cx).is_pending());
        CHECK(counter.wakes_by_ref == 1);
        CHECK(then.poll(cx).is_ready());
    }

    TEST_CASE("two ready futures complete in one poll") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        rt::Then then(rt::Ready<int>(20), [](int n) { return rt::Ready<std::string>(std::to_string(n + 1)); });
        rt::Poll<std::string> poll = then.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == "21");
        CHECK(counter.total_wakes() == 0);
    }

    TEST_CASE("the first future is destroyed when the second takes its place, and make_second runs once") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        std::vector<std::string> log;
        int calls = 0;
        {
            rt::Then then(Logged(&log, "first", 1), [&](int n) {
                log.push_back("make second");
                ++calls;
                return Logged(&log, "second", n + 1);
            });
            CHECK(test::poll_until_ready(then, waker) == 2);
        }
        CHECK(calls == 1);
        REQUIRE(log.size() >= 3);
        CHECK(log[0] == "make second");
        CHECK(log[1] == "destroy first");
        CHECK(log[2] == "destroy second");
    }

    TEST_CASE("a first future of void output: Deadline, then Ready") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Then then(rt::Deadline(std::chrono::steady_clock::now()), [] { return rt::Ready<int>(7); });
        CHECK(test::poll_until_ready(then, waker) == 7);
    }

    TEST_CASE("polling a finished Then is an error") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        rt::Then then(rt::Ready<int>(1), [](int n) { return rt::Ready<int>(n); });
        CHECK(then.poll(cx).is_ready());
        CHECK_THROWS_WITH_AS((void)then.poll(cx), "rt::Then: polled after it completed", std::logic_error);
    }
}
