"""The authoring pipeline, each part fed the mistake a maintainer would make: broken markers and
anchors, a fix not carried forward, a region left over from the previous chapter, and the tools that
mend them (the normalised diff, scripts/carry-forward, scripts/new-chapter). Nothing here builds C++."""

from __future__ import annotations

import subprocess
import sys
import unittest
from pathlib import Path

import book
import compare
import course
from tests.fixture_course import new_course

SCAFFOLDING = """#include "demo.hpp"

#include "todo.hpp"

namespace rt {

// ANCHOR: add
int add(int a, int b) {
    // BEGIN EXERCISE ex1: add two numbers
    return a + b;
    // END EXERCISE ex1
}
// ANCHOR_END: add
}
"""
PLAIN = """#include "demo.hpp"

namespace rt {

int add(int a, int b) {
    return a + b;
}
}
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True,
                   capture_output=True)


class MarkersAndAnchors(unittest.TestCase):
    def test_broken_markers_are_named_with_their_line(self) -> None:
        cases = {
            "nested": (["// BEGIN EXERCISE ex1: a", "// BEGIN EXERCISE ex2: b"], "f:2: BEGIN EXERCISE inside ex1"),
            "stray end": (["// END EXERCISE ex1"], "f:1: END EXERCISE ex1 without its BEGIN"),
            "never closed": (["// BEGIN EXERCISE ex1: a", "x;"], "BEGIN EXERCISE ex1 is never closed"),
            "malformed": (["//BEGIN EXERCISE ex1 no colon"], "f:1: malformed exercise marker"),
        }
        for name, (lines, message) in cases.items():
            with self.subTest(name), self.assertRaisesRegex(course.CourseError, message):
                course.regions(lines, "f")

    def test_a_missing_anchor_or_file_stops_the_book(self) -> None:
        with self.assertRaisesRegex(course.CourseError, "no anchor 'nope'"):
            course.anchor_lines(SCAFFOLDING, "nope", "demo.cpp")
        with self.assertRaisesRegex(book.BookError, "does not exist"):
            book.included_lines({"include": "solutions/99-none/x.hpp", "anchor": "a"}, "page.md:3")

    def test_an_anchor_no_page_includes_is_reported(self) -> None:
        fixture = new_course("authoring-anchors").root
        chapters = course.chapters(fixture)
        included = {("solutions/01-demo/demo.cpp", "add"), ("solutions/01-demo/todo.hpp", "todo")}
        unused = compare.unused_anchors(chapters, included)
        self.assertEqual(unused, ["solutions/02-more/todo.hpp: anchor 'todo' is included by no book page; remove it"])

    def test_pasted_cpp_is_refused(self) -> None:
        with self.assertRaisesRegex(book.BookError, "pasted"):
            book.check_pasted(["cpp"], ["int a;", "int b;", "int c;", "int d;"], "page.md:9")


class NormalisedComparison(unittest.TestCase):
    def test_anchors_markers_and_the_stub_include_are_not_changes(self) -> None:
        self.assertEqual(compare.normalised_text(SCAFFOLDING), compare.normalised_text(PLAIN))

    def test_a_changed_line_is_a_change(self) -> None:
        changed = compare.normalised_text(PLAIN.replace("a + b", "b + a"))
        diff = compare.file_diff(compare.normalised_text(SCAFFOLDING), changed)
        self.assertIn("-    return a + b;", diff)
        self.assertIn("+    return b + a;", diff)

    def test_the_book_lists_only_files_whose_code_changed(self) -> None:
        fixture = new_course("authoring-changes").root
        chapters = course.chapters(fixture)
        text = "\n".join(book.changes_markdown(chapters[1], chapters))
        for name in ("more.cpp", "more.hpp", "example.cpp", "rt.hpp"):
            self.assertIn(f"<code>{name}</code>", text)
        # demo.cpp differs from 01-demo's only in its markers and anchors.
        self.assertNotIn("<code>demo.cpp</code>", text)
        self.assertIn("3 changed", text)


class DriftGuard(unittest.TestCase):
    def setUp(self) -> None:
        self.root = new_course(f"authoring-{self._testMethodName}").root

    def chapters(self) -> list[course.Chapter]:
        return course.chapters(self.root)

    def test_the_fixture_has_no_drift(self) -> None:
        chapters = self.chapters()
        self.assertEqual([p for c in chapters for p in compare.drift_problems(c, chapters)], [])

    def test_a_fix_left_in_one_chapter_names_the_later_file_and_line(self) -> None:
        path = self.root / "solutions" / "01-demo" / "demo.cpp"
        path.write_text(path.read_text().replace("return 2 * x;", "return x + x;"))
        chapters = self.chapters()
        problems = compare.drift_problems(chapters[1], chapters)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("solutions/02-more/demo.cpp differs from solutions/01-demo/demo.cpp", problems[0])
        self.assertIn("'return x + x;'", problems[0])
        self.assertIn("scripts/carry-forward 01", problems[0])

    def test_a_declared_change_that_is_not_one_is_reported(self) -> None:
        toml = self.root / "tests" / "02-more" / "chapter.toml"
        toml.write_text(toml.read_text().replace('changes = ["', 'changes = ["demo.hpp", "'))
        chapters = self.chapters()
        self.assertEqual(compare.drift_problems(chapters[1], chapters),
                         ["tests/02-more/chapter.toml: `changes` lists demo.hpp, which is the same as in 01-demo"])

    def test_a_region_carried_over_unchanged_is_reported(self) -> None:
        source = (self.root / "solutions" / "01-demo" / "demo.cpp").read_text()
        (self.root / "solutions" / "02-more" / "demo.cpp").write_text(source)
        chapters = self.chapters()
        problems = compare.carried_regions(chapters[1], chapters)
        self.assertEqual(len(problems), 2, problems)  # ex1 and ex2
        self.assertIn("solutions/02-more/demo.cpp:9: the region of ex1 is the one 01-demo has", problems[0])


class CarryForward(unittest.TestCase):
    def test_an_edit_next_to_markers_lands_in_a_file_without_them(self) -> None:
        old = SCAFFOLDING
        new = SCAFFOLDING.replace("return a + b;", "return b + a;  // commutes")
        target = PLAIN.replace("namespace rt {\n", "namespace rt {\n// ANCHOR: later\n")
        merged = compare.carry(old, new, target)
        self.assertEqual(merged, target.replace("return a + b;", "return b + a;  // commutes"))

    def test_both_sides_changing_a_line_is_a_conflict(self) -> None:
        new = SCAFFOLDING.replace("return a + b;", "return b + a;")
        target = PLAIN.replace("return a + b;", "return a + b + 0;")
        with self.assertRaisesRegex(compare.Conflict, "both sides changed lines"):
            compare.carry(SCAFFOLDING, new, target)

    def test_the_command_carries_a_fix_and_the_guard_passes(self) -> None:
        root = new_course("authoring-carry").root
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "fixture")
        path = root / "solutions" / "01-demo" / "demo.cpp"
        path.write_text(path.read_text().replace("return 2 * x;", "return x + x;"))
        proc = subprocess.run([sys.executable, str(root / "scripts" / "lib" / "carry.py"), "01"], cwd=root,
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("solutions/02-more/demo.cpp: carried (+1 -1)", proc.stdout)
        self.assertIn("return x + x;", (root / "solutions" / "02-more" / "demo.cpp").read_text())
        self.assertIn("return x + x;", (root / "chapters" / "02-more" / "demo.cpp").read_text())
        chapters = course.chapters(root)
        self.assertEqual(compare.drift_problems(chapters[1], chapters), [])

    def test_a_conflict_writes_nothing(self) -> None:
        root = new_course("authoring-conflict").root
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "fixture")
        later = root / "solutions" / "02-more" / "demo.cpp"
        later.write_text(later.read_text().replace("return 2 * x;", "return x << 1;"))
        before = later.read_text()
        path = root / "solutions" / "01-demo" / "demo.cpp"
        path.write_text(path.read_text().replace("return 2 * x;", "return x + x;"))
        proc = subprocess.run([sys.executable, str(root / "scripts" / "lib" / "carry.py"), "01"], cwd=root,
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("conflict, nothing written: solutions/02-more/demo.cpp", proc.stderr)
        self.assertEqual(later.read_text(), before)


class NewChapter(unittest.TestCase):
    def test_the_scaffold_starts_from_the_last_solution_without_its_exercises(self) -> None:
        root = new_course("authoring-scaffold").root
        proc = subprocess.run([sys.executable, str(root / "scripts" / "lib" / "scaffold.py"), "03-third",
                               "a third chapter"], cwd=root, capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        chapters = course.chapters(root)
        self.assertEqual([c.dirname for c in chapters], ["01-demo", "02-more", "03-third"])
        self.assertEqual(compare.drift_problems(chapters[2], chapters), [])
        self.assertEqual(compare.carried_regions(chapters[2], chapters), [])
        self.assertEqual(compare.anchors(chapters[2].solution_dir), [])
        self.assertIn("'03-third'", (root / "meson.build").read_text())
        self.assertTrue((root / "chapters" / "03-third" / "more.cpp").is_file())
        # A file without an exercise keeps its include of todo.hpp: todo.cpp defines what it declares.
        self.assertIn('#include "todo.hpp"', (root / "solutions" / "03-third" / "todo.cpp").read_text())
        self.assertTrue((root / "book" / "03-third.md").read_text().startswith("# 03. a third chapter"))

    def test_a_number_out_of_order_is_refused(self) -> None:
        root = new_course("authoring-scaffold-order").root
        proc = subprocess.run([sys.executable, str(root / "scripts" / "lib" / "scaffold.py"), "05-far", "far"],
                              cwd=root, capture_output=True, text=True)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("the next chapter is number 03", proc.stderr)


if __name__ == "__main__":
    unittest.main()
