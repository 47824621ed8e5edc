"""Make chapters/NN-slug (the learner's copy) from solutions/NN-slug.

    generate.py               regenerate every chapter
    generate.py 03            regenerate one chapter (a reset: the learner's work there is lost)
    generate.py --check       change nothing; exit 1 and list what differs if chapters/ is stale

It also writes the README's chapter table from tests/*/chapter.toml.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

import course


def expected_files(chapter: course.Chapter, solved: frozenset[str] = frozenset()) -> dict[Path, str]:
    """Relative path -> content of the learner's copy of a chapter; the exercises in `solved` are
    filled with the reference's code (scripts/check's prefix and mutant runs)."""
    files = {}
    for rel in course.source_files(chapter.solution_dir):
        text = (chapter.solution_dir / rel).read_text()
        if rel.suffix in course.SOURCE_SUFFIXES:
            text = course.learner_copy(text, f"{chapter.solution_dir.relative_to(chapter.root)}/{rel}", solved)
        files[rel] = text
    return files


def solved_files(chapter: course.Chapter) -> dict[Path, str]:
    """Relative path -> content of a chapter filled with the reference solution (scripts/tutor start-at)."""
    return expected_files(chapter, frozenset(ex.id for ex in chapter.exercises))


README_TABLE = re.compile(r"(<!-- chapter-table:[^\n]*-->\n).*?(<!-- /chapter-table -->)", re.S)


def readme_text(chapters: list[course.Chapter]) -> str:
    """README.md with its chapter table made from chapter.toml (a course without a README has none)."""
    path = course.ROOT / "README.md"
    if not path.is_file():
        return ""
    text = path.read_text()
    table = "\n".join(course.chapter_table(chapters, "book/{stem}.md", shows=False))
    if not README_TABLE.search(text):
        raise course.CourseError("README.md has no <!-- chapter-table: ... --> ... <!-- /chapter-table --> block")
    return README_TABLE.sub(lambda m: m[1] + table + "\n" + m[2], text)


def readme_differences(chapters: list[course.Chapter]) -> list[str]:
    if (course.ROOT / "README.md").is_file() and readme_text(chapters) != (course.ROOT / "README.md").read_text():
        return ["README.md: its chapter table differs from tests/*/chapter.toml (you_build)"]
    return []


def differences(chapter: course.Chapter) -> list[str]:
    """How chapters/NN differs from what the generator makes; empty when up to date."""
    want = expected_files(chapter)
    have_dir = chapter.chapter_dir
    have = set(course.source_files(have_dir)) if have_dir.is_dir() else set()
    out = []
    for rel in sorted(want.keys() | have):
        shown = f"chapters/{chapter.dirname}/{rel}"
        if rel not in have:
            out.append(f"{shown}: missing")
        elif rel not in want:
            out.append(f"{shown}: not in solutions/{chapter.dirname}")
        elif (have_dir / rel).read_text() != want[rel]:
            out.append(f"{shown}: differs from the generated copy")
    return out


def write(chapter: course.Chapter, files: dict[Path, str] | None = None) -> None:
    """Replace chapters/NN with `files`: by default, a fresh copy generated from the solution."""
    if files is None:
        files = expected_files(chapter)  # before deleting anything: a marker error leaves the folder alone
    if chapter.chapter_dir.exists():
        shutil.rmtree(chapter.chapter_dir)
    for rel, text in files.items():
        target = chapter.chapter_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapter", nargs="?", help="one chapter (number, slug or folder name)")
    parser.add_argument("--check", action="store_true", help="report a stale chapters/ instead of writing it")
    args = parser.parse_args(argv)
    try:
        selected = [course.find_chapter(args.chapter)] if args.chapter else course.chapters()
        if args.check:
            stale = [line for chapter in selected for line in differences(chapter)]
            stale += readme_differences(course.chapters())
            for line in stale:
                print(line)
            if stale:
                print("chapters/ is stale: run scripts/generate and commit the result")
            return 1 if stale else 0
        for chapter in selected:
            write(chapter)
            print(f"generated chapters/{chapter.dirname}")
        if (course.ROOT / "README.md").is_file():
            (course.ROOT / "README.md").write_text(readme_text(course.chapters()))
        return 0
    except course.CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
