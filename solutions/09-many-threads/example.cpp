// Chapter 09's example: what a second worker buys, measured in one run.
//
// Four workloads, each on three executors: Executor() (chapter 08's, the
// calling thread alone), Executor(1) and Executor(2) (work stealing, one or
// two worker threads), in interleaved rounds; medians:
//   spawn + join      1,000,000 tasks, spawned by 16 tasks and awaited (ns per task)
//   ping-pong         two tasks that wake each other (round trips per second)
//   sleeps            100,000 tasks asleep until deadlines 200..299 ms away (ms past the last)
//   GET               32 tasks doing GETs against nginx for a second (requests per second)
// Beside them, the baseline for two workers: two Executor()s, one per
// thread, sharing nothing. Then the targets, each met or MISSED, and what
// is not run (Tokio's and Asio's pools).
//
//   example [--tasks N] [--rounds N]
//   example --only spawn|ping-pong|sleeps|get [--executor 0|1|2]
//                             one workload (on one executor: 0 is Executor()), to profile:
//                             perf record -g example --only spawn --executor 2
//   example --timeline        a small run to watch: scripts/tutor timeline 09
#include <fmt/core.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "props/measure.hpp"
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
// The workloads. Each runs inside block_on, on whichever executor it is given.

// Ready at its first poll: the smallest task there is.
struct Unit {
    using Output = int;
    rt::Poll<int> poll(rt::Context&) { return 1; }
};

// spawn + join: 16 tasks each spawn their share, in batches of 1,000, and await them.
rt::Async<long> spawner(long tasks) {
    long done = 0;
    std::vector<rt::JoinHandle<int>> handles;
    handles.reserve(1000);
    while (done < tasks) {
        long batch = std::min<long>(1000, tasks - done);
        for (long i = 0; i < batch; ++i) handles.push_back(rt::spawn(Unit{}));
        for (auto& handle : handles) done += co_await handle;
        handles.clear();
    }
    co_return done;
}

rt::Async<double> spawn_join(long tasks) {
    auto start = Clock::now();
    std::vector<rt::JoinHandle<long>> spawners;
    for (int i = 0; i < 16; ++i) spawners.push_back(rt::spawn(spawner(tasks / 16)));
    long done = 0;
    for (auto& handle : spawners) done += co_await handle;
    if (done != tasks / 16 * 16) throw std::runtime_error("spawn + join: a task went missing");
    co_return ms_between(start, Clock::now()) * 1e6 / static_cast<double>(done);  // ns per task
}

// A one-slot signal between two tasks: raise() wakes whoever waits.
class Signal {
public:
    void raise() {
        std::optional<rt::Waker> waker;
        {
            std::lock_guard lock(mutex_);
            raised_ = true;
            waker.swap(waker_);
        }
        if (waker) std::move(*waker).wake();
    }
    struct Wait {
        using Output = void;
        Signal* signal;
        rt::Poll<void> poll(rt::Context& cx) {
            std::lock_guard lock(signal->mutex_);
            if (signal->raised_) {
                signal->raised_ = false;
                return rt::ready();
            }
            if (!signal->waker_ || !signal->waker_->will_wake(cx.waker())) signal->waker_ = cx.waker();
            return rt::pending;
        }
    };
    Wait wait() { return Wait{this}; }

private:
    std::mutex mutex_;
    bool raised_ = false;
    std::optional<rt::Waker> waker_;
};

rt::Async<void> pinger(Signal* mine, Signal* theirs, int rounds, bool first) {
    for (int i = 0; i < rounds; ++i) {
        if (first) theirs->raise();
        co_await mine->wait();
        if (!first) theirs->raise();
    }
}

rt::Async<double> ping_pong(int rounds) {
    Signal a, b;
    auto start = Clock::now();
    auto one = rt::spawn(pinger(&a, &b, rounds, true));
    auto two = rt::spawn(pinger(&b, &a, rounds, false));
    co_await one;
    co_await two;
    co_return rounds / (ms_between(start, Clock::now()) / 1e3);  // round trips per second
}

