#include "waker.hpp"

#include <stdexcept>
#include <utility>

#include "report.hpp"

namespace rt {

const RawWakerVTable& Waker::vtable() const {
    if (raw_.vtable == nullptr)
        throw std::logic_error("rt::Waker: used after it was moved from or woken by value");
    return *raw_.vtable;
}

Waker::Waker(const Waker& other) : raw_{nullptr, nullptr} {
    raw_ = other.vtable().clone(other.raw_.data);
}

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

void Waker::wake() && {
    const RawWakerVTable& table = vtable();
    const void* data = std::exchange(raw_, RawWaker{nullptr, nullptr}).data;
    table.wake(data);  // wake releases the waker itself: our destructor must not drop it again
}

void Waker::wake_by_ref() const {
    vtable().wake_by_ref(raw_.data);
}

bool Waker::will_wake(const Waker& other) const noexcept {
    return raw_.data == other.raw_.data && raw_.vtable == other.raw_.vtable;
}

namespace {

RawWaker noop_clone(const void* data);
void noop_wake(const void*) {}  // also serves as wake_by_ref and drop: nothing to do

constexpr RawWakerVTable noop_vtable{noop_clone, noop_wake, noop_wake, noop_wake};

RawWaker noop_clone(const void* data) {
    return RawWaker{data, &noop_vtable};
}

}  // namespace

const Waker& Waker::noop() {
    static const Waker waker = Waker::from_raw(RawWaker{nullptr, &noop_vtable});
    return waker;
}

}  // namespace rt
