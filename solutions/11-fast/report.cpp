#include "report.hpp"

#include <atomic>
#include <cstdio>

namespace rt {

namespace {

void print_to_stderr(const char* where, const std::exception_ptr& error) noexcept {
    if (!error) {
        std::fprintf(stderr, "%s\n", where);
        return;
    }
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", where, e.what());
    } catch (...) {
        std::fprintf(stderr, "%s\n", where);
    }
}

// Any thread may report, and a test may install a reporter meanwhile.
std::atomic<ExceptionReporter> reporter{print_to_stderr};

}  // namespace

ExceptionReporter set_exception_reporter(ExceptionReporter replacement) noexcept {
    return reporter.exchange(replacement != nullptr ? replacement : print_to_stderr);
}

void detail::report_exception(const char* where, const std::exception_ptr& error) noexcept {
    reporter.load()(where, error);
}

}  // namespace rt
