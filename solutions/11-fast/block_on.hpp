// BlockOnGuard: refuses a block_on nested inside another, or inside a task.
#pragma once

namespace rt::detail {

// Marks this thread as inside a block_on (rt::block_on or Executor::block_on)
// until destroyed. Throws std::logic_error if it is already inside one, or
// runs an executor's task: a nested block_on would block the outer future,
// or every task, which could then never finish.
class BlockOnGuard {
public:
    BlockOnGuard();
    ~BlockOnGuard();
    BlockOnGuard(const BlockOnGuard&) = delete;
    BlockOnGuard& operator=(const BlockOnGuard&) = delete;
};

}  // namespace rt::detail
