// Chapter 05's example. By default: GETs with different delays to the delay
// server, printed as they arrive, then 200 at once. With --throughput:
// requests per second from 100 connections doing back-to-back GETs.
//
//   example [--url BASE]                  BASE: a delay server (default: one started here)
//   example --throughput [--url URL] [--seconds S] [--connections N]
#include <fmt/core.h>

#include <chrono>
#include <cstring>
#include <exception>
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

}  // namespace

int main(int argc, char** argv) {
    bool load = false;
    std::string url;
    double seconds = 3;
    int connections = 100;
    for (int i = 1; i < argc; ++i) {
        auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
        if (std::strcmp(argv[i], "--throughput") == 0) load = true;
        else if (std::strcmp(argv[i], "--url") == 0) url = next();
        else if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(next());
        else if (std::strcmp(argv[i], "--connections") == 0) connections = std::atoi(next());
        else {
            fmt::print(stderr, "usage: {} [--url BASE] | --throughput [--url URL] [--seconds S] [--connections N]\n",
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
        if (load) throughput(url, seconds, connections);
        else delays(url);
    } catch (const std::exception& e) {
        fmt::print(stderr, "example: {}\n", e.what());
        return 1;
    }
}
