#include "stress.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>

namespace rt::detail::stress {

std::atomic<bool> on{false};

namespace {

std::atomic<std::uint64_t> seed_{0};
std::atomic<std::uint64_t> generation_{0};  // enable() count: a thread reseeds when it changes
std::atomic<std::uint64_t> threads_{0};     // threads seeded in this generation
std::atomic<std::uint64_t> perturbed_{0};

// splitmix64: small, fast, and any seed gives a good sequence.
std::uint64_t next(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

struct Generator {
    std::uint64_t generation = ~0ULL;
    std::uint64_t state = 0;
};

// RT_STRESS=seed turns the mode on for the whole run.
const bool from_environment = [] {
    if (const char* seed = std::getenv("RT_STRESS")) enable(std::strtoull(seed, nullptr, 10));
    return true;
}();

}  // namespace

void perturb() noexcept {
    thread_local Generator generator;
    std::uint64_t generation = generation_.load(std::memory_order_acquire);
    if (generator.generation != generation) {
        generator.generation = generation;
        std::uint64_t index = threads_.fetch_add(1, std::memory_order_relaxed);
        generator.state = seed_.load(std::memory_order_relaxed) * 1000003ULL + index;
    }
    std::uint64_t draw = next(generator.state) % 40;
    if (draw < 10) {
        perturbed_.fetch_add(1, std::memory_order_relaxed);
        std::this_thread::yield();
    } else if (draw == 10) {
        perturbed_.fetch_add(1, std::memory_order_relaxed);
        std::this_thread::sleep_for(std::chrono::microseconds(1 + next(generator.state) % 50));
    }
}

void enable(std::uint64_t seed) noexcept {
    (void)from_environment;
    seed_.store(seed, std::memory_order_relaxed);
    threads_.store(0, std::memory_order_relaxed);
    perturbed_.store(0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    on.store(true, std::memory_order_release);
}

void disable() noexcept { on.store(false, std::memory_order_release); }

std::uint64_t perturbations() noexcept { return perturbed_.load(std::memory_order_relaxed); }

}  // namespace rt::detail::stress
