// waker_from: a Waker over a reference-counted object, its vtable written once per type.
#pragma once

#include <concepts>

#include "arc.hpp"
#include "todo.hpp"
#include "waker.hpp"

namespace rt {

// ANCHOR: wake-concept
// What a waker can be made of: something that can be woken through a shared reference.
template <class W>
concept Wake = requires(const W& w) {
    { w.wake() } -> std::same_as<void>;
};
// ANCHOR_END: wake-concept

namespace detail {

// ANCHOR: arc-waker-vtable
// The four vtable functions for a waker over Arc<W>. The data pointer is an
// Arc<W> raw handle: each waker (each clone) owns one count.
template <Wake W>
struct ArcWakerVTable {
    static RawWaker clone(const void* data) {
        // BEGIN EXERCISE ex2: clone: one more owner of the same W, no allocation
        Arc<W>::retain_raw(data);
        return RawWaker{data, &vtable};
        // END EXERCISE ex2
    }

    static void wake(const void* data) {
        // BEGIN EXERCISE ex2: wake by value: wake the W, then give up this waker's count
        Arc<W> owner = Arc<W>::from_raw(data);
        owner->wake();
        // END EXERCISE ex2
    }

    static void wake_by_ref(const void* data) {
        // BEGIN EXERCISE ex2: wake by reference: wake the W, keep the count
        Arc<W>::borrow_raw(data).wake();
        // END EXERCISE ex2
    }

    // Taking the count back into an Arc that dies at once releases it.
    static void drop(const void* data) { Arc<W>::from_raw(data); }

    static constexpr RawWakerVTable vtable{clone, wake, wake_by_ref, drop};
};
// ANCHOR_END: arc-waker-vtable

}  // namespace detail

// ANCHOR: waker-from
// A Waker that calls w->wake(). The waker owns `w`'s count; its clones
// share the W, and the last one dropped destroys it.
template <Wake W>
Waker waker_from(Arc<W> w) {
    return Waker::from_raw(RawWaker{std::move(w).into_raw(), &detail::ArcWakerVTable<W>::vtable});
}
// ANCHOR_END: waker-from

}  // namespace rt
