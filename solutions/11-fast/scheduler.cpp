#include "scheduler.hpp"

#include "pool.hpp"
#include "task.hpp"

namespace rt::detail {

void TaskQueue::push(TaskHeader* task) noexcept {
    task->next_ready = nullptr;
    if (tail_ != nullptr) tail_->next_ready = task;
    else head_ = task;
    tail_ = task;
}

TaskHeader* TaskQueue::pop() noexcept {
    TaskHeader* task = head_;
    if (task == nullptr) return nullptr;
    head_ = task->next_ready;
    if (head_ == nullptr) tail_ = nullptr;
    task->next_ready = nullptr;
    return task;
}

void TaskQueue::append(TaskQueue& other) noexcept {
    if (other.head_ == nullptr) return;
    if (tail_ != nullptr) tail_->next_ready = other.head_;
    else head_ = other.head_;
    tail_ = other.tail_;
    other.head_ = other.tail_ = nullptr;
}

namespace {
thread_local const Scheduler* current_scheduler = nullptr;
}  // namespace

ExecutorThread::ExecutorThread(const Scheduler* scheduler) noexcept : previous_(current_scheduler) {
    current_scheduler = scheduler;
}
ExecutorThread::~ExecutorThread() { current_scheduler = previous_; }
const Scheduler* ExecutorThread::current() noexcept { return current_scheduler; }

bool Scheduler::on_executor_thread() const noexcept { return current_scheduler == this; }

Scheduler::Scheduler(std::size_t workers, bool slab)
    : pool_(workers > 0 ? std::make_unique<Pool>(workers) : nullptr),
      slab_(slab && workers == 0 ? std::make_unique<TaskSlab>() : nullptr) {}

Scheduler::~Scheduler() = default;

bool Scheduler::requeue(TaskHeader* task) const {
    if (pool_) return pool_->push(task, /*yield=*/true);
    return push(task);
}

bool Scheduler::push(TaskHeader* task) const {
    if (pool_) return pool_->push(task, /*yield=*/false);
    if (on_executor_thread()) {
        local_.push(task);  // we are running: the executor will find it, no need to wake it
        return true;
    }
    {
        std::lock_guard lock(mutex_);
        if (closed_) return false;
        remote_.push(task);
        // seq_cst: this store, then notify()'s look at the loop's flag,
        // against the loop's store of its flag, then its look here.
        remote_pending_.store(true, std::memory_order_seq_cst);
        signal_.notify();
    }
    return true;
}

void Scheduler::notify() const {
    std::lock_guard lock(mutex_);
    signal_.notify();
}

bool Scheduler::prepare_to_block(const std::atomic<bool>& main_woken) const {
    run_hook(loop_hooks().before_announce);  // a test seam: a wake from another thread may come here
    signal_.announce_blocking();
    // seq_cst loads: they may not move before the announcement.
    if (!local_.empty() || remote_pending_.load(std::memory_order_seq_cst) ||
        main_woken.load(std::memory_order_seq_cst)) {
        signal_.done_blocking();  // withdrawn: a wake from now on needs no write
        return false;
    }
    return true;
}

TaskHeader* Scheduler::pop() const {
    // The remote queue when the local one is empty, and every 31st pop
    // anyway: a task that keeps waking itself locally must not starve tasks
    // that other threads have woken.
    if ((local_.empty() || ++pops_ % 31 == 0) && remote_pending_.load(std::memory_order_acquire)) {
        // Take every remote task at once: one lock per batch, not per task.
        std::lock_guard lock(mutex_);
        local_.append(remote_);
        remote_pending_.store(false, std::memory_order_relaxed);
    }
    return local_.pop();
}

TaskQueue Scheduler::close() const {
    std::lock_guard lock(mutex_);
    closed_ = true;
    signal_.close();
    TaskQueue all;
    if (pool_) {
        TaskQueue pooled = pool_->drain();  // the workers are joined: their rings are ours
        all.append(pooled);
    }
    all.append(local_);
    all.append(remote_);
    return all;
}

}  // namespace rt::detail