// Spawned by a task, as the other workloads' tasks are: from block_on's
// thread each spawn would go through the injection queue and, while the
// workers idle, wake one (see the book).
rt::Async<double> sleeps_spawned_here(int tasks) {
    auto start = Clock::now();
    std::vector<rt::JoinHandle<void>> handles;
    handles.reserve(tasks);
    Clock::time_point last{};
    for (int i = 0; i < tasks; ++i) {
        auto deadline = start + 200ms + std::chrono::milliseconds(i % 100);
        last = std::max(last, deadline);
        handles.push_back(rt::spawn(rt::sleep_until(deadline)));
    }
    for (auto& handle : handles) co_await handle;
    co_return ms_between(last, Clock::now());  // ms past the last deadline
}

rt::Async<double> sleeps(int tasks) { co_return co_await rt::spawn(sleeps_spawned_here(tasks)); }

rt::Async<long> getter(std::string url, Clock::time_point until) {
    long done = 0;
    while (Clock::now() < until) {
        rt::HttpResponse response = co_await rt::http_get(url);
        if (response.status != 200) throw std::runtime_error("GET: status " + std::to_string(response.status));
        ++done;
    }
    co_return done;
}

rt::Async<double> gets(std::string url, int connections, std::chrono::milliseconds length) {
    auto start = Clock::now();
    std::vector<rt::JoinHandle<long>> handles;
    for (int i = 0; i < connections; ++i) handles.push_back(rt::spawn(getter(url, start + length)));
    long done = 0;
    for (auto& handle : handles) done += co_await handle;
    co_return done / (ms_between(start, Clock::now()) / 1e3);  // requests per second
}

// ---------------------------------------------------------------------------
// nginx, run as this user on a free loopback port, from a configuration in a
// temporary folder (chapter 05's, with every path of its own).

class Nginx {
public:
    static constexpr const char* binary = "/usr/sbin/nginx";

    Nginx() {
        if (!std::filesystem::exists(binary)) {
            problem_ = "nginx is not installed (sudo apt-get install nginx)";
            return;
        }
        char pattern[] = "/tmp/rt-example-09-XXXXXX";
        if (::mkdtemp(pattern) == nullptr) {
            problem_ = "cannot make a temporary folder";
            return;
        }
        dir_ = pattern;
        // Readable by nginx's workers, which run as another user when nginx is started by root.
        std::filesystem::permissions(dir_, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                               std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                               std::filesystem::perms::others_exec);
        port_ = free_port();
        std::ofstream(dir_ + "/hi") << "hi";
        std::ofstream conf(dir_ + "/nginx.conf");
        conf << "worker_processes auto;\npid " << dir_ << "/nginx.pid;\nerror_log " << dir_ << "/error.log;\n"
             << "events { worker_connections 4096; }\nhttp {\n    access_log off;\n"
             << "    client_body_temp_path " << dir_ << "/body;\n    proxy_temp_path " << dir_ << "/proxy;\n"
             << "    fastcgi_temp_path " << dir_ << "/fastcgi;\n    uwsgi_temp_path " << dir_ << "/uwsgi;\n"
             << "    scgi_temp_path " << dir_ << "/scgi;\n"
             << "    server { listen 127.0.0.1:" << port_ << "; root " << dir_ << "; }\n}\n";
        conf.close();
        if (std::system(command("").c_str()) != 0) {
            problem_ = "nginx did not start (see " + dir_ + "/error.log)";
            return;
        }
        started_ = true;
        for (int i = 0; i < 200 && !accepts(); ++i) std::this_thread::sleep_for(10ms);
    }
    ~Nginx() {
        if (started_) (void)std::system(command(" -s stop").c_str());
        if (!dir_.empty()) {
            std::error_code ignored;  // a folder left in /tmp is harmless
            std::filesystem::remove_all(dir_, ignored);
        }
    }
    Nginx(const Nginx&) = delete;
    Nginx& operator=(const Nginx&) = delete;

    bool ok() const { return started_; }
    const std::string& problem() const { return problem_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hi"; }

private:
    std::string command(const char* extra) const {
        return std::string(binary) + " -q -p " + dir_ + " -e " + dir_ + "/error.log -c " + dir_ + "/nginx.conf" +
               extra + " 2>/dev/null";
    }
    static int free_port() {
        rt::sys::Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
            throw std::runtime_error("no free port on loopback");
        return ntohs(address.sin_port);
    }
    bool accepts() const {
        rt::sys::Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<std::uint16_t>(port_));
        return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }

    std::string dir_;
    int port_ = 0;
    bool started_ = false;
    std::string problem_;
};

