// The stress mode: the scheduler's hardest scenarios, run over many seeds,
// with random yields and short sleeps at every atomic step
// (rt::detail::stress::point). A seed that fails or hangs is printed; run
// it alone with RT_STRESS_SEED=<seed> (and the same build).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "mt_helpers.hpp"
#include "park_probe.hpp"
#include "rt.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;

namespace {

// One seed's run: ping-pong between two tasks, ping-pong with a thread
// outside, spawns from outside, sleeps (parks in the driver), then the
// executor destroyed while some tasks are busy. Returns "" or what went wrong.
std::string scenario(std::uint64_t seed) {
    std::size_t workers = 2 + seed % 2;
    std::atomic<int> counted{0};
    std::atomic<int> drops{0};
    std::atomic<bool> bad{false};
    std::deque<std::atomic<bool>> in_poll(4);
    std::string problem;
    {
        rt::Executor executor(workers);
        // 1. two tasks that wake each other, on whichever workers they land
        test::Flag a, b;
        auto ping = executor.spawn([](test::Flag* a, test::Flag* b) -> rt::Async<int> {
            for (int i = 0; i < 100; ++i) {
                b->raise();
                co_await a->wait();
            }
            co_return 1;
        }(&a, &b));
        auto pong = executor.spawn([](test::Flag* a, test::Flag* b) -> rt::Async<int> {
            for (int i = 0; i < 100; ++i) {
                co_await b->wait();
                a->raise();
            }
            co_return 1;
        }(&a, &b));
        // 2. a thread outside spawns, and plays ping-pong with a task
        test::Flag c, d;
        auto echo = executor.spawn([](test::Flag* c, test::Flag* d) -> rt::Async<int> {
            for (int i = 0; i < 50; ++i) {
                co_await c->wait();
                d->raise();
            }
            co_return 1;
        }(&c, &d));
        std::vector<rt::JoinHandle<int>> spawned;
        test::Thread outside([&] {
            for (int i = 0; i < 50; ++i) {
                spawned.push_back(executor.spawn(test::Count{&counted, i}));
                c.raise();
                while (!d.raised()) std::this_thread::yield();
                d.reset();
            }
        });
        outside.join();
        // 3. sleeps: workers park in the driver and on their condition variables
        int total = executor.block_on([](std::vector<rt::JoinHandle<int>>* spawned, rt::JoinHandle<int>* ping,
                                         rt::JoinHandle<int>* pong, rt::JoinHandle<int>* echo) -> rt::Async<int> {
            std::vector<rt::JoinHandle<int>> sleepers;
            for (int i = 0; i < 20; ++i)
                sleepers.push_back(rt::spawn([](int i) -> rt::Async<int> {
                    co_await rt::sleep(std::chrono::microseconds(100 * (i % 7)));
                    co_return 1;
                }(i)));
            int total = 0;
            for (auto& handle : sleepers) total += co_await handle;
            for (auto& handle : *spawned) total += (co_await handle) >= 0;
            total += co_await *ping;
            total += co_await *pong;
            total += co_await *echo;
            co_return total;
        }(&spawned, &ping, &pong, &echo));
        if (total != 20 + 50 + 3) problem = "total " + std::to_string(total) + ", not 73";
        if (counted.load() != 50) problem += " counted " + std::to_string(counted.load()) + ", not 50";
        // 4. destroyed while busy: two tasks wake themselves at every poll, two wait for ever
        for (int i = 0; i < 4; ++i) (void)executor.spawn(test::Watched(&drops, &bad, i < 2, &in_poll[i]));
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (drops.load() != 4) problem += " drops " + std::to_string(drops.load()) + ", not 4";
    if (bad.load()) problem += " a future was destroyed during its poll";
    return problem;
}

// Runs scenario(seed) on a thread of its own; a seed that hangs stops the
// binary with its number.
std::string run_seed(std::uint64_t seed) {
    rt::detail::stress::enable(seed);
    struct Off {
        ~Off() { rt::detail::stress::disable(); }
    } off;
    std::packaged_task<std::string()> task([seed] { return scenario(seed); });
    auto result = task.get_future();
    std::thread thread(std::move(task));
    if (result.wait_for(5s) == std::future_status::timeout) {
        std::fprintf(stderr, "\nstress: seed %llu hung (a lost wake-up?); repeat it with RT_STRESS_SEED=%llu\n",
                     static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
        std::fflush(stderr);
        std::_Exit(3);
    }
    thread.join();
    return result.get();
}

}  // namespace

TEST_SUITE("ex4: park: register as a sleeper, look once more, sleep until notified") {
    TEST_CASE("stress: random yields at every atomic step, many seeds, a bounded time; a failing seed is printed") {
        REQUIRE(test::park_works());
        if (const char* one = std::getenv("RT_STRESS_SEED")) {
            std::uint64_t seed = std::strtoull(one, nullptr, 10);
            std::string problem = run_seed(seed);
            INFO("seed " << seed << ": " << problem);
            CHECK(problem.empty());
            return;
        }
        // Seeds from a fixed start, for as long as the budget lasts (RT_STRESS_BUDGET_MS, 4000 by default):
        // a slower build (a sanitizer's) runs fewer.
        long budget_ms = 4000;
        if (const char* budget = std::getenv("RT_STRESS_BUDGET_MS")) budget_ms = std::strtol(budget, nullptr, 10);
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(budget_ms);
        std::uint64_t seeds = 0;
        std::uint64_t perturbations = 0;
        for (std::uint64_t seed = 1; std::chrono::steady_clock::now() < until || seeds < 10; ++seed) {
            std::string problem = run_seed(seed);
            perturbations += rt::detail::stress::perturbations();
            ++seeds;
            if (!problem.empty()) {
                std::fprintf(stderr, "stress: seed %llu failed: %s; repeat it with RT_STRESS_SEED=%llu\n",
                             static_cast<unsigned long long>(seed), problem.c_str(),
                             static_cast<unsigned long long>(seed));
                FAIL("stress: seed " << seed << " failed: " << problem);
            }
        }
        MESSAGE("stress: " << seeds << " seeds passed in " << budget_ms << " ms, " << perturbations
                           << " yields and sleeps injected");
        INFO("the stress mode must perturb something, or it proves nothing");
        CHECK(perturbations > seeds);
    }
}
