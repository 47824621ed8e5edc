// Exercise 1: TaskSlab::free_local and free_remote. The tests take blocks
// from carve() (given), so the first exercise code they reach is a free.
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "rt.hpp"

using rt::detail::TaskSlab;

TEST_SUITE("ex1: TaskSlab::free_local and free_remote: a block back to its list") {
    TEST_CASE("a block freed on the owner's thread goes on its class's local list") {
        TaskSlab slab;
        void* block = slab.carve(100);
        REQUIRE_NOTHROW(slab.free_local(block, 100));
        INFO("the owner's free pushes on the local list of the block's size class (97 to 112 bytes: one class)");
        CHECK(slab.kept(100) == 1);
        CHECK(slab.kept(112) == 1);
        CHECK(slab.kept(128) == 0);
        INFO("a free on the owner's thread never touches the remote list");
        CHECK(slab.remote() == 0);
    }

    TEST_CASE("the local list keeps every block freed, not only the last") {
        TaskSlab slab;
        void* first = slab.carve(64);
        void* second = slab.carve(64);
        REQUIRE_NOTHROW(slab.free_local(first, 64));
        slab.free_local(second, 64);
        slab.free_local(slab.carve(64), 64);
        INFO("each push links the new block in front of the list's old head");
        CHECK(slab.kept(64) == 3);
    }

    TEST_CASE("a block freed elsewhere goes on the remote list, not on a local one") {
        TaskSlab slab;
        void* block = slab.carve(48);
        REQUIRE_NOTHROW(slab.free_remote(block, 48));
        INFO("only the owner touches the local lists: a free from another thread goes on the remote list");
        CHECK(slab.remote() == 1);
        CHECK(slab.kept(48) == 0);
        slab.drain_remote();
        INFO("drain_remote (given) moves it to its class's list: the free must record the class");
        CHECK(slab.kept(48) == 1);
        CHECK(slab.remote() == 0);
    }

    TEST_CASE("two threads freeing at once lose no block, and the owner may take them all") {
        TaskSlab slab;
        constexpr int per_thread = 20'000;
        std::vector<void*> a, b;
        for (int i = 0; i < per_thread; ++i) {
            a.push_back(slab.carve(32));
            b.push_back(slab.carve(200));
        }
        REQUIRE_NOTHROW(slab.free_remote(slab.carve(32), 32));
        std::thread first([&] {
            for (void* block : a) slab.free_remote(block, 32);
        });
        std::thread second([&] {
            for (void* block : b) slab.free_remote(block, 200);
        });
        first.join();
        second.join();
        INFO("a push that overwrites the head another thread just pushed loses that block");
        CHECK(slab.remote() == 2 * per_thread + 1);
        slab.drain_remote();
        CHECK(slab.kept(32) == per_thread + 1);
        CHECK(slab.kept(200) == per_thread);
    }

    TEST_CASE("the owner drains while another thread frees: every block arrives once") {
        TaskSlab slab;
        constexpr int count = 20'000;
        std::vector<void*> blocks;
        for (int i = 0; i < count; ++i) blocks.push_back(slab.carve(80));
        REQUIRE_NOTHROW(slab.free_remote(slab.carve(80), 80));
        std::thread freer([&] {
            for (void* block : blocks) slab.free_remote(block, 80);
        });
        std::size_t drains = 0;
        while (slab.kept(80) < count + 1u && drains < 10'000'000) {
            slab.drain_remote();  // the owner's side: reads each block's link and class
            ++drains;
        }
        freer.join();
        slab.drain_remote();
        CHECK(slab.kept(80) == count + 1u);
    }
}
