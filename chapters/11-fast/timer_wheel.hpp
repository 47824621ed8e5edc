// TimerWheel: timer entries in slots by deadline, six levels of 64 slots,
// each slot of a level as long as the whole level below (Tokio's wheel).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace rt::detail {

// What the wheel needs inside a timer entry (the entry derives from it):
// the links of the slot's list, the deadline in ticks, and where it is.
// Intrusive: inserting and removing never allocate.
struct WheelEntry {
    static constexpr std::uint8_t nowhere = 0xff;  // in no list
    static constexpr std::uint8_t due = 0xfe;      // in the wheel's list of due entries

    // The deadline, in ticks (ms) since the wheel's start. A timer that
    // keeps its entries in a binary heap instead (chapter 03's) uses the
    // same word for the entry's index there: an entry is in one or the
    // other, and a sleeping task is 8 bytes smaller.
    union {
        std::uint64_t when = 0;
        std::size_t heap_index;
    };
    WheelEntry* prev = nullptr;     // links in its slot's list (or the due list)
    WheelEntry* next = nullptr;
    std::uint8_t level = nowhere;   // 0..5, or due, or nowhere
    std::uint8_t slot = 0;          // 0..63 within the level
};

// Level L has 64 slots of 64^L ticks each: level 0 covers the next 64 ms
// one millisecond per slot, level 1 the next 4 s 64 ms per slot, ... level
// 5 about 2.2 years. An entry goes to the level of the highest 6-bit digit
// in which its tick differs from the wheel's current tick (`elapsed`), in
// the slot that digit names. As time passes, a slot of level L > 0 becomes
// current: its entries are taken out and inserted again, now at a lower
// level (the cascade), until they reach level 0, whose slots are due.
// Each entry is moved at most six times; inserting and removing are O(1),
// where a binary heap pays O(log n) with a cache miss per level.
class TimerWheel {
public:
    static constexpr unsigned levels = 6;
    static constexpr unsigned slots = 64;
    // The top level reaches the end of now's window of 2^36 ticks (about 2.2 years).
    static constexpr std::uint64_t max_span = (std::uint64_t{1} << (6 * levels)) - 1;

    // Puts `entry` (in no list) in the wheel for tick `when`, clamped to the
    // top level's reach (elapsed | max_span). A tick not after the current
    // one goes to the due list.
    void insert(WheelEntry& entry, std::uint64_t when);
    // Takes the entry out of whichever list holds it (none: nothing happens).
    void remove(WheelEntry& entry) noexcept;

    // Moves time on to tick `now`: every entry whose tick is at most `now`
    // ends up in the due list, cascading each slot that becomes current on
    // the way. Time never goes back: an earlier `now` changes nothing.
    void advance(std::uint64_t now);

    // The first entry of the due list, taken out of it; null when it is empty.
    WheelEntry* pop_due() noexcept;

    // The earliest tick at which advance() has something to do: the current
    // tick while the due list is not empty, else the start of the first
    // occupied slot (for a slot of level > 0, its cascade: its entries may
    // be due later). Empty: nothing.
    std::optional<std::uint64_t> next_expiration() const noexcept;

    std::uint64_t elapsed() const noexcept { return elapsed_; }
    std::size_t size() const noexcept { return size_; }  // entries in slots or due
    bool empty() const noexcept { return size_ == 0; }

    // The level and slot an entry for tick `when` goes to, now (given).
    unsigned level_for(std::uint64_t when) const noexcept;
    static unsigned slot_for(std::uint64_t when, unsigned level) noexcept {
        return static_cast<unsigned>((when >> (6 * level)) & (slots - 1));
    }

    // The first occupied slot, the due list aside: its level, its slot and the tick it starts at.
    struct Slot {
        unsigned level;
        unsigned slot;
        std::uint64_t start;
    };
    std::optional<Slot> next_slot() const noexcept;

private:
    // A doubly linked list, first in first out: entries of one tick leave in the order they came.
    struct List {
        WheelEntry* head = nullptr;
        WheelEntry* tail = nullptr;
        void push(WheelEntry& entry) noexcept;
        void unlink(WheelEntry& entry) noexcept;
    };
    // Takes every entry of a slot out of it (the slot's bit is cleared); they stay linked to each other.
    WheelEntry* take_slot(unsigned level, unsigned slot) noexcept;

    std::uint64_t elapsed_ = 0;  // the current tick
    std::size_t size_ = 0;
    List slots_[levels][slots];
    std::uint64_t occupied_[levels] = {};  // bit s: slots_[level][s] is not empty
    List due_;                             // entries whose tick has come, oldest first
};

}  // namespace rt::detail
