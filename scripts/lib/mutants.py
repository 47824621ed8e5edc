"""Hold each exercise's tests to account: a right answer passes, wrong answers fail.

tests/NN-slug/mutants.toml lists the wrong answers a learner is likely to write
(the book's pitfalls first), each as small edits of the reference's code in the
exercise's regions:

    [[mutant]]
    exercise = "ex3"
    name = "wake-consumes-the-context-waker"     # short, stable
    why = "wake() on a copy each time: works, but clones; ..."
    sanitizer = "address"                        # optional: only ASan+UBSan ("address") or TSan
                                                 # ("thread") can see it; the tutor offers that build
    [[mutant.edit]]
    find = "cx.waker().wake_by_ref();"           # must occur exactly once in ex3's regions
    replace = "Waker(cx.waker()).wake();"

The check works in a scratch copy of the course (build-check/mutants/), as the
learner would: for every exercise N, the learner's copy with exercises 1..N
filled with the reference and the rest stubs must pass N's tests (the prefix
check: a right answer is never blamed for a later stub); then each mutant of N,
applied to that copy, must make N's tests fail (a failure, a crash, a sanitizer
report or a hang all count) and must compile (else it proves nothing).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import builds
import course
import generate
import testrun
from course import Chapter, Exercise

# A mutant that makes the tests hang is caught when this runs out. An exercise's tests take a few
# seconds (three times that in a sanitizer build), so a hang costs this much and no more.
RUN_TIMEOUT = 20


class MutantError(Exception):
    """A mutant is malformed or no longer applies to the reference."""


@dataclass
class Edit:
    find: str
    replace: str


@dataclass
class Mutant:
    exercise: str
    name: str
    why: str
    edits: list[Edit]
    sanitizer: str | None = None

    def label(self, chapter: Chapter) -> str:
        return f"{chapter.number}/{self.exercise} mutant '{self.name}'"


@dataclass
class Outcome:
    ok: bool
    detail: str = ""  # why it failed
    how: str = ""  # how a caught mutant made the tests fail


def load(chapter: Chapter) -> list[Mutant]:
    path = chapter.tests_dir / "mutants.toml"
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise MutantError(f"tests/{chapter.dirname}/mutants.toml: {err}") from None
    found = []
    for entry in data.get("mutant", []):
        edits = [Edit(e["find"], e["replace"]) for e in entry.get("edit", [])]
        mutant = Mutant(entry["exercise"], entry["name"], entry["why"], edits, entry.get("sanitizer"))
        if not edits:
            raise MutantError(f"tests/{chapter.dirname}/mutants.toml: mutant {mutant.name} has no edit")
        if mutant.sanitizer not in (None, *builds.SANITIZERS):
            raise MutantError(f"tests/{chapter.dirname}/mutants.toml: {mutant.name}: sanitizer is "
                              f"{' or '.join(builds.SANITIZERS)}")
        chapter.exercise(mutant.exercise)  # raises on an unknown exercise
        found.append(mutant)
    return found


def apply(files: dict[Path, str], chapter: Chapter, mutant: Mutant) -> dict[Path, str]:
    """The chapter's files with the mutant's edits made inside its exercise's regions."""
    out = dict(files)
    for edit in mutant.edits:
        places = []
        for rel, text in out.items():
            if rel.suffix not in course.SOURCE_SUFFIXES:
                continue
            lines = text.splitlines(keepends=True)
            offsets = [0]
            for line in lines:
                offsets.append(offsets[-1] + len(line))
            for region in course.regions(lines, str(rel)):
                if region.exercise != mutant.exercise:
                    continue
                body_start, body_end = offsets[region.start + 1], offsets[region.end]
                at = text.find(edit.find, body_start, body_end)
                while at >= 0 and at + len(edit.find) <= body_end:
                    places.append((rel, at))
                    at = text.find(edit.find, at + 1, body_end)
        if len(places) != 1:
            raise MutantError(f"{mutant.label(chapter)}: its edit's `find` occurs {len(places)} times in "
                              f"{mutant.exercise}'s regions, not once:\n{edit.find}")
        rel, at = places[0]
        out[rel] = out[rel][:at] + edit.replace + out[rel][at + len(edit.find):]
    return out


# ---------------------------------------------------------------- the scratch course

COPIED = ("solutions", "chapters", "tests", "bench")


