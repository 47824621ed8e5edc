// Chapter 04's example: what a task costs. Spawn and join a million trivial
// tasks, then keep 100,000 sleeping tasks at once and weigh them.
//   example                the two measurements
//   example --spawn-join   the first only (scripts/tutor timeline --cost runs it)
//   example --timeline     a small run to watch: scripts/tutor timeline 04
#include <fmt/core.h>
#include <malloc.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include "props/measure.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Notes the resident memory when it runs.
struct WeighMemory {
    using Output = void;
    std::size_t* bytes;
    rt::Poll<void> poll(rt::Context&) {
        *bytes = rt::bench::resident_bytes();
        return rt::ready();
    }
};

// Two tasks: a Countdown of 3, which wakes itself during each pending poll,
// and a 2 ms sleep, which the timer thread wakes. The main future joins them.
void timeline_run() {
    rt::Timer::global();  // starts the timer thread now: inside the first poll, it would take most of the picture
    rt::Executor executor;
    std::vector<int> outputs = executor.block_on(rt::Then(rt::Ready<int>(0), [](int) {
        std::vector<rt::JoinHandle<int>> handles;
        handles.push_back(rt::spawn(rt::Countdown(3)));
        handles.push_back(rt::spawn(rt::Then(rt::sleep(2ms), [] { return rt::Ready<int>(2); })));
        return rt::join_in_order(std::move(handles));
    }));
    fmt::print("a countdown of 3 gave {}; a 2 ms sleep, then {}\n", outputs[0], outputs[1]);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "--timeline") == 0) {
        timeline_run();
        return 0;
    }
    bool spawn_join_only = argc == 2 && std::strcmp(argv[1], "--spawn-join") == 0;
    if (argc > 1 && !spawn_join_only) {
        fmt::print(stderr, "usage: {} [--spawn-join | --timeline]\n", argv[0]);
        return 2;
    }
    rt::Executor executor;

    constexpr int trivial_tasks = 1'000'000;
    rt::bench::Stopwatch watch;
    std::vector<int> outputs = executor.block_on(rt::Then(rt::Ready<int>(0), [](int) {
        std::vector<rt::JoinHandle<int>> handles;
        handles.reserve(trivial_tasks);
        for (int i = 0; i < trivial_tasks; ++i) handles.push_back(rt::spawn(rt::Ready<int>(i)));
        return rt::join_in_order(std::move(handles));
    }));
    auto spent = watch.elapsed();
    std::int64_t sum = 0;
    for (int output : outputs) sum += output;
    double ns_per_task = spent.wall_ms * 1e6 / trivial_tasks;
    fmt::print("1. Spawn and join {} trivial tasks:\n", trivial_tasks);
    fmt::print("  {:.0f} ms in all, {:.0f} ns per task (outputs add up: {})\n", spent.wall_ms, ns_per_task,
               sum == std::int64_t{trivial_tasks} * (trivial_tasks - 1) / 2 ? "yes" : "NO");
    fmt::print("  target: at most 190 ns per task: {}\n\n", ns_per_task <= 190 ? "met" : "MISSED");
    if (spawn_join_only) return 0;

    // Give the memory of those tasks back to the system, so that what the
    // sleeping tasks take shows in the resident set.
    malloc_trim(0);

    constexpr int sleeping_tasks = 100'000;
    std::size_t memory_before = rt::bench::resident_bytes(), memory_waiting = 0;
    Clock::time_point last_deadline;
    watch = rt::bench::Stopwatch();
    executor.block_on(rt::Then(rt::Ready<int>(0), [&](int) {
        std::vector<rt::JoinHandle<void>> handles;
        handles.reserve(sleeping_tasks);
        for (int i = 0; i < sleeping_tasks; ++i) {
            rt::Sleep sleep = rt::sleep(20ms);
            last_deadline = sleep.deadline();
            handles.push_back(rt::spawn(std::move(sleep)));
        }
        // Runs after every sleeping task's first poll: the queue is first in, first out.
        rt::spawn(WeighMemory{&memory_waiting}).detach();
        return rt::join_in_order(std::move(handles));
    }));
    spent = watch.elapsed();
    double late_ms = std::chrono::duration<double, std::milli>(Clock::now() - last_deadline).count();
    double bytes_per_task = static_cast<double>(memory_waiting - memory_before) / sleeping_tasks;
    fmt::print("2. {} tasks sleeping 20 ms at once, on one thread:\n", sleeping_tasks);
    fmt::print("  all done in {:.0f} ms, {:.1f} ms after the last deadline (target: within 100 ms: {})\n",
               spent.wall_ms, late_ms, late_ms <= 100 ? "met" : "MISSED");
    fmt::print("  memory while they wait: {:.0f} bytes per task (target: at most 300: {})\n", bytes_per_task,
               bytes_per_task <= 300 ? "met" : "MISSED");
    fmt::print("  one task of this kind is {} bytes; its JoinHandle {}, its timer heap slot {}\n",
               sizeof(rt::detail::Task<rt::Sleep>), sizeof(rt::JoinHandle<void>), sizeof(void*));
}
