// Futures and tools for chapter 09's tests: tasks that say where they ran,
// flags that other threads set, and a count of this process's threads.
#pragma once

#include <dirent.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "rt.hpp"

namespace test {

// Threads of this process now (the entries of /proc/self/task).
inline std::size_t thread_count() {
    std::size_t count = 0;
    if (DIR* dir = ::opendir("/proc/self/task")) {
        while (dirent* entry = ::readdir(dir))
            if (entry->d_name[0] != '.') ++count;
        ::closedir(dir);
    }
    return count;
}

// Ready at its first poll: adds one to *counter, gives `value`.
struct Count {
    using Output = int;
    std::atomic<int>* counter;
    int value;
    rt::Poll<int> poll(rt::Context&) {
        counter->fetch_add(1, std::memory_order_relaxed);
        return value;
    }
};

// Busy for `spin` (a reason for others to steal), then ready with the id of
// the thread that polled it.
struct Busy {
    using Output = std::thread::id;
    std::chrono::microseconds spin;
    rt::Poll<std::thread::id> poll(rt::Context&) {
        auto until = std::chrono::steady_clock::now() + spin;
        while (std::chrono::steady_clock::now() < until) {
        }
        return std::this_thread::get_id();
    }
};

// A one-shot flag another thread (or task) raises: the future is ready once raised.
class Flag {
public:
    void raise() {
        std::optional<rt::Waker> waker;
        {
            std::lock_guard lock(mutex_);
            raised_ = true;
            waker.swap(waker_);
        }
        if (waker) std::move(*waker).wake();
    }
    void reset() {
        std::lock_guard lock(mutex_);
        raised_ = false;
    }
    bool raised() {
        std::lock_guard lock(mutex_);
        return raised_;
    }

    struct Wait {
        using Output = void;
        Flag* flag;
        rt::Poll<void> poll(rt::Context& cx) {
            std::lock_guard lock(flag->mutex_);
            if (flag->raised_) {
                flag->raised_ = false;  // used up: the next wait needs the next raise
                return rt::ready();
            }
            if (!flag->waker_ || !flag->waker_->will_wake(cx.waker())) flag->waker_ = cx.waker();
            return rt::pending;
        }
    };
    Wait wait() { return Wait{this}; }

private:
    std::mutex mutex_;
    bool raised_ = false;
    std::optional<rt::Waker> waker_;
};

// Pending until `stop` is set; counts its polls and its destruction, and
// fails the test (through *bad) if it is destroyed during its own poll.
struct Watched {
    using Output = void;
    std::atomic<int>* drops;
    std::atomic<bool>* bad;
    bool self_waking = false;  // busy: wakes itself at every poll
    std::atomic<bool>* in_poll = nullptr;
    bool moved_from = false;

    Watched(std::atomic<int>* d, std::atomic<bool>* b, bool busy, std::atomic<bool>* flag)
        : drops(d), bad(b), self_waking(busy), in_poll(flag) {}
    Watched(Watched&& other) noexcept
        : drops(other.drops), bad(other.bad), self_waking(other.self_waking), in_poll(other.in_poll) {
        other.moved_from = true;
    }
    ~Watched() {
        if (moved_from) return;
        if (in_poll->load()) bad->store(true);
        drops->fetch_add(1);
    }
    rt::Poll<void> poll(rt::Context& cx) {
        in_poll->store(true);
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        if (self_waking) cx.waker().wake_by_ref();
        in_poll->store(false);
        return rt::pending;
    }
};

}  // namespace test

namespace test {
// 200 tasks of 200 us each, awaited: the set of threads that ran them.
// Static, not inline: clang 14 with ASan cannot assemble an inline (COMDAT)
// coroutine ("Cannot represent a difference across sections").
[[maybe_unused]] static rt::Async<std::set<std::thread::id>> run_busy_tasks() {
    std::vector<rt::JoinHandle<std::thread::id>> handles;
    for (int i = 0; i < 200; ++i) handles.push_back(rt::spawn(Busy{std::chrono::microseconds(200)}));
    std::set<std::thread::id> threads;
    for (auto& handle : handles) threads.insert(co_await handle);
    co_return threads;
}

// The same, spawned by one task (so into one worker's ring).
[[maybe_unused]] static rt::Async<std::set<std::thread::id>> spawn_on_worker_probe() {
    co_return co_await rt::spawn(run_busy_tasks());
}

// The thread that ran a spawned task.
[[maybe_unused]] static rt::Async<std::thread::id> spawn_probe_thread() {
    co_return co_await rt::spawn(Busy{std::chrono::microseconds(0)});
}
}  // namespace test
