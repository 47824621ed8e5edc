// Exercise 3: Executor::park. The loop announces, looks again, waits in
// epoll_wait until the earliest deadline, withdraws, drains the eventfd.
// The timers here are the tests' own (test::At), not rt::sleep, which is
// exercise 4. Wakes from other threads are started from the loop's hooks,
// which run inside park: on park's stub no other thread ever wakes anything.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "loop_helpers.hpp"
#include "rt.hpp"
#include "scripted_server.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;
using test::Clock;

namespace {

// How a main future that waited for a wake from another thread ended.
struct Outcome {
    bool woken = false;  // by the other thread's wake, not by its backstop timer (2 s)
    Clock::duration elapsed{};
    std::size_t blocking_turns = 0;
    std::size_t writes = 0;  // of the eventfd
};

// Runs a main future that, at its first poll, calls arm(waker, woken, late)
// to set a hook of the loop, then waits until `woken` is set, or until its
// backstop timer fires. `late` may hold a thread that outlives the hook; it
// is joined before the executor goes.
template <class Arm>
Outcome wait_for_a_foreign_wake(Arm arm) {
    rt::Executor executor;
    std::atomic<bool> woken{false};
    std::optional<test::At> backstop;
    std::optional<test::Thread> late;
    auto start = Clock::now();
    Outcome outcome;
    outcome.woken = test::bounded("an executor waiting for a wake from another thread", [&] {
        test::ClearHooks clear;  // on the loop's thread, where the hooks are
        bool woken_first = executor.block_on(test::poll_fn<bool>([&](rt::Context& cx) -> rt::Poll<bool> {
            if (woken) return true;
            if (!backstop) {
                backstop.emplace(Clock::now() + 2s);
                arm(cx.waker(), woken, late);
            }
            if (backstop->poll(cx).is_ready()) return false;
            return rt::pending;
        }));
        if (late) late->join();
        return woken_first;
    });
    outcome.elapsed = Clock::now() - start;
    outcome.blocking_turns = executor.driver().blocking_turns();
    outcome.writes = executor.signal_writes();
    return outcome;
}

}  // namespace

