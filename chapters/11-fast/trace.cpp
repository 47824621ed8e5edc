#include "trace.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace rt::trace {

namespace detail {
std::atomic<bool> on{false};
}  // namespace detail

namespace {

using Clock = std::chrono::steady_clock;

struct Record {
    Clock::time_point at;
    Kind kind;
    const void* subject;
    std::uint64_t value;
};

// One per thread that recorded anything; never freed, so that a thread that
// has ended still has its records when the file is written at exit.
struct Lane {
    int tid = 0;
    std::string name;      // guarded by Recording::mutex
    std::mutex mutex;      // uncontended but for write(): guards records
    std::vector<Record> records;
};

struct Recording {
    std::mutex mutex;  // guards lanes and path
    std::vector<Lane*> lanes;
    std::string path;
    Clock::time_point start = Clock::now();
};

Recording& recording() {
    static Recording* const r = new Recording();  // never destroyed: threads may record during exit
    return *r;
}

Lane& my_lane() {
    thread_local Lane* lane = [] {
        auto* made = new Lane();
        Recording& r = recording();
        std::lock_guard lock(r.mutex);
        made->tid = static_cast<int>(r.lanes.size()) + 1;
        bool main_thread = ::syscall(SYS_gettid) == ::getpid();
        made->name = main_thread ? "main" : "thread " + std::to_string(made->tid);
        r.lanes.push_back(made);
        return made;
    }();
    return *lane;
}

// Turns recording on at start-up when RT_TRACE names a file.
const bool from_environment = [] {
    if (const char* path = std::getenv("RT_TRACE"); path != nullptr && *path != '\0') start(path);
    return true;
}();

}  // namespace

void detail::record(Kind kind, const void* subject, std::uint64_t value) noexcept {
    try {
        Lane& lane = my_lane();
        std::lock_guard lock(lane.mutex);
        lane.records.push_back(Record{Clock::now(), kind, subject, value});
    } catch (...) {
        // Out of memory: the timeline misses an event, the program goes on.
    }
}

void name_thread(const char* name) noexcept {
    if (!detail::on.load(std::memory_order_relaxed)) return;
    try {
        Lane& lane = my_lane();
        std::lock_guard lock(recording().mutex);
        lane.name = name;
    } catch (...) {
    }
}

void start(const char* path) {
    Recording& r = recording();
    {
        std::lock_guard lock(r.mutex);
        r.path = path;
        r.start = Clock::now();
        for (Lane* lane : r.lanes) {
            std::lock_guard lane_lock(lane->mutex);
            lane->records.clear();  // a new recording
        }
    }
    static const bool registered = [] { return std::atexit([] { (void)write(); }) == 0; }();
    (void)registered;
    detail::on.store(true, std::memory_order_relaxed);
}

namespace {

const char* name_of(Kind kind) {
    switch (kind) {
        case Kind::spawn: return "spawn";
        case Kind::complete: return "complete";
        case Kind::timers_fired: return "timers_fired";
        case Kind::wake: return "wake";
        default: return "?";
    }
}

}  // namespace

void stop() noexcept { detail::on.store(false, std::memory_order_relaxed); }

