"""The tutor, run as the learner runs it, on the fixture course (fixture/: chapters 01-demo and 02-more).

Each test gets a fresh copy of the course, built once for all (fixture_course.built_course),
and asserts on what the tutor prints and on its exit status.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import unittest
from unittest import mock

import builds
import course
import generate
import progress
import testrun
import tutor
from tests.fixture_course import Course, built_course, new_course

WRONG_ADD = "return a - -b + 0;"  # the learner's own, correct, add: not the reference's text


class TutorTest(unittest.TestCase):
    def setUp(self) -> None:
        self.course = built_course()

    def tutor(self, *args: str, expect: int, env: dict[str, str] | None = None) -> str:
        result = self.course.tutor(*args, env=env)
        self.assertEqual(result.code, expect, f"scripts/tutor {' '.join(args)} printed:\n{result.output}")
        return result.output

    def assertInOrder(self, output: str, *parts: str) -> None:
        at = 0
        for part in parts:
            found = output.find(part, at)
            self.assertNotEqual(found, -1, f"{part!r} not found (in this order) in:\n{output}")
            at = found + len(part)

    def backups(self) -> list:
        folder = self.course.root / ".tutor" / "backup"
        return sorted(folder.iterdir()) if folder.is_dir() else []

    # ------------------------------------------------------------ showing the way

    def test_default_shows_progress_then_the_first_exercise_with_one_hint(self) -> None:
        out = self.tutor(expect=1)
        self.assertIn("Book: build/book/index.html", out)
        self.assertRegex(out, r"01 demo\s+0/3\s+a demo chapter")
        self.assertRegex(out, r"02 more\s+-/2\s+more of the same")  # not built before it is reached
        self.assertInOrder(out, "Progress", "ex1  add two numbers  <- you are here", "ex2  double a number",
                           "Exercise 01/ex1: add two numbers", "Not started: its 2 tests stop at your rt::todo stub",
                           "Write it in:", self.course.region_line("01-demo", "ex1") + "  (add two numbers)",
                           "Read: build/book/01-demo.html#adding", "Hint 1/3:", "First hint of add")
        self.assertNotIn("Second hint of add", out)

    def test_run_shows_the_pass_and_the_diff_against_the_reference(self) -> None:
        self.course.write_exercise("01-demo", "ex1", WRONG_ADD)
        self.course.write_exercise("01-demo", "ex2")
        out = self.tutor("run", "ex1", expect=0)
        self.assertInOrder(out, "✓ 01/ex1 add two numbers: passes all 2 tests.", "- yours, + reference",
                           f"-    {WRONG_ADD}", "+    return a + b;")
        out = self.tutor("run", "demo/twice", expect=0)
        self.assertIn("demo.cpp (double a number): the same as the reference.", out)
        # With ex1 and ex2 solved, the current exercise is ex3.
        out = self.tutor("run", expect=1)
        self.assertIn("Exercise 01/ex3: a counter", out)

    def test_run_after_solving_the_current_exercise_shows_its_pass_then_the_next(self) -> None:
        self.tutor(expect=1)  # the current exercise is now 01/ex1
        self.course.write_exercise("01-demo", "ex1", WRONG_ADD)
        out = self.tutor("run", expect=1)
        self.assertInOrder(out, "✓ 01/ex1 add two numbers: passes", "- yours, + reference",
                           "Exercise 01/ex2: double a number")
        self.assertNotIn("is complete", out)  # the chapter is not

    def test_a_chapter_done_is_said_so(self) -> None:
        for exercise in ("ex1", "ex2"):
            self.course.write_exercise("01-demo", exercise)
        self.tutor(expect=1)  # the current exercise is now 01/ex3
        self.course.write_exercise("01-demo", "ex3")
        out = self.tutor(expect=1)
        self.assertInOrder(out, "✓ 01/ex3 a counter: passes", "Chapter 01 (demo) is complete: all 3 exercises pass.",
                           "scripts/tutor example 01", "Next: chapter 02", "Exercise 02/ex1")

    def test_diff_of_an_exercise_and_of_a_chapter(self) -> None:
        self.course.write_exercise("01-demo", "ex1", WRONG_ADD)
        out = self.tutor("diff", "01/ex1", expect=0)
        self.assertInOrder(out, "--- yours: demo.cpp", f"-    {WRONG_ADD}", "+    return a + b;")
        # A chapter's diff shows the exercises begun, and only names the others: no spoilers.
        out = self.tutor("diff", "01", expect=0)
        self.assertInOrder(out, "01/ex1 add two numbers:", "--- yours: demo.cpp (add two numbers)",
                           f"-    {WRONG_ADD}", "01/ex2 double a number: not begun (no spoilers)")
        self.assertNotIn("return ++count_;", out)
        # With no chapter named, the diff is of the last chapter written in, not the next one.
        generate.write(self.course.chapter("02-more"), generate.solved_files(self.course.chapter("02-more")))
        out = self.tutor("diff", "more", expect=0)
        self.assertIn("the same as the reference", out)
        generate.write(self.course.chapter("02-more"))
        out = self.tutor("diff", expect=0)
        self.assertIn("01/ex1 add two numbers:", out)

    def test_hint_reveals_one_more_level_each_time_and_stops_at_the_last(self) -> None:
        out = self.tutor("hint", expect=0)
        self.assertInOrder(out, "Hint 1/3:", "Hint 2/3:", "Second hint of add", "Another hint: scripts/tutor hint")
        self.assertNotIn("Third hint", out)
        out = self.tutor("hint", expect=0)
        self.assertInOrder(out, "Hint 3/3:", "Third hint of add", "That was the last hint.")
        out = self.tutor("hint", expect=0)
        self.assertInOrder(out, "Hint 3/3:", "There are no more hints.")
        # The exercise now shows every hint it revealed; another exercise still starts at one.
        self.assertIn("Hint 3/3:", self.tutor(expect=1))
        self.assertIn("Hint 2/2:", self.tutor("hint", "01/ex2", expect=0))
        state = json.loads((self.course.root / ".tutor" / "state.json").read_text())
        self.assertEqual(state["hints"], {"demo/add": 3, "demo/twice": 2})

    # ------------------------------------------------------------ progress

    def test_progress_covers_every_chapter_and_is_keyed_by_slug_and_name(self) -> None:
        for exercise in ("ex1", "ex2", "ex3"):
            self.course.write_exercise("01-demo", exercise)
        self.course.write_exercise("02-more", "ex1")
        out = self.tutor("progress", expect=0)
        self.assertRegex(out, r"01 demo\s+3/3")
        self.assertRegex(out, r"02 more\s+1/2")
        self.assertIn("ex2  negate a number  <- you are here", out)
        self.tutor("hint", "02/ex1", expect=0)
        results = json.loads((self.course.root / ".tutor" / "results.json").read_text())
        self.assertEqual(sorted(results), ["demo/add", "demo/counter", "demo/twice", "more/negate", "more/square"])
        self.assertEqual(results["more/square"]["state"], "passed")

        # A chapter is inserted before 02-more, which becomes 03-more: its progress and hints stay.
        self.renumber("02-more", "03-more")
        out = self.tutor("progress", expect=0)
        self.assertRegex(out, r"03 more\s+1/2")
        self.assertIn("ex2  negate a number  <- you are here", out)
        out = self.tutor("hint", "03/ex1", expect=0)
        self.assertInOrder(out, "Hint 2/2:", "There are no more hints.")
        results = json.loads((self.course.root / ".tutor" / "results.json").read_text())
        self.assertEqual(results["more/square"]["state"], "passed")

    def renumber(self, old: str, new: str) -> None:
        for tree in ("solutions", "chapters", "tests"):
            (self.course.root / tree / old).rename(self.course.root / tree / new)
        meson = self.course.root / "meson.build"
        meson.write_text(meson.read_text().replace(f"'{old}'", f"'{new}'"))

    # ------------------------------------------------------------ watch

    def test_watch_reruns_on_save_then_shows_the_diff_and_the_next_exercise(self) -> None:
        watch = self.course.start_tutor("watch", "--interval", "0.1", "--rounds", "2")
        self.addCleanup(watch.proc.kill)
        self.assertTrue(watch.wait_for("Watching chapters/01-demo for changes", timeout=60), watch.output)
        self.course.write_exercise("01-demo", "ex1")
        code = watch.finish(timeout=60)
        self.assertEqual(code, 1, watch.output)
        self.assertInOrder(watch.output, "Exercise 01/ex1: add two numbers", "Watching chapters/01-demo",
                           "✓ 01/ex1 add two numbers: passes all 2 tests.",
                           "demo.cpp (add two numbers): the same as the reference.",
                           "Exercise 01/ex2: double a number", "Hint 1/2:")
        self.assertNotIn("is complete", watch.output)  # one exercise of three is not the chapter

    # ------------------------------------------------------------ start-at and reset

    def test_start_at_fills_the_earlier_chapters_with_the_solutions(self) -> None:
        out = self.tutor("start-at", "02", expect=0)
        self.assertInOrder(out, "chapters/01-demo: filled with the reference solution", "You start at chapter 02-more")
        chapter = self.course.chapter("01-demo")
        self.assertEqual(self.course.files(chapter.chapter_dir), generate.solved_files(chapter))
        out = self.tutor("progress", expect=0)
        self.assertRegex(out, r"01 demo\s+3/3")
        self.assertIn("ex1  square a number  <- you are here", out)
        # Starting at 01 again puts its exercises back: a reference copy is nobody's work.
        self.tutor("start-at", "01", expect=0)
        self.assertEqual(self.course.files(chapter.chapter_dir), generate.expected_files(chapter))
        self.assertEqual(self.backups(), [])

    def test_start_at_keeps_the_learners_work_unless_forced_and_then_backs_it_up(self) -> None:
        self.course.write_exercise("01-demo", "ex1", WRONG_ADD)
        chapter = self.course.chapter("01-demo")
        mine = self.course.files(chapter.chapter_dir)
        out = self.tutor("start-at", "02", expect=2)
        self.assertInOrder(out, "chapters/01-demo holds your own work", "--force")
        self.assertEqual(self.course.files(chapter.chapter_dir), mine)
        out = self.tutor("start-at", "02", "--force", expect=0)
        self.assertIn("Your chapters/01-demo was saved in .tutor/backup/01-demo-", out)
        self.assertEqual(self.course.files(chapter.chapter_dir), generate.solved_files(chapter))
        [saved] = self.backups()
        self.assertEqual(self.course.files(saved), mine)

    def test_reset_restores_the_chapter_and_backs_up_the_learners_version(self) -> None:
        self.course.write_exercise("01-demo", "ex1", WRONG_ADD)
        chapter = self.course.chapter("01-demo")
        mine = self.course.files(chapter.chapter_dir)
        out = self.tutor("reset", "01", expect=0)
        self.assertInOrder(out, "chapters/01-demo is back to its starting state.",
                           "Your version was saved in .tutor/backup/01-demo-")
        self.assertEqual(self.course.files(chapter.chapter_dir), generate.expected_files(chapter))
        [saved] = self.backups()
        self.assertEqual(self.course.files(saved), mine)
        self.assertIn("nothing to reset", self.tutor("reset", "demo", expect=0))
        self.assertEqual(len(self.backups()), 1)

    # ------------------------------------------------------------ when things go wrong

    def test_a_compile_error_shows_only_the_first_error(self) -> None:
        self.course.write_exercise("01-demo", "ex1", "return no_such_name_one;")
        self.course.write_exercise("01-demo", "ex3", "return no_such_name_three;")
        out = self.tutor("run", "ex1", expect=1)
        self.assertIn("chapters/01-demo does not compile. The first error:", out)
        errors = [line for line in out.splitlines() if ": error: " in line]
        self.assertEqual(len(errors), 1, out)
        self.assertRegex(errors[0], r"^\s+chapters/01-demo/(demo\.cpp|counter\.hpp):\d+:\d+: error: .*no_such_name")
        for noise in ("FAILED:", "ninja:", "-std=c++20", "../chapters"):
            self.assertNotIn(noise, out)

    def test_a_crashing_test_is_named_with_what_the_crash_means(self) -> None:
        self.course.write_exercise("01-demo", "ex1", "volatile int* nothing = nullptr; return *nothing;")
        out = self.tutor("run", "ex1", expect=1)
        self.assertIn('The tests crashed in "2 + 3 is 5":', out)
        self.assertIn("killed by SIGSEGV (a segmentation fault", out)
        self.assertNotIn("tests fail", out)  # the crash is the news, not a list of failed checks
        self.assertRegex(self.tutor("progress", expect=0), r"! ex1\s+add two numbers")

    def test_a_test_that_hangs_is_stopped_after_the_timeout(self) -> None:
        self.course.write_exercise("01-demo", "ex1", "volatile bool forever = true; while (forever) {} return 0;")
        started = time.monotonic()
        out = self.tutor("run", "ex1", expect=1, env={"TUTOR_TEST_TIMEOUT": "1"})
        self.assertLess(time.monotonic() - started, 30)
        self.assertIn('The tests timed out (a wait did not end) in "2 + 3 is 5":', out)
        self.assertIn("stopped after 1 s: something waits for a wake-up that never comes, or loops forever", out)

    # ------------------------------------------------------------ the rest

    def test_example_runs_the_reference_or_says_what_is_missing(self) -> None:
        result = self.course.tutor("example", "01", "--solution")
        self.assertEqual(result.code, 0, result.output)
        self.assertIn("2 + 3 = 5, twice 4 = 8, counter at 2", result.output)
        result = self.course.tutor("example", "01")
        self.assertNotEqual(result.code, 0, result.output)
        self.assertIn("The example needs exercises you have not solved yet", result.output)

    def test_unknown_names_are_errors_that_say_how_to_write_them(self) -> None:
        self.assertIn("no exercise 'nothing'; write it as ex3, 01/ex3", self.tutor("run", "nothing", expect=2))
        self.assertIn("no chapter '07'", self.tutor("reset", "07", expect=2))
        self.assertIn("scripts/tutor watch", self.tutor("help", expect=0))


@unittest.skipUnless(shutil.which("clang++"), "clang++ is not installed")
class OtherStubsTest(unittest.TestCase):
    """A test of ex3 that stops at ex2's stub: the tutor says to do ex2 first, not to fix ex3."""

    def status(self, *stubs_hit: list[str]) -> progress.Status:
        chapter = course.Chapter.__new__(course.Chapter)
        chapter.exercises = []
        for i in (1, 2, 3):
            chapter.exercises.append(course.Exercise(f"ex{i}", f"name{i}", f"title {i}", "s", [], chapter))
        cases = [testrun.TestCase(f"case {i}", False, [testrun.Failure("t.cpp:1", "failed")], list(hit))
                 for i, hit in enumerate(stubs_hit)]
        return progress.Status(chapter.exercises[2], "failing", testrun.SuiteRun("ex3", cases, 1, ""))

    def test_the_other_stubs_reached_are_named_once_each_in_order(self) -> None:
        self.assertEqual(tutor.stubs_reached(self.status(["ex2"], ["ex3"], ["ex2", "ex1"])), ["ex2", "ex1"])
        self.assertEqual(tutor.stubs_reached(self.status(["ex3"], [])), [])

    def test_the_message_names_the_exercise_to_do_first(self) -> None:
        with mock.patch("builtins.print") as printed:
            tutor.show_other_stubs(self.status(["ex2"]))
        said = " ".join(str(call.args[0]) for call in printed.call_args_list)
        self.assertIn("need ex2 (title 2) first", said)
        self.assertIn("scripts/tutor run ex2", said)


