// How doctest prints values it cannot print by itself, so that a failed CHECK shows them instead
// of {?}. Every test file gets this header first (the top-level meson.build passes -include).
#pragma once

#include <doctest/doctest.h>

#include <atomic>

// CHECK(counter == 1) on a std::atomic prints the value it held.
template <class T>
struct doctest::StringMaker<std::atomic<T>> {
    static doctest::String convert(const std::atomic<T>& value) { return doctest::toString(value.load()); }
};
