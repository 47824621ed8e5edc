// Tests of code chapter 11 gives the learner (suite "given: ..."): they pass
// on the learner's copy, so they run the runtime with the slab and the wheel
// off (chapter 10's paths) or test the given parts alone.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "rt.hpp"

using namespace std::chrono_literals;

namespace {

rt::Tuning off() {
    rt::Tuning tuning;
    tuning.task_slab = false;
    tuning.timer_wheel = false;
    tuning.local_wake = false;
    return tuning;
}

// The local wake path alone (the slab and the wheel are exercises).
rt::Tuning local_only() {
    rt::Tuning tuning = off();
    tuning.local_wake = true;
    return tuning;
}

// Wakes itself `left` times by reference, recording each poll in *order.
struct SelfWaker {
    using Output = int;
    int id;
    int left;
    std::vector<int>* order;
    rt::Poll<int> poll(rt::Context& cx) {
        order->push_back(id);
        if (left == 0) return id;
        --left;
        cx.waker().wake_by_ref();
        return rt::pending;
    }
};

rt::Async<int> two_self_wakers(std::vector<int>* order) {
    rt::JoinHandle<int> a = rt::spawn(SelfWaker{1, 3, order});
    rt::JoinHandle<int> b = rt::spawn(SelfWaker{2, 3, order});
    int sum = co_await a;
    sum += co_await b;
    co_return sum;
}

// Wakes itself for ever, by value (a clone): only an abort ends it.
struct Forever {
    using Output = void;
    int* polls;
    rt::Poll<void> poll(rt::Context& cx) {
        ++*polls;
        rt::Waker(cx.waker()).wake();
        return rt::pending;
    }
};

rt::Async<bool> abort_a_self_waker(int* polls) {
    rt::JoinHandle<void> handle = rt::spawn(Forever{polls});
    while (*polls < 100) co_await rt::yield_now();
    handle.abort();
    try {
        co_await handle;
    } catch (const rt::Cancelled&) {
        co_return true;
    }
    co_return false;
}

// Wakes itself until another thread's wakes have been seen `target` times.
struct Crossed {
    using Output = int;
    std::atomic<int>* remote_wakes;
    std::mutex* mutex;
    std::optional<rt::Waker>* slot;
    int polls = 0;
    rt::Poll<int> poll(rt::Context& cx) {
        ++polls;
        {
            std::lock_guard lock(*mutex);
            if (!*slot) slot->emplace(cx.waker());
        }
        if (remote_wakes->load() >= 2000) return polls;
        if (polls % 2 == 0) cx.waker().wake_by_ref();  // half the time, itself; else it waits for the thread
        return rt::pending;
    }
};

rt::Async<int> crossed(std::atomic<int>* remote_wakes, std::mutex* mutex, std::optional<rt::Waker>* slot) {
    rt::JoinHandle<int> handle = rt::spawn(Crossed{remote_wakes, mutex, slot});
    co_return co_await handle;
}

rt::Async<int> sleep_then(int value) {
    co_await rt::sleep(2ms);
    co_return value;
}

rt::Async<int> spawn_many(int n) {
    std::vector<rt::JoinHandle<int>> handles;
    for (int i = 0; i < n; ++i) handles.push_back(rt::spawn(sleep_then(i)));
    int sum = 0;
    for (auto& handle : handles) sum += co_await handle;
    co_return sum;
}

}  // namespace

