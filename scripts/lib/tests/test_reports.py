"""How the tutor reads what the tools print: compiler errors, crashes, doctest's XML, cached results.

No building here: the inputs are outputs copied from g++ 12, clang 14, GNU ld, doctest and the sanitizers.
"""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import builds
import progress
import testrun
from course import Chapter, Exercise

GCC_TWO_FILES = """\
ninja: Entering directory `build'
[1/4] Compiling C++ object chapters/01-block-on/librt.a.p/countdown.cpp.o
FAILED: chapters/01-block-on/librt.a.p/countdown.cpp.o
g++ -Ichapters/01-block-on -I../chapters/01-block-on -std=c++20 -o countdown.cpp.o -c ../chapters/01-block-on/countdown.cpp
../chapters/01-block-on/countdown.cpp: In member function ‘rt::Poll<int> rt::Countdown::poll(rt::Context&)’:
../chapters/01-block-on/countdown.cpp:16:13: error: ‘nosuch’ was not declared in this scope
   16 |     int x = nosuch; return x + 1;
      |             ^~~~~~
[2/4] Compiling C++ object chapters/01-block-on/librt.a.p/waker.cpp.o
FAILED: chapters/01-block-on/librt.a.p/waker.cpp.o
g++ -Ichapters/01-block-on -I../chapters/01-block-on -std=c++20 -o waker.cpp.o -c ../chapters/01-block-on/waker.cpp
../chapters/01-block-on/waker.cpp: In function ‘void rt::f()’:
../chapters/01-block-on/waker.cpp:8:27: error: ‘undefined_thing’ was not declared in this scope
    8 | namespace rt { void f() { undefined_thing(); }
      |                           ^~~~~~~~~~~~~~~
ninja: build stopped: subcommand failed.
"""

GCC_IN_A_HEADER = """\
[1/2] Compiling C++ object chapters/01-demo/tests.p/.._.._tests_01-demo_test_demo.cpp.o
FAILED: chapters/01-demo/tests.p/.._.._tests_01-demo_test_demo.cpp.o
c++ -Ichapters/01-demo -I../chapters/01-demo -c ../tests/01-demo/test_demo.cpp
In file included from ../chapters/01-demo/rt.hpp:4,
                 from ../tests/01-demo/test_demo.cpp:3:
../chapters/01-demo/counter.hpp: In member function ‘int rt::Counter::next()’:
../chapters/01-demo/counter.hpp:12:16: error: ‘no_such_name_three’ was not declared in this scope
   12 |         return no_such_name_three;
      |                ^~~~~~~~~~~~~~~~~~
ninja: build stopped: subcommand failed.
"""

CLANG = """\
[3/13] Compiling C++ object chapters/01-block-on/librt.a.p/countdown.cpp.o
FAILED: chapters/01-block-on/librt.a.p/countdown.cpp.o
clang++ -Ichapters/01-block-on -c ../chapters/01-block-on/countdown.cpp
../chapters/01-block-on/countdown.cpp:16:13: error: use of undeclared identifier 'nosuch'
    int x = nosuch; return x + 1;
            ^
1 error generated.
ninja: build stopped: subcommand failed.
"""

LINKER = """\
[5/5] Linking target chapters/01-block-on/tests
FAILED: chapters/01-block-on/tests
g++  -o chapters/01-block-on/tests chapters/01-block-on/tests.p/test_given.cpp.o -Wl,--as-needed
/usr/bin/ld: chapters/01-block-on/tests.p/test_block_on.cpp.o: in function `DOCTEST_ANON_FUNC_7()':
chapters/01-block-on/block_on.hpp:21: undefined reference to `rt::todo(std::basic_string_view<char>)'
/usr/bin/ld: chapters/01-block-on/tests.p/test_block_on.cpp.o: in function `rt::block_on<rt::Deadline>()':
chapters/01-block-on/block_on.hpp:21: undefined reference to `rt::todo(std::basic_string_view<char>)'
collect2: error: ld returned 1 exit status
ninja: build stopped: subcommand failed.
"""

