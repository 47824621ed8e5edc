#include "pool.hpp"

#include <algorithm>
#include <utility>

#include "driver.hpp"
#include "loop_signal.hpp"
#include "task.hpp"
#include "trace.hpp"

namespace rt::detail {

namespace {
thread_local Pool* current_pool = nullptr;
thread_local std::size_t current_index = 0;
thread_local bool wake_behind = false;
}  // namespace

Pool::WakeBehind::WakeBehind() noexcept : previous_(std::exchange(wake_behind, true)) {}
Pool::WakeBehind::~WakeBehind() { wake_behind = previous_; }

WorkerThread::WorkerThread(Pool& pool, std::size_t index) noexcept
    : previous_pool_(current_pool), previous_index_(current_index) {
    current_pool = &pool;
    current_index = index;
}

WorkerThread::~WorkerThread() {
    current_pool = previous_pool_;
    current_index = previous_index_;
}

Pool* Pool::current(std::size_t* index) noexcept {
    if (index != nullptr) *index = current_index;
    return current_pool;
}

PoolHooks& pool_hooks() {
    thread_local PoolHooks hooks;
    return hooks;
}

void WorkerParker::unpark(int driver_signal) {
    stress::point();
    switch (state.exchange(notified, std::memory_order_seq_cst)) {
    case empty:
    case notified:
        return;  // running: it looks at its state before it sleeps
    case parked_condvar: {
        // Lock and unlock first: the worker checks the state under the
        // mutex before it waits, so it cannot miss this notify.
        { std::lock_guard lock(mutex); }
        condvar.notify_one();
        return;
    }
    case parked_driver:
        // A failed write means the counter is full: the driver is woken already.
        (void)sys::event_fd_signal(driver_signal);
        return;
    }
}

Pool::Pool(std::size_t workers) : signal_(sys::event_fd()), unparked_(static_cast<std::uint32_t>(workers)) {
    for (std::size_t i = 0; i < workers; ++i) {
        workers_.push_back(std::make_unique<Worker>());
        workers_.back()->random = 0x9e3779b97f4a7c15ULL * (i + 1);
    }
}

Pool::~Pool() = default;

void Pool::drain_signal() noexcept { (void)sys::event_fd_drain(signal_.get()); }

bool Pool::push(TaskHeader* task, bool yield) {
    std::size_t index = 0;
    if (current(&index) == this) {
        // Even once shut down: the worker is about to leave its loop, and the
        // executor's destructor drains its queues after joining it. (Refused
        // here, a task woken during its own last poll would be in no queue,
        // holding the queue's reference for ever.)
        push_local(*workers_[index], task, yield || wake_behind);
        return true;
    }
    if (!push_inject(task)) return false;
    notify_parked();  // from outside: nobody here will run it
    return true;
}

void Pool::push_local(Worker& worker, TaskHeader* task, bool yield) {
    bool notify = true;
    if (yield) {
        push_back_or_overflow(worker, task);  // it gave the thread away: behind the others
    } else {
        // The task just woken goes in the LIFO slot: it runs next, while
        // what it needs is still in the cache. The one it displaces goes to
        // the ring, where others may steal it: a reason to wake one.
        TaskHeader* previous = std::exchange(worker.lifo, task);
        notify = previous != nullptr;
        if (previous != nullptr) push_back_or_overflow(worker, previous);
    }
    // A task in the ring that this worker will not reach soon: unless
    // someone is searching already, wake a sleeper to steal it. Inside
    // park() (the driver's events) the worker decides once it is out.
    if (notify && !worker.in_park) notify_parked();
}

void Pool::push_back_or_overflow(Worker& worker, TaskHeader* task) {
    if (worker.ring.push_back(task)) return;
    // Full: the older half of the ring and this task go to the injection
    // queue in one batch, under one lock (Tokio's way): one task at a time,
    // a worker that spawns a thousand tasks would take the lock 744 times.
    TaskQueue batch;
    std::size_t count = worker.ring.take_half(batch) + 1;
    batch.push(task);
    // Even once shut down (closed to pushes from outside): the executor's
    // destructor finds them here.
    std::lock_guard lock(inject_mutex_);
    inject_.append(batch);
    inject_len_.fetch_add(count, std::memory_order_seq_cst);
}

bool Pool::push_inject(TaskHeader* task) {
    std::lock_guard lock(inject_mutex_);
    if (inject_closed_) return false;
    inject_.push(task);
    inject_len_.fetch_add(1, std::memory_order_seq_cst);
    return true;
}

TaskHeader* Pool::pop_inject() {
    if (inject_len_.load(std::memory_order_acquire) == 0) return nullptr;
    std::lock_guard lock(inject_mutex_);
    TaskHeader* task = inject_.pop();
    if (task != nullptr) inject_len_.fetch_sub(1, std::memory_order_relaxed);
    return task;
}

TaskHeader* Pool::pop_inject_batch(Worker& worker) {
    if (inject_len_.load(std::memory_order_acquire) == 0) return nullptr;
    std::lock_guard lock(inject_mutex_);
    std::size_t len = inject_len_.load(std::memory_order_relaxed);
    if (len == 0) return nullptr;
    // A fair share, not all: the others may want some too. At most half a ring.
    std::size_t batch = std::min<std::size_t>(len / workers_.size() + 1, LocalQueue::capacity / 2);
    TaskHeader* first = inject_.pop();
    std::size_t taken = 1;
    while (taken < batch) {
        TaskHeader* task = inject_.pop();
        if (task == nullptr) break;
        ++taken;
        if (!worker.ring.push_back(task)) {
            inject_.push(task);  // the ring is full after all (cannot be: it was empty); keep it
            --taken;
            break;
        }
    }
    inject_len_.fetch_sub(taken, std::memory_order_relaxed);
    return first;
}

TaskHeader* Pool::next_task(std::size_t index) {
    Worker& worker = *workers_[index];
    ++worker.tick;
    // 1. Every 61st tick, the injection queue first: with local work that
    //    never runs out, tasks from outside would otherwise wait for ever.
    if (worker.tick % global_interval == 0) {
        if (TaskHeader* task = pop_inject()) return task;
    }
    // 2. The LIFO slot, a few times in a row at most: two tasks that wake
    //    each other would otherwise keep the ring waiting.
    if (worker.lifo != nullptr) {
        if (worker.lifo_polls < max_lifo_polls) {
            ++worker.lifo_polls;
            return std::exchange(worker.lifo, nullptr);
        }
        push_back_or_overflow(worker, std::exchange(worker.lifo, nullptr));
    }
    worker.lifo_polls = 0;
    // 3. The ring, oldest first.
    if (TaskHeader* task = worker.ring.pop()) return task;
    // 4. The injection queue, a batch of it into the ring.
    return pop_inject_batch(worker);
}

TaskHeader* Pool::steal_work(std::size_t index) {
    Worker& worker = *workers_[index];
    // At most half the workers search at once: more would fight over the same rings.
    if (!transition_to_searching(worker)) return nullptr;
    std::size_t n = workers_.size();
    // Start somewhere else each time, so that thieves do not all pick the same victim.
    worker.random ^= worker.random << 13, worker.random ^= worker.random >> 7, worker.random ^= worker.random << 17;
    std::size_t start = static_cast<std::size_t>(worker.random % n);
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t victim = (start + i) % n;
        if (victim == index) continue;
        if (TaskHeader* task = workers_[victim]->ring.steal_into(worker.ring)) {
            steals_.fetch_add(1, std::memory_order_relaxed);
            return task;
        }
    }
    // Nothing to steal: the injection queue, last.
    stress::point();
    return pop_inject();
}

