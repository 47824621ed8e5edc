// The bench's workloads (bench/README.md) on this course's runtime, as it
// stands at the end of chapter RT_CHAPTER (04 on: the first with spawn).
// meson builds one program per chapter, course-NN, against solutions/NN-*.
// Every workload runs on Executor(), the runtime's one-thread executor.
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common.hpp"
#include "rt.hpp"

#ifndef RT_CHAPTER
#error "RT_CHAPTER (the chapter number) must be defined"
#endif

namespace {

using bench::Clock;

// Spawns one task of `make()` on its first poll, then awaits it.
template <class Make>
struct SpawnThenJoin {
    using Task = decltype(std::declval<Make&>()());
    using Output = typename Task::Output;
    Make make;
    std::optional<rt::JoinHandle<Output>> handle{};

    rt::Poll<Output> poll(rt::Context& cx) {
        if (!handle) handle.emplace(rt::spawn(make()));
        return handle->poll(cx);
    }
};
template <class Make>
SpawnThenJoin(Make) -> SpawnThenJoin<Make>;

// ---- spawn ----

// Spawns n tasks, task i giving i, then awaits them in order and sums.
struct SpawnAll {
    using Output = std::int64_t;
    std::size_t n;
    Clock::time_point* start;
    std::vector<rt::JoinHandle<std::int64_t>> handles{};
    std::size_t joined = 0;
    std::int64_t sum = 0;

