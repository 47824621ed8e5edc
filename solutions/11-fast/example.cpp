// Chapter 11's example: the one-thread loop (Executor()) with each of the
// chapter's optimisations off and on, in one run, in interleaved rounds,
// each measurement in a fresh process (a fork) as the bench runs them;
// medians, and the ratio after / before:
//   spawn + join   N trivial tasks spawned, then joined in order (new/delete, then the task slab)
//   sleeps         N tasks sleeping 1 to 50 ms (the heap, then the timer wheel):
//                  how late the last join returns after the last deadline,
//                  and the peak resident bytes per sleeping task
//   hop            one task woken by itself N times (atomic wakes, then the local wake path)
//
//   example [--rounds R] [--tasks N] [--sleepers N] [--hops N]
//   example --profile spawn|hop|sleeps before|after [--rounds R]   one workload, in this process, for perf
//   example --timeline                                         a small run to watch: scripts/tutor timeline 11
#include <fmt/core.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "rt.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// ANCHOR: value
// A trivial task: its output at the first poll (the bench's `spawn` task).
struct Value {
    using Output = std::uint64_t;
    std::uint64_t value;
    rt::Poll<std::uint64_t> poll(rt::Context&) { return value; }
};

// Spawns n Values, then awaits their handles in order; ns per task.
rt::Async<double> spawn_join(std::size_t n) {
    std::vector<rt::JoinHandle<std::uint64_t>> handles;
    handles.reserve(n);
    Clock::time_point start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) handles.push_back(rt::spawn(Value{i}));
    std::uint64_t sum = 0;
    for (auto& handle : handles) sum += co_await handle;
    double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    if (sum != std::uint64_t{n} * (n - 1) / 2) throw std::runtime_error("spawn + join: wrong sum");
    co_return ns / static_cast<double>(n);
}
// ANCHOR_END: value

// ANCHOR: hops
// The bench's `hop`: a future that, while its count is above zero, takes
// one off, wakes its own waker and answers pending.
struct Hops {
    using Output = void;
    std::uint64_t left;
    rt::Poll<void> poll(rt::Context& cx) {
        if (left == 0) return rt::ready();
        --left;
        cx.waker().wake_by_ref();
        return rt::pending;
    }
};

// Spawns one Hops of n and joins it; ns per hop.
rt::Async<double> hop(std::uint64_t n) {
    Clock::time_point start = Clock::now();
    rt::JoinHandle<void> handle = rt::spawn(Hops{n});
    co_await handle;
    co_return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / static_cast<double>(n);
}
// ANCHOR_END: hops

// A line of /proc/self/status, in bytes ("VmRSS", "VmHWM").
std::size_t status_bytes(const char* field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field, 0) == 0) return std::strtoull(line.c_str() + std::strlen(field) + 1, nullptr, 10) * 1024;
    return 0;
}

struct SleepFigures {
    double late_ms;
    double bytes_per_task;
};

// ANCHOR: sleepers
// n tasks, task i sleeping until start + (1 + i % 50) ms, spawned then
// joined: how late the last join is after the last deadline, and the peak
// resident bytes per sleeping task (the bench's `sleeps`).
rt::Async<SleepFigures> sleepers(std::size_t n) {
    std::vector<rt::JoinHandle<void>> handles;
    handles.reserve(n);
    std::size_t before = status_bytes("VmRSS:");
    Clock::time_point start = Clock::now();
    for (std::size_t i = 0; i < n; ++i)
        handles.push_back(rt::spawn(rt::sleep_until(start + std::chrono::milliseconds(1 + i % 50))));
    for (auto& handle : handles) co_await handle;
    double late = std::chrono::duration<double, std::milli>(Clock::now() - (start + std::chrono::milliseconds(50))).count();
    std::size_t peak = status_bytes("VmHWM:");
    co_return SleepFigures{late, static_cast<double>(peak - std::min(peak, before)) / static_cast<double>(n)};
}
// ANCHOR_END: sleepers

