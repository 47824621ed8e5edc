"""The course as the repository lays it out: chapters, exercises, exercise regions.

Every script reads the course through this module, so the layout is described
in one place:

    solutions/NN-slug/      the reference runtime at the end of chapter NN
    chapters/NN-slug/       the learner's copy, generated from the solution
    tests/NN-slug/          doctest tests, and chapter.toml (titles, hints)
    book/NN-slug.md         the chapter's text

In a solution file, an exercise region is

    // BEGIN EXERCISE ex2: what the region does
    ...solution lines...
    // END EXERCISE ex2

and the learner's copy keeps both marker lines around a stub that calls
rt::todo("ex2: what the region does"). Book snippets are fenced by
// ANCHOR: name and // ANCHOR_END: name, which the learner's copy leaves out.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BEGIN = re.compile(r"^(?P<indent>\s*)// BEGIN EXERCISE (?P<id>ex\d+): (?P<what>.+?)\s*$")
END = re.compile(r"^\s*// END EXERCISE (?P<id>ex\d+)\s*$")
ANCHOR = re.compile(r"^\s*// ANCHOR(_END)?: (?P<name>[\w-]+)\s*$")
CHAPTER_DIR = re.compile(r"^(?P<number>\d\d)-(?P<slug>[a-z0-9-]+)$")
SOURCE_SUFFIXES = {".hpp", ".cpp", ".h"}


class CourseError(Exception):
    """The repository breaks a rule of the layout; the message says which."""


@dataclass
class Region:
    """One exercise region of a source file: lines [start, end) between the markers."""

    exercise: str
    what: str
    indent: str
    start: int  # index of the BEGIN line
    end: int  # index of the END line


@dataclass
class Exercise:
    id: str  # ex1, ex2, ... in the order the book teaches them
    name: str  # stable name: progress is keyed by chapter slug + this
    title: str
    section: str  # id of the book section that teaches it
    hints: list[str]
    chapter: "Chapter" = field(repr=False)

    @property
    def suite(self) -> str:
        """The doctest suite of this exercise's tests."""
        return f"{self.id}: {self.title}"

    @property
    def key(self) -> str:
        return f"{self.chapter.slug}/{self.name}"


@dataclass
class Chapter:
    dirname: str  # 01-block-on
    number: str  # 01
    slug: str  # block-on
    title: str
    summary: str
    book: str
    exercises: list[Exercise]
    root: Path
    # Files this chapter adds, changes or removes from the previous chapter's solution (chapter.toml's
    # `changes`); every other file must stay the previous chapter's (scripts/lib/compare.py).
    changes: list[str] = field(default_factory=list)
    you_build: str = ""  # Markdown, for the chapter tables of the README and the introduction
    example_shows: str = ""
    # The learner's sanitizer runs (scripts/tutor run --sanitize): "address", and "thread" where the
    # chapter's threads share data.
    sanitizers: list[str] = field(default_factory=lambda: ["address"])

    @property
    def solution_dir(self) -> Path:
        return self.root / "solutions" / self.dirname

    @property
    def chapter_dir(self) -> Path:
        return self.root / "chapters" / self.dirname

    @property
    def tests_dir(self) -> Path:
        return self.root / "tests" / self.dirname

    @property
    def book_file(self) -> Path:
        return self.root / "book" / self.book

    def tree_dir(self, tree: str) -> Path:
        """solutions/NN-slug or chapters/NN-slug."""
        return self.root / tree / self.dirname

    def exercise(self, ident: str) -> Exercise:
        for ex in self.exercises:
            if ident in (ex.id, ex.name):
                return ex
        raise CourseError(f"chapter {self.dirname} has no exercise {ident!r}")


def load_chapter(dirname: str, root: Path = ROOT) -> Chapter:
    match = CHAPTER_DIR.match(dirname)
    if not match:
        raise CourseError(f"{dirname}: chapter folders are named NN-slug")
    meta_path = root / "tests" / dirname / "chapter.toml"
    try:
        meta = tomllib.loads(meta_path.read_text())
    except FileNotFoundError:
        raise CourseError(f"{meta_path.relative_to(root)} is missing") from None
    except tomllib.TOMLDecodeError as err:
        raise CourseError(f"{meta_path.relative_to(root)}: {err}") from None
    chapter = Chapter(dirname, match["number"], match["slug"], meta["title"], meta["summary"],
                      meta["book"], [], root, list(meta.get("changes", [])), meta.get("you_build", ""),
                      meta.get("example_shows", ""), list(meta.get("sanitizers", ["address"])))
    for entry in meta.get("exercise", []):
        chapter.exercises.append(Exercise(entry["id"], entry["name"], entry["title"], entry["section"],
                                          list(entry["hints"]), chapter))
    return chapter


def chapters(root: Path = ROOT) -> list[Chapter]:
    """Every chapter with a solution, in course order."""
    solutions = root / "solutions"
    if not solutions.is_dir():
        return []
    names = sorted(p.name for p in solutions.iterdir() if p.is_dir())
    return [load_chapter(name, root) for name in names]


