"""The learner's progress, recomputed from test results.

Nothing is stored but a cache: an exercise's status is what its tests say
when run against the learner's chapter. The cache is keyed by chapter slug and
exercise name (not by number), and by the test binary's signature, so a
rebuilt binary is always run again and a renumbered course strands nothing.

A test that hangs is stopped after TEST_TIMEOUT seconds ($TUTOR_TEST_TIMEOUT
overrides it: the tutor's own tests use a short one).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import builds
import testrun
import ui
from course import Chapter, Exercise

PASSED = "passed"
FAILING = "failing"  # the learner has started: something other than its own stub fails
TODO = "todo"  # untouched: its failing tests all reach its own rt::todo
BROKEN = "broken"  # the chapter does not compile, or the tests crash or hang

TEST_TIMEOUT = float(os.environ.get("TUTOR_TEST_TIMEOUT", "60"))


@dataclass
class Status:
    exercise: Exercise
    state: str
    run: testrun.SuiteRun | None = None
    build_error: str | None = None


class Cache:
    """Exercise statuses by key, valid while the test binary is unchanged."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.data = json.loads(path.read_text())
        except (OSError, ValueError):
            self.data = {}

    def get(self, key: str, signature: str) -> str | None:
        entry = self.data.get(key)
        return entry["state"] if entry and entry.get("binary") == signature else None

    def put(self, key: str, signature: str, state: str) -> None:
        self.data[key] = {"binary": signature, "state": state}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.data, indent=1, sort_keys=True))


def signature(binary: Path) -> str:
    stat = binary.stat()
    return f"{stat.st_mtime_ns}:{stat.st_size}"


def classify(exercise: Exercise, run: testrun.SuiteRun) -> str:
    if run.passed:
        return PASSED
    if run.crash:
        return BROKEN
    # Not started while every failing test still reaches the exercise's own stub. A test that also
    # reaches an earlier exercise's stub says nothing about this one (scripts/check flags such a test).
    untouched = run.cases and all(exercise.id in c.not_implemented for c in run.cases if not c.passed)
    return TODO if untouched else FAILING


def needs_build(config: builds.Config, chapter: Chapter) -> bool:
    """Whether the learner's test binary is missing or older than a file of the chapter or its tests."""
    binary = builds.binary(config, chapter, "chapters", "tests")
    try:
        built = binary.stat().st_mtime
    except OSError:
        return True
    sources = [p for folder in (chapter.chapter_dir, chapter.tests_dir, chapter.root / "tests" / "support")
               for p in folder.rglob("*") if p.is_file()]
    return any(p.stat().st_mtime > built for p in sources)


def build_chapter(config: builds.Config, chapter: Chapter, announce: Callable[[str], None] | None = None) -> str | None:
    """Build the learner's test binary; the first compiler error, or None when it built.
    `announce` hears of a build that has work to do, before it starts: a first build takes minutes."""
    if announce is not None and needs_build(config, chapter):
        announce(f"Building chapters/{chapter.dirname} and its tests...")
    return _build(config, [builds.target(chapter, "chapters", "tests")], f"chapters/{chapter.dirname}",
                  announce is not None)


def _build(config: builds.Config, targets: list[str], what: str, show: bool) -> str | None:
    """Build, showing progress if `show`; the first compiler error, or None."""
    shown = ui.BuildProgress(what) if show else None
    try:
        builds.build(config, targets, shown)
        return None
    except builds.BuildError as err:
        return builds.first_compiler_error(err.output)
    finally:
        if shown is not None:
            shown.finish()


def build_exercise(config: builds.Config, exercise: Exercise, announce: Callable[[str], None] | None = None) -> str | None:
    """Build the exercise's own test binary (its tests only): what a save of the exercise rebuilds.
    The first compiler error, or None when it built."""
    binary = builds.exercise_binary(config, exercise)
    if announce is not None and not binary.exists():
        announce(f"Building chapters/{exercise.chapter.dirname} and the tests of {exercise.id}...")
    return _build(config, [binary.name], f"the tests of {exercise.chapter.number}/{exercise.id}", announce is not None)


def exercise_status(config: builds.Config, exercise: Exercise, cache: Cache | None,
                    need_run: bool = False, own_binary: bool = False) -> Status:
    """Run one exercise's tests against the learner's chapter (built already): from the chapter's
    test binary, or with `own_binary` from the exercise's own."""
    binary = (builds.exercise_binary(config, exercise) if own_binary
              else builds.binary(config, exercise.chapter, "chapters", "tests"))
    sig = signature(binary)
    if cache is not None and not need_run:
        state = cache.get(exercise.key, sig)
        if state is not None:
            return Status(exercise, state)
    run = testrun.run_suite(binary, exercise.suite, timeout=TEST_TIMEOUT)
    state = classify(exercise, run)
    if cache is not None:
        cache.put(exercise.key, sig, state)
    return Status(exercise, state, run)


def chapter_statuses(config: builds.Config, chapter: Chapter, cache: Cache | None,
                     announce: Callable[[str], None] | None = None) -> list[Status]:
    error = build_chapter(config, chapter, announce)
    if error is not None:
        return [Status(ex, BROKEN, build_error=error) for ex in chapter.exercises]
    return [exercise_status(config, ex, cache) for ex in chapter.exercises]
