// Chapter 01's example: every poll traced, then the cost of waiting 100 ms by busy polling.
#include <fmt/core.h>

#include <chrono>
#include <string>
#include <type_traits>
#include <utility>

#include "props/measure.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;

// Wraps a future and counts its polls; with a name, it also prints one line
// per poll, so we can watch what block_on does.
template <rt::Future F>
class Traced {
public:
    using Output = typename F::Output;

    Traced(std::string name, F inner, int* polls = nullptr)
        : name_(std::move(name)), inner_(std::move(inner)), polls_(polls) {}

    rt::Poll<Output> poll(rt::Context& cx) {
        ++count_;
        if (polls_ != nullptr) ++*polls_;
        rt::Poll<Output> result = inner_.poll(cx);
        if (!name_.empty()) fmt::print("  {:<8} poll {}: {}\n", name_, count_, describe(result));
        return result;
    }

private:
    static std::string describe(rt::Poll<Output>& poll) {
        if (poll.is_pending()) return "pending";
        if constexpr (std::is_void_v<Output>) return "ready";
        else return fmt::format("ready({})", poll.value());
    }

    std::string name_;
    F inner_;
    int count_ = 0;
    int* polls_;  // where to add up polls, if anywhere
};

int main() {
    fmt::print("1. Countdown(3) under block_on: pending twice, then ready.\n");
    int output = rt::block_on(Traced("count", rt::Countdown(3)));
    fmt::print("  block_on returned {}\n\n", output);

    fmt::print("2. Then: Countdown(2), then Countdown(n + 1), as one future.\n");
    auto nested = Traced("then", rt::Then(Traced("first", rt::Countdown(2)),
                                          [](int n) { return Traced("second", rt::Countdown(n + 1)); }));
    output = rt::block_on(std::move(nested));
    fmt::print("  block_on returned {}\n\n", output);

    fmt::print("3. Waiting 100 ms by busy polling a Deadline:\n");
    int polls = 0;
    rt::bench::Stopwatch watch;
    rt::block_on(Traced("", rt::Deadline(std::chrono::steady_clock::now() + 100ms), &polls));
    auto spent = watch.elapsed();
    fmt::print("  polls:     {:>12}\n", polls);
    fmt::print("  wall time: {:>9.1f} ms\n", spent.wall_ms);
    fmt::print("  CPU time:  {:>9.1f} ms ({:.0f}% of one core)\n", spent.cpu_ms, 100 * spent.cpu_ms / spent.wall_ms);
}