def sync_tree(source: Path, target: Path) -> None:
    """Make `target` hold the course's sources as `source` has them, rewriting only files whose
    content differs (so that ninja rebuilds only what changed)."""
    wanted = {Path("meson.build")}
    # bench/: the top-level meson.build reads its meson.build (nothing of it is built here).
    for folder in COPIED:
        wanted |= {Path(folder) / rel for rel in course.source_files(source / folder)}
    for rel in sorted(wanted):
        write_if_changed(target / rel, (source / rel).read_bytes())
    for folder in COPIED:
        if (target / folder).is_dir():
            for rel in course.source_files(target / folder):
                if Path(folder) / rel not in wanted:
                    (target / folder / rel).unlink()


def write_if_changed(path: Path, data: bytes) -> None:
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_chapter(root: Path, chapter: Chapter, files: dict[Path, str]) -> None:
    for rel, text in files.items():
        write_if_changed(root / "chapters" / chapter.dirname / rel, text.encode())


class Scratch:
    """The scratch course and its build directories: the learner's build (g++, the default build
    type), and the sanitizer builds, configured when a mutant first needs one."""

    def __init__(self, base: Path):
        self.source = base / "src"
        sync_tree(course.ROOT, self.source)
        # Without debug information: only pass or fail matters here, and it builds a third faster.
        self.learner = builds.Config("mutants", base / "build", "g++", ["-Ddebug=false"], source=self.source)
        self.sanitizers = {kind: builds.sanitizer_config(kind, base / f"build-{kind}", self.source)
                           for kind in builds.SANITIZERS}
        for config in self.sanitizers.values():
            config.options = [*config.options, "-Ddebug=false"]
        self.configured: set[str] = set()

    def config(self, sanitizer: str | None) -> builds.Config:
        config = self.sanitizers[sanitizer] if sanitizer else self.learner
        if config.name not in self.configured:
            builds.configure(config)
            self.configured.add(config.name)
        return config


def run_exercise(config: builds.Config, exercise: Exercise) -> tuple[str | None, testrun.SuiteRun | None]:
    """Build the exercise's own test binary and run its suite: (build error, run)."""
    binary = builds.exercise_binary(config, exercise)
    try:
        builds.build(config, [binary.name])
    except builds.BuildError as err:
        return builds.first_compiler_error(err.output, 20), None
    env = dict(os.environ, **builds.SANITIZER_ENV)
    return None, testrun.run_suite(binary, exercise.suite, timeout=RUN_TIMEOUT * (3 if config.slow else 1), env=env)


def how_it_failed(run: testrun.SuiteRun) -> str:
    if run.timed_out:
        return f"hung: {run.crash}"
    if run.crash:
        return run.crash
    failing = [c.name for c in run.cases if not c.passed]
    return f"{len(failing)} of {len(run.cases)} tests fail, first: {failing[0]}" if failing else "no test ran"


def prefix_outcome(scratch: Scratch, chapter: Chapter, index: int) -> Outcome:
    """Exercises 1..index+1 solved, the rest stubs: exercise index+1's tests pass."""
    exercise = chapter.exercises[index]
    solved = frozenset(ex.id for ex in chapter.exercises[:index + 1])
    write_chapter(scratch.source, chapter, generate.expected_files(chapter, solved))
    error, run = run_exercise(scratch.config(None), exercise)
    if error is not None:
        return Outcome(False, f"does not compile:\n{error}")
    if not run.passed:
        detail = how_it_failed(run)
        later = sorted({i for case in run.cases for i in case.not_implemented} - solved)
        if later:
            detail += f"\nIt reaches the stub of {', '.join(later)}: the test relies on a later exercise."
        return Outcome(False, detail)
    return Outcome(True)


def mutant_outcome(scratch: Scratch, chapter: Chapter, index: int, mutant: Mutant) -> Outcome:
    """The mutant applied to the prefix-solved copy: the exercise's tests must fail, in the build
    that can see the mistake."""
    solved = frozenset(ex.id for ex in chapter.exercises[:index + 1])
    try:
        files = apply(generate.expected_files(chapter, solved), chapter, mutant)
    except MutantError as err:
        return Outcome(False, str(err))
    write_chapter(scratch.source, chapter, files)
    config = scratch.config(mutant.sanitizer)
    error, run = run_exercise(config, chapter.exercise(mutant.exercise))
    if error is not None:
        return Outcome(False, f"the mutant does not compile, so it proves nothing; fix its edit:\n{error}")
    if run.passed:
        return Outcome(False, f"the tests pass on this wrong answer ({mutant.why}): a test is missing")
    return Outcome(True, how=how_it_failed(run))


def reset(scratch: Scratch, chapter: Chapter) -> None:
    write_chapter(scratch.source, chapter, generate.expected_files(chapter))
