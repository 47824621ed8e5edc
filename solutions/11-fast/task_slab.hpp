// TaskSlab: one executor's task memory, carved from big chunks and kept in
// free lists by size class, so that spawning reuses what a finished task left.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace rt::detail {

// Blocks of 16-byte size classes, up to 1 KiB, for the tasks of one
// Executor(). Its owner is the thread running the executor (one at a time,
// handed over under the executor's mutex): only the owner allocates and
// frees through the local lists, with no atomic operation at all. A block
// freed on any other thread (a JoinHandle dropped there, a waker's last
// drop) goes on the remote list, a lock-free stack the owner takes whole
// when a local list runs dry (mimalloc's "thread free" list; Tokio leaves
// this to the allocator). Memory is carved from chunks of 16 KiB to 1 MiB,
// mapped with their pages filled in, and goes back to the system only with
// the slab: the executor's peak stays reserved.
class TaskSlab {
public:
    static constexpr std::size_t step = 16;
    static constexpr std::size_t classes = 64;  // blocks up to 1 KiB; larger ones come from the heap
    static constexpr std::size_t first_chunk = 16 * 1024;
    static constexpr std::size_t max_chunk = 1024 * 1024;

    TaskSlab() = default;
    // Every block must have come back (its executor's last task is gone): the chunks go.
    ~TaskSlab();
    TaskSlab(const TaskSlab&) = delete;
    TaskSlab& operator=(const TaskSlab&) = delete;

    // Whether a block of `bytes` comes from the slab (else: from the heap).
    static bool fits(std::size_t bytes) noexcept { return bytes > 0 && size_class(bytes) < classes; }

    // A block of `bytes` (fits(bytes)): a freed one of its class if any,
    // else one carved from the current chunk. The owner only.
    void* allocate(std::size_t bytes);

    // Takes back a block of `bytes`, on the owner's thread: onto its class's local list.
    void free_local(void* block, std::size_t bytes);
    // Takes back a block of `bytes` on any other thread: onto the remote list.
    void free_remote(void* block, std::size_t bytes);

    // A fresh block of `bytes` from the current chunk (a new chunk when it
    // is spent). The owner only; allocate() calls it when no list has one.
    void* carve(std::size_t bytes);

    // Moves every block of the remote list onto its class's local list. The owner only.
    void drain_remote();

    // For tests: blocks on the local list of `bytes`' class, and on the remote list.
    std::size_t kept(std::size_t bytes) const noexcept;
    std::size_t remote() const noexcept;
    std::size_t chunks() const noexcept { return chunks_.size(); }

private:
    // A free block: its first bytes link it in a list and name its class.
    struct Free {
        Free* next;
        std::uint32_t size_class;
    };
    static std::size_t size_class(std::size_t bytes) noexcept { return (bytes - 1) / step; }
    static std::size_t class_bytes(std::size_t c) noexcept { return (c + 1) * step; }
    // AddressSanitizer builds: a free block's bytes past its link are
    // poisoned, so a use after free is still reported as one.
    static void poison(void* block, std::size_t bytes) noexcept;
    static void unpoison(void* block, std::size_t bytes) noexcept;
    static void* map_chunk(std::size_t bytes);
    static void unmap_chunk(void* memory, std::size_t bytes) noexcept;

    Free* lists_[classes] = {};       // the owner's
    std::atomic<Free*> remote_{nullptr};  // any thread pushes; the owner takes all
    struct Chunk {
        void* memory;
        std::size_t bytes;
    };
    std::vector<Chunk> chunks_;       // every chunk, freed with the slab
    std::size_t chunk_bytes_ = 0;     // the current chunk's size
    char* bump_ = nullptr;            // the current chunk's unused part
    char* bump_end_ = nullptr;
};

}  // namespace rt::detail
