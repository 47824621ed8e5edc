// The bench's libuv program: the workloads of bench/README.md on libuv's C API
// (Debian's libuv1-dev), one uv_loop_t run on one thread.
#include <uv.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common.hpp"

namespace {

using bench::Args;
using bench::Clock;

// libuv reports an error as a negative return or status. (`what` is a plain
// string: no message is built unless it fails.)
void check(int status, const char* what) {
    if (status < 0) bench::fail(std::string(what) + ": " + uv_strerror(status));
}

// A loop of this program's own. close() fails if a handle was left open: every
// workload closes what it opened.
struct Loop {
    uv_loop_t uv;

    Loop() { check(uv_loop_init(&uv), "uv_loop_init"); }
    void run() { uv_run(&uv, UV_RUN_DEFAULT); }  // until no handle is active or closing
    void close() { check(uv_loop_close(&uv), "uv_loop_close"); }
};

// A handle that was allocated with `new`: closed, then freed once libuv is done with it.
template <typename Handle>
void close_and_free(Handle* handle) {
    uv_close(reinterpret_cast<uv_handle_t*>(handle), [](uv_handle_t* closed) { delete reinterpret_cast<Handle*>(closed); });
}

// ---- spawn, hop ----

[[noreturn]] void no_tasks() {
    bench::unsupported("libuv has no tasks: it calls callbacks for handles and requests; nothing is spawned, "
                       "returns a value or is joined");
}

// ---- sleeps ----

// libuv's timers are relative, in whole ms, from the loop's cached time,
// uv_now(): ms of CLOCK_MONOTONIC (or its coarse variant: the same origin),
// the clock steady_clock reads on Linux.
// The time left is counted from that instant (not from Clock::now(), which
// the loop's time lags until the loop runs) and rounded up, so that a timer
// fires at its deadline's millisecond, never before.
std::uint64_t ms_left(uv_loop_t* loop, Clock::time_point deadline) {
    const auto deadline_ms = std::chrono::ceil<std::chrono::milliseconds>(deadline.time_since_epoch()).count();
    const auto now_ms = static_cast<std::int64_t>(uv_now(loop));
    return deadline_ms > now_ms ? static_cast<std::uint64_t>(deadline_ms - now_ms) : 0;
}

// One task of the workload: a timer of its own that counts itself woken, then goes.
void start_sleep(uv_loop_t* loop, Clock::time_point deadline, std::size_t& woken) {
    auto* timer = new uv_timer_t;
    check(uv_timer_init(loop, timer), "sleeps: uv_timer_init");
    timer->data = &woken;
    const auto on_woken = [](uv_timer_t* fired) {
        ++*static_cast<std::size_t*>(fired->data);
        close_and_free(fired);
    };
    check(uv_timer_start(timer, on_woken, ms_left(loop, deadline), 0), "sleeps: uv_timer_start");
}

void sleeps(const Args& args) {
    const std::size_t n = args.scaled(100'000, 1'000);
    Loop loop;
    std::size_t woken = 0;
    const std::size_t resident_before = bench::status_bytes("VmRSS");
    const auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) start_sleep(&loop.uv, bench::sleep_deadline(start, i), woken);
    // The join: uv_run returns once every timer has fired and been closed.
    loop.run();
    const auto all_joined = Clock::now();
    loop.close();
    if (woken != n) bench::fail("sleeps: " + std::to_string(n - woken) + " timers never fired");
    bench::print_sleeps(start, all_joined, resident_before, n);
}

// ---- crosswake ----

struct CrossWakeLoop {
    bench::CrossWake shared;
    std::uint64_t rounds;
};

// The loop's side of a round: take what was sent (uv_async_send coalesces, so
// one call may answer several sends: it reads `sent` when it runs). After the
// last round the handle is closed, here on the loop's thread as libuv
// requires; a send still under way then is waited for by uv_close.
void on_async(uv_async_t* async) {
    auto& state = *static_cast<CrossWakeLoop*>(async->data);
    const std::uint64_t sent = state.shared.sent.load(std::memory_order_acquire);
    if (sent > state.shared.acked.load(std::memory_order_relaxed))
        state.shared.acked.store(sent, std::memory_order_release);
    if (sent == state.rounds) uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
}