// Runs `work` in a fresh process (a fork: this one has no thread), and
// gives back the two figures it wrote on a pipe.
template <class Work>
std::pair<double, double> in_child(Work work) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        close(fds[0]);
        int code = 0;
        try {
            std::ofstream("/proc/self/clear_refs") << "5";  // VmHWM starts again from here
            std::pair<double, double> figures = work();
            if (write(fds[1], &figures, sizeof figures) != sizeof figures) code = 1;
        } catch (const std::exception& e) {
            fmt::print(stderr, "example (child): {}\n", e.what());
            code = 1;
        }
        _exit(code);
    }
    close(fds[1]);
    std::pair<double, double> figures{};
    ssize_t got = read(fds[0], &figures, sizeof figures);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != sizeof figures || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("a measuring child failed");
    return figures;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

rt::Tuning tuning(bool slab, bool wheel, bool local = true) {
    rt::Tuning t;
    t.task_slab = slab;
    t.timer_wheel = wheel;
    t.local_wake = local;
    return t;
}

std::pair<double, double> run_hops(rt::Tuning t, std::uint64_t n) {
    rt::Executor executor(t);
    return {executor.block_on(hop(n)), 0.0};
}

std::pair<double, double> run_spawn(rt::Tuning t, std::size_t n) {
    rt::Executor executor(t);
    return {executor.block_on(spawn_join(n)), 0.0};
}

std::pair<double, double> run_sleeps(rt::Tuning t, std::size_t n) {
    rt::Executor executor(t);
    SleepFigures f = executor.block_on(sleepers(n));
    return {f.late_ms, f.bytes_per_task};
}

void measure(int rounds, std::size_t tasks, std::size_t sleepers_count, std::uint64_t hops) {
    double load = 0;
    std::ifstream("/proc/loadavg") >> load;
    fmt::print("This machine has {} cores, and a load average of {:.2f} as the run starts.\n",
               sysconf(_SC_NPROCESSORS_ONLN), load);
    fmt::print("Executor(): one thread, the caller's; every figure from a fresh process; medians of {} rounds\n",
               rounds);
    // Before and after alternate, each going first every other round.
    std::vector<double> spawn_before, spawn_after, late_before, late_after, bytes_before, bytes_after;
    std::vector<double> hop_before, hop_after;
    for (int round = 0; round < rounds; ++round) {
        for (int side = 0; side < 2; ++side) {
            bool after = (side + round) % 2 == 1;
            double ns = in_child([&] { return run_hops(tuning(true, true, after), hops); }).first;
            (after ? hop_after : hop_before).push_back(ns);
        }
        for (int side = 0; side < 2; ++side) {
            bool after = (side + round) % 2 == 1;
            double ns = in_child([&] { return run_spawn(tuning(after, true), tasks); }).first;
            (after ? spawn_after : spawn_before).push_back(ns);
        }
        for (int side = 0; side < 2; ++side) {
            bool after = (side + round) % 2 == 1;
            auto [late, bytes] = in_child([&] { return run_sleeps(tuning(true, after), sleepers_count); });
            (after ? late_after : late_before).push_back(late);
            (after ? bytes_after : bytes_before).push_back(bytes);
        }
    }
    double sb = median(spawn_before), sa = median(spawn_after);
    fmt::print("\nspawn + join of {} tasks, ns per task\n", tasks);
    fmt::print("  new and delete  {:8.1f}\n", sb);
    fmt::print("  task slab       {:8.1f}   after / before {:.2f}\n", sa, sa / sb);
    fmt::print("  (a task of Value is {} bytes, of rt::Sleep {}: sizeof, the header included)\n",
               sizeof(rt::detail::Task<Value>), sizeof(rt::detail::Task<rt::Sleep>));
    double hb = median(hop_before), ha = median(hop_after);
    fmt::print("\none task woken by itself and polled again {} times, ns per hop\n", hops);
    fmt::print("  atomic wakes    {:8.1f}\n", hb);
    fmt::print("  local wakes     {:8.1f}   after / before {:.2f}\n", ha, ha / hb);
    double lb = median(late_before), la = median(late_after);
    double bb = median(bytes_before), ba = median(bytes_after);
    fmt::print("\n{} tasks sleeping 1 to 50 ms: the last join after the last deadline, ms; peak bytes per task\n",
               sleepers_count);
    fmt::print("  timer heap      {:8.2f} ms {:8.0f} bytes\n", lb, bb);
    fmt::print("  timer wheel     {:8.2f} ms {:8.0f} bytes   after / before {:.2f} and {:.2f}\n", la, ba, la / lb,
               ba / bb);
}

