// Chapter 07's example: what a coroutine costs against the futures written
// by hand, measured side by side in one process, in interleaved rounds.
// It prints the frame of a call (bytes, allocations), the time of a
// co_await of a ready future against a step of Then, and the two http_gets
// (chapter 05's state machine, HttpGet, and this chapter's coroutine): their
// lines of code and their GETs per second against a delay server.
//
//   example [--url URL] [--seconds S] [--rounds N] [--awaits N]
//   example --timeline     a small run to watch: scripts/tutor timeline 07
//
// URL: what to GET; by default /0/hi of a delay server started in this
// process. S: seconds of each throughput round (0.5). N: rounds of each
// measurement (5); ready futures awaited per round (2,000,000).
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "props/delay_server.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Settings {
    std::string url;
    double seconds = 0.5;
    int rounds = 5;
    long awaits = 2'000'000;
    int connections = 100;
};

// Hides a value from the optimiser: it cannot fold a loop over it away.
template <class T>
T opaque(T value) {
    asm volatile("" : "+r"(value));
    return value;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// ---------------------------------------------------------------------------
// Frames.

// A small coroutine: two awaits and a sum.
rt::Async<int> add_two(int a, int b) {
    int x = co_await rt::Ready<int>(a);
    int y = co_await rt::Ready<int>(b);
    co_return x + y;
}

struct FrameFigures {
    double allocations_per_call;
    double bytes_per_call;
    double heap_allocations_per_call;  // those the frame pool could not serve
};

// Calls `make` `calls` times and runs each result to completion, counting
// the frames allocated meanwhile on this thread.
template <class Make>
FrameFigures frames_per_call(Make make, int calls) {
    rt::detail::FrameCounts before = rt::detail::frame_counts();
    rt::Context cx(rt::Waker::noop());
    for (int i = 0; i < calls; ++i) {
        auto future = make(i);
        while (future.poll(cx).is_pending()) {
        }
    }
    rt::detail::FrameCounts after = rt::detail::frame_counts();
    double allocations = static_cast<double>(after.allocations - before.allocations);
    return {allocations / calls, allocations == 0 ? 0 : static_cast<double>(after.bytes - before.bytes) / allocations,
            static_cast<double>(after.heap_allocations - before.heap_allocations) / calls};
}

// Nanoseconds per call of add_two: make, poll to the end, destroy. The same
// work by hand: a Then of two ready futures, made and polled.
double ns_per_call(bool pool, long calls) {
    rt::detail::frame_pool().set_enabled(pool);
    rt::Context cx(rt::Waker::noop());
    long sum = 0;
    Clock::time_point start = Clock::now();
    for (long i = 0; i < calls; ++i) {
        rt::Async<int> future = add_two(opaque(static_cast<int>(i)), 1);
        sum += future.poll(cx).value();  // ready at the first poll: its awaits are ready
    }
    double ns = ms_since(start) * 1e6 / static_cast<double>(calls);
    rt::detail::frame_pool().set_enabled(true);
    opaque(sum);
    return ns;
}

double ns_per_then(long calls) {
    rt::Context cx(rt::Waker::noop());
    long sum = 0;
    Clock::time_point start = Clock::now();
    for (long i = 0; i < calls; ++i) {
        rt::Then then(rt::Ready<int>(opaque(static_cast<int>(i))), [](int x) { return rt::Ready<int>(x + 1); });
        sum += then.poll(cx).value();
    }
    double ns = ms_since(start) * 1e6 / static_cast<double>(calls);
    opaque(sum);
    return ns;
}

// ---------------------------------------------------------------------------
// A co_await of a ready future against a step of Then.

// A future ready at its first poll, like Ready<long>, whose poll the
// compiler cannot see through: as a leaf future's poll in another file.
struct OutOfLine {
    using Output = long;
    explicit OutOfLine(long v) noexcept : value(v) {}
    [[gnu::noinline]] rt::Poll<long> poll(rt::Context&) { return value; }
    long value;
};

// 2n co_awaits of ready futures, in one poll.
template <class F>
rt::Async<long> await_ready_futures(long n) {
    long sum = 0;
    for (long i = 0; i < n; ++i) {
        long a = co_await F(opaque(i));
        sum += co_await F(a);
    }
    co_return sum;
}

// The same with Then, written by hand in chapter 01: n Thens of two ready
// futures each, 2n steps.
template <class F>
long then_ready_futures(long n) {
    rt::Context cx(rt::Waker::noop());
    long sum = 0;
    for (long i = 0; i < n; ++i) {
        rt::Then then(F(opaque(i)), [](long a) { return F(a); });
        sum += then.poll(cx).value();
    }
    return sum;
}

struct AwaitFigures {
    std::vector<double> then_ns, coroutine_ns;  // per awaited future, each round
};

// Then's loop, then the coroutine's, in each round.
template <class F>
AwaitFigures measure_awaits(const Settings& settings) {
    AwaitFigures figures;
    long n = std::max(1L, settings.awaits / 2);
    rt::Context cx(rt::Waker::noop());
    long sums[2] = {0, 0};
    for (int round = 0; round < settings.rounds; ++round) {
        Clock::time_point start = Clock::now();
        sums[0] = then_ready_futures<F>(n);
        figures.then_ns.push_back(ms_since(start) * 1e6 / (2.0 * n));
        start = Clock::now();
        rt::Async<long> coroutine = await_ready_futures<F>(n);
        rt::Poll<long> poll = coroutine.poll(cx);  // every future is ready: one poll
        sums[1] = poll.value();
        figures.coroutine_ns.push_back(ms_since(start) * 1e6 / (2.0 * n));
    }
    if (sums[0] != sums[1]) throw std::logic_error("example: the two loops disagree");
    return figures;
}

// ---------------------------------------------------------------------------
// The two http_gets: lines of code, and GETs per second.

// The lines of code of a function in `path`: from the line that starts with
// `head` to the next line that is "}", without blank and comment lines.
int lines_of_code(const char* path, const std::string& head) {
    std::ifstream file(path);
    if (!file) throw std::runtime_error(fmt::format("cannot read {}", path));
    int count = 0;
    bool inside = false;
    for (std::string line; std::getline(file, line);) {
        if (!inside && line.rfind(head, 0) == 0) inside = true;
        if (!inside) continue;
        std::size_t first = line.find_first_not_of(' ');
        if (first != std::string::npos && line.compare(first, 2, "//") != 0) ++count;
        if (line == "}") return count;
    }
    throw std::runtime_error(fmt::format("{}: no function that starts with \"{}\"", path, head));
}

// One connection's GETs, back to back until `until`, counted: the same
// coroutine awaits either http_get, made by make_get(url).
template <class MakeGet>
rt::Async<void> gets_until(MakeGet make_get, std::string url, Clock::time_point until, long* responses) {
    while (Clock::now() < until) {
        rt::HttpResponse response = co_await make_get(url);
        if (response.status != 200) throw std::runtime_error(fmt::format("GET {}: status {}", url, response.status));
        ++*responses;
    }
}

// `connections` tasks doing GETs for `seconds`: GETs per second, and the
// coroutine frames allocated per GET on this thread meanwhile.
struct GetRound {
    double per_second;
    double frames_per_get;
};

template <class MakeGet>
GetRound gets_per_second(MakeGet make_get, const Settings& settings) {
    rt::Executor executor;
    long responses = 0;
    auto seconds = std::chrono::duration<double>(settings.seconds);
    Clock::time_point start = Clock::now(), until = start + std::chrono::duration_cast<Clock::duration>(seconds);
    std::size_t frames_before = rt::detail::frame_counts().allocations;
    executor.block_on([&]() -> rt::Async<void> {
        std::vector<rt::JoinHandle<void>> handles;
        for (int i = 0; i < settings.connections; ++i)
            handles.push_back(rt::spawn(gets_until(make_get, settings.url, until, &responses)));
        for (rt::JoinHandle<void>& handle : handles) co_await handle;
    }());
    double frames = static_cast<double>(rt::detail::frame_counts().allocations - frames_before);
    double gets = static_cast<double>(std::max(responses, 1L));
    return {static_cast<double>(responses) / (ms_since(start) / 1000), frames / gets};
}

struct GetFigures {
    std::vector<double> state_machine, coroutine;  // GETs per second, each round
    double frames_per_get[2] = {0, 0};              // in the last round of each
};

// The rounds alternate (state machine, coroutine, state machine, ...), in
// this process, on this thread: whatever slows the machine for a while
// slows both alike. The median round of each counts.
GetFigures measure_gets(const Settings& settings) {
    GetFigures figures;
    for (int round = 0; round < settings.rounds; ++round) {
        GetRound a = gets_per_second([](const std::string& url) { return rt::HttpGet(url); }, settings);
        GetRound b = gets_per_second([](const std::string& url) { return rt::http_get(url); }, settings);
        figures.state_machine.push_back(a.per_second);
        figures.coroutine.push_back(b.per_second);
        figures.frames_per_get[0] = a.frames_per_get;
        figures.frames_per_get[1] = b.frames_per_get;
    }
    return figures;
}

// ---------------------------------------------------------------------------
// The table.

void print_header() {
    fmt::print("{:<40} {:>13} {:>10}   {}\n", "", "by hand", "coroutine", "target");
}
void print_row(const std::string& what, const std::string& by_hand, const std::string& coroutine,
               const std::string& target = "", std::optional<bool> met = std::nullopt) {
    std::string line = fmt::format("{:<40} {:>13} {:>10}", what, by_hand, coroutine);
    if (met) line += fmt::format("   {:<29} {}", target, *met ? "met" : "MISSED");
    fmt::print("{}\n", line);
    std::fflush(stdout);  // a row at a time: the run takes a while
}

std::string each_round(const char* name0, const std::vector<double>& values0, const char* name1,
                       const std::vector<double>& values1, const char* format) {
    std::string text = name0;
    for (double value : values0) text += " " + fmt::format(fmt::runtime(format), value);
    text += fmt::format("; {}", name1);
    for (double value : values1) text += " " + fmt::format(fmt::runtime(format), value);
    return text;
}

void run(Settings settings) {
    std::optional<rt::DelayServer> server;
    if (settings.url.empty()) {
        server.emplace();
        settings.url = server->url("/0/hi");
        fmt::print("(a delay server runs in this process on port {})\n", server->port());
    }
    fmt::print("Both sides run in this process, on this thread, in alternate rounds; they GET {}\n\n", settings.url);
    print_header();

    // Frames: a future written by hand is a value, and allocates nothing to
    // be made; a call of a coroutine allocates its frame.
    rt::detail::frame_pool().set_enabled(false);
    FrameFigures small = frames_per_call([](int i) { return add_two(i, i); }, 1000);
    rt::detail::frame_pool().set_enabled(true);
    FrameFigures pooled = frames_per_call([](int i) { return add_two(i, i); }, 1000);
    print_row("frames allocated per call, add_two", "0", fmt::format("{:.2f}", small.allocations_per_call));
    print_row("  bytes per frame", "-", fmt::format("{:.0f}", small.bytes_per_call));
    print_row("  from the heap, frame pool off", "-", fmt::format("{:.2f}", small.heap_allocations_per_call));
    print_row("  from the heap, frame pool on", "-", fmt::format("{:.2f}", pooled.heap_allocations_per_call));
    std::vector<double> then_call, heap_call, pool_call;
    for (int round = 0; round < settings.rounds; ++round) {
        long calls = std::max(1L, settings.awaits / 10);
        then_call.push_back(ns_per_then(calls));
        heap_call.push_back(ns_per_call(false, calls));
        pool_call.push_back(ns_per_call(true, calls));
    }
    print_row("ns per call, frame pool off", fmt::format("{:.2f}", median(then_call)),
              fmt::format("{:.2f}", median(heap_call)));
    print_row("ns per call, frame pool on", fmt::format("{:.2f}", median(then_call)),
              fmt::format("{:.2f}", median(pool_call)));

    AwaitFigures awaits = measure_awaits<rt::Ready<long>>(settings);
    double then_ns = median(awaits.then_ns), coroutine_ns = median(awaits.coroutine_ns);
    double ratio = std::ceil(coroutine_ns / then_ns * 100) / 100;  // rounded up: 2.001 shows as 2.01
    print_row("ns per awaited Ready<long>", fmt::format("{:.2f}", then_ns), fmt::format("{:.2f}", coroutine_ns),
              fmt::format("2x Then's step at most: {:.2f}x", ratio), coroutine_ns <= 2 * then_ns);
    fmt::print("  (ns in each round, {})\n", each_round("Then:", awaits.then_ns, "co_await:", awaits.coroutine_ns,
                                                        "{:.2f}"));
    AwaitFigures out_of_line = measure_awaits<OutOfLine>(settings);
    print_row("ns per awaited future, poll out of line", fmt::format("{:.2f}", median(out_of_line.then_ns)),
              fmt::format("{:.2f}", median(out_of_line.coroutine_ns)));
    fmt::print("  (ns in each round, {})\n", each_round("Then:", out_of_line.then_ns, "co_await:",
                                                        out_of_line.coroutine_ns, "{:.2f}"));

    print_row("http_get, lines of code", fmt::format("{}", lines_of_code(HTTP_GET_SOURCE, "Poll<HttpResponse> HttpGet::poll")),
              fmt::format("{}", lines_of_code(HTTP_GET_SOURCE, "Async<HttpResponse> http_get")));
    rt::detail::FrameCounts before = rt::detail::frame_counts();
    { [[maybe_unused]] rt::Async<rt::HttpResponse> unpolled = rt::http_get(settings.url); }
    std::size_t http_get_frame = rt::detail::frame_counts().bytes - before.bytes;
    print_row("http_get, bytes of the future", fmt::format("{}", sizeof(rt::HttpGet)),
              fmt::format("{} + {}", sizeof(rt::Async<rt::HttpResponse>), http_get_frame));
    GetFigures gets = measure_gets(settings);
    print_row("http_get, frames allocated per GET", fmt::format("{:.2f}", gets.frames_per_get[0]),
              fmt::format("{:.2f}", gets.frames_per_get[1]));
    double state_machine = median(gets.state_machine), coroutine = median(gets.coroutine);
    double share = std::floor(coroutine / state_machine * 100) / 100;  // rounded down: 0.899 shows as 0.89
    print_row(fmt::format("GETs per second, {} connections", settings.connections),
              fmt::format("{:.0f}", state_machine), fmt::format("{:.0f}", coroutine),
              fmt::format("within 10%: {:.2f}x", share), coroutine >= 0.9 * state_machine);
    fmt::print("  (GETs per second in each round, {})\n",
               each_round("HttpGet:", gets.state_machine, "http_get:", gets.coroutine, "{:.0f}"));
}

// example --timeline: a small run to watch with scripts/tutor timeline 07.
// Two coroutine GETs, answered after 10 and 20 ms, and a 5 ms sleep beside them.
void timeline_run(const std::string& base) {
    rt::Executor executor;
    auto [ten, twenty] = executor.block_on([&]() -> rt::Async<std::pair<std::string, std::string>> {
        rt::spawn(rt::sleep(5ms)).detach();
        rt::JoinHandle<rt::HttpResponse> first = rt::spawn(rt::http_get(base + "/10/ten"));
        rt::JoinHandle<rt::HttpResponse> second = rt::spawn(rt::http_get(base + "/20/twenty"));
        rt::HttpResponse a = co_await first;
        rt::HttpResponse b = co_await second;
        co_return std::pair(a.body, b.body);
    }());
    fmt::print("two coroutine GETs answered: {} and {}; a 5 ms sleep ran beside them\n", ten, twenty);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "--timeline") == 0) {
        try {
            rt::DelayServer server;
            timeline_run(server.url(""));
            return 0;
        } catch (const std::exception& e) {
            fmt::print(stderr, "example: {}\n", e.what());
            return 1;
        }
    }
    Settings settings;
    for (int i = 1; i < argc; ++i) {
        auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
        if (std::strcmp(argv[i], "--url") == 0) settings.url = next();
        else if (std::strcmp(argv[i], "--seconds") == 0) settings.seconds = std::atof(next());
        else if (std::strcmp(argv[i], "--rounds") == 0) settings.rounds = std::max(1, std::atoi(next()));
        else if (std::strcmp(argv[i], "--awaits") == 0) settings.awaits = std::max(2L, std::atol(next()));
        else {
            fmt::print(stderr, "usage: {} [--url URL] [--seconds S] [--rounds N] [--awaits N] | --timeline\n", argv[0]);
            return 2;
        }
    }
    try {
        run(settings);
    } catch (const std::exception& e) {
        fmt::print(stderr, "example: {}\n", e.what());
        return 1;
    }
}
