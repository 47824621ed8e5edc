#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <chrono>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "props/measure.hpp"
#include "poll_helpers.hpp"
#include "rt.hpp"
#include "task_helpers.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Spawns a task that spawns another, and returns what the inner one returns.
rt::JoinHandle<int> spawn_nested() {
    return rt::spawn(rt::Then(rt::Ready<int>(20), [](int n) {
        return rt::spawn(rt::Then(rt::sleep(5ms), [n] { return rt::Ready<int>(n + 1); }));
    }));
}

// Polls a handle once, then is ready whatever the handle said: it leaves
// the handle behind (dropped with it) after giving it its waker.
struct PeekOnce {
    using Output = bool;
    rt::JoinHandle<void> handle;
    rt::Poll<bool> poll(rt::Context& cx) { return handle.poll(cx).is_ready(); }
};

// Wakes itself until *stop is set: a task that never waits.
struct Spinner {
    using Output = void;
    const bool* stop;
    rt::Poll<void> poll(rt::Context& cx) {
        if (*stop) return rt::ready();
        cx.waker().wake_by_ref();
        return rt::pending;
    }
};

// Adds one to *ran when polled, and is ready.
struct AddsOne {
    using Output = void;
    std::atomic<int>* ran;
    rt::Poll<void> poll(rt::Context&) {
        ++*ran;
        return rt::ready();
    }
};

// Its first poll starts another thread, which tries to run the same executor
// (run_until_idle, then block_on) and keeps the errors; ready once it is done.
struct AnotherThreadTries {
    using Output = void;
    rt::Executor* executor;
    std::vector<std::string>* errors;
    std::optional<test::Thread>* other;
    std::atomic<bool>* done;

    rt::Poll<void> poll(rt::Context& cx) {
        if (!other->has_value()) {
            other->emplace([executor = executor, errors = errors, done = done, waker = cx.waker()] {
                try {
                    executor->run_until_idle();
                } catch (const std::logic_error& e) {
                    errors->push_back(e.what());
                }
                try {
                    (void)executor->block_on(rt::Ready<int>(1));
                } catch (const std::logic_error& e) {
                    errors->push_back(e.what());
                }
                done->store(true);
                waker.wake_by_ref();
            });
            return rt::pending;
        }
        return done->load() ? rt::ready() : rt::pending;
    }
};

struct NestedBlockOn {
    using Output = int;
    rt::Executor* executor;
    rt::Poll<int> poll(rt::Context&) { return executor->block_on(rt::Ready<int>(1)); }
};

// The events a trace file (one event per line) records for `task`, by time:
// their names, "spawn", "poll", ...
std::vector<std::string> timeline_of(const std::string& path, int task) {
    std::vector<std::tuple<double, std::size_t, std::string>> found;  // time, order in the file, name
    std::ifstream in(path);
    const std::string task_field = "\"task\": " + std::to_string(task) + "}";
    for (std::string line; std::getline(in, line);) {
        std::size_t name = line.find("\"name\": \""), ts = line.find("\"ts\": ");
        if (name == std::string::npos || ts == std::string::npos || line.find(task_field) == std::string::npos) continue;
        name += 9;
        found.emplace_back(std::strtod(line.c_str() + ts + 6, nullptr), found.size(),
                           line.substr(name, line.find('"', name) - name));
    }
    // Not std::stable_sort: its temporary buffer trips clang 14's ASan with libstdc++ 12.
    std::sort(found.begin(), found.end());
    std::vector<std::string> names;
    for (const auto& [at, order, name] : found) names.push_back(name);
    return names;
}

}  // namespace