TEST_SUITE("given: chapter 11") {
    TEST_CASE("the local wake path: a task that wakes itself goes behind the others, both ways") {
        for (rt::Tuning tuning : {off(), local_only()}) {
            std::vector<int> order;
            rt::Executor executor(tuning);
            CHECK(executor.block_on(two_self_wakers(&order)) == 3);
            INFO("local_wake: ", tuning.local_wake);
            CHECK(order == std::vector<int>{1, 2, 1, 2, 1, 2, 1, 2});
            CHECK(executor.live_tasks() == 0);
        }
    }

    TEST_CASE("the local wake path: a task queued by its own wake can still be aborted") {
        int polls = 0;
        rt::Executor executor(local_only());
        CHECK(executor.block_on(abort_a_self_waker(&polls)));
        CHECK(polls >= 100);
        CHECK(executor.live_tasks() == 0);
    }

    TEST_CASE("the local wake path: wakes from another thread, between and during polls, are not lost") {
        std::atomic<int> remote_wakes{0};
        std::atomic<bool> done{false};
        std::mutex mutex;
        std::optional<rt::Waker> slot;
        std::thread waker([&] {
            while (!done.load()) {
                std::optional<rt::Waker> copy;
                {
                    std::lock_guard lock(mutex);
                    if (slot) copy.emplace(*slot);
                }
                if (copy) {
                    copy->wake_by_ref();
                    remote_wakes.fetch_add(1);
                }
                std::this_thread::yield();
            }
        });
        rt::Executor executor(local_only());
        int polls = executor.block_on(crossed(&remote_wakes, &mutex, &slot));
        done.store(true);
        waker.join();
        slot.reset();
        CHECK(polls > 1);
        CHECK(executor.live_tasks() == 0);
    }

    TEST_CASE("RT_FAST's words turn the optimisations off, one by one or all") {
        rt::Tuning all = rt::Tuning::parse(nullptr);
        CHECK(all.task_slab);
        CHECK(all.timer_wheel);
        rt::Tuning no_slab = rt::Tuning::parse("noslab");
        CHECK_FALSE(no_slab.task_slab);
        CHECK(no_slab.timer_wheel);
        rt::Tuning none = rt::Tuning::parse("none");
        CHECK_FALSE(none.task_slab);
        CHECK_FALSE(none.timer_wheel);
        CHECK_FALSE(none.local_wake);
        CHECK_FALSE(rt::Tuning::parse("nolocal").local_wake);
        rt::Tuning both = rt::Tuning::parse("nowheel,noslab");
        CHECK_FALSE(both.task_slab);
        CHECK_FALSE(both.timer_wheel);
        CHECK_THROWS_AS(rt::Tuning::parse("fast"), std::invalid_argument);
    }

    TEST_CASE("with both off, the executor is chapter 10's: heap timers, tasks from new") {
        rt::Executor executor(off());
        CHECK(executor.driver().timer().kind() == rt::Timer::Kind::heap);
        CHECK(executor.block_on(spawn_many(50)) == 50 * 49 / 2);
        CHECK(executor.live_tasks() == 0);
    }

    TEST_CASE("the wheel's tick doubles as the heap's index: a fresh entry is in neither") {
        rt::Timer::Entry entry(rt::Timer::Clock::now());
        CHECK(entry.heap_index == rt::detail::TimerHeap<rt::Timer::Entry>::npos);
        CHECK(entry.level == rt::detail::WheelEntry::nowhere);
    }

    TEST_CASE("level_for: the highest 6-bit digit in which a tick differs from now") {
        rt::detail::TimerWheel wheel;
        CHECK(wheel.level_for(0) == 0);
        CHECK(wheel.level_for(63) == 0);
        CHECK(wheel.level_for(64) == 1);
        CHECK(wheel.level_for(4095) == 1);
        CHECK(wheel.level_for(4096) == 2);
        CHECK(wheel.level_for(rt::detail::TimerWheel::max_span) == 5);
        CHECK(rt::detail::TimerWheel::slot_for(4096 + 64 * 3 + 5, 1) == 3);
    }

    TEST_CASE("carve: fresh blocks of the size class, from chunks that grow") {
        rt::detail::TaskSlab slab;
        void* a = slab.carve(20);
        void* b = slab.carve(20);
        CHECK(static_cast<char*>(b) - static_cast<char*>(a) == 32);
        for (int i = 0; i < 10'000; ++i) slab.carve(1000);
        CHECK(slab.chunks() < 20);
        CHECK(rt::detail::TaskSlab::fits(1024));
        CHECK_FALSE(rt::detail::TaskSlab::fits(1025));
    }
}
