// Chapter 05's example. By default: GETs with different delays to the delay
// server, printed as they arrive, then 200 at once. With --throughput:
// requests per second from 100 connections doing back-to-back GETs.
//
//   example [--url BASE]                  BASE: a delay server (default: one started here)
//   example --throughput [--url URL] [--seconds S] [--connections N]
//   example --timeline                    a small run to watch: scripts/tutor timeline 05
//
// With --measure, it measures one figure for chapter 06's example, which
// runs it as a child process (see "The child's side", below).
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "props/delay_server.hpp"
#include "props/measure.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

// A GET that prints its response when it arrives.
struct PrintedGet {
    using Output = void;
    rt::HttpGet get;
    std::string path;
    Clock::time_point start;

    rt::Poll<void> poll(rt::Context& cx) {
        rt::Poll<rt::HttpResponse> response = get.poll(cx);
        if (response.is_pending()) return rt::pending;
        fmt::print("  after {:4.0f} ms: GET {:<16} -> {} {}\n", ms_since(start), path, response.value().status,
                   response.value().body);
        return rt::ready();
    }
};

void delays(const std::string& base) {
    rt::Executor executor;
    const int delays_ms[] = {400, 100, 500, 200, 300};
    const char* words[] = {"four", "one", "five", "two", "three"};
    fmt::print("1. Five GETs at once, with delays of 400, 100, 500, 200 and 300 ms:\n");
    auto start = Clock::now();
    executor.block_on(rt::Then(rt::Ready<int>(0), [&](int) {
        std::vector<rt::JoinHandle<void>> handles;
        for (int i = 0; i < 5; ++i) {
            std::string path = fmt::format("/{}/{}", delays_ms[i], words[i]);
            handles.push_back(rt::spawn(PrintedGet{rt::HttpGet(base + path), path, start}));
        }
        return rt::join_in_order(std::move(handles));
    }));
    fmt::print("  all five in {:.0f} ms; one after the other they would take {} ms\n\n", ms_since(start),
               400 + 100 + 500 + 200 + 300);

    constexpr int many = 200;
    fmt::print("2. {} GETs at once, each answered after 500 ms, on one thread:\n", many);
    start = Clock::now();
    std::vector<rt::HttpResponse> responses = executor.block_on(rt::Then(rt::Ready<int>(0), [&](int) {
        std::vector<rt::JoinHandle<rt::HttpResponse>> handles;
        for (int i = 0; i < many; ++i) handles.push_back(rt::spawn(rt::HttpGet(base + "/500/ok")));
        return rt::join_in_order(std::move(handles));
    }));
    int correct = 0;
    for (const auto& response : responses) correct += response.status == 200 && response.body == "ok";
    fmt::print("  {} of {} correct, in {:.0f} ms; one after the other they would take {} s\n", correct, many,
               ms_since(start), many / 2);
}

// example --timeline: a small run to watch with scripts/tutor timeline 05.
// Two GETs, answered after 10 and 20 ms, and a 5 ms sleep beside them.
void timeline_run(const std::string& base) {
    // Start the two threads now: inside the first poll, their start would take most of the picture.
    rt::Timer::global();
    rt::Reactor::global();
    rt::Executor executor;
    std::vector<rt::HttpResponse> responses = executor.block_on(rt::Then(rt::Ready<int>(0), [&](int) {
        rt::spawn(rt::sleep(5ms)).detach();
        std::vector<rt::JoinHandle<rt::HttpResponse>> handles;
        handles.push_back(rt::spawn(rt::HttpGet(base + "/10/ten")));
        handles.push_back(rt::spawn(rt::HttpGet(base + "/20/twenty")));
        return rt::join_in_order(std::move(handles));
    }));
    fmt::print("two GETs answered: {} and {}; a 5 ms sleep ran beside them\n", responses[0].body,
               responses[1].body);
}

// One connection's worth of load: GET the URL, again and again, until the
// deadline; counts the responses.
struct GetLoop {
    using Output = void;
    std::string url;
    Clock::time_point until;
    long* responses;
    std::optional<rt::HttpGet> get;

    rt::Poll<void> poll(rt::Context& cx) {
        for (;;) {
            if (!get) {
                if (Clock::now() >= until) return rt::ready();
                get.emplace(url);
            }
            if (get->poll(cx).is_pending()) return rt::pending;
            get.reset();
            ++*responses;
        }
    }
};