class OtherCompilerTest(unittest.TestCase):
    """build/ configured with one compiler while the learner asks for another."""

    def setUp(self) -> None:
        self.course: Course = new_course("other-compiler")
        env = dict(os.environ, CXX="clang++")
        subprocess.run(["meson", "setup", "build"], cwd=self.course.root, env=env, check=True,
                       stdout=subprocess.DEVNULL)

    def test_another_compiler_is_refused_with_what_to_do(self) -> None:
        result = self.course.tutor("progress", env={"CXX": "g++"})
        self.assertEqual(result.code, 2, result.output)
        self.assertIn("build/ was configured with clang++, but CXX=g++: a build directory cannot change its compiler", result.output)
        self.assertIn("scripts/tutor clean", result.output)
        self.assertNotIn("Traceback", result.output)
        result = self.course.tutor("clean")
        self.assertEqual(result.code, 0, result.output)
        self.assertFalse((self.course.root / "build").exists())

    def test_without_cxx_the_configured_compiler_is_kept(self) -> None:
        with mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("CXX", None)
            self.assertEqual(builds.learner_config(self.course.root).compiler, "clang++")
        with mock.patch.dict(os.environ, {"CXX": "g++"}):
            self.assertEqual(builds.learner_config(self.course.root).compiler, "g++")


if __name__ == "__main__":
    unittest.main()
