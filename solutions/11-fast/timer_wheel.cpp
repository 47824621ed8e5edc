#include "timer_wheel.hpp"

#include <bit>

#include "todo.hpp"

namespace rt::detail {

void TimerWheel::List::push(WheelEntry& entry) noexcept {
    entry.next = nullptr;
    entry.prev = tail;
    if (tail != nullptr) tail->next = &entry;
    else head = &entry;
    tail = &entry;
}

void TimerWheel::List::unlink(WheelEntry& entry) noexcept {
    if (entry.prev != nullptr) entry.prev->next = entry.next;
    else head = entry.next;
    if (entry.next != nullptr) entry.next->prev = entry.prev;
    else tail = entry.prev;
    entry.prev = entry.next = nullptr;
}

// ANCHOR: level_for
unsigned TimerWheel::level_for(std::uint64_t when) const noexcept {
    // The highest bit in which `when` and now differ names the digit, and
    // so the level: bits 0-5 level 0, bits 6-11 level 1, ... (| 63: a tick
    // equal to now, or in its millisecond, still counts as level 0).
    std::uint64_t differ = (elapsed_ ^ when) | (slots - 1);
    unsigned highest = 63 - static_cast<unsigned>(std::countl_zero(differ));
    return highest / 6;
}
// ANCHOR_END: level_for

// ANCHOR: insert
void TimerWheel::insert(WheelEntry& entry, std::uint64_t when) {
    // BEGIN EXERCISE ex3: put an entry in its level and slot, or in the due list
    // Beyond the top level's reach: its last tick (the timer puts it back when it comes out).
    if (when > (elapsed_ | max_span)) when = elapsed_ | max_span;
    entry.when = when;
    ++size_;
    if (when <= elapsed_) {  // due already: no slot would ever come round for it
        entry.level = WheelEntry::due;
        due_.push(entry);
        return;
    }
    unsigned level = level_for(when);
    unsigned slot = slot_for(when, level);
    entry.level = static_cast<std::uint8_t>(level);
    entry.slot = static_cast<std::uint8_t>(slot);
    slots_[level][slot].push(entry);
    occupied_[level] |= std::uint64_t{1} << slot;
    // END EXERCISE ex3
}
// ANCHOR_END: insert

void TimerWheel::remove(WheelEntry& entry) noexcept {
    if (entry.level == WheelEntry::nowhere) return;
    if (entry.level == WheelEntry::due) {
        due_.unlink(entry);
    } else {
        List& list = slots_[entry.level][entry.slot];
        list.unlink(entry);
        if (list.head == nullptr) occupied_[entry.level] &= ~(std::uint64_t{1} << entry.slot);
    }
    entry.level = WheelEntry::nowhere;
    --size_;
}

WheelEntry* TimerWheel::pop_due() noexcept {
    WheelEntry* entry = due_.head;
    if (entry != nullptr) remove(*entry);
    return entry;
}

WheelEntry* TimerWheel::take_slot(unsigned level, unsigned slot) noexcept {
    WheelEntry* first = slots_[level][slot].head;
    slots_[level][slot] = List{};
    occupied_[level] &= ~(std::uint64_t{1} << slot);
    return first;
}

// ANCHOR: next_slot
std::optional<TimerWheel::Slot> TimerWheel::next_slot() const noexcept {
    // The lowest level with an occupied slot holds the earliest: every slot
    // of a level lies after all the slots of the levels below (their
    // entries share now's higher digits; a higher level's differ). Its
    // slots are never behind now's digit: they were cascaded when it passed.
    for (unsigned level = 0; level < levels; ++level) {
        if (occupied_[level] == 0) continue;
        unsigned shift = 6 * level;
        unsigned now_slot = slot_for(elapsed_, level);
        std::uint64_t ahead = occupied_[level] >> now_slot;  // slots at or after now's
        unsigned slot = now_slot + static_cast<unsigned>(std::countr_zero(ahead));
        // The start of that slot: now's digits above this level, then the slot.
        std::uint64_t above = elapsed_ & ~((std::uint64_t{1} << (shift + 6)) - 1);
        return Slot{level, slot, above + (std::uint64_t{slot} << shift)};
    }
    return std::nullopt;
}
// ANCHOR_END: next_slot

std::optional<std::uint64_t> TimerWheel::next_expiration() const noexcept {
    if (due_.head != nullptr) return elapsed_;
    if (std::optional<Slot> next = next_slot()) return next->start;
    return std::nullopt;
}

// ANCHOR: advance
void TimerWheel::advance(std::uint64_t now) {
    // BEGIN EXERCISE ex4: move time on, cascading each slot that becomes current
    // Slot by slot, earliest first, as long as one starts by `now`.
    while (std::optional<Slot> next = next_slot()) {
        if (next->start > now) break;
        elapsed_ = next->start;  // now at that slot's start: its entries' digit is now's
        // Take its entries out and insert them again, relative to the new
        // now: lower down, or (level 0, or a tick that has come) due.
        WheelEntry* entry = take_slot(next->level, next->slot);
        while (entry != nullptr) {
            WheelEntry* following = entry->next;
            entry->level = WheelEntry::nowhere;
            --size_;
            insert(*entry, entry->when);
            entry = following;
        }
    }
    if (now > elapsed_) elapsed_ = now;  // no slot starts before `now`: jump
    // END EXERCISE ex4
}
// ANCHOR_END: advance

}  // namespace rt::detail
