// DropHook: a waker whose drop runs a function, once armed: as the last drop
// of a task's waker destroys the task, and with it whatever its future owned.
// Tests use it to check that a runtime drops wakers outside its locks.
#pragma once

#include <functional>
#include <utility>

#include "rt.hpp"

namespace test {

class DropHook {
public:
    explicit DropHook(std::function<void()> on_drop) : on_drop_(std::move(on_drop)) {}
    DropHook(const DropHook&) = delete;  // wakers point at this object
    DropHook& operator=(const DropHook&) = delete;

    rt::Waker waker() { return rt::Waker::from_raw(rt::RawWaker{this, &vtable}); }

    // The next drop of any of its wakers runs the function (once).
    void arm() { armed_ = true; }
    bool ran() const { return ran_; }

private:
    static const DropHook& self(const void* data) { return *static_cast<const DropHook*>(data); }
    static rt::RawWaker clone(const void* data) { return rt::RawWaker{data, &vtable}; }
    static void wake(const void*) {}
    static void drop(const void* data) {
        const DropHook& hook = self(data);
        if (!std::exchange(hook.armed_, false)) return;
        hook.on_drop_();
        hook.ran_ = true;
    }

    static constexpr rt::RawWakerVTable vtable{clone, wake, wake, drop};

    std::function<void()> on_drop_;
    mutable bool armed_ = false;
    mutable bool ran_ = false;
};

}  // namespace test
