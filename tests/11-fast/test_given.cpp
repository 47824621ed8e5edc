// Tests of code chapter 11 gives the learner (suite "given: ..."): they pass on the learner's
// copy. Each exercise's tests go in a file of their own, in TEST_SUITE("exN: <title>").
#include <doctest/doctest.h>

#include "rt.hpp"

TEST_SUITE("given: chapter 11") {
    TEST_CASE("replace this with the chapter's tests") {
        FAIL("chapter 11 has no tests yet");
    }
}
