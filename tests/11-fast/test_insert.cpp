// Exercise 3: TimerWheel::insert. The tests look at where entries went
// through given code (the entry's level and slot, next_expiration, remove):
// advance (exercise 4) is not called.
#include <doctest/doctest.h>

#include <cstdint>

#include "rt.hpp"

using rt::detail::TimerWheel;
using rt::detail::WheelEntry;

TEST_SUITE("ex3: TimerWheel::insert: the level and slot of a tick") {
    TEST_CASE("a tick within 64 ms goes to level 0, in the slot of its millisecond") {
        TimerWheel wheel;
        WheelEntry entry;
        REQUIRE_NOTHROW(wheel.insert(entry, 5));
        CHECK(entry.when == 5);
        CHECK(int(entry.level) == 0);
        CHECK(int(entry.slot) == 5);
        CHECK(wheel.size() == 1);
        INFO("next_expiration (given) finds the occupied slot through the level's bitmap");
        CHECK(wheel.next_expiration() == std::uint64_t{5});
    }

    TEST_CASE("further ticks go up a level per factor of 64, in the slot their digit names") {
        TimerWheel wheel;
        WheelEntry a, b, c, d;
        REQUIRE_NOTHROW(wheel.insert(a, 63));
        wheel.insert(b, 64);             // digit 1 is 1: level 1, slot 1
        wheel.insert(c, 64 * 64 + 7);    // digit 2 is 1: level 2, slot 1
        wheel.insert(d, 5 * 64 * 64 * 64 + 3 * 64);  // level 3, slot 5
        CHECK(int(a.level) == 0);
        CHECK(int(a.slot) == 63);
        CHECK(int(b.level) == 1);
        CHECK(int(b.slot) == 1);
        CHECK(int(c.level) == 2);
        CHECK(int(c.slot) == 1);
        CHECK(int(d.level) == 3);
        CHECK(int(d.slot) == 5);
        CHECK(wheel.size() == 4);
        CHECK(wheel.next_expiration() == std::uint64_t{63});
        INFO("remove (given) needs the level and slot to find the entry's list, and the bitmap set");
        wheel.remove(a);
        CHECK(wheel.next_expiration() == std::uint64_t{64});
        wheel.remove(b);
        CHECK(wheel.next_expiration() == std::uint64_t{64 * 64});
        wheel.remove(c);
        wheel.remove(d);
        CHECK(wheel.empty());
        CHECK_FALSE(wheel.next_expiration().has_value());
    }

    TEST_CASE("a tick not after now is due at once, in the due list") {
        TimerWheel wheel;
        WheelEntry entry;
        REQUIRE_NOTHROW(wheel.insert(entry, 0));
        INFO("tick 0 at tick 0: no slot would ever come round for it");
        CHECK(entry.level == WheelEntry::due);
        CHECK(wheel.next_expiration() == std::uint64_t{0});
        CHECK(wheel.pop_due() == &entry);
        CHECK(wheel.empty());
    }

    TEST_CASE("two entries of one tick share a slot, and both are found") {
        TimerWheel wheel;
        WheelEntry a, b;
        REQUIRE_NOTHROW(wheel.insert(a, 10));
        wheel.insert(b, 10);
        CHECK(wheel.size() == 2);
        wheel.remove(a);
        INFO("the slot keeps b: its bit stays set");
        CHECK(wheel.next_expiration() == std::uint64_t{10});
        wheel.remove(b);
        CHECK_FALSE(wheel.next_expiration().has_value());
    }

    TEST_CASE("a tick beyond the top level is clamped to its reach") {
        TimerWheel wheel;
        WheelEntry entry;
        REQUIRE_NOTHROW(wheel.insert(entry, UINT64_MAX));
        CHECK(entry.when == TimerWheel::max_span);
        CHECK(int(entry.level) == 5);
        CHECK(int(entry.slot) == 63);
    }
}
