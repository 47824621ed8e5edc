#include "alloc_counter.hpp"

#include <cstdlib>
#include <new>

namespace {
thread_local long allocations = 0;
thread_local int counting = 0;
}  // namespace

namespace test {

CountAllocations::CountAllocations() : start_(allocations) { ++counting; }
CountAllocations::~CountAllocations() { --counting; }
long CountAllocations::count() const { return allocations - start_; }

}  // namespace test

#if TEST_COUNTS_ALLOCATIONS
// The replacements every other form of new and delete forwards to.
void* operator new(std::size_t size) {
    if (counting > 0) ++allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif
