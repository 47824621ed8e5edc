"""Start a new chapter from the last one: scripts/new-chapter NN-slug "Title".

    scaffold.py 06-one-loop "one loop: timers inside the reactor"

It creates, and prints, each of these:
  solutions/NN-slug/   the last chapter's solution without its exercise markers, anchors and
                       #include "todo.hpp" (this chapter writes its own), rt.hpp and meson.build
                       retitled
  tests/NN-slug/       chapter.toml with every field commented, meson.build, a test file to replace
  book/NN-slug.md      the chapter's headings, in the order AUTHORING.md asks for
  meson.build          the chapter added to `chapters = [...]`
  chapters/NN-slug/    generated
The check fails on the new chapter until it has exercises, tests and a book: that is the to-do list.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import compare
import course
import generate

CHAPTER_TOML = '''# Chapter {number}: what the tutor and the book need to know about its exercises.
title = "{title}"
# One sentence: what the learner builds (the front page and the tutor show it; plain text).
summary = "TODO: what this chapter builds."
book = "{dirname}.md"
# The chapter tables of the README and the introduction (Markdown).
you_build = "TODO"
example_shows = "TODO"
# Files this chapter adds, changes or removes from the previous chapter's solution. The check
# fails when another file differs (anchors and exercise markers aside): fix the earliest chapter
# that has the code, then scripts/carry-forward.
changes = [{changes}]

# One [[exercise]] per exercise, 3 to 5, in teaching order. Each is a region of solution code
# between // BEGIN EXERCISE exN: what and // END EXERCISE exN, tested by TEST_SUITE("exN: <title>").
# [[exercise]]
# id = "ex1"                 # ex1, ex2, ... in order
# name = "short-stable-name" # the learner's progress is keyed by it: never reuse one
# title = "Type::method"
# section = "heading-id"     # the id of the book section that teaches it
# hints = [
#   """A nudge: where to look, what to think about.""",
#   """A near-answer: the steps, nearly in code.""",
# ]
'''

TESTS_MESON = """# The chapter's tests: each exercise's own (one file each), those of the code it gives, support code.
exercise_tests = {
}
given_tests = files('test_given.cpp')
support_sources = []
"""

TEST_GIVEN = '''// Tests of code chapter {number} gives the learner (suite "given: ..."): they pass on the learner's
// copy. Each exercise's tests go in a file of their own, in TEST_SUITE("exN: <title>").
#include <doctest/doctest.h>

#include "rt.hpp"

TEST_SUITE("given: chapter {number}") {{
    TEST_CASE("replace this with the chapter's tests") {{
        FAIL("chapter {number} has no tests yet");
    }}
}}
'''

BOOK = '''# {number}. {title}

TODO: why this chapter exists, with a measurement.

## Exercises

## Running the example

```{{.output example="{dirname}"}}
```

## Pitfalls

## What changed since the previous chapter

<!-- changes -->

## Going further
'''


def scaffold_solution(last: course.Chapter, target: Path, number: str, slug: str) -> None:
    """The last solution, its scaffolding lines dropped (compare.normalised), retitled."""
    for rel in course.source_files(last.solution_dir):
        lines = (last.solution_dir / rel).read_text().splitlines(keepends=True)
        text = "".join(compare.normalised(lines)[0])
        if not any(course.BEGIN.match(line) for line in lines):
            # No exercise here, so its #include "todo.hpp" (todo.cpp's, rt.hpp's) is not a stub's:
            # keep the file as it is, anchors aside.
            text = "".join(line for line in lines if not course.ANCHOR.match(line))
        if rel.name == "rt.hpp":
            text = re.sub(r"end of chapter \d\d \([a-z0-9-]+\)", f"end of chapter {number} ({slug})", text, count=1)
        if rel.name == "meson.build" and rel.parent == Path("."):
            text = re.sub(r"^# Chapter \d\d `[a-z0-9-]+`", f"# Chapter {number} `{slug}`", text, count=1)
            text = text.replace(f"tests/{last.dirname}", f"tests/{number}-{slug}")
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text)


def add_to_meson(dirname: str) -> None:
    path = course.ROOT / "meson.build"
    text = path.read_text()
    block = re.search(r"^chapters = \[\n(?P<body>.*?)\]", text, re.S | re.M)
    if not block:
        raise course.CourseError("meson.build has no `chapters = [...]` list")
    body = block["body"] + f"  '{dirname}',\n"
    path.write_text(text[:block.start("body")] + body + text[block.end("body"):])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/new-chapter", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirname", help="NN-slug, the next number")
    parser.add_argument("title", help="the chapter's title, as its first heading will give it")
    args = parser.parse_args(argv)
    match = course.CHAPTER_DIR.match(args.dirname)
    chapters = course.chapters()
    if not match:
        print(f"error: {args.dirname}: a chapter folder is named NN-slug", file=sys.stderr)
        return 1
    number, slug = match["number"], match["slug"]
    expected = f"{int(chapters[-1].number) + 1:02d}" if chapters else "01"
    if number != expected or not chapters:
        print(f"error: the next chapter is number {expected}, after {chapters[-1].dirname if chapters else 'none'}",
              file=sys.stderr)
        return 1
    made = [course.ROOT / tree / args.dirname for tree in ("solutions", "tests")] + \
        [course.ROOT / "book" / f"{args.dirname}.md"]
    if any(path.exists() for path in made):
        print(f"error: {args.dirname} exists already", file=sys.stderr)
        return 1
    last = chapters[-1]
    scaffold_solution(last, made[0], number, slug)
    made[1].mkdir(parents=True)
    found, _ = compare.changes(last.solution_dir, made[0])  # the retitled rt.hpp and meson.build
    fields = {"number": number, "title": args.title.replace('"', '\\"'), "dirname": args.dirname,
              "changes": ", ".join(f'"{c.path}"' for c in found)}
    (made[1] / "chapter.toml").write_text(CHAPTER_TOML.format(**fields))
    (made[1] / "meson.build").write_text(TESTS_MESON)
    (made[1] / "test_given.cpp").write_text(TEST_GIVEN.format(**fields))
    made[2].write_text(BOOK.format(number=number, title=args.title, dirname=args.dirname))
    add_to_meson(args.dirname)
    generate.write(course.load_chapter(args.dirname))
    for path in made + [course.ROOT / "meson.build", course.ROOT / "chapters" / args.dirname]:
        print(f"wrote {path.relative_to(course.ROOT)}")
    print(f"Next: write the chapter's code and exercises, its tests and book, then scripts/check --chapter {number}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
