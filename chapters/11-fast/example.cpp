// Chapter 10's example: the io_uring stream against the epoll stream, on the
// same one-thread loop (Executor(): chapter 06's loop as it stands now), in
// one run, in interleaved rounds; medians:
//   echo     32 connections, each sending 64 bytes and awaiting them back, for a second
//   GET      32 tasks doing GETs against nginx (a connection each), for a second
// for requests per second and p50/p99 latency; then, under strace, the
// system calls per echo request of each stream. Where io_uring is refused,
// it says why and runs the epoll stream alone.
//
//   example [--rounds N] [--seconds S]
//   example --timeline                              a small run to watch: scripts/tutor timeline 10
//   example --measure echo uring|epoll COUNT PORT   (the child that strace counts)
#include <fmt/core.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "props/echo_server.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

enum class Side { epoll, uring };
const char* name(Side side) { return side == Side::epoll ? "epoll" : "uring"; }

constexpr std::size_t request_size = 64;
constexpr int connections = 32;

double us_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::micro>(to - from).count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

double percentile(std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

std::string loopback(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

// ---------------------------------------------------------------------------
// The clients. The same loop twice, once per stream: the only differences
// are the streams' own (a span against a vector given and given back).

// Until `until`, or `count` requests: send 64 bytes, read them back; each
// request's latency goes to *latencies.
rt::Async<void> echo_epoll(std::uint16_t port, Clock::time_point until, long count, std::vector<double>* latencies) {
    rt::TcpStream stream = co_await rt::TcpStream::connect(loopback(port));
    const std::string request(request_size, 'r');
    std::vector<char> buffer(request_size);
    for (long i = 0; i < count && Clock::now() < until; ++i) {
        auto start = Clock::now();
        co_await stream.write_all(request);
        for (std::size_t got = 0; got < request_size;) {
            std::size_t n = co_await stream.read(std::span<char>(buffer).subspan(got));
            if (n == 0) throw std::runtime_error("echo: the server closed");
            got += n;
        }
        latencies->push_back(us_between(start, Clock::now()));
    }
}

rt::Async<void> echo_uring(std::uint16_t port, Clock::time_point until, long count, std::vector<double>* latencies) {
    rt::uring::TcpStream stream = co_await rt::uring::TcpStream::connect(loopback(port));
    const std::string request(request_size, 'r');
    std::vector<char> buffer(request_size);
    for (long i = 0; i < count && Clock::now() < until; ++i) {
        auto start = Clock::now();
        co_await stream.write_all(request);  // a copy: the operation owns what it sends
        for (std::size_t got = 0; got < request_size;) {
            std::pair<std::size_t, std::vector<char>> read = co_await stream.read(std::move(buffer));
            buffer = std::move(read.second);  // the same buffer, back
            if (read.first == 0) throw std::runtime_error("echo: the server closed");
            got += read.first;
        }
        latencies->push_back(us_between(start, Clock::now()));
    }
}

const std::string get_request = "GET /hi HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

// GETs one after another, each on a connection of its own (nginx closes it
// after the response), until `until`.
rt::Async<void> gets_epoll(std::uint16_t port, Clock::time_point until, std::vector<double>* latencies) {
    std::vector<char> buffer(4096);
    while (Clock::now() < until) {
        auto start = Clock::now();
        rt::TcpStream stream = co_await rt::TcpStream::connect(loopback(port));
        co_await stream.write_all(get_request);
        std::string response;
        for (;;) {
            std::size_t n = co_await stream.read(std::span<char>(buffer));
            if (n == 0) break;
            response.append(buffer.data(), n);
        }
        if (response.rfind("HTTP/1.1 200", 0) != 0) throw std::runtime_error("GET: not a 200");
        latencies->push_back(us_between(start, Clock::now()));
    }
}

rt::Async<void> gets_uring(std::uint16_t port, Clock::time_point until, std::vector<double>* latencies) {
    std::vector<char> buffer(4096);
    while (Clock::now() < until) {
        auto start = Clock::now();
        rt::uring::TcpStream stream = co_await rt::uring::TcpStream::connect(loopback(port));
        co_await stream.write_all(get_request);
        std::string response;
        for (;;) {
            std::pair<std::size_t, std::vector<char>> read = co_await stream.read(std::move(buffer));
            buffer = std::move(read.second);
            if (read.first == 0) break;
            response.append(buffer.data(), read.first);
        }
        if (response.rfind("HTTP/1.1 200", 0) != 0) throw std::runtime_error("GET: not a 200");
        latencies->push_back(us_between(start, Clock::now()));
    }
}

enum class Workload { echo, get };

// `clients` clients of one workload on one stream, in tasks of the
// executor running this; every latency in *latencies.
rt::Async<void> run_clients(Side side, Workload workload, std::uint16_t port, Clock::time_point until, long count,
                            std::vector<double>* latencies, int clients = connections) {
    std::vector<std::vector<double>> each(static_cast<std::size_t>(clients));
    std::vector<rt::JoinHandle<void>> handles;
    for (int i = 0; i < clients; ++i) {
        if (workload == Workload::echo)
            handles.push_back(side == Side::epoll ? rt::spawn(echo_epoll(port, until, count, &each[i]))
                                                  : rt::spawn(echo_uring(port, until, count, &each[i])));
        else
            handles.push_back(side == Side::epoll ? rt::spawn(gets_epoll(port, until, &each[i]))
                                                  : rt::spawn(gets_uring(port, until, &each[i])));
    }
    for (auto& handle : handles) co_await handle;
    for (auto& one : each) latencies->insert(latencies->end(), one.begin(), one.end());
}

// One timed round on a fresh Executor(): requests per second, p50 and p99
// in microseconds, and the ring's io_uring_enter calls per request.
struct Round {
    double per_second = 0, p50 = 0, p99 = 0, enters_per_request = 0, turns_per_request = 0;
};
Round timed_round(Side side, Workload workload, std::uint16_t port, double seconds) {
    std::vector<double> latencies;
    rt::Executor executor;
    auto start = Clock::now();
    auto until = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    executor.block_on(run_clients(side, workload, port, until, LONG_MAX, &latencies));
    double took = us_between(start, Clock::now()) / 1e6;
    Round round;
    round.per_second = static_cast<double>(latencies.size()) / took;
    std::sort(latencies.begin(), latencies.end());
    round.p50 = percentile(latencies, 0.50);
    round.p99 = percentile(latencies, 0.99);
    if (!latencies.empty()) {
        auto requests = static_cast<double>(latencies.size());
        round.enters_per_request = static_cast<double>(executor.driver().uring().enters()) / requests;
        round.turns_per_request = static_cast<double>(executor.driver().turns()) / requests;  // one epoll_wait each
    }
    return round;
}

// The child that strace counts: `count` echo requests on each of the 32
// connections of one stream, and nothing else.
int measure_child(Side side, long count, std::uint16_t port) {
    std::vector<double> latencies;
    rt::Executor executor;
    executor.block_on(run_clients(side, Workload::echo, port, Clock::time_point::max(), count, &latencies));
    fmt::print("result requests={} enters={}\n", latencies.size(), executor.driver().uring().enters());
    return 0;
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
        char pattern[] = "/tmp/rt-example-10-XXXXXX";
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
    std::uint16_t port() const { return static_cast<std::uint16_t>(port_); }

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
// Counting system calls: this program run again as a child, under strace
// (chapter 06's way).

// A child's "result name=value ..." line, as a map; or what strace counted,
// by system call name.
using Figures = std::map<std::string, double>;

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

// The system calls that `example --measure ARGS...` makes,
// by name, and "total": `strace -f -c` follows every thread and counts.
Figures count_system_calls(const std::vector<std::string>& args) {
    char path[] = "/tmp/rt-example-strace-XXXXXX";
    int fd = ::mkstemp(path);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp");
    ::close(fd);
    std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::vector<std::string> argv{"strace", "-f", "-c", "-o", path, "--", self, "--measure"};
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
    require_success(run, "strace of example --measure " + args.at(0));
    // The child's own count of io_uring_enter, to hold beside strace's.
    if (std::size_t at = run.result_line.find("enters="); at != std::string::npos)
        calls["counted io_uring_enter"] = std::stod(run.result_line.substr(at + 7));
    return calls;
}


// System calls per echo request of one stream: strace counts a run of
// `count` requests per connection and a run of none (connecting and closing
// alone); the difference, over the requests, is what one request costs.
Figures system_calls_per_request(Side side, long count, std::uint16_t port) {
    auto run = [&](long n) {
        return count_system_calls({"echo", name(side), std::to_string(n), std::to_string(port)});
    };
    Figures none = run(0), some = run(count), per;
    double requests = static_cast<double>(count) * connections;
    for (const auto& [call, calls] : some) per[call] = (calls - none[call]) / requests;
    return per;
}

double sum_of(const Figures& figures, std::initializer_list<const char*> calls) {
    double sum = 0;
    for (const char* call : calls)
        if (auto found = figures.find(call); found != figures.end()) sum += found->second;
    return sum;
}

// ---------------------------------------------------------------------------
// The run.

struct Column {
    std::vector<Round> echo, get;
};

double med(const std::vector<Round>& rounds, double Round::*field) {
    std::vector<double> values;
    for (const Round& r : rounds) values.push_back(r.*field);
    return median(values);
}

void print_row(const std::string& what, const std::string& epoll, const std::string& uring) {
    fmt::print("{:<42} {:>10} {:>10}\n", what, epoll, uring);
    std::fflush(stdout);
}

void measure(int rounds, double seconds) {
    unsigned cores = std::thread::hardware_concurrency();
    double load = 0;
    if (std::FILE* file = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(file, "%lf", &load) != 1) load = 0;
        std::fclose(file);
    }
    utsname kernel{};
    ::uname(&kernel);
    fmt::print("This machine has {} cores, and a load average of {:.2f} as the run starts; Linux {}.\n", cores, load,
               kernel.release);
    bool uring = rt::uring::available();
    if (!uring) {
        fmt::print("io_uring is not available here: {}.\nOnly the epoll stream runs.\n\n",
                   rt::uring::unavailable_reason());
    }
    fmt::print("Both streams run on Executor(), chapter 06's one-thread loop; {} connections;\n"
               "{} rounds of {:.1f} s, interleaved; medians.\n\n",
               connections, rounds, seconds);

    rt::EchoServer echo_server;
    Nginx nginx;
    Column column[2];
    const Side sides[2] = {Side::epoll, Side::uring};
    int runs = uring ? 2 : 1;
    for (int round = 0; round < rounds; ++round) {
        for (int s = 0; s < runs; ++s) {
            column[s].echo.push_back(timed_round(sides[s], Workload::echo, echo_server.port(), seconds));
            if (nginx.ok()) column[s].get.push_back(timed_round(sides[s], Workload::get, nginx.port(), seconds));
        }
    }

    auto figure = [&](int s, const std::vector<Round> Column::*rows, double Round::*field, const char* format) {
        if (s >= runs || (column[s].*rows).empty()) return std::string("-");
        return fmt::format(fmt::runtime(format), med(column[s].*rows, field));
    };
    print_row("", "epoll", "io_uring");
    print_row("echo (requests/s)", figure(0, &Column::echo, &Round::per_second, "{:.0f}"),
              figure(1, &Column::echo, &Round::per_second, "{:.0f}"));
    print_row("echo p50 (us)", figure(0, &Column::echo, &Round::p50, "{:.0f}"),
              figure(1, &Column::echo, &Round::p50, "{:.0f}"));
    print_row("echo p99 (us)", figure(0, &Column::echo, &Round::p99, "{:.0f}"),
              figure(1, &Column::echo, &Round::p99, "{:.0f}"));
    if (nginx.ok()) {
        print_row("GET against nginx (requests/s)", figure(0, &Column::get, &Round::per_second, "{:.0f}"),
                  figure(1, &Column::get, &Round::per_second, "{:.0f}"));
        print_row("GET p50 (us)", figure(0, &Column::get, &Round::p50, "{:.0f}"),
                  figure(1, &Column::get, &Round::p50, "{:.0f}"));
        print_row("GET p99 (us)", figure(0, &Column::get, &Round::p99, "{:.0f}"),
                  figure(1, &Column::get, &Round::p99, "{:.0f}"));
    } else {
        fmt::print("GET against nginx: not run: {}\n", nginx.problem());
    }
    // The loop's own counts, in the timed rounds: strace (below) slows the
    // program down, which makes the batches bigger than they are untraced.
    print_row("epoll_wait per echo request (counted)", figure(0, &Column::echo, &Round::turns_per_request, "{:.2f}"),
              figure(1, &Column::echo, &Round::turns_per_request, "{:.2f}"));
    print_row("io_uring_enter per echo request (counted)", "-",
              figure(1, &Column::echo, &Round::enters_per_request, "{:.2f}"));

    // System calls per request, counted by strace in child processes.
    std::optional<Figures> calls[2];
    if (std::optional<std::string> why_not = why_strace_cannot()) {
        fmt::print("system calls per echo request: not counted: {}\n", *why_not);
    } else {
        for (int s = 0; s < runs; ++s) calls[s] = system_calls_per_request(sides[s], 200, echo_server.port());
        auto per = [&](int s, std::initializer_list<const char*> names) {
            return calls[s] ? fmt::format("{:.2f}", sum_of(*calls[s], names)) : std::string("-");
        };
        std::initializer_list<const char*> io = {"read", "write", "recvfrom", "sendto", "recvmsg", "sendmsg"};
        print_row("system calls per echo request (strace)", per(0, {"total"}), per(1, {"total"}));
        print_row("  epoll_wait", per(0, {"epoll_wait"}), per(1, {"epoll_wait"}));
        print_row("  read, write, recvfrom, sendto", per(0, io), per(1, io));
        print_row("  io_uring_enter", per(0, {"io_uring_enter"}), per(1, {"io_uring_enter"}));
        print_row("  io_uring_enter, as the ring counted it", per(0, {"counted io_uring_enter"}),
                  per(1, {"counted io_uring_enter"}));
    }

    fmt::print("\nTargets:\n");
    auto verdict = [](bool met) { return met ? "met" : "MISSED"; };
    if (!uring) {
        fmt::print("  not judged: io_uring is not available here\n");
        return;
    }
    if (calls[0] && calls[1]) {
        double e = sum_of(*calls[0], {"total"}), u = sum_of(*calls[1], {"total"});
        fmt::print("  system calls per echo request, io_uring against epoll: {:.2f} against {:.2f}, fewer: {}\n", u, e,
                   verdict(u < e));
    }
    double echo_ratio = med(column[1].echo, &Round::per_second) / med(column[0].echo, &Round::per_second);
    fmt::print("  echo requests/s, io_uring against epoll: {:.2f}x (reported, not judged)\n", echo_ratio);
    if (nginx.ok()) {
        double get_ratio = med(column[1].get, &Round::per_second) / med(column[0].get, &Round::per_second);
        fmt::print("  GET requests/s, io_uring against epoll: {:.2f}x (reported, not judged)\n", get_ratio);
    }
}

// example --timeline: a small run to watch with scripts/tutor timeline 10:
// four echo clients on one thread, five requests each, through the ring.
void timeline_run() {
    if (!rt::uring::available()) {
        fmt::print("io_uring is not available here: {}\n", rt::uring::unavailable_reason());
        return;
    }
    rt::EchoServer server;
    std::vector<double> latencies;
    rt::Executor executor;
    executor.block_on(
        run_clients(Side::uring, Workload::echo, server.port(), Clock::time_point::max(), 5, &latencies, 4));
    fmt::print("{} echo requests through the ring, {} io_uring_enter calls, {} loop turns\n", latencies.size(),
               executor.driver().uring().enters(), executor.driver().turns());
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 3;
    double seconds = 1.0;
    try {
        if (argc == 6 && std::strcmp(argv[1], "--measure") == 0 && std::strcmp(argv[2], "echo") == 0) {
            Side side = std::strcmp(argv[3], "uring") == 0 ? Side::uring : Side::epoll;
            return measure_child(side, std::atol(argv[4]), static_cast<std::uint16_t>(std::atoi(argv[5])));
        }
        if (argc == 2 && std::strcmp(argv[1], "--timeline") == 0) {
            timeline_run();
            return 0;
        }
        for (int i = 1; i < argc; ++i) {
            auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
            if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::max(1, std::atoi(next()));
            else if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::max(0.1, std::atof(next()));
            else {
                fmt::print(stderr, "usage: {} [--rounds N] [--seconds S] | --timeline\n", argv[0]);
                return 2;
            }
        }
        measure(rounds, seconds);
    } catch (const std::exception& e) {
        fmt::print(stderr, "example: {}\n", e.what());
        return 1;
    }
}