// ---------------------------------------------------------------------------
// The run.

// 0: Executor() (chapter 08's), else Executor(n).
template <class Make>
double on(std::size_t workers, Make make) {
    if (workers == 0) {
        rt::Executor executor;
        return executor.block_on(make());
    }
    rt::Executor executor(workers);
    return executor.block_on(make());
}

// The baseline for two workers: two Executor()s, one per thread, each
// spawning and joining half the tasks. They share nothing, no queue, no
// lock, no cache line: what two threads can do on this machine at best.
double spawn_join_apart(long tasks) {
    auto half = [tasks] {
        rt::Executor executor;
        executor.block_on(spawn_join(tasks / 2));
    };
    auto start = Clock::now();
    std::thread other(half);
    half();
    other.join();
    return ms_between(start, Clock::now()) * 1e6 / static_cast<double>(tasks / 32 * 32);  // ns per task
}

struct Workload {
    const char* name;
    const char* unit;
    bool higher_is_better;
    std::vector<double> figures[3];  // per executor, per round
    double med(int e) const { return median(figures[e]); }
    // How much slower executor `e` is than executor `base`: 1.1 is 10% slower.
    double slowdown(int e, int base) const {
        return higher_is_better ? med(base) / med(e) : med(e) / med(base);
    }
};

void print_targets(const std::vector<Workload>& workloads, double apart) {
    auto verdict = [](bool met) { return met ? "met" : "MISSED"; };
    double speedup = workloads[0].med(1) / workloads[0].med(2);
    fmt::print("\nTargets:\n");
    fmt::print("  spawn + join, 2 workers against 1: {:.2f}x, at least 1.5x: {}\n", speedup, verdict(speedup >= 1.5));
    fmt::print("    (two Executor()s sharing nothing against one: {:.2f}x, the most two threads gave here)\n",
               workloads[0].med(0) / apart);
    for (const Workload& w : workloads) {
        if (w.figures[0].empty()) continue;
        if (&w == &workloads[2]) {
            // Lateness is a small figure: within 10% of it, or within 1 ms.
            double late1 = w.med(1), late0 = w.med(0);
            fmt::print("  {}, Executor(1) against Executor(): {:.2f} ms against {:.2f}, within 10% or 1 ms: {}\n",
                       w.name, late1, late0, verdict(late1 <= std::max(late0 * 1.1, late0 + 1)));
            continue;
        }
        double slow = w.slowdown(1, 0);
        fmt::print("  {}, Executor(1) against Executor(): {:.2f}x as slow, at most 1.10x: {}\n", w.name, slow,
                   verdict(slow <= 1.10));
    }
}

// Tokio's and Asio's pools: scripts/bench compares runtimes on one thread
// only; no program of the course runs their many-thread schedulers yet.
void print_peers() {
    fmt::print("\nNot run here:\n");
    fmt::print("  Asio's thread pool and Tokio's multi-thread runtime: no program of the course runs them;\n"
               "  scripts/bench compares the runtimes on one thread (bench/README.md)\n");
}

