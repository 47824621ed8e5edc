// Exercise 4: TimerWheel::advance. Each test advances first (an empty wheel,
// or one step), so that the first exercise code it reaches is advance.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "rt.hpp"

using rt::detail::TimerWheel;
using rt::detail::WheelEntry;

namespace {
std::vector<WheelEntry*> all_due(TimerWheel& wheel) {
    std::vector<WheelEntry*> out;
    while (WheelEntry* entry = wheel.pop_due()) out.push_back(entry);
    return out;
}
}  // namespace

TEST_SUITE("ex4: TimerWheel::advance: cascade each slot that becomes current") {
    TEST_CASE("time moves on, and an entry is due exactly when its tick comes") {
        TimerWheel wheel;
        REQUIRE_NOTHROW(wheel.advance(3));
        CHECK(wheel.elapsed() == 3);
        WheelEntry entry;
        wheel.insert(entry, 10);
        wheel.advance(9);
        CHECK(wheel.elapsed() == 9);
        CHECK(wheel.pop_due() == nullptr);
        wheel.advance(10);
        CHECK(wheel.pop_due() == &entry);
        CHECK(wheel.empty());
    }

    TEST_CASE("an entry of a higher level cascades down and is due at its own tick, not its slot's start") {
        TimerWheel wheel;
        REQUIRE_NOTHROW(wheel.advance(0));
        WheelEntry entry;
        wheel.insert(entry, 100);  // level 1, slot 1: the slot starts at 64
        REQUIRE(int(entry.level) == 1);
        wheel.advance(64);
        INFO("at 64 its slot is current: its entry goes down to level 0, slot 100 % 64");
        CHECK(wheel.pop_due() == nullptr);
        CHECK(int(entry.level) == 0);
        CHECK(int(entry.slot) == 100 % 64);
        wheel.advance(99);
        CHECK(wheel.pop_due() == nullptr);
        wheel.advance(100);
        CHECK(wheel.pop_due() == &entry);
    }

    TEST_CASE("one long jump makes every passed entry due, in tick order, and none early") {
        TimerWheel wheel;
        REQUIRE_NOTHROW(wheel.advance(1));
        std::vector<std::uint64_t> ticks{5, 70, 4096 + 3, 300'000, 2, 64 * 64 * 64 * 64 + 1, 64};
        std::vector<WheelEntry> entries(ticks.size());
        for (std::size_t i = 0; i < ticks.size(); ++i) wheel.insert(entries[i], ticks[i]);
        wheel.advance(300'000);
        std::vector<WheelEntry*> due = all_due(wheel);
        std::vector<std::uint64_t> got;
        for (WheelEntry* entry : due) got.push_back(entry->when);
        INFO("each slot that starts by now is visited, earliest first; a higher one's entries cascade");
        CHECK(got == std::vector<std::uint64_t>{2, 5, 64, 70, 4096 + 3, 300'000});
        CHECK(wheel.size() == 1);
        CHECK(wheel.elapsed() == 300'000);
        wheel.advance(64ull * 64 * 64 * 64 + 1);
        CHECK(wheel.pop_due() == &entries[5]);
    }

    TEST_CASE("step by step, every entry is due at its tick exactly") {
        TimerWheel wheel;
        REQUIRE_NOTHROW(wheel.advance(0));
        std::vector<WheelEntry> entries(3000);
        for (std::size_t i = 0; i < entries.size(); ++i) wheel.insert(entries[i], 1 + (i * 7919) % 20'000);
        for (std::uint64_t now = 1; now <= 20'000; ++now) {
            wheel.advance(now);
            for (WheelEntry* entry : all_due(wheel)) {
                if (entry->when != now) {
                    INFO("tick ", entry->when, " came out at ", now);
                    CHECK(entry->when == now);
                }
            }
        }
        CHECK(wheel.empty());
    }

    TEST_CASE("time never goes back") {
        TimerWheel wheel;
        REQUIRE_NOTHROW(wheel.advance(500));
        wheel.advance(100);
        CHECK(wheel.elapsed() == 500);
        WheelEntry entry;
        wheel.insert(entry, 400);
        CHECK(entry.level == WheelEntry::due);
    }
}
