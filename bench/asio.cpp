// The bench's Asio program: the workloads of bench/README.md on standalone
// Asio (Debian's libasio-dev), one io_context run on one thread.
#include <asio.hpp>

#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common.hpp"

namespace {

using bench::Args;
using bench::Clock;

// The concurrency hint 1 tells Asio that one thread runs the context.
constexpr int one_thread = 1;

// Runs `main` as the context's first handler (the README's main task, inside
// the runtime), then everything it leads to, until no work is left.
template <typename Main>
void run_main(asio::io_context& io, Main main) {
    asio::post(io, std::move(main));
    io.run();
}

// ---- spawn ----

void spawn(const Args& args) {
    const std::size_t n = args.scaled(1'000'000, 1'000);
    asio::io_context io(one_thread);
    // Asio has no join handle: task i leaves its output in slot i, summed once run() returns.
    std::vector<std::uint64_t> outputs(n);
    Clock::time_point began;
    run_main(io, [&] {
        began = Clock::now();
        for (std::size_t i = 0; i < n; ++i) asio::post(io, [&outputs, i] { outputs[i] = i; });
    });
    std::uint64_t sum = 0;
    for (std::uint64_t output : outputs) sum += output;
    const auto joined = Clock::now();
    const std::uint64_t expected = static_cast<std::uint64_t>(n) * (n - 1) / 2;
    if (sum != expected) bench::fail("spawn: the sum is " + std::to_string(sum) + ", not " + std::to_string(expected));
    bench::print("ns_per_task", bench::ns_per(began, joined, n));
}

// ---- hop ----

// While hops are left, takes one and posts itself again: each post is a wake,
// each call a poll. Small enough to be copied into each post.
struct Hop {
    asio::io_context* io;
    std::uint64_t* left;

    void operator()() const {
        if (*left == 0) return;
        --*left;
        asio::post(*io, *this);
    }
};

void hop(const Args& args) {
    const std::size_t n = args.scaled(10'000'000, 1'000);
    asio::io_context io(one_thread);
    std::uint64_t left = n;
    const auto began = Clock::now();
    run_main(io, Hop{&io, &left});
    const auto joined = Clock::now();
    if (left != 0) bench::fail("hop: " + std::to_string(left) + " hops were never made");
    bench::print("ns_per_hop", bench::ns_per(began, joined, n));
}

// ---- sleeps ----

void sleeps(const Args& args) {
    const std::size_t n = args.scaled(100'000, 1'000);
    asio::io_context io(one_thread);
    std::vector<asio::steady_timer> timers;
    std::size_t woken = 0;
    std::size_t resident_before = 0;
    Clock::time_point start;
    run_main(io, [&] {
        resident_before = bench::status_bytes("VmRSS");
        start = Clock::now();
        timers.reserve(n);  // a task's timer is part of what it costs
        for (std::size_t i = 0; i < n; ++i) {
            asio::steady_timer& timer = timers.emplace_back(io);
            timer.expires_at(bench::sleep_deadline(start, i));
            timer.async_wait([&woken](const asio::error_code& error) {
                if (error) bench::fail("sleeps: a timer failed: " + error.message());
                ++woken;
            });
        }
    });
    // The join: run() returns once every timer's handler has run.
    const auto all_joined = Clock::now();
    if (woken != n) bench::fail("sleeps: " + std::to_string(n - woken) + " timers never fired");
    bench::print_sleeps(start, all_joined, resident_before, n);
}

// ---- crosswake ----

void crosswake(const Args& args) {
    const std::uint64_t rounds = args.scaled(10'000, 100);
    asio::io_context io(one_thread);
    // Between rounds the context has nothing queued: the guard keeps run() waiting for the next post.
    auto work = asio::make_work_guard(io);
    bench::CrossWake shared;
    std::thread pinger([&] {
        bench::run_pinger(shared, rounds, [&] {
            asio::post(io, [&shared] {
                shared.acked.store(shared.sent.load(std::memory_order_acquire), std::memory_order_release);
            });
        });
        work.reset();  // thread-safe: lets run() return once the last handler has run
    });
    io.run();
    pinger.join();
}

// ---- get ----

// What every connection shares: where to connect, what to send, when to stop.
struct GetPlan {
    asio::ip::tcp::endpoint server;
    std::string request;
    Clock::time_point stop;
    bench::GetResults& results;
};

// One connection: a loop of GETs, each on a new socket, each a chain of
// handlers (connect, write, read to end of stream).
class Getter {
public:
    Getter(asio::io_context& io, const GetPlan& plan) : io_(io), plan_(plan), socket_(io) {}

    // The next request, unless the time is up (requests in flight then still finish).
    void start() {
        if (Clock::now() >= plan_.stop) return;
        socket_ = asio::ip::tcp::socket(io_);
        began_ = Clock::now();
        socket_.async_connect(plan_.server, [this](const asio::error_code& error) { on_connected(error); });
    }

private:
    void on_connected(const asio::error_code& error) {
        if (error) fail("connect to", error);
        asio::async_write(socket_, asio::buffer(plan_.request),
                          [this](const asio::error_code& error, std::size_t) { on_sent(error); });
    }

    void on_sent(const asio::error_code& error) {
        if (error) fail("send to", error);
        response_.clear();
        // async_read fills the buffer until the stream ends: the end of stream is its "error".
        asio::async_read(socket_, asio::dynamic_buffer(response_),
                         [this](const asio::error_code& error, std::size_t) { on_received(error); });
    }

    void on_received(const asio::error_code& error) {
        if (error != asio::error::eof) fail("read from", error);
        bench::check_response(response_);
        plan_.results.record(began_);
        socket_.close();
        start();
    }

    [[noreturn]] void fail(const char* what, const asio::error_code& error) const {
        bench::fail("get: " + std::string(what) + " " + plan_.server.address().to_string() + ":" +
                    std::to_string(plan_.server.port()) + ": " + error.message());
    }

    asio::io_context& io_;
    const GetPlan& plan_;
    asio::ip::tcp::socket socket_;
    Clock::time_point began_;
    std::string response_;
};

void get(const Args& args) {
    const bench::Url url = bench::parse_url(args.url);
    asio::io_context io(one_thread);
    bench::GetResults results;
    const GetPlan plan{
        {asio::ip::make_address_v4(url.host), static_cast<asio::ip::port_type>(url.port)},
        bench::http_request(url),
        results.stop_after(args.seconds),
        results,
    };
    // Handlers hold their Getter's address: each lives in its own allocation.
    std::vector<std::unique_ptr<Getter>> getters;
    for (int i = 0; i < args.connections; ++i) getters.push_back(std::make_unique<Getter>(io, plan));
    for (auto& getter : getters) getter->start();
    io.run();
    results.print_figures();
}

}  // namespace

int main(int argc, char** argv) {
    const Args args = bench::parse_args(argc, argv);
    try {
        if (args.workload == "spawn") spawn(args);
        else if (args.workload == "hop") hop(args);
        else if (args.workload == "sleeps") sleeps(args);
        else if (args.workload == "crosswake") crosswake(args);
        else if (args.workload == "get") get(args);
        else bench::usage(argv[0]);
    } catch (const std::exception& error) {  // Asio throws system_error where it has no handler to tell
        bench::fail(args.workload + ": " + error.what());
    }
    return 0;
}
