// ex1: the local ring. Driven by hand: its owner is the test thread, its
// thieves are threads the test starts.
#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <vector>

#include "park_probe.hpp"
#include "rt.hpp"
#include "threads.hpp"

using rt::detail::LocalQueue;
using rt::detail::TaskHeader;

namespace {
// Distinct pointers that are never dereferenced: the ring only stores them.
std::vector<TaskHeader*> fake_pointers(std::size_t n) {
    static std::vector<char> storage(1 << 20);
    std::vector<TaskHeader*> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(reinterpret_cast<TaskHeader*>(&storage[(i % (1 << 20))]));
    return out;
}
}  // namespace

TEST_SUITE("ex1: the ring: push at the tail, pop and steal half at the head") {
    TEST_CASE("push at the tail, pop at the head: first in, first out; empty gives null") {
        LocalQueue ring;
        auto t = fake_pointers(3);
        REQUIRE(ring.push_back(t[0]));
        REQUIRE(ring.push_back(t[1]));
        REQUIRE(ring.push_back(t[2]));
        CHECK(ring.len() == 3);
        CHECK(ring.pop() == t[0]);
        CHECK(ring.pop() == t[1]);
        CHECK(ring.pop() == t[2]);
        CHECK(ring.pop() == nullptr);
        CHECK(ring.empty());
    }

    TEST_CASE("full at 256: the 257th push is refused and changes nothing") {
        LocalQueue ring;
        auto t = fake_pointers(257);
        for (int i = 0; i < 256; ++i) REQUIRE(ring.push_back(t[i]));
        INFO("a ring of 256 holds 256: one more would overwrite the oldest");
        CHECK_FALSE(ring.push_back(t[256]));
        CHECK(ring.len() == 256);
        CHECK(ring.pop() == t[0]);
        CHECK(ring.push_back(t[256]));  // one taken, one place free
    }

    TEST_CASE("the counters wrap around the slots: 100,000 pushes and pops through 256 places") {
        LocalQueue ring;
        auto t = fake_pointers(1000);
        std::size_t next_in = 0, next_out = 0;
        bool order = true;
        for (int round = 0; round < 1000; ++round) {
            for (int i = 0; i < 100; ++i) REQUIRE(ring.push_back(t[next_in++ % 1000]));
            for (int i = 0; i < 100; ++i) order = order && ring.pop() == t[next_out++ % 1000];
        }
        CHECK(order);
        CHECK(ring.empty());
    }

    TEST_CASE("a thief takes half, rounded up, from the head: one to run, the rest into its own ring") {
        LocalQueue victim, thief;
        auto t = fake_pointers(10);
        REQUIRE(victim.steal_into(thief) == nullptr);  // nothing to steal
        for (int i = 0; i < 10; ++i) REQUIRE(victim.push_back(t[i]));
        TaskHeader* run = victim.steal_into(thief);
        REQUIRE(run != nullptr);
        INFO("10 queued: a thief takes 5 (half: both keep working), one of them to run now");
        CHECK(victim.len() == 5);
        CHECK(thief.len() == 4);
        std::set<TaskHeader*> stolen{run};
        while (TaskHeader* task = thief.pop()) stolen.insert(task);
        CHECK(stolen == std::set<TaskHeader*>(t.begin(), t.begin() + 5));
        for (int i = 5; i < 10; ++i) CHECK(victim.pop() == t[i]);  // the victim keeps the newer half, in order

        LocalQueue one;
        REQUIRE(one.push_back(t[0]));
        INFO("one task is worth stealing: half of 1, rounded up");
        CHECK(one.steal_into(thief) == t[0]);
        CHECK(one.empty());
    }

    TEST_CASE("the owner pushes and pops while two thieves steal: every task is taken exactly once") {
        // Under the stress mode (random yields at the ring's atomic steps,
        // seeded), so that a thief often steps in between the owner's read
        // of a slot and its claim: on two busy cores that moment is rare.
        LocalQueue first;
        auto t = fake_pointers(1);
        REQUIRE(first.push_back(t[0]));
        REQUIRE(first.pop() == t[0]);
        constexpr int total = 4000;
        std::vector<char> storage(total);
        auto task = [&](int i) { return reinterpret_cast<TaskHeader*>(&storage[i]); };
        auto index = [&](TaskHeader* got) { return reinterpret_cast<char*>(got) - storage.data(); };
        struct Off {
            ~Off() { rt::detail::stress::disable(); }
        } off;
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
        int seeds = 0;
        for (std::uint64_t seed = 1; seeds < 3 || std::chrono::steady_clock::now() < until; ++seed, ++seeds) {
            rt::detail::stress::enable(seed);
            LocalQueue ring;
            std::vector<std::atomic<int>> taken(total);
            std::atomic<bool> done{false};
            auto thieve = [&] {
                LocalQueue own;
                while (!done.load()) {
                    if (TaskHeader* got = ring.steal_into(own)) {
                        taken[index(got)].fetch_add(1);
                        while (TaskHeader* more = own.pop()) taken[index(more)].fetch_add(1);
                    }
                }
            };
            test::Thread a(thieve), b(thieve);
            int next = 0;
            while (next < total) {
                for (int i = 0; i < 50 && next < total; ++i) {
                    if (!ring.push_back(task(next))) break;
                    ++next;
                }
                for (int i = 0; i < 20; ++i)
                    if (TaskHeader* got = ring.pop()) taken[index(got)].fetch_add(1);
            }
            while (TaskHeader* got = ring.pop()) taken[index(got)].fetch_add(1);
            done.store(true);
            a.join();
            b.join();
            int twice = 0, never = 0;
            for (auto& count : taken) {
                if (count.load() == 0) ++never;
                if (count.load() > 1) ++twice;
            }
            INFO("stress seed " << seed << ": taken twice: " << twice << ", never: " << never);
            REQUIRE(twice == 0);
            REQUIRE(never == 0);
        }
        MESSAGE("ring under stress: " << seeds << " seeds");
    }
}
