// Pool: the workers' queues, the injection queue, and the idle protocol of a many-thread executor.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "local_queue.hpp"
#include "scheduler.hpp"
#include "sys.hpp"

namespace rt::detail {

class Driver;

// Where a worker thread sleeps when it has nothing to do, one per worker.
// Tokio's parker: a state word says whether the worker is running (empty),
// asleep on its condition variable, asleep in the driver's epoll_wait, or
// has been told to wake up (notified). unpark() sets notified and, if the
// worker was asleep, wakes it the way it sleeps.
class WorkerParker {
public:
    enum State : int { empty, parked_condvar, parked_driver, notified };

    // Makes the next (or current) sleep of the worker end; any thread.
    // `driver_signal` is the eventfd that ends a wait in epoll_wait.
    void unpark(int driver_signal);

    std::atomic<int> state{empty};
    std::mutex mutex;
    std::condition_variable condvar;
};

// The pool of a many-thread executor: N workers, each with a local ring, a
// LIFO slot and a parker; a shared injection queue; and the count of
// searching and sleeping workers. It lives in the Scheduler, so that a late
// wake (which holds the Scheduler) never finds it gone.
//
// Worker-side methods (next_task, steal_work, park) run on worker `index`'s
// thread only, or on a thread that has entered as that worker (WorkerThread),
// as the tests do.
class Pool {
public:
    // How often a worker looks at the injection queue first (Tokio: 61, a
    // prime, so it does not fall into step with other periodic work).
    static constexpr std::uint32_t global_interval = 61;
    // How many tasks in a row the LIFO slot may give before the ring's turn.
    static constexpr std::uint32_t max_lifo_polls = 3;

    explicit Pool(std::size_t workers);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    std::size_t size() const noexcept { return workers_.size(); }

    // The driver its parked worker waits in (set once, before any worker runs).
    void attach(Driver* driver) noexcept { driver_ = driver; }
    // The eventfd that ends the driver's wait: the reactor watches it.
    int signal_fd() const noexcept { return signal_.get(); }
    void drain_signal() noexcept;

    // Queues a task a wake or a spawn has just marked SCHEDULED. On one of
    // this pool's worker threads: its LIFO slot (the task just woken runs
    // next), or with `yield` the back of its ring; elsewhere: the injection
    // queue. Then wakes a sleeping worker if nobody is searching. False,
    // and nothing queued, once the pool is shut down (from outside).
    bool push(TaskHeader* task, bool yield);

    // The next task for worker `index`: every 61st tick the injection queue
    // first; then the LIFO slot (three in a row at most), the local ring,
    // the injection queue. Null if all are empty.
    TaskHeader* next_task(std::size_t index);
    // Becomes a searcher (unless half the workers already are), then steals
    // half of another worker's ring, or takes from the injection queue.
    TaskHeader* steal_work(std::size_t index);
    // The worker found a task: it stops searching; the last searcher to
    // stop wakes another worker, who will search for what is left.
    void found_work(std::size_t index);
    // Nothing anywhere: register as a sleeper, look once more, sleep (in the
    // driver if nobody else waits there, else on the condition variable)
    // until notified, or until the driver's events gave this worker tasks.
    void park(std::size_t index);

    // Fires due timers and ready I/O without waiting, if no other worker is
    // in the driver. Returns false if it could not take the driver.
    bool look_at_driver();
    // Ends the driver's wait if a worker waits there (a new earliest
    // deadline must reach it); any thread.
    void wake_driver();

    // Stops the workers: each leaves its loop at its next look; a sleeping
    // one is woken. Pushes from outside are refused from now on.
    void shut_down();
    bool is_shut_down() const noexcept { return shut_down_.load(std::memory_order_acquire); }
    // After the workers have been joined: every queued task, for the executor's destructor.
    TaskQueue drain() noexcept;

    // Counters (tests and the example read them).
    std::size_t steals() const noexcept { return steals_.load(std::memory_order_relaxed); }
    std::size_t signal_writes() const noexcept { return signal_writes_.load(std::memory_order_relaxed); }
    std::size_t injected() const noexcept { return inject_len_.load(std::memory_order_relaxed); }
    std::uint32_t searching() const noexcept { return searching_.load(std::memory_order_seq_cst); }
    std::uint32_t unparked() const noexcept { return unparked_.load(std::memory_order_seq_cst); }
    bool is_parked(std::size_t index) const;
    // What worker `index` holds (tests look; a snapshot from another thread).
    TaskHeader* lifo(std::size_t index) const noexcept { return workers_[index]->lifo; }
    std::uint32_t ring_len(std::size_t index) const noexcept { return workers_[index]->ring.len(); }
    WorkerParker::State parker_state(std::size_t index) const noexcept {
        return static_cast<WorkerParker::State>(workers_[index]->parker.state.load(std::memory_order_acquire));
    }