// example --profile: one workload, one side, in this process, `rounds` times (perf record runs it).
void profile(const std::string& workload, const std::string& side, int rounds) {
    bool after = side == "after";
    if (!after && side != "before") throw std::invalid_argument("--profile: before or after");
    double sum = 0;
    for (int i = 0; i < rounds; ++i) {
        if (workload == "spawn") sum += run_spawn(tuning(after, true), 1'000'000).first;
        else if (workload == "hop") sum += run_hops(tuning(true, true, after), 10'000'000).first;
        else if (workload == "sleeps") sum += run_sleeps(tuning(true, after), 100'000).first;
        else throw std::invalid_argument("--profile: spawn, hop or sleeps");
    }
    fmt::print("{} {}: {:.1f} {} (mean of {} rounds)\n", workload, side, sum / rounds,
               workload == "spawn" ? "ns per task" : workload == "hop" ? "ns per hop" : "ms late", rounds);
}

// example --timeline: ten tasks, half of them sleeping a millisecond, on one thread.
rt::Async<int> small_run() {
    std::vector<rt::JoinHandle<void>> handles;
    for (int i = 0; i < 5; ++i) handles.push_back(rt::spawn(rt::sleep(std::chrono::milliseconds(1))));
    std::vector<rt::JoinHandle<std::uint64_t>> values;
    for (std::uint64_t i = 0; i < 5; ++i) values.push_back(rt::spawn(Value{i}));
    for (auto& handle : handles) co_await handle;
    std::uint64_t sum = 0;
    for (auto& value : values) sum += co_await value;
    co_return static_cast<int>(sum);
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 5;
    std::size_t tasks = 200'000, sleepers_count = 100'000;
    std::uint64_t hops = 2'000'000;
    try {
        if (argc == 2 && std::strcmp(argv[1], "--timeline") == 0) {
            rt::Executor executor;
            int sum = executor.block_on(small_run());
            fmt::print("10 tasks, 5 of them sleeping 1 ms, on one thread: sum {}\n", sum);
            return 0;
        }
        std::string workload, side;
        for (int i = 1; i < argc; ++i) {
            auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
            if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::max(1, std::atoi(next()));
            else if (std::strcmp(argv[i], "--tasks") == 0) tasks = std::max(1000L, std::atol(next()));
            else if (std::strcmp(argv[i], "--sleepers") == 0) sleepers_count = std::max(1000L, std::atol(next()));
            else if (std::strcmp(argv[i], "--hops") == 0) hops = std::max(1000L, std::atol(next()));
            else if (std::strcmp(argv[i], "--profile") == 0) {
                workload = next();
                side = next();
            } else {
                fmt::print(stderr,
                           "usage: {} [--rounds R] [--tasks N] [--sleepers N] [--hops N] | --profile spawn|hop|sleeps before|after "
                           "[--rounds R] | --timeline\n",
                           argv[0]);
                return 2;
            }
        }
        if (!workload.empty()) profile(workload, side, rounds);
        else measure(rounds, tasks, sleepers_count, hops);
    } catch (const std::exception& e) {
        fmt::print(stderr, "example: {}\n", e.what());
        return 1;
    }
}
