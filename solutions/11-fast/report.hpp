// Exceptions with nowhere to go: the runtime reports them instead of ending the program.
#pragma once

#include <exception>

namespace rt {

// What the runtime calls with an exception that nobody can receive: one a
// waker's drop threw in a destructor, one a wake threw on the timer's
// thread. `where` says what the runtime was doing. It may be called on any
// thread, and must not throw.
using ExceptionReporter = void (*)(const char* where, const std::exception_ptr& error) noexcept;

// Installs `reporter` and returns the one it replaces. Null puts back the
// default, which prints "<where>: <what()>" on stderr. Like Rust's
// std::panic::set_hook: tests install one to see what was reported.
ExceptionReporter set_exception_reporter(ExceptionReporter reporter) noexcept;

namespace detail {

// Hands `error` to the reporter. In a catch block, the default argument is
// the exception being handled.
void report_exception(const char* where, const std::exception_ptr& error = std::current_exception()) noexcept;

}  // namespace detail

}  // namespace rt