    // The idle protocol's first step, public for the tests: registers worker
    // `index` as a sleeper (`searching`: it was counted as a searcher); true
    // if it was the last searcher.
    bool transition_to_parked(std::size_t index, bool searching);

    // The pool and worker index this thread runs as, or null.
    static Pool* current(std::size_t* index = nullptr) noexcept;

    // While one exists, wakes on this thread queue the task at the back of
    // this worker's ring, as a yield does, instead of in its LIFO slot.
    class WakeBehind {
    public:
        WakeBehind() noexcept;
        ~WakeBehind();
        WakeBehind(const WakeBehind&) = delete;
        WakeBehind& operator=(const WakeBehind&) = delete;

    private:
        bool previous_;
    };

private:
    friend class WorkerThread;

    struct Worker {
        LocalQueue ring;
        TaskHeader* lifo = nullptr;    // the task just woken here
        std::uint32_t lifo_polls = 0;  // LIFO tasks run in a row
        std::uint32_t tick = 0;        // tasks looked for
        bool searching = false;        // counted in searching_
        bool in_park = false;          // inside park(): its wakes notify nobody until it is out
        std::uint64_t random = 0;      // where stealing starts
        WorkerParker parker;
    };

    // Local push from the worker's own thread.
    void push_local(Worker& worker, TaskHeader* task, bool yield);
    // The ring is full: the task goes to the injection queue.
    void push_back_or_overflow(Worker& worker, TaskHeader* task);
    bool push_inject(TaskHeader* task);
    TaskHeader* pop_inject();
    // Moves a batch from the injection queue into the worker's ring; returns one to run.
    TaskHeader* pop_inject_batch(Worker& worker);

    // The idle protocol (Tokio's idle.rs).
    // Wakes one sleeping worker, as a searcher, if nobody is searching.
    void notify_parked();
    bool transition_to_searching(Worker& worker);
    // Out of the sleepers, woken by the driver's events: true if it was
    // still registered (nobody notified it).
    bool unregister_sleeper(std::size_t index);
    // The last look before sleeping: work in any ring or the injection queue wakes a worker.
    void notify_if_work_pending();
    // One sleep: in the driver, if it is free, else on the condition variable.
    void park_thread(std::size_t index);

    std::vector<std::unique_ptr<Worker>> workers_;
    Driver* driver_ = nullptr;
    std::mutex driver_mutex_;                  // held by the worker inside the driver
    std::atomic<bool> driver_waiting_{false};  // a worker blocks (or will) in epoll_wait
    sys::Fd signal_;                           // the eventfd the reactor watches

    std::mutex inject_mutex_;
    TaskQueue inject_;                         // guarded by inject_mutex_
    bool inject_closed_ = false;               // guarded by inject_mutex_
    std::atomic<std::size_t> inject_len_{0};   // a snapshot, readable without the lock

    std::atomic<std::uint32_t> searching_{0};  // workers looking for work to steal
    std::atomic<std::uint32_t> unparked_;      // workers not registered as sleepers
    mutable std::mutex sleepers_mutex_;
    std::vector<std::size_t> sleepers_;        // guarded by sleepers_mutex_

    std::atomic<bool> shut_down_{false};
    std::atomic<std::size_t> steals_{0};
    std::atomic<std::size_t> signal_writes_{0};
};

// Marks this thread as worker `index` of `pool` while it exists (the worker
// threads, and tests that drive a pool by hand).
class WorkerThread {
public:
    WorkerThread(Pool& pool, std::size_t index) noexcept;
    ~WorkerThread();
    WorkerThread(const WorkerThread&) = delete;
    WorkerThread& operator=(const WorkerThread&) = delete;

private:
    Pool* previous_pool_;
    std::size_t previous_index_;
};

// Test seams of the park protocol, on this thread only; each runs once,
// then is cleared: after the worker has registered as a sleeper, before its
// last look; and before it sleeps.
struct PoolHooks {
    std::function<void()> after_register;
    std::function<void()> before_sleep;
};
PoolHooks& pool_hooks();

}  // namespace rt::detail
