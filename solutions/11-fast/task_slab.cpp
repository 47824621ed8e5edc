#include "task_slab.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <new>

#include "todo.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define RT_SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RT_SLAB_ASAN 1
#endif
#endif
#ifdef RT_SLAB_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace rt::detail {

TaskSlab::~TaskSlab() {
    for (Chunk chunk : chunks_) unmap_chunk(chunk.memory, chunk.bytes);
}

void* TaskSlab::map_chunk(std::size_t bytes) {
#ifdef RT_SLAB_ASAN
    // The leak checker looks for pointers in the heap's memory, not in a
    // mapping of ours: a task's future pointing at a heap object would look leaked.
    return ::operator new(bytes);
#else
    // MAP_POPULATE: the kernel fills in every page now, in one call, rather
    // than one page fault per 4 KiB as the tasks first touch them (a page
    // fault in a VM costs microseconds: the profile of spawn + join shows it).
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    return memory;
#endif
}

void TaskSlab::unmap_chunk(void* memory, [[maybe_unused]] std::size_t bytes) noexcept {
#ifdef RT_SLAB_ASAN
    unpoison(memory, bytes);
    ::operator delete(memory);
#else
    munmap(memory, bytes);  // cannot fail for a whole mapping of ours
#endif
}

void TaskSlab::poison([[maybe_unused]] void* block, [[maybe_unused]] std::size_t bytes) noexcept {
#ifdef RT_SLAB_ASAN
    ASAN_POISON_MEMORY_REGION(static_cast<char*>(block) + sizeof(Free), bytes - sizeof(Free));
#endif
}

void TaskSlab::unpoison([[maybe_unused]] void* block, [[maybe_unused]] std::size_t bytes) noexcept {
#ifdef RT_SLAB_ASAN
    ASAN_UNPOISON_MEMORY_REGION(block, bytes);
#endif
}

// ANCHOR: allocate
void* TaskSlab::allocate(std::size_t bytes) {
    // BEGIN EXERCISE ex2: allocate from the local list, else drain the remote one, else carve
    std::size_t c = size_class(bytes);
    // Nothing freed here lately: perhaps other threads freed some.
    if (lists_[c] == nullptr && remote_.load(std::memory_order_relaxed) != nullptr) drain_remote();
    Free* block = lists_[c];
    if (block == nullptr) return carve(bytes);  // none of this size anywhere: a fresh one
    lists_[c] = block->next;
    unpoison(block, class_bytes(c));
    return block;
    // END EXERCISE ex2
}
// ANCHOR_END: allocate

// ANCHOR: free
void TaskSlab::free_local(void* block, std::size_t bytes) {
    std::size_t c = size_class(bytes);
    poison(block, class_bytes(c));  // all but the link: the block is free from here on
    // BEGIN EXERCISE ex1: give a block back, on the owner's thread or from another
    // Only the owner touches its lists: a plain push, no atomic.
    lists_[c] = ::new (block) Free{lists_[c], static_cast<std::uint32_t>(c)};
    // END EXERCISE ex1
}

void TaskSlab::free_remote(void* block, std::size_t bytes) {
    std::size_t c = size_class(bytes);
    // Before the push: once pushed, the owner may take the block and use it.
    poison(block, class_bytes(c));
    // BEGIN EXERCISE ex1: give a block back, on the owner's thread or from another
    Free* node = ::new (block) Free{remote_.load(std::memory_order_relaxed), static_cast<std::uint32_t>(c)};
    // Push onto the stack: retry while another thread pushed in between
    // (compare_exchange reloads node->next). NOTE: release, so that the
    // owner, taking the list with acquire, sees the link and the class, and
    // every write this thread made to the task before freeing it. No ABA
    // problem: only the owner pops, and it takes the whole list at once.
    while (!remote_.compare_exchange_weak(node->next, node, std::memory_order_release, std::memory_order_relaxed)) {
    }
    // END EXERCISE ex1
}
// ANCHOR_END: free

// ANCHOR: drain
void TaskSlab::drain_remote() {
    // NOTE: acquire, against free_remote's release: the blocks are ours now.
    Free* node = remote_.exchange(nullptr, std::memory_order_acquire);
    while (node != nullptr) {
        Free* next = node->next;
        node->next = lists_[node->size_class];
        lists_[node->size_class] = node;
        node = next;
    }
}
// ANCHOR_END: drain

// ANCHOR: carve
void* TaskSlab::carve(std::size_t bytes) {
    std::size_t size = class_bytes(size_class(bytes));
    if (bump_ == nullptr || static_cast<std::size_t>(bump_end_ - bump_) < size) {
        // The current chunk's tail, if any, is too small: it stays unused.
        // Chunks double, from 16 KiB up to 1 MiB: a small executor (one
        // rt::block_on) reserves little, a busy one maps few chunks.
        std::size_t chunk = chunks_.empty() ? first_chunk : std::min(chunk_bytes_ * 2, max_chunk);
        chunks_.reserve(chunks_.size() + 1);  // before the chunk: a throw here leaks nothing
        bump_ = static_cast<char*>(map_chunk(chunk));
        bump_end_ = bump_ + chunk;
        chunk_bytes_ = chunk;
        chunks_.push_back({bump_, chunk});
    }
    void* block = bump_;
    bump_ += size;
    return block;
}
// ANCHOR_END: carve

std::size_t TaskSlab::kept(std::size_t bytes) const noexcept {
    std::size_t n = 0;
    for (Free* f = lists_[size_class(bytes)]; f != nullptr; f = f->next) ++n;
    return n;
}

std::size_t TaskSlab::remote() const noexcept {
    std::size_t n = 0;
    for (Free* f = remote_.load(std::memory_order_acquire); f != nullptr; f = f->next) ++n;
    return n;
}

}  // namespace rt::detail
