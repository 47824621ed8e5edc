// Wall-clock and CPU time of a stretch of code, for the examples' figures.
#pragma once

#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <fstream>

namespace rt::bench {

// CPU time used so far by every thread of this process.
inline std::chrono::nanoseconds process_cpu_time() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);  // cannot fail for this clock id
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// Resident set size of this process: the memory it really uses, in bytes.
inline std::size_t resident_bytes() {
    std::size_t total_pages = 0, resident_pages = 0;
    std::ifstream("/proc/self/statm") >> total_pages >> resident_pages;
    return resident_pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// Started on construction; elapsed() reads both clocks since then.
class Stopwatch {
public:
    struct Elapsed {
        double wall_ms;
        double cpu_ms;
    };

    Stopwatch() noexcept : wall_(std::chrono::steady_clock::now()), cpu_(process_cpu_time()) {}

    Elapsed elapsed() const {
        using Ms = std::chrono::duration<double, std::milli>;
        return {Ms(std::chrono::steady_clock::now() - wall_).count(), Ms(process_cpu_time() - cpu_).count()};
    }

private:
    std::chrono::steady_clock::time_point wall_;
    std::chrono::nanoseconds cpu_;
};

}  // namespace rt::bench
