// Exercise 3: a budget per poll. poll_proceed spends a unit and answers true;
// with none left it wakes the task and answers false. And what that buys: a
// task that always has data lets the others run, timers fire on time, and a
// download shares the thread with a ticker.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "cancel_helpers.hpp"
#include "counting_waker.hpp"
#include "poll_helpers.hpp"
#include "props/bulk_server.hpp"
#include "rt.hpp"
#include "scripted_server.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace budget = rt::detail::budget;

namespace {

// Spends every unit it is given, at each poll, until it has spent `units`;
// logs "spend" at each poll. After `max_polls` polls it gives up (ready), so
// that a mistake shows as a wrong log instead of a loop that never ends.
struct Spender {
    using Output = void;
    std::vector<std::string>* log;
    int units;
    int max_polls = 1000;
    int polls = 0;
    int spent = 0;

    rt::Poll<void> poll(rt::Context& cx) {
        ++polls;
        if (log != nullptr) log->push_back("spend");
        while (spent < units) {
            if (!budget::poll_proceed(cx)) return polls >= max_polls ? rt::ready() : rt::Poll<void>(rt::pending);
            ++spent;
        }
        return rt::ready();
    }
};

// Reaches poll_proceed before anything else in a test that then uses
// rt::timeout or rt::select (exercises 1 and 2): outside a task's poll the
// budget is unlimited, so the answer is true.
void spend_a_unit_outside_any_task() {
    test::WakeCounter wakes;
    rt::Waker waker = wakes.waker();
    rt::Context cx(waker);
    REQUIRE(budget::poll_proceed(cx));
}

}  // namespace

