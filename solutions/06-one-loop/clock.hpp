// saturating_add: a time point plus a duration that cannot overflow.
#pragma once

#include <chrono>

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

}  // namespace rt
