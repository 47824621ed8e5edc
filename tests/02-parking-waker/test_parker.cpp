#include <doctest/doctest.h>

#include <atomic>
#include <chrono>

#include "rt.hpp"
#include "threads.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_SUITE("ex1: Parker") {
    TEST_CASE("an unpark before park makes park return at once") {
        rt::Parker parker;
        parker.unpark();
        test::bounded("park() after unpark()", [&] { parker.park(); }, 5000ms);
    }

    TEST_CASE("park waits until another thread unparks") {
        rt::Parker parker;
        auto start = Clock::now();
        test::Thread unparker([&] {
            std::this_thread::sleep_for(30ms);
            parker.unpark();
        });
        test::bounded("park() with an unpark 30 ms later", [&] { parker.park(); }, 5000ms);
        unparker.join();
        CHECK(Clock::now() - start >= 30ms);
    }

    TEST_CASE("tokens do not add up: two unparks let one park through, not two") {
        rt::Parker parker;
        parker.unpark();
        parker.unpark();
        parker.park();  // takes the one token
        std::atomic<bool> returned{false};
        test::Thread second([&] {
            parker.park();
            returned = true;
        });
        std::this_thread::sleep_for(30ms);
        CHECK_FALSE(returned);  // still waiting: the second unpark did not leave a second token
        parker.unpark();
        second.join();
        CHECK(returned);
    }

    TEST_CASE("a spurious wake-up does not end park") {
        rt::Parker parker;
        parker.unpark();
        parker.park();  // the parker works at all (and a stub fails here, on this thread)
        std::atomic<bool> returned{false};
        test::Thread parked([&] {
            parker.park();
            returned = true;
        });
        for (int i = 0; i < 10; ++i) {
            std::this_thread::sleep_for(3ms);
            parker.simulate_spurious_wakeup();
        }
        std::this_thread::sleep_for(10ms);
        CHECK_FALSE(returned);
        parker.unpark();
        parked.join();
        CHECK(returned);
    }

    TEST_CASE("park and unpark from two threads 100,000 times lose nothing") {
        rt::Parker ping, pong;
        constexpr int rounds = 50'000;  // two park/unpark pairs per round
        ping.unpark();
        ping.park();
        test::bounded("100,000 parks and unparks between two threads", [&] {
            test::Thread partner([&] {
                for (int i = 0; i < rounds; ++i) {
                    ping.park();
                    pong.unpark();
                }
            });
            for (int i = 0; i < rounds; ++i) {
                ping.unpark();
                pong.park();
            }
            partner.join();
        }, 120'000ms);
    }
}
