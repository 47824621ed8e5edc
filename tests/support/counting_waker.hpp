// WakeCounter: wakers over a set of counters, so tests can see every clone,
// drop, wake and wake_by_ref a future makes. Thread-safe.
#pragma once

#include <doctest/doctest.h>

#include <atomic>

#include "rt.hpp"

namespace test {

class WakeCounter {
public:
    WakeCounter() = default;
    WakeCounter(const WakeCounter&) = delete;  // wakers point at this object
    WakeCounter& operator=(const WakeCounter&) = delete;

    // A new waker over these counters (counted as created, not as a clone).
    rt::Waker waker() {
        ++created;
        return rt::Waker::from_raw(rt::RawWaker{this, &vtable});
    }

    // Wakers over these counters not yet dropped or woken by value.
    int live() const { return created + clones - drops - wakes; }
    // Wake-ups of either kind.
    int total_wakes() const { return wakes + wakes_by_ref; }

    // Mutable: the vtable functions get a const pointer, as Rust's RawWaker does.
    mutable std::atomic<int> created{0};
    mutable std::atomic<int> clones{0};
    mutable std::atomic<int> drops{0};
    mutable std::atomic<int> wakes{0};
    mutable std::atomic<int> wakes_by_ref{0};

private:
    static const WakeCounter& self(const void* data) { return *static_cast<const WakeCounter*>(data); }
    static rt::RawWaker clone(const void* data) {
        ++self(data).clones;
        return rt::RawWaker{data, &vtable};
    }
    static void wake(const void* data) { ++self(data).wakes; }
    static void wake_by_ref(const void* data) { ++self(data).wakes_by_ref; }
    static void drop(const void* data) { ++self(data).drops; }

    static constexpr rt::RawWakerVTable vtable{clone, wake, wake_by_ref, drop};
};

}  // namespace test