void Pool::found_work(std::size_t index) {
    Worker& worker = *workers_[index];
    if (!worker.searching) return;
    worker.searching = false;
    stress::point();
    // The last searcher found something: there may be more, and nobody is
    // looking now. Wake one who will.
    if (searching_.fetch_sub(1, std::memory_order_seq_cst) == 1) notify_parked();
}

bool Pool::transition_to_searching(Worker& worker) {
    if (worker.searching) return true;
    std::uint32_t searching = searching_.load(std::memory_order_seq_cst);
    if (2 * searching >= workers_.size()) return false;
    searching_.fetch_add(1, std::memory_order_seq_cst);
    worker.searching = true;
    return true;
}

void Pool::notify_parked() {
    // The only worker, awake and asking: there is nobody else to wake, and
    // no other thread can be registering as a sleeper. (Saves the fence
    // below on every spawn of a one-worker pool.)
    if (workers_.size() == 1 && current() == this && unparked_.load(std::memory_order_relaxed) == 1) return;
    // seq_cst fence: the task pushed before this must be visible to a worker
    // that registers as a sleeper after our look at the counts (it looks at
    // the queues after registering): one of the two sees the other.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    stress::point();
    auto should_wake = [&] {
        return searching_.load(std::memory_order_seq_cst) == 0 &&
               unparked_.load(std::memory_order_seq_cst) < workers_.size();
    };
    if (!should_wake()) return;  // someone is searching, or nobody sleeps: they will find it
    std::size_t index;
    {
        std::lock_guard lock(sleepers_mutex_);
        if (!should_wake() || sleepers_.empty()) return;
        index = sleepers_.back();
        sleepers_.pop_back();
        // It wakes as a searcher: counted now, so that other pushes meanwhile wake nobody else.
        searching_.fetch_add(1, std::memory_order_seq_cst);
        unparked_.fetch_add(1, std::memory_order_seq_cst);
    }
    workers_[index]->parker.unpark(signal_.get());
}

