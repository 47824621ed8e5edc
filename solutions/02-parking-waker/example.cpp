// Chapter 02's example: the same 100 ms wait busy-polled and parked, then
// how long a wake-up takes to cross threads, against a bare condition variable.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "props/measure.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Counts the polls of the future it wraps.
template <rt::Future F>
struct Counted {
    using Output = typename F::Output;
    F inner;
    int* polls;
    rt::Poll<Output> poll(rt::Context& cx) {
        ++*polls;
        return inner.poll(cx);
    }
};

// ANCHOR: busy-block-on
// Chapter 01's block_on, kept for comparison: poll again at once, forever.
template <rt::Future F>
typename F::Output busy_block_on(F future) {
    rt::Context cx(rt::Waker::noop());
    for (;;) {
        rt::Poll<typename F::Output> poll = future.poll(cx);
        if (poll.is_ready()) return std::move(poll).value();
    }
}
// ANCHOR_END: busy-block-on

struct WaitCost {
    int polls = 0;
    rt::bench::Stopwatch::Elapsed spent{};
};

template <class BlockOn>
WaitCost wait_100ms(BlockOn block_on) {
    WaitCost cost;
    rt::bench::Stopwatch watch;
    block_on(Counted<rt::ThreadSleep>{rt::ThreadSleep(100ms), &cost.polls});
    cost.spent = watch.elapsed();
    return cost;
}

// ANCHOR: mailbox
// A one-slot mailbox: put() fills it and wakes whoever waits; take() is a
// future that empties it.
class Mailbox {
public:
    void put() {
        std::optional<rt::Waker> waiter;
        {
            std::lock_guard lock(mutex_);
            full_ = true;
            waiter.swap(waiter_);
        }
        if (waiter) std::move(*waiter).wake();
    }

    struct Take {
        using Output = void;
        Mailbox& box;
        rt::Poll<void> poll(rt::Context& cx) {
            std::lock_guard lock(box.mutex_);
            if (box.full_) {
                box.full_ = false;
                return rt::ready();
            }
            if (!box.waiter_ || !box.waiter_->will_wake(cx.waker())) box.waiter_ = cx.waker();
            return rt::pending;
        }
    };
    Take take() { return Take{*this}; }

private:
    std::mutex mutex_;
    bool full_ = false;
    std::optional<rt::Waker> waiter_;
};
// ANCHOR_END: mailbox

double median_us(std::vector<double> samples) {
    std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
    return samples[samples.size() / 2];
}

// The two ping-pongs take turns, ten rounds each: what the machine does
// meanwhile (which core the scheduler picks, say) falls on both alike.
constexpr int rounds = 10;
constexpr int round_trips = 500;  // per round

// Two threads hand a turn back and forth through one mutex and condition
// variable. Half a round trip is one cross-thread wake-up: each round trip
// adds that to `samples`, in microseconds.
void condvar_ping_pong(std::vector<double>& samples) {
    std::mutex mutex;
    std::condition_variable condvar;
    int turn = 0;  // 0: main thread's turn, 1: partner's, 2: stop
    std::thread partner([&] {
        std::unique_lock lock(mutex);
        for (;;) {
            condvar.wait(lock, [&] { return turn != 0; });
            if (turn == 2) return;
            turn = 0;
            condvar.notify_one();
        }
    });
    for (int i = 0; i < round_trips; ++i) {
        auto start = Clock::now();
        std::unique_lock lock(mutex);
        turn = 1;
        condvar.notify_one();
        condvar.wait(lock, [&] { return turn == 0; });
        samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() / 2);
    }
    {
        std::lock_guard lock(mutex);
        turn = 2;
    }
    condvar.notify_one();
    partner.join();
}

// ANCHOR: runtime-ping-pong
// The same with the runtime: each thread waits in rt::block_on on a mailbox
// and is woken through its rt::Waker, which unparks its Parker.
void runtime_ping_pong(std::vector<double>& samples) {
    Mailbox to_partner, to_main;
    std::thread partner([&] {
        for (int i = 0; i < round_trips; ++i) {
            rt::block_on(to_partner.take());
            to_main.put();
        }
    });
    for (int i = 0; i < round_trips; ++i) {
        auto start = Clock::now();
        to_partner.put();
        rt::block_on(to_main.take());
        samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() / 2);
    }
    partner.join();
}
// ANCHOR_END: runtime-ping-pong

}  // namespace

int main() {
    fmt::print("1. The same 100 ms wait (a ThreadSleep), polled two ways:\n");
    fmt::print("  {:<26} {:>9} {:>9} {:>9}\n", "", "polls", "wall ms", "CPU ms");
    WaitCost busy = wait_100ms([](auto future) { busy_block_on(std::move(future)); });
    WaitCost parked = wait_100ms([](auto future) { rt::block_on(std::move(future)); });
    for (auto [name, cost] : {std::pair{"busy polling (chapter 01)", busy}, std::pair{"parking (chapter 02)", parked}})
        fmt::print("  {:<26} {:>9} {:>9.1f} {:>9.2f}\n", name, cost.polls, cost.spent.wall_ms, cost.spent.cpu_ms);
    fmt::print("  parking spends {:.0f} times less CPU (target: at most 1 ms of CPU: {})\n\n",
               busy.spent.cpu_ms / std::max(parked.spent.cpu_ms, 0.001), parked.spent.cpu_ms <= 1.0 ? "met" : "MISSED");

    fmt::print("2. One wake-up across threads, median of {} round trips:\n", rounds * round_trips);
    std::vector<double> bare_samples, our_samples;
    for (int round = 0; round < rounds; ++round) {
        condvar_ping_pong(bare_samples);
        runtime_ping_pong(our_samples);
    }
    double bare = median_us(std::move(bare_samples));
    double ours = median_us(std::move(our_samples));
    fmt::print("  condition variable ping-pong:   {:6.1f} us\n", bare);
    fmt::print("  rt::Waker + Parker ping-pong:   {:6.1f} us\n", ours);
    fmt::print("  ratio: {:.2f} (target: at most 1.5: {})\n", ours / bare, ours / bare <= 1.5 ? "met" : "MISSED");
}