def find_chapter(ident: str, root: Path = ROOT) -> Chapter:
    """A chapter by number (3 or 03), slug (sleep) or folder name (03-sleep)."""
    for chapter in chapters(root):
        if ident in (chapter.dirname, chapter.slug, chapter.number) or ident.lstrip("0") == chapter.number.lstrip("0"):
            return chapter
    raise CourseError(f"no chapter {ident!r}; chapters are: " + ", ".join(c.dirname for c in chapters(root)))


def source_files(directory: Path) -> list[Path]:
    """Every file of a chapter folder, relative to it, sorted."""
    return sorted(p.relative_to(directory) for p in directory.rglob("*") if p.is_file())


def regions(lines: list[str], where: str = "") -> list[Region]:
    """The exercise regions of a file's lines. Raises CourseError on a broken marker."""
    found: list[Region] = []
    open_region: Region | None = None
    for i, line in enumerate(lines):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if open_region:
                raise CourseError(f"{where}:{i + 1}: BEGIN EXERCISE inside {open_region.exercise}'s region")
            open_region = Region(begin["id"], begin["what"], begin["indent"], i, -1)
        elif end:
            if not open_region or open_region.exercise != end["id"]:
                raise CourseError(f"{where}:{i + 1}: END EXERCISE {end['id']} without its BEGIN")
            open_region.end = i
            found.append(open_region)
            open_region = None
        elif "EXERCISE" in line and re.search(r"//\s*(BEGIN|END)\s+EXERCISE", line):
            raise CourseError(f"{where}:{i + 1}: malformed exercise marker: {line.strip()}")
    if open_region:
        raise CourseError(f"{where}: BEGIN EXERCISE {open_region.exercise} is never closed")
    return found


def stub_lines(region: Region) -> list[str]:
    """What replaces a region's body in the learner's copy."""
    what = region.what.replace("\\", "\\\\").replace('"', '\\"')
    return [f'{region.indent}rt::todo("{region.exercise}: {what}");\n']


def learner_copy(text: str, where: str = "", solved: frozenset[str] = frozenset()) -> str:
    """A solution file as the learner gets it: regions stubbed, anchor lines dropped. The regions of
    the exercises in `solved` keep the reference's code, as if the learner had written it."""
    lines = text.splitlines(keepends=True)
    found = regions(lines, where)
    out: list[str] = []
    i = 0
    for region in found:
        out.extend(line for line in lines[i:region.start] if not ANCHOR.match(line))
        out.append(lines[region.start])
        out.extend(region_body(lines, region) if region.exercise in solved else stub_lines(region))
        out.append(lines[region.end])
        i = region.end + 1
    out.extend(line for line in lines[i:] if not ANCHOR.match(line))
    return "".join(out)


def chapter_table(chapters_: list[Chapter], link: str, shows: bool) -> list[str]:
    """The table of chapters (README, introduction), from chapter.toml: `link` is a format string
    of the chapter's book page ({stem}: 01-block-on); `shows` adds what each example shows."""
    head = ["| chapter | you build |" + (" the example shows |" if shows else ""),
            "|---|---|" + ("---|" if shows else "")]
    return head + [f"| [{c.number} {c.slug}]({link.format(stem=Path(c.book).stem)}) | {c.you_build} |"
                   + (f" {c.example_shows} |" if shows else "") for c in chapters_]


def region_body(lines: list[str], region: Region) -> list[str]:
    """The solution lines of a region, anchor lines dropped."""
    return [line for line in lines[region.start + 1:region.end] if not ANCHOR.match(line)]


def chapter_regions(directory: Path) -> list[tuple[Path, list[str], Region]]:
    """(file, the file's lines, region) of every exercise region in a chapter folder."""
    found = []
    for rel in source_files(directory):
        if rel.suffix in SOURCE_SUFFIXES:
            lines = (directory / rel).read_text().splitlines(keepends=True)
            found.extend((rel, lines, region) for region in regions(lines, str(rel)))
    return found


def exercise_regions(directory: Path, exercise: str) -> list[tuple[Path, str, list[str]]]:
    """(file, what, body) of every region of `exercise` in a chapter folder, anchors dropped."""
    return [(rel, r.what, region_body(lines, r)) for rel, lines, r in chapter_regions(directory) if r.exercise == exercise]


def anchor_lines(text: str, anchor: str, where: str = "") -> list[str]:
    """The lines between // ANCHOR: name and // ANCHOR_END: name, other anchor lines dropped."""
    lines = text.splitlines()
    start = end = None
    for i, line in enumerate(lines):
        match = ANCHOR.match(line)
        if match and match["name"] == anchor:
            if match.group(1) is None:
                if start is not None:
                    raise CourseError(f"{where}: anchor {anchor!r} opened twice")
                start = i
            else:
                end = i
    if start is None or end is None or end < start:
        raise CourseError(f"{where}: no anchor {anchor!r} (// ANCHOR: {anchor} ... // ANCHOR_END: {anchor})")
    return [line for line in lines[start + 1:end] if not ANCHOR.match(line)]
