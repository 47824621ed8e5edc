// What the C++ bench programs share: their arguments, how they print a figure,
// the resident memory, percentiles, the HTTP request and its check, and the
// cross-thread pinger. The workloads themselves are defined in bench/README.md.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// Nanoseconds per item, for ns_per_task and ns_per_hop.
inline double ns_per(Clock::time_point from, Clock::time_point to, std::size_t count) {
    return ms_between(from, to) * 1e6 / static_cast<double>(count);
}

// PROGRAM WORKLOAD [--scale S] [--url URL] [--seconds D] [--connections N]
struct Args {
    std::string workload;
    double scale = 1.0;
    std::string url;
    double seconds = 3.0;
    int connections = 100;

    // count * scale, never below minimum.
    std::size_t scaled(std::size_t count, std::size_t minimum) const {
        auto n = static_cast<std::size_t>(static_cast<double>(count) * scale);
        return std::max(n, minimum);
    }
};

[[noreturn]] inline void usage(const char* program) {
    std::fprintf(stderr,
                 "usage: %s spawn|hop|sleeps|crosswake|get [--scale S] [--url URL] [--seconds D] "
                 "[--connections N]\n(the workloads: bench/README.md)\n",
                 program);
    std::exit(2);
}

inline Args parse_args(int argc, char** argv) {
    if (argc < 2) usage(argv[0]);
    Args args;
    args.workload = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string_view flag = argv[i];
        if (i + 1 >= argc) usage(argv[0]);
        const char* value = argv[++i];
        if (flag == "--scale") args.scale = std::atof(value);
        else if (flag == "--url") args.url = value;
        else if (flag == "--seconds") args.seconds = std::atof(value);
        else if (flag == "--connections") args.connections = std::atoi(value);
        else usage(argv[0]);
    }
    if (!(args.scale > 0) || !(args.seconds > 0) || args.connections < 1) usage(argv[0]);
    return args;
}

// One figure, as the driver (scripts/lib/bench.py) reads it: "name value".
inline void print(const char* name, double value) {
    std::printf("%s %.6g\n", name, value);
    std::fflush(stdout);
}

// A workload this runtime has no way to express: exit 3, said on stdout.
[[noreturn]] inline void unsupported(const char* reason) {
    std::printf("unsupported: %s\n", reason);
    std::exit(3);
}

// A failed run: a wrong result, a failed request, a timeout.
[[noreturn]] inline void fail(const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    std::exit(1);
}

// A line of /proc/self/status such as "VmRSS:   1234 kB", in bytes.
inline std::size_t status_bytes(std::string_view key) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() && line[key.size()] == ':')
            return static_cast<std::size_t>(std::strtoull(line.c_str() + key.size() + 1, nullptr, 10)) * 1024;
    }
    fail("no " + std::string(key) + " in /proc/self/status");
}

// The p-th percentile (0 <= p <= 100), nearest rank.
inline double percentile(std::vector<double> values, double p) {
    if (values.empty()) fail("a percentile of nothing");
    std::sort(values.begin(), values.end());
    auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(rank, values.size() - 1)];
}

// ---- sleeps: task i sleeps until start + (1 + i % 50) ms ----

inline Clock::time_point sleep_deadline(Clock::time_point start, std::size_t i) {
    return start + std::chrono::milliseconds(1 + i % 50);
}

inline Clock::time_point last_sleep_deadline(Clock::time_point start) { return start + std::chrono::milliseconds(50); }

// late_ms and bytes_per_task; resident_before is VmRSS just before the first spawn.
inline void print_sleeps(Clock::time_point start, Clock::time_point all_joined, std::size_t resident_before,
                         std::size_t tasks) {
    print("late_ms", ms_between(last_sleep_deadline(start), all_joined));
    double grown = static_cast<double>(status_bytes("VmHWM")) - static_cast<double>(resident_before);
    print("bytes_per_task", grown / static_cast<double>(tasks));
}

// ---- crosswake ----

