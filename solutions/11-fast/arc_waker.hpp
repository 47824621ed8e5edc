// waker_from: a Waker over a reference-counted object, its vtable written once per type.
#pragma once

#include <concepts>

#include "arc.hpp"
#include "waker.hpp"

namespace rt {

// What a waker can be made of: something that can be woken through a shared reference.
template <class W>
concept Wake = requires(const W& w) {
    { w.wake() } -> std::same_as<void>;
};

namespace detail {

// The four vtable functions for a waker over Arc<W>. The data pointer is an
// Arc<W> raw handle: each waker (each clone) owns one count.
template <Wake W>
struct ArcWakerVTable {
    static RawWaker clone(const void* data) {
        Arc<W>::retain_raw(data);
        return RawWaker{data, &vtable};
    }

    static void wake(const void* data) {
        Arc<W> owner = Arc<W>::from_raw(data);
        owner->wake();
    }

    static void wake_by_ref(const void* data) {
        Arc<W>::borrow_raw(data).wake();
    }

    // Taking the count back into an Arc that dies at once releases it.
    static void drop(const void* data) { Arc<W>::from_raw(data); }

    static constexpr RawWakerVTable vtable{clone, wake, wake_by_ref, drop};
};

}  // namespace detail

// A Waker that calls w->wake(). The waker owns `w`'s count; its clones
// share the W, and the last one dropped destroys it.
template <Wake W>
Waker waker_from(Arc<W> w) {
    return Waker::from_raw(RawWaker{std::move(w).into_raw(), &detail::ArcWakerVTable<W>::vtable});
}

}  // namespace rt