void measure(long tasks, int rounds, const std::string& only, int only_executor) {
    unsigned cores = std::thread::hardware_concurrency();
    double load = 0;
    if (std::FILE* file = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(file, "%lf", &load) != 1) load = 0;
        std::fclose(file);
    }
    fmt::print("This machine has {} cores, and a load average of {:.2f} as the run starts (other programs' share).\n"
               "Executor() is chapter 08's executor (the calling thread alone); Executor(1) and Executor(2)\n"
               "steal work, with 1 and 2 worker threads. {} rounds, interleaved; medians.\n\n",
               cores, load, rounds);
    Nginx nginx;
    std::vector<Workload> workloads = {
        {"spawn + join (ns per task)", "ns", false, {}},
        {"ping-pong (round trips/s)", "/s", true, {}},
        {"100,000 sleeps (ms late)", "ms", false, {}},
        {"GET against nginx (requests/s)", "/s", true, {}},
    };
    std::vector<double> apart;  // spawn + join on two Executor()s sharing nothing
    auto runs = [&](const char* name) { return only.empty() || only == name; };
    for (int round = 0; round < rounds; ++round) {
        if (runs("spawn") && only_executor < 0) apart.push_back(spawn_join_apart(tasks));
        for (int e = 0; e < 3; ++e) {
            if (only_executor >= 0 && only_executor != e) continue;
            std::size_t workers = static_cast<std::size_t>(e);  // 0: Executor()
            if (runs("spawn")) workloads[0].figures[e].push_back(on(workers, [&] { return spawn_join(tasks); }));
            if (runs("ping-pong")) workloads[1].figures[e].push_back(on(workers, [&] { return ping_pong(20000); }));
            if (runs("sleeps")) workloads[2].figures[e].push_back(on(workers, [&] { return sleeps(100000); }));
            if (runs("get") && nginx.ok())
                workloads[3].figures[e].push_back(on(workers, [&] { return gets(nginx.url(), 32, 1000ms); }));
        }
    }
    fmt::print("                                  Executor()  Executor(1)  Executor(2)\n");
    for (const Workload& w : workloads) {
        bool any = !w.figures[0].empty() || !w.figures[1].empty() || !w.figures[2].empty();
        if (!any) continue;
        fmt::print("{:32}", w.name);
        for (int e = 0; e < 3; ++e) {
            const char* gap = e == 0 ? "" : "  ";
            if (w.figures[e].empty()) fmt::print("{}{:>11}", gap, "-");
            else if (w.med(e) < 100) fmt::print("{}{:11.2f}", gap, w.med(e));
            else fmt::print("{}{:11.0f}", gap, w.med(e));
        }
        fmt::print("\n");
    }
    if (!apart.empty())
        fmt::print("spawn + join on two Executor()s, one per thread, sharing nothing: {:.0f} ns per task\n", median(apart));
    if (runs("get") && !nginx.ok()) fmt::print("GET against nginx: not run: {}\n", nginx.problem());
    bool complete = only.empty() && only_executor < 0;
    if (complete) print_targets(workloads, median(apart));
    print_peers();
}

// example --timeline: a small run to watch with scripts/tutor timeline 09: on
// two workers, one task spawns eight tasks of 2 ms each; the other worker,
// woken, steals half of them.
void timeline_run() {
    rt::Executor executor(2);
    std::set<std::thread::id> threads = executor.block_on([]() -> rt::Async<std::set<std::thread::id>> {
        auto parent = rt::spawn([]() -> rt::Async<std::set<std::thread::id>> {
            std::vector<rt::JoinHandle<std::thread::id>> handles;
            for (int i = 0; i < 8; ++i)
                handles.push_back(rt::spawn([]() -> rt::Async<std::thread::id> {
                    auto until = Clock::now() + 2ms;
                    while (Clock::now() < until) {
                    }
                    co_return std::this_thread::get_id();
                }()));
            std::set<std::thread::id> threads;
            for (auto& handle : handles) threads.insert(co_await handle);
            co_return threads;
        }());
        co_return co_await parent;
    }());
    fmt::print("8 tasks of 2 ms, spawned by one task on 2 workers, ran on {} threads; {} steal(s)\n", threads.size(),
               executor.pool()->steals());
}

}  // namespace

bool known_workload(const std::string& name) {
    return name == "spawn" || name == "ping-pong" || name == "sleeps" || name == "get";
}

int main(int argc, char** argv) {
    long tasks = 1000000;
    int rounds = 3;
    std::string only;
    int only_executor = -1;
    try {
        if (argc == 2 && std::strcmp(argv[1], "--timeline") == 0) {
            timeline_run();
            return 0;
        }
        auto usage = [&] {
            fmt::print(stderr,
                       "usage: {} [--tasks N] [--rounds N] [--only spawn|ping-pong|sleeps|get] [--executor 0|1|2]"
                       " | --timeline\n",
                       argv[0]);
            return 2;
        };
        for (int i = 1; i < argc; ++i) {
            std::string option = argv[i], value = i + 1 < argc ? argv[++i] : "";
            if (option == "--tasks") tasks = std::max(16L, std::atol(value.c_str()));
            else if (option == "--rounds") rounds = std::max(1, std::atoi(value.c_str()));
            else if (option == "--only" && known_workload(value)) only = value;
            else if (option == "--executor" && (value == "0" || value == "1" || value == "2")) only_executor = value[0] - '0';
            else return usage();
        }
        measure(tasks, rounds, only, only_executor);
    } catch (const std::exception& e) {
        fmt::print(stderr, "example: {}\n", e.what());
        return 1;
    }
}
