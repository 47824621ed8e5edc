// Exercise 2: TaskSlab::allocate. Each test allocates first; frees (ex1) come after.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "rt.hpp"

using rt::detail::TaskSlab;

namespace {

// Its output: where the future lives, inside its task's block.
struct Where {
    using Output = const void*;
    rt::Poll<const void*> poll(rt::Context&) { return static_cast<const void*>(this); }
};

rt::Async<std::pair<const void*, const void*>> spawn_one_then_another() {
    const void* first = nullptr;
    {
        rt::JoinHandle<const void*> handle = rt::spawn(Where{});
        first = co_await handle;
    }  // the handle goes: the task's last reference, and its block back to the slab
    rt::JoinHandle<const void*> handle = rt::spawn(Where{});
    const void* second = co_await handle;
    co_return std::pair<const void*, const void*>(first, second);
}

}  // namespace

TEST_SUITE("ex2: TaskSlab::allocate: the local list, the remote list, then a fresh block") {
    TEST_CASE("with nothing freed, blocks are fresh, distinct and 16-byte aligned") {
        TaskSlab slab;
        void* first = nullptr;
        REQUIRE_NOTHROW(first = slab.allocate(100));
        std::set<void*> seen{first};
        for (int i = 0; i < 1000; ++i) {
            void* block = slab.allocate(100);
            CHECK(reinterpret_cast<std::uintptr_t>(block) % 16 == 0);
            std::memset(block, 0xab, 100);  // usable, all of it
            CHECK(seen.insert(block).second);
        }
    }

    TEST_CASE("a block freed on the owner's thread is the next one of its class") {
        TaskSlab slab;
        void* block = nullptr;
        REQUIRE_NOTHROW(block = slab.allocate(64));
        slab.free_local(block, 64);
        INFO("allocate takes from the class's local list before carving a fresh block");
        CHECK(slab.allocate(60) == block);
        CHECK(slab.kept(64) == 0);
    }

    TEST_CASE("two freed blocks come back as two blocks, not one twice") {
        TaskSlab slab;
        void* first = nullptr;
        REQUIRE_NOTHROW(first = slab.allocate(48));
        void* second = slab.allocate(48);
        slab.free_local(first, 48);
        slab.free_local(second, 48);
        void* a = slab.allocate(48);
        void* b = slab.allocate(48);
        INFO("taking a block off the list moves the head to the next block");
        CHECK(a != b);
        CHECK(std::set<void*>{a, b} == std::set<void*>{first, second});
        CHECK(slab.kept(48) == 0);
    }

    TEST_CASE("a block of another class is not handed out") {
        TaskSlab slab;
        void* small = nullptr;
        REQUIRE_NOTHROW(small = slab.allocate(32));
        slab.free_local(small, 32);
        void* big = slab.allocate(400);
        CHECK(big != small);
        CHECK(slab.kept(32) == 1);
    }

    TEST_CASE("blocks freed on another thread come back once the local list is empty") {
        TaskSlab slab;
        void* block = nullptr;
        REQUIRE_NOTHROW(block = slab.allocate(128));
        std::thread([&] { slab.free_remote(block, 128); }).join();
        REQUIRE(slab.remote() == 1);
        INFO("the local list is empty: allocate drains the remote list before carving");
        CHECK(slab.allocate(128) == block);
        CHECK(slab.remote() == 0);
    }

    TEST_CASE("a task's memory is reused: the next spawn takes the block the last task left") {
        rt::Tuning tuning;
        tuning.task_slab = true;
        tuning.timer_wheel = false;  // the wheel is exercises 3 and 4
        rt::Executor executor(tuning);
        std::pair<const void*, const void*> where;
        REQUIRE_NOTHROW(where = executor.block_on(spawn_one_then_another()));
        INFO("the first task was freed on the executor's thread: its block went on the local list");
        CHECK(where.first == where.second);
    }
}
