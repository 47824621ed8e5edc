// stress: random yields and short sleeps at every atomic step of the scheduler, seeded.
#pragma once

#include <atomic>
#include <cstdint>

namespace rt::detail::stress {

// Whether the stress mode is on. Off (the default), point() is one relaxed
// load and a branch, as the recorder's hooks are.
extern std::atomic<bool> on;

// What point() does when the mode is on: with this thread's generator (made
// from the seed and the order in which threads first reach a point), about
// one point in four yields the thread, one in forty sleeps 1 to 50 us.
void perturb() noexcept;

// Called at each atomic step of the scheduler, the idle protocol, the
// parkers and the task state word: a place where another thread's step may
// come in between. The stress tests turn it on to make rare orders common.
inline void point() noexcept {
    if (on.load(std::memory_order_relaxed)) [[unlikely]]
        perturb();
}

// Turns the mode on with `seed` (threads that reach a point from now on draw
// from generators made of it), or off. RT_STRESS=seed in the environment
// turns it on at start-up.
void enable(std::uint64_t seed) noexcept;
void disable() noexcept;
// How many points have yielded or slept since enable() (tests check that the
// mode did something).
std::uint64_t perturbations() noexcept;

}  // namespace rt::detail::stress