void throughput(const std::string& url, double seconds, int connections) {
    rt::Executor executor;
    long responses = 0;
    fmt::print("{} connections doing back-to-back GETs of {} for {:.0f} s, on one executor thread:\n", connections,
               url, seconds);
    rt::bench::Stopwatch watch;
    auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    executor.block_on(rt::Then(rt::Ready<int>(0), [&](int) {
        std::vector<rt::JoinHandle<void>> handles;
        for (int i = 0; i < connections; ++i) handles.push_back(rt::spawn(GetLoop{url, until, &responses, {}}));
        return rt::join_in_order(std::move(handles));
    }));
    auto spent = watch.elapsed();
    fmt::print("  {} responses in {:.2f} s: {:.0f} requests per second\n", responses, spent.wall_ms / 1000,
               responses / (spent.wall_ms / 1000));
    fmt::print("  CPU: {:.0f}% of one core, for this process (client and any delay server in it)\n",
               100 * spent.cpu_ms / spent.wall_ms);
}

// ---------------------------------------------------------------------------
// The child's side of chapter 06's comparison. Chapter 06's example measures
// chapter 05's runtime and its own side by side, but both live in namespace
// rt and cannot be linked into one program. So it runs each chapter's
// example as a child process, `example --measure WHAT ...`, which measures
// its own runtime and prints one line: "result name=value ...". This code is
// the same, word for word, in chapter 05's example.cpp and chapter 06's:
// both runtimes are measured by the same client.

// Threads in this process: /proc/self/task has one entry per thread.
int thread_count() {
    int count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++count;
    return count;
}

// Wraps a future; notes the most threads this process had at any of its polls.
template <rt::Future F>
struct MostThreads {
    using Output = typename F::Output;
    F inner;
    int* most;

    rt::Poll<Output> poll(rt::Context& cx) {
        rt::Poll<Output> result = inner.poll(cx);
        *most = std::max(*most, thread_count());
        return result;
    }
};

template <rt::Future F>
MostThreads<F> most_threads(F inner, int* most) {
    return MostThreads<F>{std::move(inner), most};
}

// Spawns `count` tasks made by make_task(), and waits for all of them.
template <class MakeTask>
auto spawn_and_join(int count, MakeTask make_task) {
    return rt::Then(rt::Ready<int>(0), [count, make_task](int) {
        std::vector<rt::JoinHandle<typename decltype(make_task())::Output>> handles;
        for (int i = 0; i < count; ++i) handles.push_back(rt::spawn(make_task()));
        return rt::join_in_order(std::move(handles));
    });
}

// Ten tasks that each sleep, then GET: the most threads seen meanwhile,
// from inside the process (the delay server runs in another one).
void measure_threads(const std::string& url) {
    rt::Executor executor;
    int most = 0;
    executor.block_on(most_threads(spawn_and_join(10, [&] {
        return rt::Then(rt::sleep(10ms), [url] { return rt::HttpGet(url); });
    }), &most));
    fmt::print("result threads={}\n", most);
}

// One connection's worth of GETs, one after another, until the budget that
// all connections share is spent.
struct CountedGets {
    using Output = void;
    std::string url;
    long* left;
    std::optional<rt::HttpGet> get;

    rt::Poll<void> poll(rt::Context& cx) {
        for (;;) {
            if (!get) {
                if (*left == 0) return rt::ready();
                --*left;
                get.emplace(url);
            }
            if (get->poll(cx).is_pending()) return rt::pending;
            get.reset();
        }
    }
};

// `count` GETs over `connections` connections; the parent counts the system
// calls (count 0 shows what starting and stopping cost).
void measure_gets(const std::string& url, long count, int connections) {
    rt::Executor executor;
    long left = count;
    executor.block_on(spawn_and_join(connections, [&] { return CountedGets{url, &left, {}}; }));
    fmt::print("result gets={}\n", count);
}

// A connection's GETs, back to back until the deadline, counted (chapter
// 05's GetLoop, repeated so that this side is the same in both chapters).
struct TimedGets {
    using Output = void;
    std::string url;
    Clock::time_point until;
    long* responses;
    std::optional<rt::HttpGet> get;

    rt::Poll<void> poll(rt::Context& cx) {
        for (;;) {
            if (!get) {
                if (Clock::now() >= until) return rt::ready();
                get.emplace(url);
            }
            if (get->poll(cx).is_pending()) return rt::pending;
            get.reset();
            ++*responses;
        }
    }
};