XML_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<doctest binary="build/chapters/01-demo/tests">
  <Options order_by="file" rand_seed="0" first="0" last="4294967295"/>
  <TestSuite name="given: rt::todo">
    <TestCase name="rt::todo throws NotImplemented" filename="../tests/01-demo/test_demo.cpp" line="6" skipped="true"/>
  </TestSuite>
"""
XML_TAIL = """
  <OverallResultsAsserts successes="1" failures="1"/>
  <OverallResultsTestCases successes="1" failures="1" skipped="4"/>
</doctest>
"""
XML_ONE_FAILS = XML_HEAD + """
  <TestSuite name="ex1: add two numbers">
    <TestCase name="2 + 3 is 5" filename="../tests/01-demo/test_demo.cpp" line="12">
      <Expression success="false" type="CHECK" filename="../tests/01-demo/test_demo.cpp" line="12">
        <Original>
          rt::add(2, 3) == 5
        </Original>
        <Expanded>
          -1 == 5
        </Expanded>
      </Expression>
      <OverallResultsAsserts successes="0" failures="1" test_case_success="false"/>
    </TestCase>
    <TestCase name="adding 0 changes nothing" filename="../tests/01-demo/test_demo.cpp" line="13">
      <OverallResultsAsserts successes="1" failures="0" test_case_success="true"/>
    </TestCase>
  </TestSuite>
  <TestSuite name="ex2: double a number">
    <TestCase name="twice 4 is 8" filename="../tests/01-demo/test_demo.cpp" line="17" skipped="true"/>
  </TestSuite>""" + XML_TAIL
XML_STUB = XML_HEAD + """
  <TestSuite name="ex2: double a number">
    <TestCase name="twice 4 is 8" filename="../tests/01-demo/test_demo.cpp" line="17">
      <Expression success="false" type="CHECK" filename="../tests/01-demo/test_demo.cpp" line="17">
        <Original>
          rt::twice(4) == 8
        </Original>
        <Exception>
          "not yet implemented: ex2: double a number"
        </Exception>
      </Expression>
      <OverallResultsAsserts successes="0" failures="1" test_case_success="false"/>
    </TestCase>
  </TestSuite>""" + XML_TAIL
XML_SIGNAL = XML_HEAD + """
  <TestSuite name="ex1: add two numbers">
    <TestCase name="2 + 3 is 5" filename="../tests/01-demo/test_demo.cpp" line="12">
      <Exception crash="true">
        SIGSEGV - Segmentation violation signal
      </Exception>
      <OverallResultsAsserts successes="0" failures="0" test_case_success="false"/>
    </TestCase>
  </TestSuite>""" + XML_TAIL
# What is left when a sanitizer ends the process in the second test case: doctest never closes the report.
XML_CUT_SHORT = XML_HEAD + """
  <TestSuite name="ex1: add two numbers">
    <TestCase name="2 + 3 is 5" filename="../tests/01-demo/test_demo.cpp" line="12">
      <OverallResultsAsserts successes="1" failures="0" test_case_success="true"/>
    </TestCase>
    <TestCase name="adding 0 &amp; more" filename="../tests/01-demo/test_demo.cpp" line="13">
