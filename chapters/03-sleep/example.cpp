// Chapter 03's example: a thread per sleep against one timer thread, the
// overshoot of 10,000 deadlines, and join against one-after-the-other.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "props/measure.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int sleeps = 10'000;

// Threads in this process, from /proc/self/status.
int thread_count() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
    return 0;
}

// Wraps a future; after its first poll (every sleep has started by then),
// notes the threads and the memory in use.
template <rt::Future F>
struct Probe {
    using Output = typename F::Output;
    F inner;
    int* threads;
    double* megabytes;
    std::size_t memory_before = rt::bench::resident_bytes();

    rt::Poll<Output> poll(rt::Context& cx) {
        rt::Poll<Output> result = inner.poll(cx);
        if (*threads == 0) {
            *threads = thread_count();
            *megabytes = static_cast<double>(rt::bench::resident_bytes() - memory_before) / 1e6;
        }
        return result;
    }
};

// Makes `sleeps` futures, then waits for all of them in one block_on:
// prints the threads and memory in use while they wait, and the time taken.
template <class Make>
void many_sleeps(const char* name, Make make_one) {
    std::vector<decltype(make_one())> futures;
    futures.reserve(sleeps);
    for (int i = 0; i < sleeps; ++i) futures.push_back(make_one());
    int threads = 0;
    double megabytes = 0;
    rt::bench::Stopwatch watch;
    rt::block_on(Probe<rt::JoinAll<decltype(make_one())>>{rt::join_all(std::move(futures)), &threads, &megabytes});
    auto spent = watch.elapsed();
    fmt::print("  {:<28} {:>8} {:>10.1f} {:>9.1f} {:>9.1f}\n", name, threads, megabytes, spent.wall_ms, spent.cpu_ms);
}

// A sleep that notes how late it found itself ready.
struct Late {
    using Output = void;
    rt::Sleep sleep;
    std::vector<double>* late_ms;
    rt::Poll<void> poll(rt::Context& cx) {
        if (sleep.poll(cx).is_pending()) return rt::pending;
        late_ms->push_back(std::chrono::duration<double, std::milli>(Clock::now() - sleep.deadline()).count());
        return rt::ready();
    }
};

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

}  // namespace

int main() {
    fmt::print("1. {} sleeps of 1 s at once, in one block_on:\n", sleeps);
    fmt::print("  {:<28} {:>8} {:>10} {:>9} {:>9}\n", "", "threads", "memory MB", "wall ms", "CPU ms");
    many_sleeps("a thread each (ThreadSleep)", [] { return rt::ThreadSleep(1s); });
    many_sleeps("one timer thread (Sleep)", [] { return rt::sleep(1s); });

    fmt::print("\n2. Overshoot: {} sleeps, deadlines spread over 100-300 ms:\n", sleeps);
    std::vector<double> late_ms;
    late_ms.reserve(sleeps);
    std::vector<Late> futures;
    auto start = Clock::now();
    for (int i = 0; i < sleeps; ++i) futures.push_back(Late{rt::sleep_until(start + 100ms + i * 20us), &late_ms});
    rt::block_on(rt::join_all(std::move(futures)));
    std::sort(late_ms.begin(), late_ms.end());
    double median = late_ms[late_ms.size() / 2], worst = late_ms.back();
    fmt::print("  median {:.3f} ms, worst {:.3f} ms (target: median under 1 ms, worst under 10 ms: {})\n", median,
               worst, median < 1 && worst < 10 ? "met" : "MISSED");

    fmt::print("\n3. Two sleeps, 100 ms and 200 ms:\n");
    start = Clock::now();
    rt::block_on(rt::join(rt::sleep(100ms), rt::sleep(200ms)));
    double joined = ms_since(start);
    start = Clock::now();
    rt::block_on(rt::Then(rt::sleep(100ms), [] { return rt::sleep(200ms); }));
    double one_after_the_other = ms_since(start);
    fmt::print("  join(sleep(100ms), sleep(200ms)):      {:6.1f} ms\n", joined);
    fmt::print("  sleep(100ms), then sleep(200ms):       {:6.1f} ms\n", one_after_the_other);
}
