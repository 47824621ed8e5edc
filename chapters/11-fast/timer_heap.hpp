// TimerHeap: a binary min-heap of timer entries, by deadline, that can also
// remove any entry: each entry remembers its position in the heap.
#pragma once

#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

namespace rt::detail {

// Entry needs `deadline` (comparable) and `heap_index` (std::size_t, set to
// TimerHeap<Entry>::npos while the entry is not in a heap). The heap holds
// pointers: an entry must stay where it is while it is in the heap.
template <class Entry>
class TimerHeap {
public:
    static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

    bool empty() const noexcept { return entries_.empty(); }
    std::size_t size() const noexcept { return entries_.size(); }
    Entry* top() const noexcept { return entries_.front(); }

    void push(Entry* entry) {
        entries_.push_back(entry);
        entry->heap_index = entries_.size() - 1;
        sift_up(entries_.size() - 1);
    }

    // Removes the entry with the earliest deadline and returns it.
    Entry* pop() {
        Entry* first = entries_.front();
        remove(first);
        return first;
    }

    // Removes any entry of this heap, in O(log n): move the last entry into
    // its place, then let that one sink or rise to where it belongs.
    void remove(Entry* entry) {
        std::size_t i = entry->heap_index;
        entry->heap_index = npos;
        Entry* last = entries_.back();
        entries_.pop_back();
        if (last == entry) return;
        place(i, last);
        sift_down(i);
        sift_up(i);
    }

private:
    void place(std::size_t i, Entry* entry) {
        entries_[i] = entry;
        entry->heap_index = i;
    }

    void sift_up(std::size_t i) {
        while (i > 0) {
            std::size_t parent = (i - 1) / 2;
            if (!(entries_[i]->deadline < entries_[parent]->deadline)) return;
            swap(i, parent);
            i = parent;
        }
    }

    void sift_down(std::size_t i) {
        for (;;) {
            std::size_t smallest = i;
            for (std::size_t child : {2 * i + 1, 2 * i + 2})
                if (child < entries_.size() && entries_[child]->deadline < entries_[smallest]->deadline)
                    smallest = child;
            if (smallest == i) return;
            swap(i, smallest);
            i = smallest;
        }
    }

    void swap(std::size_t a, std::size_t b) {
        Entry* first = entries_[a];
        place(a, entries_[b]);
        place(b, first);
    }

    std::vector<Entry*> entries_;
};

}  // namespace rt::detail
