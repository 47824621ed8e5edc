#include <doctest/doctest.h>

#include <stdexcept>

#include "counting_waker.hpp"
#include "drop_hook.hpp"
#include "fake_clock.hpp"
#include "rt.hpp"
#include "threads.hpp"
#include "throwing_waker.hpp"

using namespace std::chrono_literals;

TEST_SUITE("ex1: Timer::store") {
    TEST_CASE("the first store puts the entry in the heap and clones the waker once") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Timer::Entry entry(clock.now + 10ms);
        timer.store(entry, waker);
        CHECK(timer.size() == 1);
        CHECK(counter.clones == 1);
        CHECK(entry.waker.has_value());
        timer.cancel(entry);
    }

    TEST_CASE("a new earliest deadline wakes the timer's thread; a later one, or the same entry again, does not") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Timer::Entry later(clock.now + 200ms), latest(clock.now + 300ms), sooner(clock.now + 100ms);
        timer.store(later, waker);
        INFO("the thread sleeps until the earliest deadline it knows: a new earliest one must wake it "
             "(notify_thread), and only that");
        CHECK(timer.notifications() == 1);
        timer.store(latest, waker);
        CHECK(timer.notifications() == 1);
        timer.store(sooner, waker);
        CHECK(timer.notifications() == 2);
        timer.store(sooner, waker);
        CHECK(timer.notifications() == 2);
        timer.cancel(later);
        timer.cancel(latest);
        timer.cancel(sooner);
    }

    TEST_CASE("storing the same waker again clones nothing, thanks to will_wake") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Waker clone = waker;  // a clone will_wake the original
        rt::Timer::Entry entry(clock.now + 10ms);
        timer.store(entry, waker);
        timer.store(entry, clone);
        timer.store(entry, waker);
        CHECK(counter.clones == 2);  // ours, and the timer's first
        CHECK(timer.size() == 1);
        timer.cancel(entry);
    }

    TEST_CASE("a different waker replaces the stored one, whose clone is dropped") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        test::WakeCounter first, second;
        rt::Waker a = first.waker(), b = second.waker();
        rt::Timer::Entry entry(clock.now + 10ms);
        timer.store(entry, a);
        timer.store(entry, b);
        CHECK(first.clones == 1);
        CHECK(first.drops == 1);
        CHECK(second.clones == 1);
        CHECK(timer.size() == 1);
        CHECK(entry.waker->will_wake(b));
        timer.cancel(entry);
        CHECK(second.drops == 1);
    }

    TEST_CASE("a store after the entry has fired changes nothing") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        rt::Timer::Entry entry(clock.now + 10ms);
        entry.fired = true;  // as fire_due leaves it
        timer.store(entry, waker);
        CHECK(timer.size() == 0);
        CHECK(counter.clones == 0);
        CHECK_FALSE(entry.waker.has_value());
    }

    TEST_CASE("entries of many sleeps share the heap") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        test::WakeCounter counter;
        rt::Waker waker = counter.waker();
        std::vector<rt::Timer::Entry> entries;
        for (int i = 0; i < 100; ++i) entries.emplace_back(clock.now + std::chrono::milliseconds(100 - i));
        for (auto& entry : entries) timer.store(entry, waker);
        CHECK(timer.size() == 100);
        for (auto& entry : entries) timer.cancel(entry);
        CHECK(timer.size() == 0);
        CHECK(counter.live() == 1);
    }

    TEST_CASE("the waker a store replaces is dropped after unlocking: its drop may call the timer") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        rt::Timer::Entry entry(clock.now + 10ms);
        test::DropHook hook([&] { (void)timer.size(); });
        {
            rt::Waker hooked = hook.waker();
            timer.store(entry, hooked);
        }
        hook.arm();  // the timer's clone is the only one left
        test::WakeCounter counter;
        rt::Waker other = counter.waker();
        // Under the timer's lock, the drop's timer.size() would lock a mutex
        // its thread already holds: a deadlock.
        test::bounded("a store whose replaced waker calls the timer as it drops", [&] {
            timer.store(entry, other);
            return 0;
        });
        CHECK(hook.ran());
        CHECK(entry.waker->will_wake(other));
        timer.cancel(entry);
    }

    TEST_CASE("a clone that throws comes out of store, and the timer stays usable with nothing leaked") {
        test::FakeClock clock;
        rt::Timer timer(clock.reader());
        rt::Timer::Entry entry(clock.now + 10ms);
        test::WakeCounter counter;
        rt::Waker good = counter.waker();
        timer.store(entry, good);
        test::ThrowingWaker thrower(test::ThrowingWaker::on_clone);
        rt::Waker bad = thrower.waker();
        CHECK_THROWS_WITH_AS(timer.store(entry, bad), "the waker threw from clone", std::runtime_error);
        timer.store(entry, good);  // a later poll's store works as before
        CHECK(timer.size() == 1);
        timer.cancel(entry);
        CHECK(timer.size() == 0);
        CHECK(counter.live() == 1);  // only ours
        CHECK(thrower.live() == 1);
    }
}