TEST_SUITE("ex4: Executor::block_on") {
    TEST_CASE("block_on returns the main future's output, and tasks it spawns run alongside") {
        rt::Executor executor;
        int out = test::bounded("Executor::block_on", [&] {
            return executor.block_on(rt::Then(rt::Ready<int>(0), [](int) {
                std::vector<rt::JoinHandle<int>> handles;
                for (int i = 1; i <= 3; ++i) handles.push_back(rt::spawn(rt::Ready<int>(i * 10)));
                return rt::join_in_order(std::move(handles));
            }));
        }).at(2);
        CHECK(out == 30);
    }

    TEST_CASE("a main future that wakes itself, with no task to run, is polled again and not parked on") {
        INFO("the main waker, woken on the executor's own thread, sets the flag and unparks nobody: "
             "look at the flag before parking");
        int out = test::bounded("block_on(Countdown(3)) on an executor with no tasks", [] {
            rt::Executor executor;
            return executor.block_on(rt::Countdown(3));
        }, 5s);
        CHECK(out == 3);
    }

    TEST_CASE("more ready tasks than one turn runs, while the main future waits: the executor does not park") {
        INFO("a turn that ran tasks may have left more in the queue, queued from this thread, which unparks "
             "nobody: park only after a turn that ran nothing");
        int out = test::bounded("block_on awaiting the last of 300 tasks spawned from the main future", [] {
            rt::Executor executor;
            struct SpawnThenAwait {
                using Output = int;
                std::optional<rt::JoinHandle<int>> last;
                rt::Poll<int> poll(rt::Context& cx) {
                    if (!last) {
                        for (int i = 0; i < 299; ++i) rt::spawn(test::Probe{.value = i}).detach();
                        last = rt::spawn(test::Probe{.value = 299});
                    }
                    return last->poll(cx);
                }
            };
            return executor.block_on(SpawnThenAwait{});
        }, 5s);
        CHECK(out == 299);
    }

    TEST_CASE("the main future is polled only when woken, not at every turn of the loop") {
        // The main future awaits a task that the timer wakes twice: three turns of the loop run it.
        struct AwaitsSleepyTask {
            using Output = int;
            int* polls;
            std::optional<rt::JoinHandle<int>> task;
            rt::Poll<int> poll(rt::Context& cx) {
                ++*polls;
                if (!task) task = rt::spawn(rt::Then(rt::sleep(5ms), [] {
                    return rt::Then(rt::sleep(5ms), [] { return rt::Ready<int>(7); });
                }));
                return task->poll(cx);
            }
        };
        int polls = 0;
        rt::Executor executor;
        CHECK(executor.block_on(AwaitsSleepyTask{&polls, {}}) == 7);
        INFO("poll the main future when its flag says it was woken: once at the start, once when the task is done");
        CHECK(polls == 2);
    }

    TEST_CASE("rt::spawn inside a running task spawns on the same executor") {
        rt::Executor executor;
        int out = test::bounded("a task spawning a task", [&] {
            return executor.block_on(rt::Then(rt::Ready<int>(0), [](int) { return spawn_nested(); }));
        });
        CHECK(out == 21);
        CHECK(executor.live_tasks() == 0);
    }

    TEST_CASE("a main future woken by the timer thread is polled again, twice in all") {
        rt::Executor executor;
        int polls = 0;
        test::bounded("Executor::block_on(sleep(20ms))", [&] {
            executor.block_on(test::Counted<rt::Sleep>{rt::sleep(20ms), &polls});
        });
        CHECK(polls == 2);
    }

    TEST_CASE("an idle executor parks: waiting 100 ms costs little CPU") {
        rt::Executor executor;
        rt::bench::Stopwatch watch;
        test::bounded("Executor::block_on(sleep(100ms))", [&] { executor.block_on(rt::sleep(100ms)); });
        auto spent = watch.elapsed();
        CHECK(spent.wall_ms >= 100);
        CHECK(spent.cpu_ms < 50);  // busy polling would spend about 100 ms
    }

    TEST_CASE("a nested block_on inside the executor is refused with a clear error") {
        rt::Executor executor;
        CHECK_THROWS_WITH_AS(executor.block_on(NestedBlockOn{&executor}),
                             "rt::block_on: nested call: this thread is already inside rt::block_on, which cannot go "
                             "on polling its own future while this one blocks",
                             std::logic_error);
    }

    TEST_CASE("100,000 tasks each sleeping 20 ms all complete on one thread, together") {
        rt::Executor executor;
        auto start = Clock::now();
        std::size_t done = test::bounded("100,000 sleeping tasks", [&] {
            return executor.block_on(rt::Then(rt::Ready<int>(0), [](int) {
                std::vector<rt::JoinHandle<void>> handles;
                handles.reserve(100'000);
                for (int i = 0; i < 100'000; ++i) handles.push_back(rt::spawn(rt::sleep(20ms)));
                return rt::join_in_order(std::move(handles));
            })).size();
        }, 60'000ms);
        CHECK(done == 100'000);
        // One after the other would take 2,000 s; together they take little more than 20 ms.
        CHECK(Clock::now() - start < 10s);
        CHECK(executor.live_tasks() == 0);
        CHECK(rt::Timer::global().size() == 0);
    }

    TEST_CASE("a waker left with another executor's task outlives its own executor safely") {
        auto other = std::make_unique<rt::Executor>();
        rt::JoinHandle<void> handle = other->spawn(rt::sleep(10s));
        {
            rt::Executor executor;
            // The main future gives the handle its waker, then drops the handle.
            CHECK_FALSE(executor.block_on(PeekOnce{std::move(handle)}));
        }
        other.reset();  // closes the sleeping task: nobody may wake a waker of the executor gone before
    }

    TEST_CASE("a task that keeps waking itself does not starve a task the timer wakes") {
        rt::Executor executor;
        bool stop = false;
        auto start = Clock::now();
        test::bounded("a spinning task beside a sleeping one", [&] {
            executor.block_on(rt::Then(rt::Ready<int>(0), [&](int) {
                rt::spawn(Spinner{&stop}).detach();
                return rt::spawn(rt::Then(rt::sleep(10ms), [&] {
                    stop = true;
                    return rt::Ready<int>(0);
                }));
            }));
        });
        CHECK(Clock::now() - start < 2s);
    }

    TEST_CASE("spawning from another thread while the executor runs is refused") {
        rt::Executor executor;
        std::string error;
        executor.block_on(rt::Then(rt::Ready<int>(0), [&](int) {
            test::Thread other([&] {
                try {
                    (void)executor.spawn(rt::Ready<int>(1));
                } catch (const std::logic_error& e) {
                    error = e.what();
                }
            });
            other.join();
            return rt::Ready<int>(0);
        }));
        CHECK(error == "rt::Executor::spawn: called from another thread while the executor runs");
    }

    TEST_CASE("tasks left waiting when block_on returns stay until the executor goes") {
        std::atomic<int> destroyed{0};
        {
            rt::Executor executor;
            executor.block_on(rt::Then(rt::Ready<int>(0), [&](int) {
                rt::spawn(test::Noticed(rt::sleep(10s), &destroyed)).detach();
                return rt::sleep(1ms);
            }));
            CHECK(executor.live_tasks() == 1);
            CHECK(destroyed == 0);
        }
        CHECK(destroyed == 1);
    }

    TEST_CASE("a second thread may not run an executor that a thread runs: it is refused with a clear error") {
        rt::Executor executor;
        std::vector<std::string> errors;
        std::optional<test::Thread> other;
        std::atomic<bool> done{false};
        test::bounded("Executor::block_on while another thread tries to run the executor", [&] {
            executor.block_on(AnotherThreadTries{&executor, &errors, &other, &done});
            return 0;
        });
        REQUIRE(other.has_value());
        other->join();
        std::string refused = "rt::Executor: already running on another thread; one thread at a time may run an executor";
        CHECK(errors == std::vector<std::string>{refused, refused});
    }

    TEST_CASE("spawns from another thread are queued or refused, never racing the thread that runs the executor") {
        rt::Executor executor;
        std::atomic<int> ran{0}, accepted{0};
        REQUIRE(test::bounded("Executor::block_on", [&] { return executor.block_on(rt::Ready<int>(1)); }) == 1);
        std::atomic<bool> stop{false};
        // Spawns while the executor starts and stops, again and again: a
        // spawn must either go in whole, or be refused.
        test::Thread spawner([&] {
            for (int i = 0; i < 20'000 && !stop; ++i) {
                try {
                    executor.spawn(AddsOne{&ran}).detach();
                    ++accepted;
                } catch (const std::logic_error&) {
                }
            }
        });
        test::bounded("200 turns of block_on beside a thread that spawns", [&] {
            for (int turn = 0; turn < 200; ++turn)
                executor.block_on(rt::Then(rt::Ready<int>(0), [&](int) {
                    std::vector<rt::JoinHandle<void>> handles;
                    for (int i = 0; i < 5; ++i) handles.push_back(rt::spawn(AddsOne{&ran}));
                    return rt::join_in_order(std::move(handles));
                }));
            return 0;
        }, 60'000ms);
        stop = true;
        spawner.join();
        executor.run_until_idle();  // what came after the last turn
        CHECK(ran == accepted + 200 * 5);
        CHECK(executor.live_tasks() == 0);
    }

    TEST_CASE("recording on, a task's timeline is spawn, poll, wake, poll, complete, in that order") {
        const std::string path = "/tmp/rt-trace-" + std::to_string(::getpid()) + ".json";
        rt::trace::start(path.c_str());
        rt::Executor executor;
        // Countdown(2) is pending once, waking itself during that poll, then ready.
        int out = executor.block_on(rt::Then(rt::Ready<int>(0), [](int) { return rt::spawn(rt::Countdown(2)); }));
        rt::trace::stop();
        REQUIRE(out == 2);
        REQUIRE(rt::trace::write());
        CHECK(timeline_of(path, 1) == std::vector<std::string>{"spawn", "poll", "wake", "poll", "complete"});
        // Task 0 is the main future, woken when the task completes.
        std::vector<std::string> main = timeline_of(path, 0);
        CHECK(std::count(main.begin(), main.end(), "wake") == 1);
        std::remove(path.c_str());
    }
}