TEST_SUITE("ex3: a budget per poll: spend a unit, or wake yourself and refuse") {
    TEST_CASE("outside any budget::Scope, poll_proceed is unlimited: always true, no wake") {
        test::WakeCounter wakes;
        rt::Waker waker = wakes.waker();
        rt::Context cx(waker);
        REQUIRE(budget::poll_proceed(cx));
        int refused = 0;
        for (int i = 0; i < 10'000; ++i)
            if (!budget::poll_proceed(cx)) ++refused;
        CHECK(refused == 0);
        CHECK(wakes.total_wakes() == 0);
        INFO("unlimited is not a count: nothing is taken from it");
        CHECK(budget::current().left == budget::unlimited);
    }

    TEST_CASE("inside a Scope: exactly 128 units, then a refusal that wakes once and marks the poll as yielded") {
        test::WakeCounter wakes;
        rt::Waker waker = wakes.waker();
        rt::Context cx(waker);
        budget::Scope scope;
        REQUIRE(budget::poll_proceed(cx));
        int granted = 1;
        while (granted < 1000 && budget::poll_proceed(cx)) ++granted;
        CHECK(granted == 128);
        INFO("a refusal leaves the budget at 0: the executor's next Scope refills it, not the leaf");
        CHECK(budget::current().left == 0);
        INFO("the refusal wakes the task once: the data is there, and no event will come for it");
        CHECK(wakes.total_wakes() == 1);
        CHECK(wakes.live() == 1);  // by reference: the waker is neither consumed nor leaked
        CHECK(scope.yielded());
        INFO("refused again: false again, and another wake");
        CHECK_FALSE(budget::poll_proceed(cx));
        CHECK(wakes.total_wakes() == 2);
    }

    TEST_CASE("each Scope starts full, or with what it is given; the previous budget comes back when it ends") {
        rt::Context cx(rt::Waker::noop());
        budget::Scope outer;
        for (int i = 0; i < 10; ++i) REQUIRE(budget::poll_proceed(cx));
        CHECK(budget::current().left == 118);
        {
            budget::Scope inner;
            int granted = 0;
            while (granted < 1000 && budget::poll_proceed(cx)) ++granted;
            CHECK(granted == 128);
            CHECK(inner.yielded());
        }
        CHECK(budget::current().left == 118);
        CHECK_FALSE(outer.yielded());
        {
            budget::Scope three(3);
            int granted = 0;
            while (granted < 1000 && budget::poll_proceed(cx)) ++granted;
            CHECK(granted == 3);
        }
        CHECK(budget::current().left == 118);
    }

    TEST_CASE("rt::unconstrained: its future never runs out, and the task's budget is left as it was") {
        rt::Context cx(rt::Waker::noop());
        budget::Scope scope;
        REQUIRE(budget::poll_proceed(cx));
        auto free = rt::unconstrained(Spender{nullptr, 1000});
        REQUIRE(free.poll(cx).is_ready());
        CHECK(budget::current().left == 127);
        CHECK_FALSE(scope.yielded());
    }

    TEST_CASE("a task that always has data is polled again after it runs out, and finishes") {
        spend_a_unit_outside_any_task();
        rt::Executor executor;
        int polls = 0;
        auto handle = executor.spawn(test::Counted<Spender>{Spender{nullptr, 1000}, &polls});
        executor.run_until_idle();
        INFO("1000 units at 128 a poll: seven refusals, each with a wake, and an eighth poll that finishes");
        CHECK(polls == 8);
        CHECK(executor.live_tasks() == 0);
    }

    TEST_CASE("block_on's own future has a budget too: it is polled again after it runs out, and finishes") {
        rt::Executor executor;
        int polls = 0;
        test::Counted<Spender> spender{Spender{nullptr, 1000}, &polls};
        bool finished = executor.block_on(test::within(spender, 3s));
        CHECK(finished);
        CHECK(polls == 8);
    }

    TEST_CASE("after a task runs out, a timer that is due runs before the task's next poll") {
        spend_a_unit_outside_any_task();
        rt::Executor executor;
        std::vector<std::string> log;
        auto wait_for_timer = [&]() -> rt::Async<void> {
            co_await rt::sleep(5ms);
            log.push_back("timer");
        };
        auto timer = executor.spawn(wait_for_timer());
        struct Late {
            using Output = void;
            std::vector<std::string>* log;
            bool slept = false;
            Spender spender{log, 1'000'000, 100};
            rt::Poll<void> poll(rt::Context& cx) {
                if (!std::exchange(slept, true)) std::this_thread::sleep_for(30ms);  // the timer is due now
                if (std::find(log->begin(), log->end(), "timer") != log->end()) return rt::ready();
                return spender.poll(cx);
            }
        };
        auto spender = executor.spawn(Late{&log});
        executor.run_until_idle();
        REQUIRE(log.size() >= 2);
        INFO("log: the first entries of ", log.size());
        CHECK(log[0] == "spend");
        INFO("its budget spent, the task gave the thread away: the due timer's task ran before its next poll");
        CHECK(log[1] == "timer");
        CHECK(executor.live_tasks() == 0);
    }

    TEST_CASE("a socket that always has data: every read spends a unit, and the reader still gets every byte") {
        spend_a_unit_outside_any_task();
        constexpr std::size_t total = 256 * 1024;
        auto [client, server] = test::tcp_pair();
        test::Thread writer([fd = server] {
            std::string bytes(total, 'x');
            std::size_t sent = 0;
            while (sent < total) {
                ssize_t wrote = ::write(fd, bytes.data() + sent, total - sent);
                if (wrote <= 0) break;
                sent += static_cast<std::size_t>(wrote);
            }
            ::close(fd);
        });
        rt::Executor executor;
        std::size_t got = 0, reads = 0;
        auto reader = [&, fd = client]() -> rt::Async<void> {
            rt::TcpStream stream = rt::TcpStream::adopt(rt::sys::Fd(fd), "the writer");
            std::array<char, 64> buffer;
            for (;;) {
                std::size_t n = co_await stream.read(buffer);
                ++reads;
                if (n == 0) break;
                got += n;
            }
        };
        int polls = 0;
        auto task = test::Counted<rt::Async<void>>{reader(), &polls};
        auto handle = executor.spawn(std::move(task));
        bool done = executor.block_on(test::within(handle, 5s));
        writer.join();
        REQUIRE(done);
        CHECK(got == total);
        INFO(reads, " reads in ", polls, " polls: at most 128 reads a poll");
        CHECK(static_cast<std::size_t>(polls) * 128 >= reads);
    }

    TEST_CASE("a 10 ms ticker keeps ticking beside a loopback download that always has data") {
        spend_a_unit_outside_any_task();
        constexpr std::size_t size = 64u << 20;
        rt::BulkServer server;
        rt::Executor executor;
        int ticks = 0, ticks_during = -1;
        bool downloaded = false;
        std::size_t body_size = 0, xs = 0;
        auto ticker = [&]() -> rt::Async<void> {
            while (!downloaded) {
                co_await rt::sleep(10ms);
                ++ticks;
            }
        };
        auto body = [&]() -> rt::Async<void> {
            rt::JoinHandle<void> ticking = rt::spawn(ticker());
            co_await rt::sleep(15ms);  // the ticker is waiting on its timer
            int before = ticks;
            rt::HttpResponse response = co_await rt::http_get(server.url(size), size);
            ticks_during = ticks - before;
            downloaded = true;
            body_size = response.body.size();
            xs = static_cast<std::size_t>(std::count(response.body.begin(), response.body.end(), 'x'));
            co_await ticking;
        };
        rt::Async<void> run = body();
        REQUIRE(executor.block_on(test::within(run, 8s)));
        CHECK(body_size == size);
        CHECK(xs == size);
        INFO("the ticker ticked ", ticks_during, " times during the download");
        CHECK(ticks_during >= 8);
    }

    TEST_CASE("a GET to a server that never answers: rt::timeout throws rt::TimedOut, and the socket closes") {
        spend_a_unit_outside_any_task();
        test::QuietListener quiet;
        rt::Executor executor;
        std::size_t before = 0, after = 99;
        bool timed_out = false;
        Clock::duration took{};
        auto body = [&]() -> rt::Async<void> {
            before = executor.driver().reactor().size();
            auto start = Clock::now();
            try {
                co_await rt::timeout(300ms, rt::http_get(quiet.url()));
            } catch (const rt::TimedOut&) {
                timed_out = true;
                took = Clock::now() - start;
            }
            after = executor.driver().reactor().size();
        };
        rt::Async<void> run = body();
        REQUIRE(executor.block_on(test::within(run, 5s)));
        CHECK(timed_out);
        CHECK(took >= 300ms);
        CHECK(took < 2300ms);
        INFO("the GET's socket left the reactor when the timeout destroyed it");
        CHECK(after == before);
        CHECK(quiet.client_closed());
    }

    TEST_CASE("select between a GET that never ends and a sleep: the sleep wins, and the GET's socket closes at once") {
        spend_a_unit_outside_any_task();
        test::QuietListener quiet;
        rt::Executor executor;
        std::size_t before = 0, after = 99;
        std::size_t index = 99;
        auto body = [&]() -> rt::Async<void> {
            before = executor.driver().reactor().size();
            auto race = rt::select(rt::http_get(quiet.url()), rt::sleep(100ms));
            auto output = co_await race;  // in place: race lives on
            index = output.index();
            after = executor.driver().reactor().size();
        };
        rt::Async<void> run = body();
        REQUIRE(executor.block_on(test::within(run, 5s)));
        CHECK(index == 1);
        INFO("the losing GET is destroyed before select answers: its socket is out of the reactor, and closed");
        CHECK(after == before);
        CHECK(quiet.client_closed());
    }
}
