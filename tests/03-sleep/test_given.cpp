// Code the chapter gives the learner: it must work before any exercise is solved.
#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "counting_waker.hpp"
#include "fake_clock.hpp"
#include "poll_helpers.hpp"
#include "rt.hpp"

using namespace std::chrono_literals;

namespace {

// Pending at its first poll without waking anyone (as a future whose wake
// came from elsewhere), ready at its second. Counts its polls.
struct PendingOnce {
    using Output = int;
    int* polls;
    rt::Poll<int> poll(rt::Context&) {
        if (++*polls == 1) return rt::pending;
        return *polls;
    }
};

struct Item {
    int deadline;
    std::size_t heap_index = rt::detail::TimerHeap<Item>::npos;
};

}  // namespace

TEST_SUITE("given: TimerHeap, Timer, JoinAll") {
    TEST_CASE("the heap pops entries in deadline order and keeps their indexes") {
        std::vector<Item> items;
        for (int d : {50, 10, 40, 20, 30, 60, 5}) items.push_back(Item{d});
        rt::detail::TimerHeap<Item> heap;
        for (Item& item : items) heap.push(&item);
        std::vector<int> popped;
        while (!heap.empty()) {
            Item* first = heap.pop();
            CHECK(first->heap_index == rt::detail::TimerHeap<Item>::npos);
            popped.push_back(first->deadline);
        }
        CHECK(popped == std::vector<int>{5, 10, 20, 30, 40, 50, 60});
    }

    TEST_CASE("removing an entry from the middle keeps the rest in order") {
        std::vector<Item> items;
        for (int d = 1; d <= 20; ++d) items.push_back(Item{(d * 7) % 20});
        rt::detail::TimerHeap<Item> heap;
        for (Item& item : items) heap.push(&item);
        heap.remove(&items[3]);
        heap.remove(&items[11]);
        CHECK(heap.size() == 18);
        int last = -1;
        while (!heap.empty()) {
            Item* first = heap.pop();
            CHECK(first->deadline >= last);
            last = first->deadline;
        }
    }

    TEST_CASE("cancel on an entry that was never stored does nothing") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        rt::Timer::Entry entry(clock.now + 10ms);
        timer.cancel(entry);
        CHECK(timer.size() == 0);
    }

    TEST_CASE("sleep(duration::max()) never ends: its deadline is the clock's last time point, not an overflow") {
        CHECK(rt::sleep(std::chrono::steady_clock::duration::max()).deadline() ==
              std::chrono::steady_clock::time_point::max());
        auto year = std::chrono::hours(24 * 365);
        rt::Sleep long_one = rt::sleep(year);
        CHECK(long_one.deadline() > std::chrono::steady_clock::now() + year - 1min);
    }

    TEST_CASE("a sleep of hours::max() or seconds::max() never ends either: no overflow on the way to nanoseconds") {
        using TimePoint = std::chrono::steady_clock::time_point;
        CHECK(rt::sleep(std::chrono::hours::max()).deadline() == TimePoint::max());
        CHECK(rt::sleep(std::chrono::seconds::max()).deadline() == TimePoint::max());
        CHECK(rt::saturating_cast(std::chrono::hours::min()) == std::chrono::steady_clock::duration::min());
        CHECK(rt::saturating_cast(std::chrono::milliseconds(1500)) == std::chrono::microseconds(1'500'000));
        CHECK(rt::saturating_cast(std::chrono::duration<double>(1e300)) == std::chrono::steady_clock::duration::max());
        // A sleep in the past is due at once, however far in the past.
        CHECK(rt::sleep(std::chrono::hours::min()).deadline() < std::chrono::steady_clock::now());
    }

    TEST_CASE("a timer with a thread stops at once when destroyed") {
        auto start = std::chrono::steady_clock::now();
        { rt::Timer timer; }
        CHECK(std::chrono::steady_clock::now() - start < 5s);
    }

    TEST_CASE("join_all polls each pending child once per poll, and is ready as soon as all are") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Context cx(waker);
        int first = 0, second = 0;
        std::vector<PendingOnce> children{PendingOnce{&first}, PendingOnce{&second}};
        auto all = rt::join_all(std::move(children));
        CHECK(all.poll(cx).is_pending());
        CHECK(first == 1);
        CHECK(second == 1);
        rt::Poll<std::vector<int>> poll = all.poll(cx);
        REQUIRE(poll.is_ready());
        CHECK(poll.value() == std::vector<int>{2, 2});
    }

    TEST_CASE("join_all gives every output in order") {
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        std::vector<rt::Countdown> countdowns;
        for (int n : {3, 1, 2}) countdowns.emplace_back(n);
        auto all = rt::join_all(std::move(countdowns));
        CHECK(test::poll_until_ready(all, waker) == std::vector<int>{3, 1, 2});
    }
}