TEST_SUITE("ex3: Executor::park") {
    TEST_CASE("an idle loop waits in epoll_wait until its timer is due: not sooner, and without spinning") {
        rt::Executor executor;
        auto start = Clock::now();
        test::bounded("an executor waiting for a timer 30 ms away", [&] { executor.block_on(test::At(start + 30ms)); });
        CHECK(Clock::now() - start >= 30ms);
        INFO("nothing to run, one timer: one wait in epoll_wait of the time left, not a loop of waits of 0");
        CHECK(executor.driver().blocking_turns() >= 1);
        CHECK(executor.driver().turns() <= 3);
    }

    TEST_CASE("timers a fraction of a millisecond apart cost a wait or two each, not a spin") {
        rt::Executor executor;
        auto start = Clock::now();
        test::bounded("an executor waiting for three timers", [&] {
            executor.block_on(rt::join(test::At(start + 5500us), test::At(start + 10700us), test::At(start + 20300us)));
        });
        CHECK(Clock::now() - start >= 20300us);
        INFO("the wait is Driver::timeout_ms of the earliest deadline: rounded up, it never ends before it");
        CHECK(executor.driver().turns() <= 8);
    }

    TEST_CASE("a wake from another thread just before the loop announces (before_announce) is found: no wait") {
        Outcome outcome = wait_for_a_foreign_wake([](const rt::Waker& waker, std::atomic<bool>& woken, auto&) {
            rt::detail::loop_hooks().before_announce = [&woken, waker] {
                test::Thread other([&] {
                    woken = true;
                    waker.wake_by_ref();
                });
                other.join();
            };
        });
        CHECK(outcome.woken);
        INFO("the wake came before the announcement, so wrote nothing: prepare_to_block's second look found it "
             "and said do not block; park must then look at the driver without waiting (a timeout of 0)");
        CHECK(outcome.blocking_turns == 0);
        CHECK(outcome.writes == 0);
        CHECK(outcome.elapsed < 1s);  // the backstop would end a wait after 2 s
    }

    TEST_CASE("a wake from another thread just before epoll_wait (before_wait) ends the wait at once") {
        Outcome outcome = wait_for_a_foreign_wake([](const rt::Waker& waker, std::atomic<bool>& woken, auto&) {
            rt::detail::loop_hooks().before_wait = [&woken, waker] {
                test::Thread other([&] {
                    woken = true;
                    waker.wake_by_ref();
                });
                other.join();
            };
        });
        CHECK(outcome.woken);
        INFO("before_wait runs after the announcement and the timeout, just before driver_->turn: the wake "
             "finds the announcement and writes the eventfd, which ends the wait");
        CHECK(outcome.writes == 1);
        CHECK(outcome.blocking_turns == 1);
        CHECK(outcome.elapsed < 1s);
    }

    TEST_CASE("a wake from another thread while the loop waits in epoll_wait ends the wait promptly") {
        Outcome outcome = wait_for_a_foreign_wake([](const rt::Waker& waker, std::atomic<bool>& woken, auto& late) {
            rt::detail::loop_hooks().before_wait = [&woken, &late, waker] {
                late.emplace([&woken, waker] {
                    std::this_thread::sleep_for(20ms);  // by then the loop is in epoll_wait
                    woken = true;
                    waker.wake_by_ref();
                });
            };
        });
        INFO("the announcement must stand while the loop waits (done_blocking after the turn, not before): "
             "otherwise the waker sees no announcement, writes nothing, and the wait runs to its timeout");
        CHECK(outcome.woken);
        CHECK(outcome.writes == 1);
        CHECK(outcome.elapsed < 1s);  // 20 ms, or 2 s if the wake was lost
    }

    TEST_CASE("the eventfd is drained: after one wake from another thread, a 100 ms timer costs a few turns") {
        rt::Executor executor;
        std::atomic<bool> woken{false};
        std::optional<test::At> timer;
        std::size_t turns_before = 0, turns_after = 0;
        test::bounded("an executor woken once from another thread, then waiting for a timer", [&] {
            test::ClearHooks clear;
            executor.block_on(test::poll_fn<void>([&](rt::Context& cx) -> rt::Poll<void> {
                if (!woken && !timer) {
                    rt::detail::loop_hooks().before_wait = [&woken, waker = cx.waker()] {
                        test::Thread other([&] {
                            woken = true;
                            waker.wake_by_ref();
                        });
                        other.join();
                    };
                    return rt::pending;
                }
                if (!timer) {
                    turns_before = executor.driver().turns();
                    timer.emplace(Clock::now() + 100ms);
                }
                if (timer->poll(cx).is_pending()) return rt::pending;
                turns_after = executor.driver().turns();
                return rt::ready();
            }));
        });
        CHECK(executor.signal_writes() == 1);
        INFO("epoll watches the eventfd level-triggered: left unread, it ends every wait at once, and the loop "
             "spins; drain it when the turn says it fired");
        CHECK(turns_after - turns_before <= 5);
    }

    TEST_CASE("after a wait that a timer ended, the loop withdraws its announcement: wakes while busy write nothing") {
        rt::Executor executor;
        std::optional<test::At> timer;
        std::optional<test::Thread> other;
        std::atomic<bool> finished{false};
        test::bounded("an executor that waits for a timer, then is woken while busy", [&] {
            executor.block_on(test::poll_fn<void>([&](rt::Context& cx) -> rt::Poll<void> {
                if (!timer) timer.emplace(Clock::now() + 20ms);
                if (timer->poll(cx).is_pending()) return rt::pending;  // the loop blocks; the timer ends it
                if (!other) other.emplace([&finished, waker = cx.waker()] {
                    waker.wake_by_ref();
                    finished = true;
                });
                if (finished) return rt::ready();
                cx.waker().wake_by_ref();  // busy meanwhile: the loop does not park
                return rt::pending;
            }));
            other->join();
        });
        CHECK(executor.driver().blocking_turns() >= 1);
        INFO("done_blocking after every blocking turn: else the announcement outlives the wait, and the next "
             "wake from another thread writes the eventfd while the loop is busy");
        CHECK(executor.signal_writes() == 0);
    }

    TEST_CASE("100 tasks woken from another thread during one wait: one eventfd write") {
        rt::Executor executor;
        constexpr int count = 100;
        std::vector<std::optional<rt::Waker>> wakers(count);
        std::atomic<bool> released{false};
        test::bounded("100 tasks woken from another thread", [&] {
            test::ClearHooks clear;
            executor.block_on(rt::Then(rt::Ready<int>(0), [&](int) {
                std::vector<rt::JoinHandle<void>> handles;
                for (int i = 0; i < count; ++i)
                    handles.push_back(rt::spawn(test::poll_fn<void>([&, i](rt::Context& cx) -> rt::Poll<void> {
                        if (released) return rt::ready();
                        wakers[i] = cx.waker();
                        return rt::pending;
                    })));
                // By the first wait, every task has been polled and has left its waker.
                rt::detail::loop_hooks().before_wait = [&] {
                    test::Thread other([&] {
                        released = true;
                        for (auto& waker : wakers) waker->wake_by_ref();
                    });
                    other.join();
                };
                return rt::join_in_order(std::move(handles));
            }));
        });
        INFO("one write per wait, not per wake");
        CHECK(executor.signal_writes() == 1);
        CHECK(executor.driver().blocking_turns() == 1);
    }

    TEST_CASE("5,000 wakes from another thread at random moments around epoll_wait: none is lost") {
        rt::Executor executor;
        constexpr int rounds = 5000;
        std::atomic<int> go{0}, woke{0};
        std::atomic<bool> stop{false};
        std::optional<rt::Waker> main_waker;  // set at the first poll, before the other thread reads it
        test::Thread other([&] {
            unsigned seed = 6;
            for (int round = 1; round <= rounds; ++round) {
                while (go.load() < round) {
                    if (stop) return;
                    std::this_thread::yield();
                }
                seed = seed * 1103515245u + 12345u;
                test::spin((seed >> 16) % 3000);
                woke = round;
                main_waker->wake_by_ref();
            }
        });
        int round = 0, lost = 0;
        std::optional<test::At> backstop;
        try {
            test::bounded("an executor woken 5,000 times from another thread", [&] {
                test::ClearHooks clear;
                executor.block_on(test::poll_fn<void>([&](rt::Context& cx) -> rt::Poll<void> {
                    if (!main_waker) main_waker = cx.waker();
                    if (round > 0) {
                        bool arrived = woke.load() >= round;
                        bool timed_out = backstop->poll(cx).is_ready();
                        if (!arrived && !timed_out) return rt::pending;
                        if (timed_out) {  // 2 s passed before the loop saw this round's wake
                            ++lost;
                            return rt::ready();
                        }
                    }
                    if (round == rounds) return rt::ready();
                    ++round;
                    backstop.emplace(Clock::now() + 2s);
                    (void)backstop->poll(cx);
                    // The other thread starts its wake as the loop is about to wait.
                    rt::detail::loop_hooks().before_wait = [&go, r = round] { go = r; };
                    return rt::pending;
                }));
            }, 30'000ms);
        } catch (...) {
            stop = true;
            throw;
        }
        stop = true;
        other.join();
        INFO("a wake was lost (the loop saw it only when its 2 s backstop fired) in round " << round);
        CHECK(lost == 0);
        CHECK(round == rounds);
        CHECK(executor.signal_writes() <= static_cast<std::size_t>(rounds));
    }

    TEST_CASE("I/O ends the wait: a GET whose server answers after 30 ms, and a refused connect") {
        test::ScriptedServer server(
            {test::pause(30ms), test::write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")});
        rt::Executor executor;
        auto start = Clock::now();
        rt::HttpResponse response =
            test::bounded("a GET on a loop that waits in epoll_wait", [&] { return executor.block_on(rt::http_get(server.url())); });
        CHECK(response.body == "ok");
        CHECK(Clock::now() - start >= 30ms);
        INFO("the loop waits for the socket in epoll_wait (no timer: without a limit), and its edge ends the wait");
        CHECK(executor.driver().blocking_turns() >= 1);
        CHECK(executor.driver().turns() <= 12);
        CHECK(executor.driver().reactor().size() == 0);
        std::string address = "127.0.0.1:" + std::to_string(test::closed_port());
        CHECK_THROWS_WITH_AS(
            test::bounded("a refused connect", [&] { return executor.block_on(rt::TcpStream::connect(address)); }),
            ("connect to " + address + ": Connection refused").c_str(), std::system_error);
    }
}
