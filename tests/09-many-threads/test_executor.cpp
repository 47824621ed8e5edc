// Executor(n) as a whole: counts, stealing, wakes from other threads,
// JoinHandles, sleeps and GETs from any worker, and the destructor. These
// need every exercise: each test first drives park() by hand (park_works),
// so that on an unsolved copy it fails there, naming ex4.
#include <doctest/doctest.h>

#include <deque>
#include <string>
#include <vector>

#include "mt_helpers.hpp"
#include "park_probe.hpp"
#include "poll_helpers.hpp"
#include "props/delay_server.hpp"
#include "rt.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;

// The test's coroutines, as functions of this file.
namespace {

rt::Async<long long> spawn_and_sum(std::atomic<int>* counter) {
    std::vector<rt::JoinHandle<int>> handles;
    handles.reserve(100000);
    for (int i = 0; i < 100000; ++i) handles.push_back(rt::spawn(test::Count{counter, i}));
    long long sum = 0;
    for (auto& handle : handles) sum += co_await handle;
    co_return sum;
}

rt::Async<int> echo_rounds(test::Flag* ping, test::Flag* pong, int rounds) {
    int n = 0;
    for (int i = 0; i < rounds; ++i) {
        co_await ping->wait();
        ++n;
        pong->raise();
    }
    co_return n;
}

rt::Async<std::string> numbered(int i) {
    co_await rt::yield_now();
    if (i % 10 == 9) throw std::runtime_error("task " + std::to_string(i));
    co_return std::to_string(i);
}

rt::Async<std::string> gather_numbers() {
    std::vector<rt::JoinHandle<std::string>> handles;
    for (int i = 0; i < 100; ++i) handles.push_back(rt::spawn(numbered(i)));
    std::string out;
    int thrown = 0;
    for (auto& handle : handles) {
        try {
            out += co_await handle;
            out += ',';
        } catch (const std::runtime_error&) {
            ++thrown;
        }
    }
    co_return out + "thrown=" + std::to_string(thrown);
}

rt::Async<double> sleep_until_checked(std::chrono::steady_clock::time_point start, int i) {
    auto deadline = start + std::chrono::milliseconds(20 + i % 50);
    co_await rt::sleep_until(deadline);
    auto now = std::chrono::steady_clock::now();
    if (now < deadline) throw std::logic_error("woken early");
    co_return std::chrono::duration<double, std::milli>(now - deadline).count();
}

rt::Async<double> worst_lateness(std::chrono::steady_clock::time_point start) {
    std::vector<rt::JoinHandle<double>> handles;
    for (int i = 0; i < 200; ++i) handles.push_back(rt::spawn(sleep_until_checked(start, i)));
    double worst = 0;
    for (auto& handle : handles) worst = std::max(worst, co_await handle);
    co_return worst;
}

rt::Async<std::string> get_bodies(rt::DelayServer* server) {
    std::vector<rt::JoinHandle<rt::HttpResponse>> handles;
    for (int i = 0; i < 20; ++i) handles.push_back(rt::spawn(rt::http_get(server->url("/20/b" + std::to_string(i)))));
    rt::HttpResponse own = co_await rt::http_get(server->url("/0/main"));
    std::string bodies = own.body;
    for (auto& handle : handles) bodies += "," + (co_await handle).body;
    co_return bodies;
}

// Spawns 100 children and awaits them one by one, in order.
rt::Async<int> join_in_order(std::atomic<int>* counter) {
    std::vector<rt::JoinHandle<int>> handles;
    for (int i = 0; i < 100; ++i) handles.push_back(rt::spawn(test::Count{counter, 1}));
    int sum = 0;
    for (auto& handle : handles) sum += co_await handle;
    co_return sum;
}

}  // namespace