bool write() {
    Recording& r = recording();
    std::lock_guard lock(r.mutex);
    if (r.path.empty()) return false;
    std::FILE* out = std::fopen(r.path.c_str(), "w");
    if (out == nullptr) return false;
    auto us = [&](Clock::time_point t) { return std::chrono::duration<double, std::micro>(t - r.start).count(); };
    // Task ids: 0 for block_on's main future (no task), then 1, 2, ... in the
    // order of spawns; an address reused by a later task gets a new id.
    struct Stamped {
        const Record* record;
        int tid;
    };
    std::vector<Record> copies;  // taken under each lane's lock: other threads may still record
    std::vector<int> tids;
    for (Lane* lane : r.lanes) {
        std::lock_guard lane_lock(lane->mutex);
        copies.insert(copies.end(), lane->records.begin(), lane->records.end());
        tids.insert(tids.end(), lane->records.size(), lane->tid);
    }
    std::vector<Stamped> all;
    for (std::size_t i = 0; i < copies.size(); ++i) all.push_back({&copies[i], tids[i]});
    // By time; records of one time keep their order in `copies` (each lane's order). Not std::stable_sort:
    // its temporary buffer trips clang 14's AddressSanitizer with libstdc++ 12 (alloc-dealloc-mismatch).
    std::sort(all.begin(), all.end(), [](const Stamped& a, const Stamped& b) {
        return a.record->at != b.record->at ? a.record->at < b.record->at : a.record < b.record;
    });
    std::map<const void*, int> ids;
    int next_id = 1;
    auto task_id = [&](const void* subject, bool spawned) {
        if (subject == nullptr) return 0;
        auto found = ids.find(subject);
        if (spawned || found == ids.end()) return ids[subject] = next_id++;
        return found->second;
    };
    std::fprintf(out, "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n");
    const char* separator = "";
    int pid = static_cast<int>(::getpid());
    for (Lane* lane : r.lanes) {
        std::string name;
        for (char c : lane->name) name += c == '"' || c == '\\' ? '_' : c;
        std::fprintf(out, "%s{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": %d, \"tid\": %d, \"args\": {\"name\": \"%s\"}}",
                     separator, pid, lane->tid, name.c_str());
        separator = ",\n";
    }
    // A slice's begin waits here, per thread, for its end.
    std::map<std::pair<int, int>, const Record*> open;  // (tid, 0 poll / 1 wait) -> begin
    for (const Stamped& s : all) {
        const Record& e = *s.record;
        double ts = us(e.at);
        switch (e.kind) {
            case Kind::poll_begin: open[{s.tid, 0}] = &e; break;
            case Kind::wait_begin: open[{s.tid, 1}] = &e; break;
            case Kind::poll_end:
            case Kind::wait_end: {
                bool poll = e.kind == Kind::poll_end;
                auto found = open.find({s.tid, poll ? 0 : 1});
                if (found == open.end()) break;  // began before recording did
                const Record& begin = *found->second;
                open.erase(found);
                double start = us(begin.at);
                if (poll)
                    std::fprintf(out,
                                 "%s{\"ph\": \"X\", \"name\": \"poll\", \"cat\": \"rt\", \"ts\": %.3f, \"dur\": %.3f, "
                                 "\"pid\": %d, \"tid\": %d, \"args\": {\"task\": %d}}",
                                 separator, start, ts - start, pid, s.tid, task_id(begin.subject, false));
                else if (begin.value == 1)
                    std::fprintf(out,
                                 "%s{\"ph\": \"X\", \"name\": \"epoll_wait\", \"cat\": \"rt\", \"ts\": %.3f, "
                                 "\"dur\": %.3f, \"pid\": %d, \"tid\": %d, \"args\": {\"events\": %llu}}",
                                 separator, start, ts - start, pid, s.tid, static_cast<unsigned long long>(e.value));
                else
                    std::fprintf(out,
                                 "%s{\"ph\": \"X\", \"name\": \"park\", \"cat\": \"rt\", \"ts\": %.3f, \"dur\": %.3f, "
                                 "\"pid\": %d, \"tid\": %d, \"args\": {}}",
                                 separator, start, ts - start, pid, s.tid);
                break;
            }
            case Kind::wake:
                std::fprintf(out,
                             "%s{\"ph\": \"X\", \"name\": \"wake\", \"cat\": \"rt\", \"ts\": %.3f, \"dur\": 0, "
                             "\"pid\": %d, \"tid\": %d, \"args\": {\"task\": %d}}",
                             separator, ts, pid, s.tid, task_id(e.subject, false));
                break;
            case Kind::timers_fired:
                std::fprintf(out,
                             "%s{\"ph\": \"i\", \"s\": \"t\", \"name\": \"timers_fired\", \"cat\": \"rt\", \"ts\": %.3f, "
                             "\"pid\": %d, \"tid\": %d, \"args\": {\"count\": %llu}}",
                             separator, ts, pid, s.tid, static_cast<unsigned long long>(e.value));
                break;
            case Kind::spawn:
            case Kind::complete:
                std::fprintf(out,
                             "%s{\"ph\": \"i\", \"s\": \"t\", \"name\": \"%s\", \"cat\": \"rt\", \"ts\": %.3f, "
                             "\"pid\": %d, \"tid\": %d, \"args\": {\"task\": %d}}",
                             separator, name_of(e.kind), ts, pid, s.tid, task_id(e.subject, e.kind == Kind::spawn));
                break;
        }
        separator = ",\n";
    }
    std::fprintf(out, "\n]}\n");
    return std::fclose(out) == 0;
}

}  // namespace rt::trace
