#include <doctest/doctest.h>

#include <utility>

#include "rt.hpp"

TEST_SUITE("ex2: the no-op waker") {
    TEST_CASE("Waker::noop() is one waker for the whole program") {
        const rt::Waker& first = rt::Waker::noop();
        const rt::Waker& second = rt::Waker::noop();
        CHECK(&first == &second);
    }

    TEST_CASE("the no-op waker can be cloned, woken and dropped, and its clones will_wake it") {
        const rt::Waker& noop = rt::Waker::noop();
        rt::Waker clone = noop;
        CHECK(clone.will_wake(noop));
        CHECK(clone.as_raw().vtable == noop.as_raw().vtable);
        clone.wake_by_ref();
        rt::Waker another = clone;
        std::move(another).wake();
        noop.wake_by_ref();
    }
}
