// ThrowingWaker: wakers whose chosen vtable functions throw, to test what the
// runtime does when user code throws. Counts every call, as WakeCounter does.
#pragma once

#include <atomic>
#include <stdexcept>

#include "rt.hpp"

namespace test {

class ThrowingWaker {
public:
    // Which functions throw std::runtime_error("the waker threw from <function>").
    enum Throws : unsigned { on_clone = 1, on_wake = 2, on_wake_by_ref = 4, on_drop = 8 };

    explicit ThrowingWaker(unsigned throws) : throws_(throws) {}
    ThrowingWaker(const ThrowingWaker&) = delete;  // wakers point at this object
    ThrowingWaker& operator=(const ThrowingWaker&) = delete;

    rt::Waker waker() {
        ++created;
        return rt::Waker::from_raw(rt::RawWaker{this, &vtable});
    }

    // Wakers not yet dropped or woken by value. A drop or a wake that threw
    // has still released its waker: Waker forgets it either way.
    int live() const { return created + clones - drops - wakes; }

    mutable std::atomic<int> created{0};
    mutable std::atomic<int> clones{0};
    mutable std::atomic<int> drops{0};
    mutable std::atomic<int> wakes{0};
    mutable std::atomic<int> wakes_by_ref{0};

private:
    static const ThrowingWaker& self(const void* data) { return *static_cast<const ThrowingWaker*>(data); }
    static rt::RawWaker clone(const void* data) {
        if (self(data).throws_ & on_clone) throw std::runtime_error("the waker threw from clone");
        ++self(data).clones;
        return rt::RawWaker{data, &vtable};
    }
    static void wake(const void* data) {
        ++self(data).wakes;
        if (self(data).throws_ & on_wake) throw std::runtime_error("the waker threw from wake");
    }
    static void wake_by_ref(const void* data) {
        ++self(data).wakes_by_ref;
        if (self(data).throws_ & on_wake_by_ref) throw std::runtime_error("the waker threw from wake_by_ref");
    }
    static void drop(const void* data) {
        ++self(data).drops;
        if (self(data).throws_ & on_drop) throw std::runtime_error("the waker threw from drop");
    }

    static constexpr rt::RawWakerVTable vtable{clone, wake, wake_by_ref, drop};

    unsigned throws_;
};

}  // namespace test