"""


class CompilerErrorTest(unittest.TestCase):
    def test_only_the_first_error_of_several_files_with_its_function(self) -> None:
        self.assertEqual(builds.first_compiler_error(GCC_TWO_FILES).splitlines(), [
            "../chapters/01-block-on/countdown.cpp: In member function ‘rt::Poll<int> rt::Countdown::poll(rt::Context&)’:",
            "../chapters/01-block-on/countdown.cpp:16:13: error: ‘nosuch’ was not declared in this scope",
            "   16 |     int x = nosuch; return x + 1;",
            "      |             ^~~~~~",
        ])

    def test_an_error_in_a_header_keeps_the_include_chain(self) -> None:
        shown = builds.first_compiler_error(GCC_IN_A_HEADER).splitlines()
        self.assertEqual(shown[0], "In file included from ../chapters/01-demo/rt.hpp:4,")
        self.assertIn("error: ‘no_such_name_three’ was not declared", shown[3])
        self.assertEqual(len(shown), 6)

    def test_clang_stops_before_its_error_count(self) -> None:
        self.assertEqual(builds.first_compiler_error(CLANG).splitlines(), [
            "../chapters/01-block-on/countdown.cpp:16:13: error: use of undeclared identifier 'nosuch'",
            "    int x = nosuch; return x + 1;",
            "            ^",
        ])

    def test_a_linker_error_is_its_first_undefined_reference_explained(self) -> None:
        shown = builds.first_compiler_error(LINKER).splitlines()
        self.assertEqual(shown[0], "chapters/01-block-on/block_on.hpp:21: undefined reference to "
                                   "`rt::todo(std::basic_string_view<char>)'")
        self.assertIn("a linker error", shown[1])
        self.assertEqual(len(shown), 2)

    def test_other_failures_show_their_last_lines_without_the_command(self) -> None:
        output = "[1/1] Regenerating build files.\nFAILED: build.ninja\n/usr/bin/meson --internal regenerate\n" \
                 "meson.build:12:0: ERROR: File nothing.cpp does not exist.\nninja: build stopped.\n"
        self.assertEqual(builds.first_compiler_error(output), "meson.build:12:0: ERROR: File nothing.cpp does not exist.")

    def test_tidy_output_names_paths_from_the_root_and_drops_colour(self) -> None:
        build = builds.ROOT / "build"
        raw = (f"\x1b[01m\x1b[K../chapters/01-demo/demo.cpp:8:5:\x1b[m\x1b[K error: x\n"
               f'    3 | #include "../other.hpp"\n'
               f"{build}/../chapters/01-demo/demo.hpp:21: undefined reference to `f()'\n")
        self.assertEqual(builds.tidy_output(raw, build).splitlines(), [
            "chapters/01-demo/demo.cpp:8:5: error: x",
            '    3 | #include "../other.hpp"',
            "chapters/01-demo/demo.hpp:21: undefined reference to `f()'",
        ])
        nested = builds.ROOT / "build-check" / "gcc"
        self.assertEqual(builds.tidy_output("../../tests/x.cpp:1:1: error: y", nested), "tests/x.cpp:1:1: error: y")

    def test_the_same_compiler_under_other_names(self) -> None:
        self.assertTrue(builds.same_compiler("g++", "g++"))
        self.assertTrue(builds.same_compiler("ccache g++", "g++"))
        self.assertFalse(builds.same_compiler("clang++", "g++"))


class CrashTest(unittest.TestCase):
    def test_sanitizer_findings(self) -> None:
        asan = "=================================================================\n" \
               "==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 at pc 0x55\n"
        self.assertEqual(testrun.describe_crash(1, asan),
                         "AddressSanitizer found: heap-use-after-free on address 0x602000000010 at pc 0x55")
        tsan = "==================\nWARNING: ThreadSanitizer: data race (pid=77)\n  Write of size 4"
        self.assertEqual(testrun.describe_crash(66, tsan), "ThreadSanitizer found: data race (pid=77)")
        ubsan = "chapters/01-demo/demo.cpp:9:14: runtime error: signed integer overflow: 2147483647 + 1 " \
                "cannot be represented in type 'int'\n"
        self.assertEqual(testrun.describe_crash(1, ubsan),
                         "UndefinedBehaviorSanitizer found: signed integer overflow: 2147483647 + 1 cannot be "
                         "represented in type 'int' at chapters/01-demo/demo.cpp:9:14")

    def test_an_uncaught_exception_is_named(self) -> None:
        stderr = "terminate called after throwing an instance of 'rt::NotImplemented'\n" \
                 "  what():  not yet implemented: ex3: count down\n"
        described = testrun.describe_crash(-6, stderr)
        self.assertIn("std::terminate: an exception (rt::NotImplemented: not yet implemented: ex3: count down)",
                      described)
        self.assertIn("a noexcept function", described)
        described = testrun.describe_crash(-6, "terminate called without an active exception\n")
        self.assertIn("a std::thread destroyed while still joinable", described)

    def test_a_signal_says_what_it_usually_means(self) -> None:
        self.assertEqual(testrun.describe_crash(-11, ""), "the test process was killed by SIGSEGV (a segmentation "
                         "fault: a null, dangling or out-of-range pointer or reference was used)")
        self.assertIn("abort() was called", testrun.describe_crash(-6, ""))
        self.assertEqual(testrun.describe_crash(3, ""), "the test process exited with status 3")


class DoctestReportTest(unittest.TestCase):
    def test_failures_with_their_values(self) -> None:
        cases = testrun._parse(XML_ONE_FAILS, "ex1: add two numbers")
        self.assertEqual([(c.name, c.passed) for c in cases], [("2 + 3 is 5", False), ("adding 0 changes nothing", True)])
        [failure] = cases[0].failures
        self.assertEqual((failure.where, failure.text), ("tests/01-demo/test_demo.cpp:12", "CHECK( rt::add(2, 3) == 5 )  with values: -1 == 5"))
        self.assertEqual(cases[0].not_implemented, [])

    def test_an_expected_exception_shows_its_type_and_message(self) -> None:
        xml = """<doctest><TestSuite name="ex3: count"><TestCase name="c" filename="../../tests/01-demo/t.cpp" line="4">
          <Expression success="false" type="CHECK_THROWS_WITH_AS" filename="../../tests/01-demo/t.cpp" line="5">
            <Original>countdown.poll(cx)</Original><Exception>"wrong words"</Exception>
            <ExpectedException>std::logic_error</ExpectedException>
            <ExpectedExceptionString>rt::Countdown: polled after it completed</ExpectedExceptionString>
          </Expression><OverallResultsAsserts successes="0" failures="1" test_case_success="false"/>
        </TestCase></TestSuite></doctest>"""
        [case] = testrun._parse(xml, "ex3: count")
        self.assertEqual(case.failures[0].where, "tests/01-demo/t.cpp:5")
        self.assertIn('(expected std::logic_error with message "rt::Countdown: polled after it completed")',
                      case.failures[0].text)

    def test_the_tests_own_words_come_with_the_failure(self) -> None:
        xml = """<doctest><TestSuite name="ex3: sleep"><TestCase name="c" filename="t.cpp" line="4">
          <Expression success="false" type="CHECK" filename="t.cpp" line="9">
            <Original>counter.wakes == 1</Original><Expanded>0 == 1</Expanded>
            <Info>store the waker before reading the clock</Info>
          </Expression><OverallResultsAsserts successes="0" failures="1" test_case_success="false"/>
        </TestCase></TestSuite></doctest>"""
        [case] = testrun._parse(xml, "ex3: sleep")
        self.assertEqual(case.failures[0].notes, ["store the waker before reading the clock"])

    def test_a_bounded_wait_that_runs_out_is_a_timeout_not_a_crash(self) -> None:
        script = ("printf '<doctest>' ; echo 'TIMEOUT: block_on did not finish within 10000 ms: a wake-up was lost' >&2;"
                  " exit 3")
        with tempfile.TemporaryDirectory() as folder:
            binary = Path(folder) / "tests"
            binary.write_text(f"#!/bin/sh\n{script}\n")
            binary.chmod(0o755)
            run = testrun.run_suite(binary, "ex1: x", timeout=30)
        self.assertTrue(run.timed_out)
        self.assertEqual(run.crash, "block_on did not finish within 10000 ms: a wake-up was lost")

    def test_the_notes_of_the_first_error_are_kept_however_far_down(self) -> None:
        output = ("x.cpp:3:5: error: static assertion failed\n" + "".join(f"  excerpt line {i}\n" for i in range(30))
                  + "x.hpp:9:1: note: a Context borrows its waker: keep the waker in a named variable\n")
        shown = builds.first_compiler_error(output)
        self.assertIn("note: a Context borrows its waker", shown)
        self.assertLess(len(shown.splitlines()), 20)

    def test_skipped_cases_and_other_suites_are_left_out(self) -> None:
        self.assertEqual(testrun._parse(XML_ONE_FAILS, "ex2: double a number"), [])

    def test_a_stub_names_its_exercise(self) -> None:
        [case] = testrun._parse(XML_STUB, "ex2: double a number")
        self.assertEqual(case.not_implemented, ["ex2"])
        self.assertIn('threw: "not yet implemented: ex2: double a number"', case.failures[0].text)

    def test_a_signal_marks_the_case_crashed(self) -> None:
        [case] = testrun._parse(XML_SIGNAL, "ex1: add two numbers")
        self.assertTrue(case.crashed)
        self.assertEqual(case.failures, [])

    def test_a_report_cut_short_keeps_the_finished_cases_and_names_the_unfinished_one(self) -> None:
        cases = testrun._parse(XML_CUT_SHORT, "ex1: add two numbers")
        self.assertEqual([(c.name, c.passed) for c in cases], [("2 + 3 is 5", True)])
        self.assertEqual(testrun._unfinished_case(XML_CUT_SHORT), "adding 0 & more")
        self.assertIsNone(testrun._unfinished_case(XML_ONE_FAILS))


class ProgressTest(unittest.TestCase):
    def setUp(self) -> None:
        chapter = Chapter("01-demo", "01", "demo", "a demo chapter", "", "01-demo.md", [], Path("."))
        self.exercise = Exercise("ex2", "twice", "double a number", "doubling", ["a", "b"], chapter)
        chapter.exercises.append(self.exercise)

    def run_of(self, xml: str, returncode: int = 1, crash: str | None = None) -> testrun.SuiteRun:
        return testrun.SuiteRun(self.exercise.suite, testrun._parse(xml, self.exercise.suite), returncode, "", crash)

    def test_classify(self) -> None:
        self.assertEqual(progress.classify(self.exercise, self.run_of(XML_STUB)), progress.TODO)
        passing = XML_STUB.replace('test_case_success="false"', 'test_case_success="true"')
        self.assertEqual(progress.classify(self.exercise, self.run_of(passing, returncode=0)), progress.PASSED)
        other_stub = XML_STUB.replace('"not yet implemented: ex2', '"not yet implemented: ex1')
        self.assertEqual(progress.classify(self.exercise, self.run_of(other_stub)), progress.FAILING)
        both_stubs = XML_STUB.replace("</Exception>", "</Exception><Exception>not yet implemented: ex1: add</Exception>")
        self.assertEqual(progress.classify(self.exercise, self.run_of(both_stubs)), progress.TODO)
        self.assertEqual(progress.classify(self.exercise, self.run_of(XML_STUB, -11, "SIGSEGV")), progress.BROKEN)

    def test_the_cache_is_keyed_by_slug_and_name_and_the_binary(self) -> None:
        self.assertEqual(self.exercise.key, "demo/twice")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "results.json"
            progress.Cache(path).put(self.exercise.key, "100:2000", progress.PASSED)
            cache = progress.Cache(path)  # read back from the file
            self.assertEqual(cache.get("demo/twice", "100:2000"), progress.PASSED)
            self.assertIsNone(cache.get("demo/twice", "101:2000"))  # a rebuilt binary runs again
            self.assertIsNone(cache.get("demo/add", "100:2000"))


if __name__ == "__main__":
    unittest.main()
