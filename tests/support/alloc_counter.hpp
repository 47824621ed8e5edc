// Counting heap allocations in tests: global operator new is replaced (in
// alloc_counter.cpp) to count the allocations of a thread while asked to.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define TEST_COUNTS_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_COUNTS_ALLOCATIONS 0
#endif
#endif
#ifndef TEST_COUNTS_ALLOCATIONS
// Replacing operator new collides with clang's static ThreadSanitizer
// runtime, so the TSan build does not count (the other builds do).
#define TEST_COUNTS_ALLOCATIONS 1
#endif

namespace test {

// Counts the allocations this thread makes while it exists.
class CountAllocations {
public:
    CountAllocations();
    ~CountAllocations();
    CountAllocations(const CountAllocations&) = delete;
    CountAllocations& operator=(const CountAllocations&) = delete;

    long count() const;

private:
    long start_;
};

}  // namespace test
