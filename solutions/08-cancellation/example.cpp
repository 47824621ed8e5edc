// Chapter 08's example: what cancellation does, and what a budget per poll
// buys, printed from real runs.
//
// First, each tool once: a timeout around a GET nobody answers, a select
// between a slow GET and a sleep, an abort, a scope whose child throws.
// Then the measurement: a download of 100 MiB over loopback, on the
// executor's one thread, beside a 10 ms ticker and a timeout(300 ms), with
// the budget off (the download wrapped in rt::unconstrained) and on, in
// alternate rounds: the ticker's worst gap, how late the timeout fires, and
// the download's throughput.
//
//   example [--mib N] [--rounds N]
//   example --timeline [off|on]   a small run to watch: scripts/tutor timeline 08
//                                 (the budget off, then on; or only the one named)
//
// N: MiB to download (100); rounds of each side (3).
#include <fmt/core.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "props/bulk_server.hpp"
#include "props/delay_server.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

// ---------------------------------------------------------------------------
// Each tool once.

// A server that takes connections (the kernel completes the handshake) and
// never answers: a GET to it waits for ever, unless something stops it.
struct SilentServer {
    rt::sys::Fd listener;
    std::string url;
    SilentServer() {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        listener = rt::sys::tcp_listener(address);
        url = "http://127.0.0.1:" + std::to_string(rt::sys::local_port(listener.get())) + "/";
    }
};

// How many sockets the executor's reactor holds, `after` from now.
rt::Async<void> count_sockets(rt::Executor& executor, Clock::duration after, std::size_t* count) {
    co_await rt::sleep(after);
    *count = executor.driver().reactor().size();
}

// ANCHOR: show-timeout
rt::Async<void> show_timeout(rt::Executor& executor, std::string silent_url) {
    Clock::time_point start = Clock::now();
    std::size_t while_waiting = 0;
    rt::spawn(count_sockets(executor, 25ms, &while_waiting)).detach();
    try {
        co_await rt::timeout(50ms, rt::http_get(silent_url));
    } catch (const rt::TimedOut& e) {
        fmt::print("timeout(50 ms) around a GET nobody answers: rt::TimedOut after {:.1f} ms: \"{}\"\n",
                   ms_between(start, Clock::now()), e.what());
        fmt::print("  sockets registered: {} while it waited, {} after\n", while_waiting,
                   executor.driver().reactor().size());
    }
}
// ANCHOR_END: show-timeout

rt::Async<void> show_select(rt::Executor& executor, std::string slow_url) {
    Clock::time_point start = Clock::now();
    std::size_t while_racing = 0;
    rt::spawn(count_sockets(executor, 10ms, &while_racing)).detach();
    auto winner = co_await rt::select(rt::http_get(slow_url), rt::sleep(20ms));
    fmt::print("select(a GET answered after 200 ms, sleep(20 ms)): child {} won after {:.1f} ms\n", winner.index(),
               ms_between(start, Clock::now()));
    fmt::print("  the GET was destroyed: sockets registered: {} while they raced, {} after\n", while_racing,
               executor.driver().reactor().size());
}

rt::Async<void> show_abort() {
    rt::JoinHandle<void> sleeper = rt::spawn(rt::sleep(1h));
    co_await rt::yield_now();  // the sleeper's first poll: it now waits in the timer heap
    Clock::time_point start = Clock::now();
    sleeper.abort();
    try {
        co_await sleeper;
    } catch (const rt::Cancelled&) {
        fmt::print("abort() of a task asleep for an hour: awaiting its handle threw rt::Cancelled {:.2f} ms later\n",
                   ms_between(start, Clock::now()));
    }
}

// Counts the children a scope destroyed before they finished.
struct Unfinished {
    int* count;
    bool finished = false;
    ~Unfinished() {
        if (!finished) ++*count;
    }
};

rt::Async<void> child_sleeping(Clock::duration how_long, int* destroyed_early) {
    Unfinished guard{destroyed_early};
    co_await rt::sleep(how_long);
    guard.finished = true;
}

rt::Async<void> child_failing(Clock::duration after) {
    co_await rt::sleep(after);
    throw std::runtime_error("child 2 failed");
}

rt::Async<void> show_scope() {
    Clock::time_point start = Clock::now();
    int destroyed_early = 0;
    // ANCHOR: scope-use
    try {
        co_await rt::scope([&](rt::Scope& scope) -> rt::Async<void> {
            scope.spawn(child_sleeping(1s, &destroyed_early));
            scope.spawn(child_failing(10ms));
            scope.spawn(child_sleeping(1h, &destroyed_early));
            co_return;
        });
    } catch (const std::exception& e) {
        fmt::print("scope with three children, the second failing after 10 ms: it threw \"{}\" after {:.1f} ms;"
                   " the other two were destroyed unfinished: {}\n",
                   e.what(), ms_between(start, Clock::now()), destroyed_early);
    }
    // ANCHOR_END: scope-use
}

void show_tools() {
    SilentServer silent;
    rt::DelayServer delays;
    rt::Executor executor;
    executor.block_on(show_timeout(executor, silent.url));
    executor.block_on(show_select(executor, delays.url("/200/slow")));
    executor.block_on(show_abort());
    executor.block_on(show_scope());
}

// ---------------------------------------------------------------------------
// A download beside a ticker, budget off and on.

struct Round {
    double worst_gap_ms;    // the ticker's longest wait between two ticks, while the download ran
    double timeout_late_ms;  // how long after its 300 ms the timeout fired
    double mb_per_s;        // the download's throughput (MB: 10^6 bytes)
    double download_ms;
};

// ANCHOR: ticker
// Ticks every `period`, on a fixed schedule, and notes the time of each tick.
rt::Async<void> ticker(Clock::duration period, std::vector<Clock::time_point>* ticks) {
    Clock::time_point next = Clock::now();
    for (;;) {
        next += period;
        co_await rt::sleep_until(next);
        ticks->push_back(Clock::now());
    }
}

// How late a timeout fires, in ms: it limits a sleep of an hour to `limit`.
rt::Async<double> timeout_lateness(Clock::duration limit) {
    Clock::time_point start = Clock::now();
    try {
        co_await rt::timeout(limit, rt::sleep(1h));
    } catch (const rt::TimedOut&) {
    }
    co_return ms_between(start + limit, Clock::now());
}

// Downloads `bytes` from `url` beside a 10 ms ticker and, if `limit_too`, a
// timeout(300 ms); the budget on, or off (rt::unconstrained).
rt::Async<Round> download_beside_ticker(std::string url, std::size_t bytes, bool budget, bool limit_too) {
    std::vector<Clock::time_point> ticks;
    Clock::time_point start = Clock::now();
    rt::JoinHandle<void> ticking = rt::spawn(ticker(10ms, &ticks));
    std::optional<rt::JoinHandle<double>> limit;
    if (limit_too) limit.emplace(rt::spawn(timeout_lateness(300ms)));
    // (Two statements: g++ 12 miscompiles a co_await inside ?:.)
    rt::HttpResponse response;
    if (budget) response = co_await rt::http_get(url, bytes);
    else response = co_await rt::unconstrained(rt::http_get(url, bytes));
    Clock::time_point end = Clock::now();
    ticking.abort();
    double late_ms = 0;
    if (limit) late_ms = co_await *limit;  // fired during the download, or fires now
    if (response.body.size() != bytes) throw std::runtime_error("the download came back short");
    // The longest stretch without a tick, from the download's start to its end.
    double worst = 0;
    Clock::time_point last = start;
    for (Clock::time_point tick : ticks) {
        if (tick > end) break;
        worst = std::max(worst, ms_between(last, tick));
        last = tick;
    }
    worst = std::max(worst, ms_between(last, end));
    double ms = ms_between(start, end);
    co_return Round{worst, late_ms, static_cast<double>(bytes) / 1e6 / (ms / 1e3), ms};
}
// ANCHOR_END: ticker