bool Pool::transition_to_parked(std::size_t index, bool searching) {
    std::lock_guard lock(sleepers_mutex_);
    bool last_searcher = searching && searching_.fetch_sub(1, std::memory_order_seq_cst) == 1;
    unparked_.fetch_sub(1, std::memory_order_seq_cst);
    sleepers_.push_back(index);
    return last_searcher;
}

bool Pool::unregister_sleeper(std::size_t index) {
    std::lock_guard lock(sleepers_mutex_);
    auto found = std::find(sleepers_.begin(), sleepers_.end(), index);
    if (found == sleepers_.end()) return false;  // notified: the notifier counted us back in
    sleepers_.erase(found);
    unparked_.fetch_add(1, std::memory_order_seq_cst);
    return true;
}

bool Pool::is_parked(std::size_t index) const {
    std::lock_guard lock(sleepers_mutex_);
    return std::find(sleepers_.begin(), sleepers_.end(), index) != sleepers_.end();
}

void Pool::notify_if_work_pending() {
    // seq_cst fence: our registration (above) comes before these looks, in
    // the single order that the pusher's fence also takes part in.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    bool work = inject_len_.load(std::memory_order_seq_cst) > 0;
    for (const auto& worker : workers_) work = work || !worker->ring.empty();
    if (work) notify_parked();
}

void Pool::park(std::size_t index) {
    Worker& worker = *workers_[index];
    if (worker.lifo != nullptr || !worker.ring.empty()) return;  // work of our own: no sleep
    stress::point();  // a push from outside may come here, and see us searching still
    // 1. Register first: from now on a push that looks at the counts sees
    //    one sleeper more, and wakes somebody.
    bool last_searcher = transition_to_parked(index, worker.searching);
    worker.searching = false;
    run_hook(pool_hooks().after_register);
    stress::point();
    // 2. The last look. A push that came before our registration saw
    //    somebody searching, and woke nobody: if we were that somebody,
    //    nobody else will look. So we do.
    if (last_searcher) notify_if_work_pending();
    worker.in_park = true;
    while (!is_shut_down()) {
        // 3. Sleep until notified (by notify_parked, or by our own last look).
        park_thread(index);
        // Woken with tasks of our own (the driver's events woke them here):
        // run them, as a searcher only if somebody notified us too.
        if (worker.lifo != nullptr || !worker.ring.empty()) {
            worker.searching = !unregister_sleeper(index);
            break;
        }
        if (is_parked(index)) continue;  // a wake for nobody (a new deadline, say): sleep again
        worker.searching = true;         // notified: notify_parked counted us as a searcher
        break;
    }
    worker.in_park = false;
    // 4. More tasks than we will run soon, and we are not searching (nobody
    //    else may be): wake a sleeper to steal some.
    if (!worker.searching && worker.ring.len() + (worker.lifo != nullptr) > 1) notify_parked();
}