void measure_throughput(const std::string& url, double seconds, int connections) {
    rt::Executor executor;
    long responses = 0;
    rt::bench::Stopwatch watch;
    auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    executor.block_on(spawn_and_join(connections, [&] { return TimedGets{url, until, &responses, {}}; }));
    auto spent = watch.elapsed();
    fmt::print("result responses={} wall_ms={:.3f} cpu_ms={:.3f}\n", responses, spent.wall_ms, spent.cpu_ms);
}

// A sleep that notes how late it was polled ready: the overshoot.
struct LateSleep {
    using Output = void;
    rt::Sleep sleep;
    std::vector<double>* late_ms;

    rt::Poll<void> poll(rt::Context& cx) {
        if (sleep.poll(cx).is_pending()) return rt::pending;
        late_ms->push_back(std::chrono::duration<double, std::milli>(Clock::now() - sleep.deadline()).count());
        return rt::ready();
    }
};

// A task per sleep, deadlines spread evenly over 100-600 ms from now: the
// median and the 99th percentile of how late they were.
void measure_overshoot(int sleeps) {
    rt::Executor executor;
    std::vector<double> late_ms;
    late_ms.reserve(static_cast<std::size_t>(sleeps));
    auto start = Clock::now();
    auto spacing = std::chrono::duration_cast<Clock::duration>(500ms) / std::max(sleeps, 1);
    int next = 0;
    executor.block_on(spawn_and_join(sleeps, [&] {
        return LateSleep{rt::sleep_until(start + 100ms + next++ * spacing), &late_ms};
    }));
    std::sort(late_ms.begin(), late_ms.end());
    double median = late_ms.empty() ? 0 : late_ms[late_ms.size() / 2];
    double p99 = late_ms.empty() ? 0 : late_ms[late_ms.size() * 99 / 100];
    fmt::print("result median_ms={:.4f} p99_ms={:.4f}\n", median, p99);
}

// example --measure threads|gets|throughput|overshoot [--url URL] [--count N]
//         [--connections N] [--seconds S] [--sleeps N]
int measure_main(int argc, char** argv) {
    std::string what = argc > 2 ? argv[2] : "", url;
    long count = 0;
    int connections = 1, sleeps = 100'000;
    double seconds = 1;
    for (int i = 3; i < argc; ++i) {
        auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
        if (std::strcmp(argv[i], "--url") == 0) url = next();
        else if (std::strcmp(argv[i], "--count") == 0) count = std::atol(next());
        else if (std::strcmp(argv[i], "--connections") == 0) connections = std::atoi(next());
        else if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(next());
        else if (std::strcmp(argv[i], "--sleeps") == 0) sleeps = std::atoi(next());
        else what = "";  // refused below
    }
    try {
        if (what == "threads") measure_threads(url);
        else if (what == "gets") measure_gets(url, count, connections);
        else if (what == "throughput") measure_throughput(url, seconds, connections);
        else if (what == "overshoot") measure_overshoot(sleeps);
        else {
            fmt::print(stderr,
                       "usage: {} --measure threads|gets|throughput|overshoot [--url URL] [--count N] "
                       "[--connections N] [--seconds S] [--sleeps N]\n",
                       argv[0]);
            return 2;
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "example --measure {}: {}\n", what, e.what());
        return 1;
    }
    return 0;
}
// The end of the child's side.
// ---------------------------------------------------------------------------

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--measure") == 0) return measure_main(argc, argv);
    bool load = false, small = false;
    std::string url;
    double seconds = 3;
    int connections = 100;
    for (int i = 1; i < argc; ++i) {
        auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
        if (std::strcmp(argv[i], "--throughput") == 0) load = true;
        else if (std::strcmp(argv[i], "--timeline") == 0) small = true;
        else if (std::strcmp(argv[i], "--url") == 0) url = next();
        else if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(next());
        else if (std::strcmp(argv[i], "--connections") == 0) connections = std::atoi(next());
        else {
            fmt::print(stderr,
                       "usage: {} [--url BASE] | --throughput [--url URL] [--seconds S] [--connections N] | "
                       "--timeline\n",
                       argv[0]);
            return 2;
        }
    }
    try {
        std::optional<rt::DelayServer> server;
        if (url.empty()) {
            server.emplace();
            fmt::print("(a delay server runs in this process on port {})\n\n", server->port());
            url = load ? server->url("/0/hi") : server->url("");
        }
        if (small) timeline_run(url);
        else if (load) throughput(url, seconds, connections);
        else delays(url);
    } catch (const std::exception& e) {
        fmt::print(stderr, "example: {}\n", e.what());
        return 1;
    }
}