void measure(std::size_t mib, int rounds) {
    rt::BulkServer server;
    std::size_t bytes = mib << 20;
    fmt::print("\nA download of {} MiB over loopback, on the executor's one thread, beside a 10 ms ticker and a\n"
               "timeout(300 ms); budget off (rt::unconstrained) and on, {} round(s) each, in turn; medians:\n\n",
               mib, rounds);
    // ANCHOR: interleaved
    std::vector<Round> off, on;
    for (int round = 0; round < rounds; ++round) {
        for (bool budget : {false, true}) {
            rt::Executor executor;
            Round figures = executor.block_on(download_beside_ticker(server.url(bytes), bytes, budget, true));
            (budget ? on : off).push_back(figures);
        }
    }
    // ANCHOR_END: interleaved
    auto column = [](const std::vector<Round>& rounds, double Round::*field) {
        std::vector<double> values;
        for (const Round& r : rounds) values.push_back(r.*field);
        return values;
    };
    auto each = [&](double Round::*field, const char* format) {
        std::string text = "off:";
        for (double v : column(off, field)) text += " " + fmt::format(fmt::runtime(format), v);
        text += "; on:";
        for (double v : column(on, field)) text += " " + fmt::format(fmt::runtime(format), v);
        return text;
    };
    double gap_off = median(column(off, &Round::worst_gap_ms)), gap_on = median(column(on, &Round::worst_gap_ms));
    double late_off = median(column(off, &Round::timeout_late_ms));
    double late_on = median(column(on, &Round::timeout_late_ms));
    double rate_off = median(column(off, &Round::mb_per_s)), rate_on = median(column(on, &Round::mb_per_s));
    double share = std::floor(rate_on / rate_off * 100) / 100;  // rounded down: 0.899 shows as 0.89
    auto verdict = [](bool met) { return met ? "met" : "MISSED"; };
    fmt::print("                                 budget off   budget on   target, budget on\n");
    fmt::print("ticker's worst gap (ms)            {:9.1f}   {:9.1f}   under 20: {}\n", gap_off, gap_on,
               verdict(gap_on < 20));
    fmt::print("  (each round, {})\n", each(&Round::worst_gap_ms, "{:.1f}"));
    fmt::print("timeout(300 ms) late by (ms)       {:9.1f}   {:9.1f}   under 20: {}\n", late_off, late_on,
               verdict(late_on < 20));
    fmt::print("  (each round, {})\n", each(&Round::timeout_late_ms, "{:.1f}"));
    fmt::print("download (MB/s)                    {:9.0f}   {:9.0f}   90% of off at least: {:.2f}x {}\n",
               rate_off, rate_on, share, verdict(rate_on >= 0.9 * rate_off));
    fmt::print("  (each round, {})\n", each(&Round::mb_per_s, "{:.0f}"));
    fmt::print("download time (ms)                 {:9.0f}   {:9.0f}\n", median(column(off, &Round::download_ms)),
               median(column(on, &Round::download_ms)));
}

// example --timeline [off|on]: a small run to watch with scripts/tutor timeline 08:
// a 16 MiB download beside a 10 ms ticker, the budget off or on.
void timeline_run(bool budget) {
    rt::BulkServer server;
    std::size_t bytes = std::size_t{16} << 20;
    rt::Executor executor;
    Round figures = executor.block_on(download_beside_ticker(server.url(bytes), bytes, budget, false));
    fmt::print("budget {}: 16 MiB in {:.0f} ms; the ticker's worst gap {:.1f} ms\n", budget ? "on" : "off",
               figures.download_ms, figures.worst_gap_ms);
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t mib = 100;
    int rounds = 3;
    try {
        if (argc == 2 && std::strcmp(argv[1], "--timeline") == 0) {
            timeline_run(false);
            timeline_run(true);
            return 0;
        }
        if (argc == 3 && std::strcmp(argv[1], "--timeline") == 0 &&
            (std::strcmp(argv[2], "off") == 0 || std::strcmp(argv[2], "on") == 0)) {
            timeline_run(std::strcmp(argv[2], "on") == 0);
            return 0;
        }
        for (int i = 1; i < argc; ++i) {
            auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
            if (std::strcmp(argv[i], "--mib") == 0) mib = static_cast<std::size_t>(std::max(1, std::atoi(next())));
            else if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::max(1, std::atoi(next()));
            else {
                fmt::print(stderr, "usage: {} [--mib N] [--rounds N] | --timeline [off|on]\n", argv[0]);
                return 2;
            }
        }
        show_tools();
        measure(mib, rounds);
    } catch (const std::exception& e) {
        fmt::print(stderr, "example: {}\n", e.what());
        return 1;
    }
}
