// Waker: how a future asks to be polled again. Data pointer + vtable, as Rust's RawWaker.
#pragma once

namespace rt {

struct RawWakerVTable;

// An untyped pointer and the four functions that know what it points to.
struct RawWaker {
    const void* data;
    const RawWakerVTable* vtable;
};

struct RawWakerVTable {
    // Makes a second RawWaker for the same wake target (a reference-counted
    // waker increments its count here). Should not fail; an exception goes
    // to whoever copied the Waker.
    RawWaker (*clone)(const void* data);
    // Wakes the target and releases this waker: no drop follows, even if it throws.
    void (*wake)(const void* data);
    // Wakes the target and keeps this waker.
    void (*wake_by_ref)(const void* data);
    // Releases this waker without waking. Should not throw: ~Waker catches
    // and reports it (report.hpp).
    void (*drop)(const void* data);
};

// Owns one RawWaker. Copying clones it, destroying drops it, moving does
// neither: every clone is matched by exactly one drop or one wake.
class Waker {
public:
    // Takes ownership of `raw`: its drop (or wake) will be called exactly once.
    static Waker from_raw(RawWaker raw) noexcept { return Waker(raw); }

    // A waker that does nothing when woken; it lives until the program ends.
    static const Waker& noop();

    Waker(const Waker& other);
    Waker& operator=(const Waker& other);
    Waker(Waker&& other) noexcept;
    Waker& operator=(Waker&& other) noexcept;
    ~Waker();

    // Wakes and gives the waker up; call it as std::move(waker).wake().
    void wake() &&;
    // Wakes and keeps the waker, for wakers that will be used again.
    void wake_by_ref() const;
    // True when waking either would wake the same target, so a future that
    // already holds `other` can skip cloning this one.
    bool will_wake(const Waker& other) const noexcept;

    RawWaker as_raw() const noexcept { return raw_; }

private:
    explicit Waker(RawWaker raw) noexcept : raw_(raw) {}
    // The vtable, or a clear error for a waker that was moved from or woken.
    const RawWakerVTable& vtable() const;

    RawWaker raw_;  // vtable is null once moved from or woken by value
};

// What poll() receives: for now just the waker of the task being polled.
class Context {
public:
    // Borrows the waker: it must outlive the context.
    explicit Context(const Waker& waker) noexcept : waker_(&waker) {}
    Context(Waker&&) = delete;  // a temporary would not outlive the context

    const Waker& waker() const noexcept { return *waker_; }

private:
    const Waker* waker_;
};

}  // namespace rt
