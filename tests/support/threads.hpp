// Threads for tests: exceptions come back to the test, and every wait is bounded.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <future>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace test {

// A thread whose exception is rethrown by join() (and so reaches doctest)
// instead of calling std::terminate. Joined on destruction.
class Thread {
public:
    template <class Fn>
    explicit Thread(Fn fn)
        : thread_([this, fn = std::move(fn)]() mutable {
              try {
                  fn();
              } catch (...) {
                  error_ = std::current_exception();
              }
          }) {}
    Thread(const Thread&) = delete;
    Thread& operator=(const Thread&) = delete;
    ~Thread() {
        if (thread_.joinable()) thread_.join();
    }

    void join() {
        thread_.join();
        if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    }

private:
    std::exception_ptr error_;
    std::thread thread_;
};

// Runs fn() on a new thread and returns its result or rethrows its
// exception. If it takes longer than `limit`, the test binary stops with a
// message: a test that hangs would tell the learner nothing.
template <class Fn>
auto bounded(const char* what, Fn fn, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::packaged_task<std::invoke_result_t<Fn>()> task(std::move(fn));
    auto result = task.get_future();
    std::thread thread(std::move(task));
    if (result.wait_for(limit) == std::future_status::timeout) {
        std::fprintf(stderr, "\nTIMEOUT: %s did not finish within %lld ms: a wake-up was lost, or nothing "
                             "wakes the future.\n", what, static_cast<long long>(limit.count()));
        std::fflush(stderr);
        std::_Exit(3);
    }
    thread.join();
    return result.get();
}

// Waits until pred() holds, checking every millisecond; false after `limit`.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

}  // namespace test