struct CrossWake {
    std::atomic<std::uint64_t> sent{0};
    std::atomic<std::uint64_t> acked{0};
};

// The pinger, on the calling thread: `rounds` round trips, each a pause of
// 100 us (the runtime's thread goes to sleep), then sent = i, wake(), and a
// spin (yielding) until acked reaches i. Prints p50_us and p99_us.
inline void run_pinger(CrossWake& shared, std::uint64_t rounds, const std::function<void()>& wake) {
    std::vector<double> round_trips_us;
    round_trips_us.reserve(rounds);
    for (std::uint64_t i = 1; i <= rounds; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        auto t0 = Clock::now();
        shared.sent.store(i, std::memory_order_release);
        wake();
        while (shared.acked.load(std::memory_order_acquire) < i) {
            if (ms_between(t0, Clock::now()) > 5000) fail("crosswake: no answer to round " + std::to_string(i) + " in 5 s");
            // On a busy machine the pinger may share a core with the thread it
            // woke: without the yield, that thread would wait for the
            // scheduler's next tick (4 ms) before it could answer.
            std::this_thread::yield();
        }
        round_trips_us.push_back(ms_between(t0, Clock::now()) * 1000.0);
    }
    print("p50_us", percentile(round_trips_us, 50));
    print("p99_us", percentile(round_trips_us, 99));
}

// ---- get ----

// http://IPv4:PORT/PATH (the driver passes 127.0.0.1).
struct Url {
    std::string host;
    int port = 0;
    std::string path;
    sockaddr_in address{};
};

inline Url parse_url(const std::string& url) {
    constexpr std::string_view scheme = "http://";
    if (url.compare(0, scheme.size(), scheme) != 0) fail("get: the URL must be http://IPv4:PORT/PATH, not " + url);
    std::string rest = url.substr(scheme.size());
    auto colon = rest.find(':'), slash = rest.find('/');
    if (colon == std::string::npos || slash == std::string::npos || colon > slash)
        fail("get: the URL must be http://IPv4:PORT/PATH, not " + url);
    Url parsed;
    parsed.host = rest.substr(0, colon);
    parsed.port = std::atoi(rest.substr(colon + 1, slash - colon - 1).c_str());
    parsed.path = rest.substr(slash);
    parsed.address.sin_family = AF_INET;
    parsed.address.sin_port = htons(static_cast<std::uint16_t>(parsed.port));
    if (parsed.port <= 0 || inet_pton(AF_INET, parsed.host.c_str(), &parsed.address.sin_addr) != 1)
        fail("get: the URL must be http://IPv4:PORT/PATH, not " + url);
    return parsed;
}

inline std::string http_request(const Url& url) {
    return "GET " + url.path + " HTTP/1.1\r\nHost: " + url.host + ":" + std::to_string(url.port) +
           "\r\nConnection: close\r\n\r\n";
}

inline void check_response(std::string_view response) {
    constexpr std::string_view ok = "HTTP/1.1 200";
    if (response.substr(0, ok.size()) != ok)
        fail("get: the response does not start with HTTP/1.1 200: \"" +
             std::string(response.substr(0, std::min<std::size_t>(response.size(), 40))) + "\"");
}

// Latencies of completed GETs, and the instant of the last one.
struct GetResults {
    Clock::time_point start = Clock::now();
    Clock::time_point last = start;
    std::vector<double> latencies_ms;

    // When connections stop starting requests: `seconds` after the start.
    Clock::time_point stop_after(double seconds) const {
        return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    }

    void record(Clock::time_point began) {
        last = Clock::now();
        latencies_ms.push_back(ms_between(began, last));
    }
    void print_figures() const {
        if (latencies_ms.empty()) fail("get: no request completed");
        print("requests_per_s", static_cast<double>(latencies_ms.size()) / (ms_between(start, last) / 1000.0));
        print("p99_ms", percentile(latencies_ms, 99));
    }
};

}  // namespace bench