void Pool::park_thread(std::size_t index) {
    WorkerParker& parker = workers_[index]->parker;
    run_hook(pool_hooks().before_sleep);
    // Told to wake already: no sleep.
    int expected = WorkerParker::notified;
    if (parker.state.compare_exchange_strong(expected, WorkerParker::empty, std::memory_order_seq_cst)) return;
    std::unique_lock driver(driver_mutex_, std::try_to_lock);
    if (driver.owns_lock() && driver_ != nullptr) {
        // One worker at a time waits in the driver; its wait ends at the
        // earliest deadline, at an fd's event, or at the eventfd.
        expected = WorkerParker::empty;
        if (!parker.state.compare_exchange_strong(expected, WorkerParker::parked_driver, std::memory_order_seq_cst)) {
            parker.state.store(WorkerParker::empty, std::memory_order_seq_cst);  // notified meanwhile
            return;
        }
        // seq_cst: a worker storing an earlier deadline reads it after its store.
        driver_waiting_.store(true, std::memory_order_seq_cst);
        stress::point();
        Timer& timer = driver_->timer();
        int timeout = Driver::timeout_ms(timer.next_deadline(), timer.now());
        Reactor::Turn turn = driver_->turn(is_shut_down() ? 0 : timeout);
        driver_waiting_.store(false, std::memory_order_seq_cst);
        if (turn.signalled) drain_signal();
        parker.state.store(WorkerParker::empty, std::memory_order_seq_cst);
        return;
    }
    if (driver.owns_lock()) driver.unlock();
    // The driver is taken: the condition variable, until notified.
    trace::Slice traced(trace::Kind::wait_begin, trace::Kind::wait_end);
    std::unique_lock lock(parker.mutex);
    expected = WorkerParker::empty;
    if (!parker.state.compare_exchange_strong(expected, WorkerParker::parked_condvar, std::memory_order_seq_cst)) {
        parker.state.store(WorkerParker::empty, std::memory_order_seq_cst);  // notified meanwhile
        return;
    }
    for (;;) {
        parker.condvar.wait(lock);
        expected = WorkerParker::notified;
        if (parker.state.compare_exchange_strong(expected, WorkerParker::empty, std::memory_order_seq_cst)) return;
        // Spurious: sleep again.
    }
}

bool Pool::look_at_driver() {
    std::unique_lock driver(driver_mutex_, std::try_to_lock);
    if (!driver.owns_lock() || driver_ == nullptr) return false;
    if (driver_->turn(0).signalled) drain_signal();
    return true;
}

void Pool::wake_driver() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (driver_waiting_.load(std::memory_order_seq_cst)) {
        signal_writes_.fetch_add(1, std::memory_order_relaxed);
        (void)sys::event_fd_signal(signal_.get());
    }
}

void Pool::shut_down() {
    {
        std::lock_guard lock(inject_mutex_);
        inject_closed_ = true;
    }
    shut_down_.store(true, std::memory_order_seq_cst);
    for (auto& worker : workers_) worker->parker.unpark(signal_.get());
}

TaskQueue Pool::drain() noexcept {
    TaskQueue all;
    for (auto& worker : workers_) {
        if (TaskHeader* task = std::exchange(worker->lifo, nullptr)) all.push(task);
        while (TaskHeader* task = worker->ring.pop()) all.push(task);
    }
    std::lock_guard lock(inject_mutex_);
    all.append(inject_);
    inject_len_.store(0, std::memory_order_relaxed);
    return all;
}

}  // namespace rt::detail
