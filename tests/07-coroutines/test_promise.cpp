// Exercise 2: the promise's result, driven by hand as the coroutine drives
// it: co_return calls return_value (or return_void), an exception that
// leaves the body calls unhandled_exception inside a catch, and Async::poll
// takes the result once the body is done.
#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "rt.hpp"

namespace {

// Counts its copies: co_return must move the value, never copy it.
struct CopyCounter {
    explicit CopyCounter(int* c) noexcept : copies(c) {}
    CopyCounter(const CopyCounter& other) noexcept : copies(other.copies) { ++*copies; }
    CopyCounter(CopyCounter&& other) noexcept : copies(other.copies) {}
    CopyCounter& operator=(const CopyCounter&) = delete;
    int* copies;
};

// What the coroutine does when its body throws: unhandled_exception, inside the catch.
template <class Promise, class Exception>
void body_throws(Promise& promise, Exception e) {
    try {
        throw e;
    } catch (...) {
        promise.unhandled_exception();
    }
}

}  // namespace

TEST_SUITE("ex2: Promise: the value or the exception, kept for Async::poll") {
    TEST_CASE("co_return of a value: take_result gives it") {
        rt::detail::Promise<std::string> promise;
        REQUIRE_NOTHROW(promise.return_value(std::string("a value")));
        CHECK(promise.take_result() == "a value");
    }

    TEST_CASE("co_return moves the value: a move-only value, and no copy of a copyable one") {
        rt::detail::Promise<std::unique_ptr<int>> promise;
        REQUIRE_NOTHROW(promise.return_value(std::make_unique<int>(5)));
        std::unique_ptr<int> value = promise.take_result();
        REQUIRE(value != nullptr);
        CHECK(*value == 5);

        int copies = 0;
        rt::detail::Promise<CopyCounter> counted;
        counted.return_value(CopyCounter(&copies));
        CopyCounter out = counted.take_result();
        (void)out;
        INFO("return_value and take_result move the value: a copy would cost what the value holds");
        CHECK(copies == 0);
    }

    TEST_CASE("an exception from the body is kept, and take_result rethrows it with its type and message") {
        rt::detail::Promise<int> promise;
        INFO("unhandled_exception keeps the exception: rethrowing it here would throw it out of the resume, "
             "before the body's locals are gone");
        REQUIRE_NOTHROW(body_throws(promise, std::runtime_error("the body failed")));
        CHECK_THROWS_WITH_AS((void)promise.take_result(), "the body failed", std::runtime_error);
    }

    TEST_CASE("the exception's own type comes back, not a copy sliced to std::exception") {
        rt::detail::Promise<int> promise;
        REQUIRE_NOTHROW(
            body_throws(promise, std::system_error(std::make_error_code(std::errc::connection_refused), "connect")));
        CHECK_THROWS_AS((void)promise.take_result(), std::system_error);
    }

    TEST_CASE("Promise<void>: nothing when the body ends, its exception when it throws") {
        rt::detail::Promise<void> ends;
        ends.return_void();
        REQUIRE_NOTHROW(ends.take_result());

        rt::detail::Promise<void> throws;
        REQUIRE_NOTHROW(body_throws(throws, std::invalid_argument("bad argument")));
        CHECK_THROWS_WITH_AS(throws.take_result(), "bad argument", std::invalid_argument);
    }
}
