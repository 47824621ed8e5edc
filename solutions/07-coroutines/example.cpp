// Chapter 06's example: chapter 05's runtime and this one, side by side, in
// one run. Both are namespace rt and cannot share a program, so each is
// measured in child processes: chapter 05's example, and this one
// (/proc/self/exe), run as `example --measure WHAT ...` (the child's side,
// below). For each runtime it prints the threads it runs, its system calls
// per HTTP GET, its GETs per second, and how late 100,000 sleeps wake, with
// the targets for chapter 06.
//
//   example [--url URL] [--seconds S] [--rounds N] [--gets N] [--sleeps N]
//   example --timeline     a small run to watch: scripts/tutor timeline 06
//
// URL: what the children GET; by default /0/hi of a delay server started in
// this process (nginx, say: --url http://127.0.0.1:8081/hi). S: seconds of
// each throughput round (1.5). N: rounds per runtime of throughput and
// overshoot (3); GETs counted under strace (1000); sleeps timed (100,000).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "props/delay_server.hpp"
#include "props/measure.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

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
// ---------------------------------------------------------------------------
// The parent's side: run the children, in turn, and print the table.

// A runtime under test: the example program that measures it.
struct Runtime {
    const char* chapter;
    std::string program;
};

struct Settings {
    std::string url;        // what the children GET
    double seconds = 1.5;   // each throughput round
    int rounds = 3;         // rounds per runtime, for throughput and overshoot
    long gets = 1000;       // GETs counted under strace
    int connections = 100;  // for throughput
    int sleeps = 100'000;   // for overshoot
};

// A child's "result name=value ..." line, as a map; or what strace counted,
// by system call name.
using Figures = std::map<std::string, double>;

Figures parse_result(const std::string& line) {
    Figures figures;
    std::istringstream words(line.substr(line.find(' ') + 1));
    for (std::string word; words >> word;) {
        std::size_t equals = word.find('=');
        if (equals != std::string::npos) figures[word.substr(0, equals)] = std::stod(word.substr(equals + 1));
    }
    return figures;
}

// What a child did: its exit status, its result line, and what else it said.
struct ChildRun {
    int status = -1;  // as waitpid() gives it
    std::string result_line;
    std::string other_output;  // stderr and any other stdout lines
    bool ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

// Runs `argv` to completion, its stdout and stderr on one pipe that this
// thread reads (the delay server's thread goes on serving meanwhile).
// `environment` replaces ours when given. Throws std::system_error if the
// program cannot be started (ENOENT: not found).
ChildRun run_child(const std::vector<std::string>& argv, const std::vector<std::string>* environment = nullptr) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
    rt::sys::Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
    auto pointers = [](const std::vector<std::string>& strings) {
        std::vector<char*> out;
        for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
        out.push_back(nullptr);
        return out;
    };
    std::vector<char*> args = pointers(argv), env;
    if (environment != nullptr) env = pointers(*environment);
    pid_t pid = 0;
    int error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environment ? env.data() : environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) throw std::system_error(error, std::generic_category(), "cannot run " + argv[0]);
    write_end = rt::sys::Fd();  // ours closed: read() sees the end when the child's copies close

    std::string output;
    char buffer[4096];
    for (;;) {
        ssize_t got = ::read(read_end.get(), buffer, sizeof buffer);
        if (got > 0) output.append(buffer, static_cast<std::size_t>(got));
        else if (got == 0 || errno != EINTR) break;
    }
    ChildRun run;
    while (::waitpid(pid, &run.status, 0) < 0 && errno == EINTR) {
    }
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("result ", 0) == 0) run.result_line = line;
        else run.other_output += line + "\n";
    }
    return run;
}

// Throws, with what the child said, unless it exited with 0 and a result.
void require_success(const ChildRun& run, const std::string& what) {
    if (run.ok() && !run.result_line.empty()) return;
    throw std::runtime_error(fmt::format("{} failed (wait status {}):\n{}", what, run.status, run.other_output));
}

// Runs `example --measure ARGS...` of one runtime; returns its figures.
Figures measure_in_child(const Runtime& runtime, const std::vector<std::string>& args) {
    std::vector<std::string> argv{runtime.program, "--measure"};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildRun run = run_child(argv);
    require_success(run, fmt::format("chapter {}'s example --measure {}", runtime.chapter, args.at(0)));
    fmt::print(stderr, "{}", run.other_output);  // a warning, say: nothing is hidden
    return parse_result(run.result_line);
}

// Why strace cannot count system calls here, or nothing if it can: it may
// be missing, or ptrace may be refused (in some containers).
std::optional<std::string> why_strace_cannot() {
    try {
        ChildRun run = run_child({"strace", "-f", "-o", "/dev/null", "--", "true"});
        if (run.ok()) return std::nullopt;
        return "strace cannot trace here: " + run.other_output.substr(0, run.other_output.find('\n'));
    } catch (const std::system_error& e) {
        if (e.code() == std::errc::no_such_file_or_directory) return "strace is not installed";
        throw;
    }
}

