// FramePool: coroutine frames freed on a thread, kept for its next calls.
#pragma once

#include <array>
#include <cstddef>
#include <new>
#include <utility>

namespace rt::detail {

#if defined(__SANITIZE_ADDRESS__)
#define RT_FRAME_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RT_FRAME_POOL 0
#endif
#endif
#ifndef RT_FRAME_POOL
// AddressSanitizer sees a use after free only in memory given back to the
// heap: a frame kept in a pool would hide one. Its builds do without.
#define RT_FRAME_POOL 1
#endif

// Free lists by size class (64-byte steps, frames up to 16 KiB), one pool
// per thread. A frame goes to the pool of the thread that frees it, which
// may not be the one that allocated it: the memory is the heap's either
// way. Each list keeps at most max_kept frames; the rest go back to the
// heap, and so does every list when its thread ends.
class FramePool {
public:
    static constexpr std::size_t step = 64;
    static constexpr std::size_t classes = 256;
    static constexpr std::size_t max_kept = 64;
    static constexpr bool compiled_in = RT_FRAME_POOL;

    FramePool() = default;
    FramePool(const FramePool&) = delete;
    FramePool& operator=(const FramePool&) = delete;
    // The thread ends: its kept frames go back to the heap. A frame freed
    // later still (by another thread-local object's destructor, say) goes
    // straight to the heap: the pool is off from here on.
    ~FramePool() {
        enabled_ = false;
        for (Free*& list : lists_)
            while (list != nullptr) ::operator delete(std::exchange(list, list->next));
    }

    // A block of at least `bytes`; `heap` is set when it came from the heap.
    void* allocate(std::size_t bytes, bool& heap) {
        std::size_t c = size_class(bytes);
        heap = !(enabled_ && c < classes && lists_[c] != nullptr);
        if (heap) return ::operator new(c < classes ? (c + 1) * step : bytes);
        Free* block = lists_[c];
        lists_[c] = block->next;
        --kept_[c];
        return block;
    }

    // Takes back a block of `bytes` (the size it was allocated for).
    void deallocate(void* block, std::size_t bytes) noexcept {
        std::size_t c = size_class(bytes);
        if (!enabled_ || c >= classes || kept_[c] == max_kept) {
            ::operator delete(block);
            return;
        }
        lists_[c] = ::new (block) Free{lists_[c]};
        ++kept_[c];
    }

    // Off: every frame comes from the heap and goes back to it (the example
    // measures both ways). Frames kept so far stay until the thread ends.
    void set_enabled(bool on) noexcept { enabled_ = on && compiled_in; }
    bool enabled() const noexcept { return enabled_; }

private:
    struct Free {
        Free* next;
    };
    static std::size_t size_class(std::size_t bytes) noexcept { return (bytes - 1) / step; }

    std::array<Free*, classes> lists_{};
    std::array<std::size_t, classes> kept_{};
    bool enabled_ = compiled_in;
};

inline FramePool& frame_pool() noexcept {
    thread_local FramePool pool;
    return pool;
}

}  // namespace rt::detail
