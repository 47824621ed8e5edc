#include "waker.hpp"

#include <stdexcept>
#include <utility>

#include "report.hpp"
#include "todo.hpp"

namespace rt {

// ANCHOR: vtable-check
const RawWakerVTable& Waker::vtable() const {
    if (raw_.vtable == nullptr)
        throw std::logic_error("rt::Waker: used after it was moved from or woken by value");
    return *raw_.vtable;
}
// ANCHOR_END: vtable-check

// ANCHOR: clone
Waker::Waker(const Waker& other) : raw_{nullptr, nullptr} {
    // BEGIN EXERCISE ex1: clone a Waker through its vtable
    raw_ = other.vtable().clone(other.raw_.data);
    // END EXERCISE ex1
}
// ANCHOR_END: clone

// ANCHOR: copy-move
Waker& Waker::operator=(const Waker& other) {
    Waker copy(other);  // clone first: if `other` is *this, it stays valid
    std::swap(raw_, copy.raw_);
    return *this;  // `copy` now holds the old waker and drops it
}

// A move takes the RawWaker and empties the source, whose destructor then
// does nothing: no clone, no drop, like a Rust move.
Waker::Waker(Waker&& other) noexcept : raw_(std::exchange(other.raw_, RawWaker{nullptr, nullptr})) {}

Waker& Waker::operator=(Waker&& other) noexcept {
    Waker taken(std::move(other));
    std::swap(raw_, taken.raw_);
    return *this;  // `taken` now holds the old waker and drops it
}
// ANCHOR_END: copy-move

// ANCHOR: drop
// A destructor must not throw, so a drop that does has nowhere to go: its
// exception is reported (report.hpp), and the program goes on.
Waker::~Waker() {
    if (raw_.vtable == nullptr) return;
    try {
        raw_.vtable->drop(raw_.data);
    } catch (...) {
        detail::report_exception("rt::Waker: a waker's drop threw");
    }
}
// ANCHOR_END: drop

// ANCHOR: wake
void Waker::wake() && {
    // BEGIN EXERCISE ex1: wake a Waker by value, consuming it
    const RawWakerVTable& table = vtable();
    const void* data = std::exchange(raw_, RawWaker{nullptr, nullptr}).data;
    table.wake(data);  // wake releases the waker itself: our destructor must not drop it again
    // END EXERCISE ex1
}

void Waker::wake_by_ref() const {
    // BEGIN EXERCISE ex1: wake a Waker by reference
    vtable().wake_by_ref(raw_.data);
    // END EXERCISE ex1
}
// ANCHOR_END: wake

// ANCHOR: will-wake
bool Waker::will_wake(const Waker& other) const noexcept {
    return raw_.data == other.raw_.data && raw_.vtable == other.raw_.vtable;
}
// ANCHOR_END: will-wake

// ANCHOR: noop
namespace {

RawWaker noop_clone(const void* data);
void noop_wake(const void*) {}  // also serves as wake_by_ref and drop: nothing to do

constexpr RawWakerVTable noop_vtable{noop_clone, noop_wake, noop_wake, noop_wake};

RawWaker noop_clone(const void* data) {
    // BEGIN EXERCISE ex2: clone the no-op waker
    return RawWaker{data, &noop_vtable};
    // END EXERCISE ex2
}

}  // namespace

const Waker& Waker::noop() {
    // BEGIN EXERCISE ex2: return the no-op waker
    static const Waker waker = Waker::from_raw(RawWaker{nullptr, &noop_vtable});
    return waker;
    // END EXERCISE ex2
}
// ANCHOR_END: noop

}  // namespace rt