// The system calls that `example --measure ARGS...` of one runtime makes,
// by name, and "total": `strace -f -c` follows every thread and counts.
Figures count_system_calls(const Runtime& runtime, const std::vector<std::string>& args) {
    char path[] = "/tmp/rt-example-strace-XXXXXX";
    int fd = ::mkstemp(path);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp");
    ::close(fd);
    std::vector<std::string> argv{"strace", "-f", "-c", "-o", path, "--", runtime.program, "--measure"};
    argv.insert(argv.end(), args.begin(), args.end());
    // In a sanitizer build, LeakSanitizer checks at exit by ptrace-ing the
    // process's threads, which strace does already: it would fail. Here we
    // count system calls, not leaks.
    std::vector<std::string> environment;
    for (char** variable = environ; *variable != nullptr; ++variable)
        if (std::strncmp(*variable, "ASAN_OPTIONS=", 13) != 0) environment.emplace_back(*variable);
    const char* asan_options = std::getenv("ASAN_OPTIONS");
    environment.push_back(std::string("ASAN_OPTIONS=") + (asan_options ? asan_options : "") + ":detect_leaks=0");
    ChildRun run = run_child(argv, &environment);

    // strace's table: "% time, seconds, usecs/call, calls, [errors,] syscall".
    Figures calls;
    std::ifstream table(path);
    for (std::string line; std::getline(table, line);) {
        std::istringstream words(line);
        std::vector<std::string> w{std::istream_iterator<std::string>(words), {}};
        if (w.size() >= 5 && std::isdigit(static_cast<unsigned char>(w[0][0]))) calls[w.back()] = std::stod(w[3]);
    }
    ::unlink(path);
    require_success(run, fmt::format("strace of chapter {}'s example --measure {}", runtime.chapter, args.at(0)));
    return calls;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

// The table: a row per figure, chapter 05's column, then chapter 06's,
// then the target for chapter 06 and whether it was met.
void print_header() {
    fmt::print("{:<38} {:>11} {:>11}   {}\n", "", "chapter 05", "chapter 06", "target for chapter 06");
}
void print_row(const std::string& what, const std::string& ch05, const std::string& ch06,
               const std::string& target = "", std::optional<bool> met = std::nullopt) {
    std::string line = fmt::format("{:<38} {:>11} {:>11}", what, ch05, ch06);
    if (met) line += fmt::format("   {:<29} {}", target, *met ? "met" : "MISSED");
    fmt::print("{}\n", line);
    std::fflush(stdout);  // a row at a time: the run takes a while
}

void compare_threads(const Runtime (&runtimes)[2], const Settings& settings) {
    int threads[2];
    for (int i = 0; i < 2; ++i)
        threads[i] = static_cast<int>(measure_in_child(runtimes[i], {"threads", "--url", settings.url}).at("threads"));
    print_row("threads", fmt::format("{}", threads[0]), fmt::format("{}", threads[1]), "1", threads[1] == 1);
}

// System calls per GET, by name: strace counts a run of `gets` GETs over
// `connections` connections, and a run of none (starting and stopping
// alone); the difference, over `gets`, is what one GET costs.
Figures system_calls_per_get(const Runtime& runtime, const Settings& settings, int connections) {
    auto count = [&](long gets) {
        return count_system_calls(runtime, {"gets", "--url", settings.url, "--count", std::to_string(gets),
                                            "--connections", std::to_string(connections)});
    };
    Figures none = count(0), some = count(settings.gets), per_get;
    for (const auto& [name, calls] : some) per_get[name] = (calls - none[name]) / static_cast<double>(settings.gets);
    return per_get;
}

// One GET at a time shows what a GET costs by itself; 100 at once, what it
// costs when the loop has others to run meanwhile. The target is on the first.
void compare_system_calls(const Runtime (&runtimes)[2], const Settings& settings) {
    if (std::optional<std::string> why_not = why_strace_cannot()) {
        fmt::print("system calls per GET: not measured, {}\n", *why_not);
        return;
    }
    for (int connections : {1, 100}) {
        Figures per_get[2];
        for (int i = 0; i < 2; ++i) per_get[i] = system_calls_per_get(runtimes[i], settings, connections);
        double ch05 = per_get[0]["total"], ch06 = per_get[1]["total"];
        std::string what = connections == 1 ? "one at a time" : fmt::format("{} at once", connections);
        print_row("system calls per GET, " + what, fmt::format("{:.1f}", ch05), fmt::format("{:.1f}", ch06),
                  fmt::format("25% fewer: {:.1f} at most", 0.75 * ch05),
                  connections == 1 ? std::optional<bool>(ch06 <= 0.75 * ch05) : std::nullopt);
        for (const char* name : {"futex", "epoll_wait"})
            print_row(fmt::format("  of which {}", name), fmt::format("{:.2f}", per_get[0][name]),
                      fmt::format("{:.2f}", per_get[1][name]));
    }
}

// The figures of each round, as "05: 17000 17776 18000; 06: ..."
std::string each_round(const std::vector<double> (&values)[2], const char* format) {
    std::string text;
    for (int i = 0; i < 2; ++i) {
        text += i == 0 ? "05:" : "; 06:";
        for (double value : values[i]) text += " " + fmt::format(fmt::runtime(format), value);
    }
    return text;
}

// GETs per second. The rounds alternate between the runtimes (05, 06, 05,
// 06, ...), so that anything else slowing the machine for a while slows
// both alike; the median round of each counts.
void compare_throughput(const Runtime (&runtimes)[2], const Settings& settings) {
    std::vector<double> per_second[2], cpu_us_per_get[2];
    for (int round = 0; round < settings.rounds; ++round) {
        for (int i = 0; i < 2; ++i) {
            Figures r = measure_in_child(runtimes[i], {"throughput", "--url", settings.url, "--seconds",
                                                       fmt::format("{}", settings.seconds), "--connections",
                                                       std::to_string(settings.connections)});
            per_second[i].push_back(r.at("responses") / (r.at("wall_ms") / 1000));
            cpu_us_per_get[i].push_back(1000 * r.at("cpu_ms") / std::max(r.at("responses"), 1.0));
        }
    }
    double ch05 = median(per_second[0]), ch06 = median(per_second[1]);
    double ratio = std::floor(ch06 / ch05 * 100) / 100;  // rounded down: 1.199 shows as 1.19, not 1.20
    print_row(fmt::format("GETs per second, {} connections", settings.connections), fmt::format("{:.0f}", ch05),
              fmt::format("{:.0f}", ch06), fmt::format("1.2x chapter 05: {:.2f}x", ratio), ch06 >= 1.2 * ch05);
    print_row("  client CPU per GET (us)", fmt::format("{:.1f}", median(cpu_us_per_get[0])),
              fmt::format("{:.1f}", median(cpu_us_per_get[1])));
    fmt::print("  (GETs per second in each round, {})\n", each_round(per_second, "{:.0f}"));
}

void compare_overshoot(const Runtime (&runtimes)[2], const Settings& settings) {
    std::vector<double> medians[2], p99s[2];
    for (int round = 0; round < settings.rounds; ++round) {
        for (int i = 0; i < 2; ++i) {
            Figures r = measure_in_child(runtimes[i], {"overshoot", "--sleeps", std::to_string(settings.sleeps)});
            medians[i].push_back(r.at("median_ms"));
            p99s[i].push_back(r.at("p99_ms"));
        }
    }
    double ch06 = median(medians[1]);
    print_row("sleep overshoot (ms), median", fmt::format("{:.3f}", median(medians[0])), fmt::format("{:.3f}", ch06),
              "under 1 ms", ch06 < 1);
    print_row("sleep overshoot (ms), 99th percentile", fmt::format("{:.3f}", median(p99s[0])),
              fmt::format("{:.3f}", median(p99s[1])));
    fmt::print("  (medians in each round, {})\n", each_round(medians, "{:.3f}"));
}
// ---------------------------------------------------------------------------

// example --timeline: a small run to watch with scripts/tutor timeline 06.
// Two GETs, answered after 10 and 20 ms, and a 5 ms sleep beside them.
void timeline_run(const std::string& base) {
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

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--measure") == 0) return measure_main(argc, argv);
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
        else if (std::strcmp(argv[i], "--gets") == 0) settings.gets = std::max(1L, std::atol(next()));
        else if (std::strcmp(argv[i], "--sleeps") == 0) settings.sleeps = std::max(1, std::atoi(next()));
        else {
            fmt::print(stderr, "usage: {} [--url URL] [--seconds S] [--rounds N] [--gets N] [--sleeps N] | --timeline\n",
                       argv[0]);
            return 2;
        }
    }
    try {
        // CHAPTER05_EXAMPLE, chapter 05's example program, comes from meson.build.
        const Runtime runtimes[2] = {{"05", CHAPTER05_EXAMPLE}, {"06", std::filesystem::read_symlink("/proc/self/exe")}};
        if (!std::filesystem::exists(runtimes[0].program))
            throw std::runtime_error(fmt::format("{} is missing: build solutions/05-epoll-reactor/example",
                                                 runtimes[0].program));
        // The delay server runs here, on its own thread, while this thread
        // waits for each child: no child counts its threads or system calls.
        std::optional<rt::DelayServer> server;
        if (settings.url.empty()) {
            server.emplace();
            settings.url = server->url("/0/hi");
            fmt::print("(a delay server runs in this process on port {})\n", server->port());
        }
        fmt::print("Each runtime runs in child processes, in turn; they GET {}\n\n", settings.url);
        print_header();
        compare_threads(runtimes, settings);
        compare_system_calls(runtimes, settings);
        compare_throughput(runtimes, settings);
        compare_overshoot(runtimes, settings);
    } catch (const std::exception& e) {
        fmt::print(stderr, "example: {}\n", e.what());
        return 1;
    }
}