TEST_SUITE("ex4: park: register as a sleeper, look once more, sleep until notified") {
    TEST_CASE("100,000 tasks spawned from block_on's thread, each counted once, at 2 and 4 workers") {
        REQUIRE(test::park_works());
        for (std::size_t workers : {2u, 4u}) {
            CAPTURE(workers);
            std::atomic<int> counter{0};
            long long sum = test::bounded("100,000 tasks", [&] {
                rt::Executor executor(workers);
                return executor.block_on(spawn_and_sum(&counter));
            }, 60s);
            CHECK(counter.load() == 100000);
            CHECK(sum == 100000LL * 99999 / 2);
        }
    }

    TEST_CASE("tasks spawned by a task, on one worker's ring, are stolen: they run on more than one thread") {
        REQUIRE(test::park_works());
        rt::Executor executor(2);
        std::set<std::thread::id> threads = test::bounded("stealing", [&] {
            return executor.block_on(test::spawn_on_worker_probe());
        });
        INFO("200 tasks of 200 us each, spawned by one task: an idle worker must be woken to steal");
        CHECK(threads.size() == 2);
        CHECK(executor.pool()->steals() > 0);
    }

    TEST_CASE("a ping-pong of 10,000 rounds with a thread outside: no wake is lost") {
        REQUIRE(test::park_works());
        rt::Executor executor(2);
        test::Flag ping, pong;
        constexpr int rounds = 10000;
        auto handle = executor.spawn(echo_rounds(&ping, &pong, rounds));
        test::bounded("ping-pong", [&] {
            for (int i = 0; i < rounds; ++i) {
                ping.raise();
                while (!pong.raised()) std::this_thread::yield();
                pong.reset();
            }
            return 0;
        }, 60s);
        CHECK(executor.block_on(std::move(handle)) == rounds);
    }

    TEST_CASE("JoinHandles across workers: outputs, exceptions, abort from another thread") {
        REQUIRE(test::park_works());
        rt::Executor executor(2);
        std::string out = test::bounded("handles", [&] {
            return executor.block_on(gather_numbers());
        });
        CHECK(out.substr(0, 8) == "0,1,2,3,");
        CHECK(out.find("9,") == std::string::npos);
        CHECK(out.find("thrown=10") != std::string::npos);

        // abort from a thread that is no worker, while the task sleeps on a worker
        auto sleeper = executor.spawn(rt::sleep(10s));
        test::Thread([&] { sleeper.abort(); }).join();
        bool cancelled = false;
        try {
            test::bounded("abort", [&] { executor.block_on(std::move(sleeper)); return 0; });
        } catch (const rt::Cancelled&) {
            cancelled = true;
        }
        CHECK(cancelled);
    }

    TEST_CASE("sleeps from every worker: none early, all on time; a shorter sleep reaches the driver's waiter") {
        REQUIRE(test::park_works());
        rt::Executor executor(2);
        // A long sleep first: the worker that parks in epoll_wait sleeps until its deadline.
        auto long_one = executor.spawn(rt::sleep(30s));
        std::this_thread::sleep_for(50ms);
        auto start = std::chrono::steady_clock::now();
        double late_ms = test::bounded("sleeps", [&] {
            return executor.block_on(worst_lateness(start));
        });
        INFO("without the deadline reaching the waiter in epoll_wait, the sleeps wait for the 30 s one");
        CHECK(late_ms < 1000);
        long_one.abort();
    }

    TEST_CASE("GETs from every worker, and from block_on's own future") {
        REQUIRE(test::park_works());
        rt::DelayServer server;
        rt::Executor executor(2);
        std::string bodies = test::bounded("GETs", [&] {
            return executor.block_on(get_bodies(&server));
        });
        CHECK(bodies.substr(0, 10) == "main,b0,b1");
        CHECK(bodies.find("b19") != std::string::npos);
    }

    TEST_CASE("the destructor stops busy and idle workers, joins them, destroys each pending future once") {
        REQUIRE(test::park_works());
        std::size_t before = test::thread_count();
        std::atomic<int> drops{0};
        std::atomic<bool> bad{false};
        std::deque<std::atomic<bool>> in_poll(40);
        {
            rt::Executor executor(2);
            CHECK(test::thread_count() == before + 2);
            for (int i = 0; i < 40; ++i) (void)executor.spawn(test::Watched(&drops, &bad, i % 2 == 0, &in_poll[i]));
            std::this_thread::sleep_for(20ms);  // the busy ones keep both workers polling
            CHECK(executor.live_tasks() == 40);
        }
        CHECK(drops.load() == 40);
        INFO("a future destroyed while a worker polled it");
        CHECK_FALSE(bad.load());
        CHECK(test::thread_count() == before);
    }

    TEST_CASE("a task awaiting 100 children in turn is polled a few times, not once per child") {
        REQUIRE(test::park_works());
        rt::Executor executor(1);
        std::atomic<int> counter{0};
        int polls = 0;  // written by the worker only; read after the handle is awaited
        auto parent = executor.spawn(test::Counted<rt::Async<int>>{join_in_order(&counter), &polls});
        CHECK(test::bounded("join in order", [&] { return executor.block_on(std::move(parent)); }) == 100);
        INFO("a JoinHandle's wake puts the parent behind the children still queued, not in the LIFO slot;"
             " in the slot, it would run after each child, only to wait for the next: about 100 polls");
        CHECK(polls <= 5);
    }

    TEST_CASE("Executor(1) has one thread of its own; Executor() none") {
        REQUIRE(test::park_works());
        std::size_t before = test::thread_count();
        {
            rt::Executor one(1);
            CHECK(test::thread_count() == before + 1);
            std::thread::id ran = one.block_on(test::spawn_probe_thread());
            CHECK(ran != std::this_thread::get_id());
        }
        {
            rt::Executor none;
            CHECK(test::thread_count() == before);
            CHECK(none.block_on(test::spawn_probe_thread()) == std::this_thread::get_id());
        }
        CHECK_THROWS_AS(rt::Executor(0), std::invalid_argument);
    }
}