void crosswake(const Args& args) {
    Loop loop;
    CrossWakeLoop state{{}, args.scaled(10'000, 100)};
    uv_async_t async;
    check(uv_async_init(&loop.uv, &async, on_async), "crosswake: uv_async_init");
    async.data = &state;
    std::thread pinger([&] {
        bench::run_pinger(state.shared, state.rounds, [&] { check(uv_async_send(&async), "crosswake: uv_async_send"); });
    });
    loop.run();  // until the async is closed
    pinger.join();
    loop.close();
}

// ---- get ----

// What every connection shares: where to connect, what to send, when to stop.
struct GetPlan {
    uv_loop_t* loop;
    sockaddr_in server;
    std::string request;  // not const: uv_buf_t points to char
    Clock::time_point stop;
    bench::GetResults& results;
    std::string where;  // "HOST:PORT", for messages
};

// One connection: a loop of GETs, each on a new uv_tcp_t, each a chain of
// callbacks (connect, write, read to end of stream).
class Getter {
public:
    explicit Getter(GetPlan& plan) : plan_(plan) {
        connecting_.data = this;
        writing_.data = this;
    }

    // The next request, unless the time is up (requests in flight then still finish).
    void start() {
        if (Clock::now() >= plan_.stop) return;
        tcp_ = new uv_tcp_t;
        check(uv_tcp_init(plan_.loop, tcp_), "get: uv_tcp_init");
        tcp_->data = this;
        response_.clear();
        began_ = Clock::now();
        check_io(uv_tcp_connect(&connecting_, tcp_, reinterpret_cast<const sockaddr*>(&plan_.server), on_connected),
                 "connect to");
    }

private:
    static void on_connected(uv_connect_t* connecting, int status) {
        Getter& self = *static_cast<Getter*>(connecting->data);
        self.check_io(status, "connect to");
        uv_buf_t request = uv_buf_init(self.plan_.request.data(), static_cast<unsigned>(self.plan_.request.size()));
        self.check_io(uv_write(&self.writing_, self.stream(), &request, 1, on_sent), "send to");
    }

    static void on_sent(uv_write_t* writing, int status) {
        Getter& self = *static_cast<Getter*>(writing->data);
        self.check_io(status, "send to");
        self.check_io(uv_read_start(self.stream(), give_chunk, on_read), "read from");
    }

    // Every read lands in the connection's one chunk, then is appended to the response.
    static void give_chunk(uv_handle_t* handle, std::size_t, uv_buf_t* buffer) {
        Getter& self = *static_cast<Getter*>(handle->data);
        *buffer = uv_buf_init(self.chunk_.data(), static_cast<unsigned>(self.chunk_.size()));
    }

    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer) {
        Getter& self = *static_cast<Getter*>(stream->data);
        if (nread > 0) self.response_.append(buffer->base, static_cast<std::size_t>(nread));
        else if (nread == UV_EOF) self.finish();
        else if (nread < 0) self.check_io(static_cast<int>(nread), "read from");
        // 0: nothing to read this time (EAGAIN), not an error
    }

    void finish() {
        bench::check_response(response_);
        plan_.results.record(began_);
        close_and_free(tcp_);  // closing also stops the reading
        tcp_ = nullptr;
        start();
    }

    uv_stream_t* stream() const { return reinterpret_cast<uv_stream_t*>(tcp_); }

    void check_io(int status, const char* what) const {
        if (status < 0) bench::fail("get: " + std::string(what) + " " + plan_.where + ": " + uv_strerror(status));
    }

    GetPlan& plan_;
    uv_tcp_t* tcp_ = nullptr;
    uv_connect_t connecting_;
    uv_write_t writing_;
    Clock::time_point began_;
    std::string response_;
    std::array<char, 16 * 1024> chunk_;
};

void get(const Args& args) {
    const bench::Url url = bench::parse_url(args.url);
    // libuv writes with write(2): a reset connection must be an EPIPE to report, not a SIGPIPE that kills silently.
    std::signal(SIGPIPE, SIG_IGN);
    Loop loop;
    bench::GetResults results;
    GetPlan plan{
        &loop.uv,
        url.address,
        bench::http_request(url),
        results.stop_after(args.seconds),
        results,
        url.host + ":" + std::to_string(url.port),
    };
    // Callbacks hold their Getter's address: each lives in its own allocation.
    std::vector<std::unique_ptr<Getter>> getters;
    for (int i = 0; i < args.connections; ++i) getters.push_back(std::make_unique<Getter>(plan));
    for (auto& getter : getters) getter->start();
    loop.run();
    loop.close();
    results.print_figures();
}

}  // namespace

int main(int argc, char** argv) {
    const Args args = bench::parse_args(argc, argv);
    try {
        if (args.workload == "spawn" || args.workload == "hop") no_tasks();
        else if (args.workload == "sleeps") sleeps(args);
        else if (args.workload == "crosswake") crosswake(args);
        else if (args.workload == "get") get(args);
        else bench::usage(argv[0]);
    } catch (const std::exception& error) {
        bench::fail(args.workload + ": " + error.what());
    }
    return 0;
}
