// CatchReports: what the runtime reports (rt::set_exception_reporter) while
// it exists, kept for the test to look at instead of printed. Thread-safe:
// the timer's or the reactor's thread may report.
#pragma once

#include <exception>
#include <mutex>
#include <string>
#include <vector>

#include "rt.hpp"

namespace test {

class CatchReports {
public:
    CatchReports() {
        clear();
        previous_ = rt::set_exception_reporter(&record);
    }
    ~CatchReports() { rt::set_exception_reporter(previous_); }
    CatchReports(const CatchReports&) = delete;
    CatchReports& operator=(const CatchReports&) = delete;

    // Each report as "<where>: <what()>".
    std::vector<std::string> lines() const {
        std::lock_guard lock(mutex_);
        return lines_;
    }
    int count() const { return static_cast<int>(lines().size()); }

private:
    static void clear() {
        std::lock_guard lock(mutex_);
        lines_.clear();
    }

    static void record(const char* where, const std::exception_ptr& error) noexcept {
        std::string line = where;
        try {
            if (error) std::rethrow_exception(error);
        } catch (const std::exception& e) {
            line += std::string(": ") + e.what();
        } catch (...) {
        }
        std::lock_guard lock(mutex_);
        lines_.push_back(std::move(line));
    }

    static inline std::mutex mutex_;
    static inline std::vector<std::string> lines_;
    rt::ExceptionReporter previous_ = nullptr;
};

}  // namespace test
