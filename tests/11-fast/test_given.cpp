// Tests of code chapter 11 gives the learner (suite "given: ..."): they pass
// on the learner's copy, so they run the runtime with the slab and the wheel
// off (chapter 10's paths) or test the given parts alone.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <vector>

#include "rt.hpp"

using namespace std::chrono_literals;

namespace {

rt::Tuning off() {
    rt::Tuning tuning;
    tuning.task_slab = false;
    tuning.timer_wheel = false;
    return tuning;
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
