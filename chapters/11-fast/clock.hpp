// saturating_add and saturating_cast: time arithmetic that cannot overflow.
#pragma once

#include <chrono>
#include <ratio>

namespace rt {

// t + d, or the clock's last (first) time point when the sum would not fit.
// So a deadline of now + duration::max() means "never", as Duration::MAX
// does in Tokio: a plain + would overflow a signed count, which is undefined
// behaviour and in practice wraps round to a time long past.
inline std::chrono::steady_clock::time_point saturating_add(std::chrono::steady_clock::time_point t,
                                                            std::chrono::steady_clock::duration d) noexcept {
    using TimePoint = std::chrono::steady_clock::time_point;
    // max() - d and min() - d cannot overflow for a d of that sign.
    if (d > d.zero() && t > TimePoint::max() - d) return TimePoint::max();
    if (d < d.zero() && t < TimePoint::min() - d) return TimePoint::min();
    return t + d;
}

// d in the clock's units (nanoseconds), or the largest (smallest) such
// duration when d does not fit: hours::max() has far more nanoseconds than a
// 64-bit count holds, and the implicit conversion would overflow.
template <class Rep, class Period>
constexpr std::chrono::steady_clock::duration saturating_cast(std::chrono::duration<Rep, Period> d) noexcept {
    using Target = std::chrono::steady_clock::duration;
    using Source = std::chrono::duration<Rep, Period>;
    if constexpr (std::ratio_greater_v<Period, Target::period>) {
        // A coarser unit: compare in it, where Target's limits fit (rounded towards zero).
        if (d >= std::chrono::duration_cast<Source>(Target::max())) return Target::max();
        if (d <= std::chrono::duration_cast<Source>(Target::min())) return Target::min();
    }
    return std::chrono::duration_cast<Target>(d);  // the same unit or a finer one: cannot overflow
}

}  // namespace rt
