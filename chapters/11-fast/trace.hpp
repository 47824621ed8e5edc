// trace: a record of what the runtime did, for a timeline (scripts/tutor timeline).
#pragma once

#include <atomic>
#include <cstdint>

namespace rt::trace {

// What happened. `subject` is the task (its address), or 0 for none.
enum class Kind : std::uint8_t {
    spawn,          // a task was made
    poll_begin,     // the executor starts polling a task (0: block_on's main future)
    poll_end,
    wake,           // a task was woken, on the thread that woke it
    complete,       // a task finished
    wait_begin,     // the thread waits: a park, or epoll_wait (value: 1 for epoll_wait)
    wait_end,       // value: events epoll_wait returned
    timers_fired,   // value: how many
};

namespace detail {
extern std::atomic<bool> on;
void record(Kind kind, const void* subject, std::uint64_t value) noexcept;
}  // namespace detail

// Records an event if recording is on. Off, it is one relaxed load and a
// branch: the hooks stay in the runtime. RT_TRACE=file.json in the
// environment turns recording on at start-up; the file is written at exit.
// RT_TRACE_COMPILED_OUT removes even the branch, to measure what it costs
// (scripts/tutor timeline --cost); no other build defines it.
inline void event(Kind kind, const void* subject = nullptr, std::uint64_t value = 0) noexcept {
#ifndef RT_TRACE_COMPILED_OUT
    if (detail::on.load(std::memory_order_relaxed)) [[unlikely]]
        detail::record(kind, subject, value);
#else
    (void)kind, (void)subject, (void)value;
#endif
}

// Records `begin` now and `end` when destroyed: a slice of time (a poll, a
// wait) in one line. `end_value` goes with the end (epoll_wait's events).
class Slice {
public:
    Slice(Kind begin, Kind end, const void* subject = nullptr, std::uint64_t value = 0) noexcept
        : end_(end), subject_(subject) {
        event(begin, subject, value);
    }
    ~Slice() { event(end_, subject_, end_value); }
    Slice(const Slice&) = delete;
    Slice& operator=(const Slice&) = delete;

    std::uint64_t end_value = 0;

private:
    Kind end_;
    const void* subject_;
};

// Names this thread's lane in the timeline ("reactor", "timer").
void name_thread(const char* name) noexcept;

// Turns recording on, to write `path` at exit (or when write() is called),
// and forgets what an earlier recording kept.
void start(const char* path);
// Turns recording off; what was recorded stays, for write().
void stop() noexcept;
// Writes what was recorded so far as Chrome trace JSON; false if it cannot.
bool write();

}  // namespace rt::trace