    rt::Poll<std::int64_t> poll(rt::Context& cx) {
        if (handles.empty()) {
            handles.reserve(n);  // before the clock starts, as every program does
            *start = Clock::now();
            for (std::size_t i = 0; i < n; ++i) handles.push_back(rt::spawn(rt::Ready<std::int64_t>(std::int64_t(i))));
        }
        for (; joined < n; ++joined) {
            rt::Poll<std::int64_t> output = handles[joined].poll(cx);
            if (output.is_pending()) return rt::pending;
            sum += output.value();
        }
        return sum;
    }
};

void spawn(const bench::Args& args) {
    std::size_t n = args.scaled(1'000'000, 1'000);
    rt::Executor executor;
    Clock::time_point start;
    std::int64_t sum = executor.block_on(SpawnAll{n, &start});
    auto end = Clock::now();
    if (sum != std::int64_t(n) * std::int64_t(n - 1) / 2) bench::fail("spawn: the outputs do not add up");
    bench::print("ns_per_task", bench::ns_per(start, end, n));
}

// ---- hop ----

// Wakes itself and returns pending `left` times, then is ready.
struct Hop {
    using Output = void;
    std::size_t left;

    rt::Poll<void> poll(rt::Context& cx) {
        if (left == 0) return rt::ready();
        --left;
        cx.waker().wake_by_ref();
        return rt::pending;
    }
};

void hop(const bench::Args& args) {
    std::size_t n = args.scaled(10'000'000, 1'000);
    rt::Executor executor;
    auto start = Clock::now();
    executor.block_on(SpawnThenJoin{[n] { return Hop{n}; }});
    bench::print("ns_per_hop", bench::ns_per(start, Clock::now(), n));
}

// ---- sleeps ----

rt::Sleep sleep_until(Clock::time_point deadline) {
#if RT_CHAPTER >= 6
    return rt::Sleep(deadline);  // the loop's own timer, from chapter 06
#else
    return rt::Sleep(rt::Timer::global(), deadline);
#endif
}

// Spawns n sleeping tasks, then awaits them all.
struct SleepAll {
    using Output = void;
    std::size_t n;
    Clock::time_point start;
    std::vector<rt::JoinHandle<void>> handles{};
    std::size_t joined = 0;

    rt::Poll<void> poll(rt::Context& cx) {
        if (handles.empty()) {
            handles.reserve(n);
            for (std::size_t i = 0; i < n; ++i) handles.push_back(rt::spawn(sleep_until(bench::sleep_deadline(start, i))));
        }
        for (; joined < n; ++joined) {
            if (handles[joined].poll(cx).is_pending()) return rt::pending;
        }
        return rt::ready();
    }
};

void sleeps(const bench::Args& args) {
    std::size_t n = args.scaled(100'000, 1'000);
#if RT_CHAPTER < 6
    rt::Timer::global();  // its thread starts before the clock does
#endif
    rt::Executor executor;
    std::size_t resident_before = bench::status_bytes("VmRSS");
    auto start = Clock::now();
    executor.block_on(SleepAll{n, start});
    bench::print_sleeps(start, Clock::now(), resident_before, n);
}

// ---- crosswake ----

struct WakerSlot {
    std::mutex mutex;
    std::optional<rt::Waker> waker;
};

// The task of bench/README.md's crosswake: takes what was sent, parks its waker.
struct Answer {
    using Output = void;
    bench::CrossWake* shared;
    WakerSlot* slot;
    std::uint64_t rounds;

    rt::Poll<void> poll(rt::Context& cx) {
        for (;;) {
            std::uint64_t sent = shared->sent.load(std::memory_order_acquire);
            if (sent > shared->acked.load(std::memory_order_relaxed)) shared->acked.store(sent, std::memory_order_release);
            if (sent == rounds) return rt::ready();
            {
                std::lock_guard lock(slot->mutex);
                slot->waker = cx.waker();
            }
            if (shared->sent.load(std::memory_order_acquire) == sent) return rt::pending;
        }
    }
};

void crosswake(const bench::Args& args) {
    std::uint64_t rounds = args.scaled(10'000, 100);
    bench::CrossWake shared;
    WakerSlot slot;
    std::thread pinger([&] {
        bench::run_pinger(shared, rounds, [&] {
            std::optional<rt::Waker> waker;
            {
                std::lock_guard lock(slot.mutex);
                waker.swap(slot.waker);
            }
            if (waker) std::move(*waker).wake();
        });
    });
    rt::Executor executor;
    executor.block_on(SpawnThenJoin{[&] { return Answer{&shared, &slot, rounds}; }});
    pinger.join();
}

// ---- get ----

#if RT_CHAPTER >= 5
// One connection's loop: GET, check, record, again, until `until`.
struct GetLoop {
    using Output = void;
    const std::string* url;
    Clock::time_point until;
    bench::GetResults* results;
    std::optional<rt::HttpGet> get{};
    Clock::time_point began{};

    rt::Poll<void> poll(rt::Context& cx) {
        for (;;) {
            if (!get) {
                if (Clock::now() >= until) return rt::ready();
                began = Clock::now();
                get.emplace(*url);
            }
            std::optional<rt::Poll<rt::HttpResponse>> polled;
            try {
                polled.emplace(get->poll(cx));
            } catch (const std::exception& error) {
                bench::fail(std::string("get: ") + error.what());  // the first failure ends the run
            }
            rt::Poll<rt::HttpResponse>& response = *polled;
            if (response.is_pending()) return rt::pending;
            if (response.value().status != 200)
                bench::fail("get: status " + std::to_string(response.value().status) + ", not 200");
            results->record(began);
            get.reset();
        }
    }
};

struct GetAll {
    using Output = void;
    std::vector<GetLoop> loops;
    std::vector<rt::JoinHandle<void>> handles{};
    std::size_t joined = 0;

    rt::Poll<void> poll(rt::Context& cx) {
        if (handles.empty())
            for (GetLoop& loop : loops) handles.push_back(rt::spawn(std::move(loop)));
        for (; joined < handles.size(); ++joined)
            if (handles[joined].poll(cx).is_pending()) return rt::pending;
        return rt::ready();
    }
};

void get(const bench::Args& args) {
    bench::parse_url(args.url);  // the same check of the URL as every peer's
    rt::Executor executor;
    bench::GetResults results;
    auto until = results.stop_after(args.seconds);
    std::vector<GetLoop> loops;
    for (int i = 0; i < args.connections; ++i) loops.push_back(GetLoop{&args.url, until, &results});
    executor.block_on(GetAll{std::move(loops)});
    results.print_figures();
}
#endif

}  // namespace

int main(int argc, char** argv) {
    bench::Args args = bench::parse_args(argc, argv);
    try {
        if (args.workload == "spawn") spawn(args);
        else if (args.workload == "hop") hop(args);
        else if (args.workload == "sleeps") sleeps(args);
        else if (args.workload == "crosswake") crosswake(args);
#if RT_CHAPTER >= 5
        else if (args.workload == "get") get(args);
#else
        else if (args.workload == "get") bench::unsupported("HTTP comes in chapter 05");
#endif
        else bench::usage(argv[0]);
    } catch (const std::exception& error) {
        bench::fail(args.workload + ": " + error.what());
    }
    return 0;
}
