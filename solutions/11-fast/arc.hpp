// Arc<T>: a small atomically reference-counted pointer, as Rust's Arc.
#pragma once

#include <atomic>
#include <cstddef>
#include <utility>

namespace rt {

// Shared ownership of one T, with the count and the T in one allocation.
// Copying adds an owner, destroying removes one; the last owner destroys the
// T. Access is shared (const) only, as in Rust: a T that must change while
// shared guards its own state (a mutex, an atomic).
template <class T>
class Arc {
    struct Inner;

public:
    template <class U, class... Args>
    friend Arc<U> make_arc(Args&&... args);

    Arc(const Arc& other) noexcept : inner_(other.inner_) {
        if (inner_ != nullptr) retain(inner_);
    }
    Arc(Arc&& other) noexcept : inner_(std::exchange(other.inner_, nullptr)) {}
    Arc& operator=(Arc other) noexcept {
        std::swap(inner_, other.inner_);
        return *this;  // `other` now holds the old pointer and releases it
    }
    ~Arc() {
        if (inner_ != nullptr) release(inner_);
    }

    const T& operator*() const noexcept { return inner_->value; }
    const T* operator->() const noexcept { return &inner_->value; }

    // How many Arcs (and raw handles) share the object. A snapshot: other
    // threads may change it at any time.
    std::size_t strong_count() const noexcept { return inner_->count.load(std::memory_order_relaxed); }

    // Raw handles, for vtables that only carry a `const void*`:
    // into_raw() gives up this Arc's ownership as an opaque pointer;
    // from_raw() takes that ownership back; borrow_raw() looks at the object
    // without owning it; retain_raw() adds one owner to a raw handle.
    const void* into_raw() && noexcept { return std::exchange(inner_, nullptr); }
    static Arc from_raw(const void* raw) noexcept { return Arc(inner_of(raw)); }
    static const T& borrow_raw(const void* raw) noexcept { return inner_of(raw)->value; }
    static void retain_raw(const void* raw) noexcept { retain(inner_of(raw)); }

private:
    struct Inner {
        template <class... Args>
        explicit Inner(Args&&... args) : value(std::forward<Args>(args)...) {}
        std::atomic<std::size_t> count{1};
        T value;
    };

    explicit Arc(Inner* inner) noexcept : inner_(inner) {}

    // NOTE: a raw handle is an Inner* that into_raw() turned into a
    // const void*; the const only says that the handle gives shared access.
    static Inner* inner_of(const void* raw) noexcept { return static_cast<Inner*>(const_cast<void*>(raw)); }

    // A new owner needs no ordering: it already has a reference to show for it.
    static void retain(Inner* inner) noexcept { inner->count.fetch_add(1, std::memory_order_relaxed); }

    // NOTE: acq_rel: every owner's uses of the T happen before the last owner
    // deletes it (release by each, acquire by the last). Rust uses a release
    // decrement and an acquire fence; ThreadSanitizer does not understand
    // standalone fences, so we order the decrement itself.
    static void release(Inner* inner) noexcept {
        if (inner->count.fetch_sub(1, std::memory_order_acq_rel) == 1) delete inner;
    }

    Inner* inner_;  // null only once moved from
};

// Makes a T from `args` in one allocation with its count, owned by one Arc.
template <class T, class... Args>
Arc<T> make_arc(Args&&... args) {
    return Arc<T>(new typename Arc<T>::Inner(std::forward<Args>(args)...));
}

}  // namespace rt
