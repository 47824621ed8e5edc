"""scripts/tutor: the learner's guide through the course.

    scripts/tutor                  build, show progress, run your current exercise
    scripts/tutor run [EX]         run one exercise's tests (default: the current one)
    scripts/tutor run --sanitize   the same under AddressSanitizer + UBSan, and ThreadSanitizer where
                                   threads share data: a use after free, a leak or a race fails it
    scripts/tutor hint [EX]        reveal the next hint
    scripts/tutor watch            re-run the current exercise whenever you save; move on when it passes
    scripts/tutor progress         the progress table only
    scripts/tutor diff [CH|EX]     your code against the reference solution
    scripts/tutor changes CH       what chapter CH changes since the chapter before (--new: new files too)
    scripts/tutor reset CH         put a chapter back as it was (your version is backed up first)
    scripts/tutor start-at CH      fill every earlier chapter with the solutions, to begin at CH
    scripts/tutor example [CH]     build and run a chapter's example (--solution: the reference's;
                                   its own arguments after --: example 03 -- --count 5)
    scripts/tutor timeline [CH]    run the example with the runtime's recorder on (chapter 04 on) and draw
                                   an SVG timeline: a lane per thread, polls, waits, wakes between threads
                                   (--solution, --from MS --to MS, --max-events N, example arguments after --;
                                   without them, the example's small --timeline run); --cost: what the
                                   recorder costs while off, chapter 04's spawn + join with and without it
    scripts/tutor server           run the delay server of chapter 05 (--port N)
    scripts/tutor book             build the book and print where it is
    scripts/tutor clean            delete the build directory

EX names an exercise: ex3 (in the current chapter), 01/ex3, block-on/countdown.
CH names a chapter: 3, 03, sleep or 03-sleep.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import book
import book_timelines
import builds
import compare
import course
import generate
import progress
import testrun
import ui
from course import Chapter, Exercise
from progress import BROKEN, FAILING, PASSED, TODO

STATE_DIR = course.ROOT / ".tutor"
MARK = {PASSED: ui.style("✓", "green"), FAILING: ui.style("✗", "red"), TODO: ui.style("·", "dim"),
        BROKEN: ui.style("!", "yellow")}
DELAY_SERVER = ("05-epoll-reactor", "delay-server")


class TutorError(Exception):
    pass


EXERCISE_ID = re.compile(r"ex\d+")


# ---------------------------------------------------------------- state

def load_state() -> dict:
    try:
        return json.loads((STATE_DIR / "state.json").read_text())
    except (OSError, ValueError):
        return {}


def save_state(state: dict) -> None:
    STATE_DIR.mkdir(exist_ok=True)
    (STATE_DIR / "state.json").write_text(json.dumps(state, indent=1, sort_keys=True))


def hints_shown(exercise: Exercise) -> int:
    """How many hints of an exercise the learner has seen: at least the first."""
    return max(1, load_state().get("hints", {}).get(exercise.key, 1))


def save_hints_shown(exercise: Exercise, shown: int) -> None:
    state = load_state()
    state.setdefault("hints", {})[exercise.key] = shown
    save_state(state)


def results_cache() -> progress.Cache:
    return progress.Cache(STATE_DIR / "results.json")


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- finding things

def parse_exercise(text: str, current_chapter: Callable[[], Chapter]) -> Exercise:
    """An exercise as the learner names it: ex3 (in the current chapter), 01/ex3, block-on/countdown
    or countdown. current_chapter is only called for a bare id: finding it builds and runs tests."""
    if "/" in text:
        chapter_part, ex_part = text.split("/", 1)
        return course.find_chapter(chapter_part).exercise(ex_part)
    if EXERCISE_ID.fullmatch(text):
        found = current_chapter().exercise(text)
        # A bare id is the current chapter's: say which, since every chapter has an ex1.
        print(ui.style(f"{text} is {found.chapter.number}/{text}, in chapter {found.chapter.dirname} where you "
                       f"are; another chapter's: scripts/tutor run NN/{text}", "dim"))
        return found
    for chapter in course.chapters():
        for ex in chapter.exercises:
            if text == ex.name:
                return ex
    raise TutorError(f"no exercise {text!r}; write it as ex3, 01/ex3 or block-on/countdown")


def configure() -> builds.Config:
    config = builds.learner_config()
    try:
        builds.configure(config)
    except builds.CompilerMismatch as err:
        raise TutorError(
            f"build/ was configured with {err.configured}, but CXX={err.wanted}: "
            f"a build directory cannot change its compiler.\n"
            f"To build with {err.wanted}: scripts/tutor clean (it deletes build/), then run the tutor again.\n"
            f"To keep {err.configured}: run the tutor without CXX.") from None
    except builds.BuildError as err:
        raise TutorError(f"{err}\n{err.output}".strip()) from None
    return config


def announce(message: str) -> None:
    """A line that says what the tutor is busy with (building can take minutes)."""
    print(ui.style(message, "dim"), flush=True)


def current_exercise(config: builds.Config, cache: progress.Cache) -> progress.Status | None:
    """The first exercise, in course order, whose tests do not all pass."""
    for chapter in course.chapters():
        for status in progress.chapter_statuses(config, chapter, cache, announce):
            if status.state != PASSED:
                return status
    return None


def current_chapter(config: builds.Config, cache: progress.Cache) -> Chapter:
    """The chapter of the current exercise, or the last chapter once all pass."""
    found = current_exercise(config, cache)
    return found.exercise.chapter if found else course.chapters()[-1]


def chosen_exercise(config: builds.Config, cache: progress.Cache, text: str | None) -> Exercise | None:
    """The exercise the learner named, else the current one; None when every exercise passes."""
    if text:
        return parse_exercise(text, lambda: current_chapter(config, cache))
    found = current_exercise(config, cache)
    return found.exercise if found else None


def fresh_status(config: builds.Config, exercise: Exercise, cache: progress.Cache) -> progress.Status:
    """Build the exercise's own tests and run them now (a save rebuilds only what they need)."""
    error = progress.build_exercise(config, exercise, announce)
    if error is not None:
        return progress.Status(exercise, BROKEN, build_error=error)
    return progress.exercise_status(config, exercise, cache, need_run=True, own_binary=True)


def region_locations(exercise: Exercise) -> list[str]:
    """file:line (what) of each of the exercise's regions in the learner's chapter."""
    try:
        found = course.chapter_regions(exercise.chapter.chapter_dir)
    except course.CourseError:
        return []  # the learner broke a marker: the caller names the chapter folder instead
    return [f"{rel(exercise.chapter.chapter_dir / path)}:{region.start + 1}  ({region.what})"
            for path, _, region in found if region.exercise == exercise.id]


# ---------------------------------------------------------------- showing things

def book_link(exercise: Exercise) -> str:
    page = book.output_dir() / book.page_name(exercise.chapter)
    return f"{rel(page)}#{exercise.section}"


def show_book() -> None:
    try:
        print(f"Book: {rel(book.build(book.output_dir(), quiet=True, if_changed=True) / 'index.html')}\n")
    except (book.BookError, course.CourseError, OSError) as err:  # OSError: pandoc is missing
        print(ui.style(f"The book did not build: {err}\n", "yellow"))


def show_progress(all_statuses: list[tuple[Chapter, list[progress.Status] | None]], current: Exercise | None) -> None:
    """The progress table; a chapter whose statuses are None was not built (it comes after the current one)."""
    ui.heading("Progress")
    for chapter, statuses in all_statuses:
        if statuses is None:
            print(ui.style(f"  {chapter.number} {chapter.slug:<16} -/{len(chapter.exercises)}  {chapter.title}", "dim"))
            continue
        done = sum(s.state == PASSED for s in statuses)
        line = f"  {chapter.number} {chapter.slug:<16} {done}/{len(statuses)}  {chapter.title}"
        if statuses and done == len(statuses):
            print(ui.style(line, "green"))
        else:
            print(line)
        if current is not None and current.chapter is chapter:
            for status in statuses:
                ex = status.exercise
                here = ui.style("  <- you are here", "yellow") if ex is current else ""
                print(f"       {MARK[status.state]} {ex.id:<4} {ex.title}{here}")
    print()


def show_course_progress(config: builds.Config, cache: progress.Cache,
                         everything: bool = True) -> tuple[int, progress.Status | None]:
    """Show the progress table; returns (number of exercises, the current one's status). Without
    `everything`, the chapters after the current one are not built: the learner's exercise comes first."""
    table: list[tuple[Chapter, list[progress.Status] | None]] = []
    current = None
    for chapter in course.chapters():
        if current is not None and not everything:
            table.append((chapter, None))
            continue
        statuses = progress.chapter_statuses(config, chapter, cache, announce)
        table.append((chapter, statuses))
        current = current or next((s for s in statuses if s.state != PASSED), None)
    show_progress(table, current.exercise if current else None)
    if any(statuses is None for _, statuses in table):
        print(ui.style("  (later chapters are built when you get there; all of them now: scripts/tutor progress)\n",
                       "dim"))
    return sum(len(c.exercises) for c, _ in table), current


def rerun_command(exercise: Exercise, directory: Path | None = None) -> str:
    """The command that runs an exercise's tests by hand, every failure and message shown."""
    return f"{rel(directory or builds.learner_config().directory)}/tests-{exercise.chapter.dirname}-{exercise.id}"


def show_crash(status: progress.Status, directory: Path | None = None) -> None:
    run = status.run
    where = f' in "{run.crashed_case}"' if run.crashed_case else ""
    what = "timed out (a wait did not end)" if run.timed_out else "crashed"
    print(ui.style(f"  The tests {what}{where}:", "yellow"))
    print(ui.wrapped(run.crash, indent="    "))
    tail = [ln for ln in run.stderr.splitlines() if ln.strip()][:14]
    if tail:
        print(ui.indented("\n".join(tail)))
    command = rerun_command(status.exercise, directory)
    print(f"  Run it yourself: {command}")
    print(f"  Under a debugger: gdb -ex run --args {command}")


def show_failure(failure) -> None:
    """One failed check: where, what, its values, and the test's own words on it (INFO, CAPTURE)."""
    print(ui.wrapped(f"{failure.where}: {failure.text}", indent="      "))
    for note in failure.notes:
        print(ui.style(ui.wrapped(f"note: {note}", indent="        "), "cyan"))


def show_failures(status: progress.Status, max_cases: int = 3, directory: Path | None = None) -> None:
    if status.build_error is not None:
        print(ui.style(f"  chapters/{status.exercise.chapter.dirname} does not compile. The first error:", "yellow"))
        print(ui.indented(status.build_error))
        print(ui.style(f"  The compiler's whole output: {rel(builds.build_log(builds.learner_config()))}", "dim"))
        return
    run = status.run
    if run is None:
        return
    if run.crash:
        show_crash(status, directory)
    elif not run.cases:
        print(ui.style(f"  No test ran: the test binary has no suite named '{run.suite}'.", "yellow"))
    failing = [c for c in run.cases if not c.passed and not c.crashed]
    if failing:
        print(f"  {len(failing)} of {len(run.cases)} tests fail:")
    for case in failing[:max_cases]:
        print(ui.style(f"  ✗ {case.name}", "red"))
        for failure in case.failures[:2]:
            show_failure(failure)
    if len(failing) > max_cases:
        print(f"  ... and {len(failing) - max_cases} more. To see every failure: "
              f"{rerun_command(status.exercise, directory)}")


def show_hints(exercise: Exercise, shown: int) -> None:
    for i, hint in enumerate(exercise.hints[:shown], start=1):
        print(ui.style(f"  Hint {i}/{len(exercise.hints)}:", "cyan"))
        print(ui.wrapped(hint, indent="    "))
    if shown < len(exercise.hints):
        print(ui.style("  Another hint: scripts/tutor hint", "dim"))


def stubs_reached(status: progress.Status) -> list[str]:
    """The other exercises whose rt::todo stub a failing test of this exercise ran into, in order."""
    found: list[str] = []
    for case in status.run.cases if status.run is not None else []:
        for other in case.not_implemented:
            if other != status.exercise.id and other not in found:
                found.append(other)
    return found


def show_other_stubs(status: progress.Status) -> None:
    """A test that stops at another exercise's stub is not this exercise's fault: say which to do first."""
    for other in stubs_reached(status):
        title = next((e.title for e in status.exercise.chapter.exercises if e.id == other), other)
        print(ui.style(f"  Some of these tests need {other} ({title}) first: your {status.exercise.id} may be "
                       f"right. scripts/tutor run {other}", "yellow"))


def show_exercise(status: progress.Status) -> None:
    ex = status.exercise
    ui.heading(f"Exercise {ex.chapter.number}/{ex.id}: {ex.title}   (chapter {ex.chapter.dirname})")
    if status.state == TODO and status.run is not None:
        print(f"  Not started: its {len(status.run.cases)} tests stop at your rt::todo stub. The first:")
        first = next((c for c in status.run.cases if not c.passed), None)
        if first is not None:
            print(ui.style(f"  ✗ {first.name}", "red"))
            for failure in first.failures[:1]:
                show_failure(failure)
    else:
        show_failures(status)
        show_other_stubs(status)
    print("  Write it in:")
    for location in region_locations(ex) or [f"chapters/{ex.chapter.dirname}"]:
        print(f"    {location}")
    print(f"  Read: {book_link(ex)}")
    show_hints(ex, hints_shown(ex))
    print(ui.style("  Run it again: scripts/tutor run    Re-run on every save: scripts/tutor watch", "dim"))


def exercise_diff(exercise: Exercise) -> str:
    """Your code for one exercise against the reference, region by region."""
    whole_chapter = f"see the whole chapter: scripts/tutor diff {exercise.chapter.number}"
    try:
        mine = course.exercise_regions(exercise.chapter.chapter_dir, exercise.id)
    except course.CourseError as err:
        return f"  (the exercise markers in chapters/{exercise.chapter.dirname} are broken: {err}; {whole_chapter})"
    theirs = course.exercise_regions(exercise.chapter.solution_dir, exercise.id)
    if len(mine) != len(theirs):
        return (f"  (the EXERCISE {exercise.id} markers in chapters/{exercise.chapter.dirname} were changed, so the "
                f"regions cannot be paired; {whole_chapter})")
    parts = []
    for (path, what, body), (_, _, ref) in zip(mine, theirs):
        if [line.strip() for line in body] == [line.strip() for line in ref]:
            parts.append(f"  {path} ({what}): the same as the reference.")
            continue
        lines = difflib.unified_diff(body, ref, f"yours: {path} ({what})", "reference", n=2)
        parts.append(ui.diff_lines(list(lines)))
    return "\n".join(parts)


def show_passed(status: progress.Status) -> None:
    exercise = status.exercise
    count = f" all {len(status.run.cases)} tests" if status.run else ""
    print(ui.style(f"✓ {exercise.chapter.number}/{exercise.id} {exercise.title}: passes{count}.", "green", "bold"))
    print("  Your code beside the reference solution (- yours, + reference):")
    print(exercise_diff(exercise))
    if "thread" in exercise.chapter.sanitizers:
        print(ui.style("  Threads share data here: a race or a use after free can pass these tests. "
                       "Worth a run: scripts/tutor run --sanitize", "yellow"))
    print()


def chapter_complete(done: Chapter, next_exercise: Exercise | None) -> None:
    """The moment a learner finishes a chapter."""
    print(ui.style(f"Chapter {done.number} ({done.slug}) is complete: all {len(done.exercises)} exercises pass.",
                   "green", "bold"))
    print(f"  Watch it run: scripts/tutor example {done.number}")
    if next_exercise is not None:
        page = book.output_dir() / book.page_name(next_exercise.chapter)
        print(f"  Next: chapter {next_exercise.chapter.number}; read {rel(page)}")
    print()


def moved_on(config: builds.Config, cache: progress.Cache, current: progress.Status | None) -> None:
    """If the exercise that was current last time passes now, show it passing, and say when a chapter is done."""
    state = load_state()
    previous_key = state.get("current")
    current_key = current.exercise.key if current else None
    state["current"] = current_key
    save_state(state)
    if previous_key is None or previous_key == current_key:
        return
    previous = next((ex for c in course.chapters() for ex in c.exercises if ex.key == previous_key), None)
    if previous is None:
        return
    status = progress.exercise_status(config, previous, cache, need_run=True)
    if status.state != PASSED:
        return
    show_passed(status)
    if current is None or current.exercise.chapter.dirname != previous.chapter.dirname:
        chapter_complete(previous.chapter, current.exercise if current else None)


def show_status(status: progress.Status) -> int:
    """The pass and the diff, or what fails and how to go on; the exit status to match."""
    if status.state == PASSED:
        show_passed(status)
        return 0
    show_exercise(status)
    return 1


# ---------------------------------------------------------------- commands

def cmd_default(args) -> int:
    config = configure()
    cache = results_cache()
    # The current chapter first: the chapters after it are built when the learner gets there.
    total, current = show_course_progress(config, cache, everything=False)
    moved_on(config, cache, current)
    if current is None:
        show_book()
        print(ui.style(f"All {total} exercises pass: the course is complete. Well done.", "green", "bold"))
        return 0
    if current.run is None and current.build_error is None:
        current = fresh_status(config, current.exercise, cache)  # its state came from the cache: run it for the details
    show_exercise(current)
    show_book()
    return 1


def cmd_run(args) -> int:
    config = configure()
    cache = results_cache()
    if args.exercise is None and not args.sanitize:
        moved_on(config, cache, current_exercise(config, cache))
    exercise = chosen_exercise(config, cache, args.exercise)
    if exercise is None:
        print(ui.style("Every exercise passes: the course is complete.", "green"))
        return 0
    if args.sanitize:
        return run_sanitized(exercise)
    return show_status(fresh_status(config, exercise, cache))


def run_sanitized(exercise: Exercise) -> int:
    """The exercise's tests built with AddressSanitizer + UndefinedBehaviorSanitizer (a use after free,
    a leak, an overflow), then, in a chapter whose threads share data, with ThreadSanitizer (a race).
    Each has a build directory of its own: build-address/, build-thread/."""
    worst = 0
    for kind in exercise.chapter.sanitizers:
        config = builds.sanitizer_config(kind, course.ROOT / f"build-{kind}")
        try:
            builds.configure(config)
        except builds.BuildError as err:
            raise TutorError(f"{err}\n{err.output}".strip()) from None
        name = {"address": "AddressSanitizer + UndefinedBehaviorSanitizer", "thread": "ThreadSanitizer"}[kind]
        announce(f"Under {name} ({rel(config.directory)}/; the first build takes a while):")
        error = progress.build_exercise(config, exercise, announce)
        if error is not None:
            status = progress.Status(exercise, BROKEN, build_error=error)
        else:
            binary = builds.exercise_binary(config, exercise)
            run = testrun.run_suite(binary, exercise.suite, timeout=progress.TEST_TIMEOUT * 3,
                                    env=builds.SANITIZER_ENV)
            status = progress.Status(exercise, progress.classify(exercise, run), run)
        if status.state == PASSED:
            print(ui.style(f"  ✓ {exercise.chapter.number}/{exercise.id} passes under {name}", "green"))
            continue
        show_failures(status, directory=config.directory)
        worst = 1
    return worst


def cmd_hint(args) -> int:
    config = configure()
    exercise = chosen_exercise(config, results_cache(), args.exercise)
    if exercise is None:
        print("Every exercise passes: no hints needed.")
        return 0
    before = hints_shown(exercise)
    shown = min(len(exercise.hints), before + 1)
    save_hints_shown(exercise, shown)
    ui.heading(f"Exercise {exercise.chapter.number}/{exercise.id}: {exercise.title}")
    show_hints(exercise, shown)
    if shown == before:
        print(ui.style(f"  There are no more hints. The book section: {book_link(exercise)}", "dim"))
    elif shown == len(exercise.hints):
        print(ui.style(f"  That was the last hint. The book section: {book_link(exercise)}", "dim"))
    return 0


def chapter_files_signature(chapter: Chapter) -> tuple:
    """What changes when a file of the chapter (or of its tests) is saved."""
    files = []
    for directory in (chapter.chapter_dir, chapter.tests_dir):
        for path in sorted(directory.rglob("*")):
            if path.name.startswith(".") or path.name.endswith("~"):
                continue  # an editor's swap and backup files are not a save
            try:
                stat = path.stat()
            except OSError:
                continue  # deleted while we looked: an editor replacing the file
            if path.is_file():
                files.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(files)


def wait_for_change(chapter: Chapter, before: tuple, interval: float) -> None:
    """Return once the chapter's files differ from `before` and have stopped changing:
    an editor may write a file in several steps, and half a file does not compile."""
    latest = before
    while latest == before:
        time.sleep(interval)
        latest = chapter_files_signature(chapter)
    settled = None
    while settled != latest:
        settled = latest
        time.sleep(interval)
        latest = chapter_files_signature(chapter)


def cmd_watch(args) -> int:
    config = configure()
    cache = results_cache()
    found = current_exercise(config, cache)
    runs = 0
    while found is not None:
        exercise = found.exercise
        # Taken before the build: a save while the tests run is not missed.
        before = chapter_files_signature(exercise.chapter)
        status = fresh_status(config, exercise, cache)
        runs += 1
        if show_status(status) == 0:
            found = current_exercise(config, cache)  # passed: on to the next exercise
            save_state({**load_state(), "current": found.exercise.key if found else None})
            if found is None or found.exercise.chapter.dirname != exercise.chapter.dirname:
                chapter_complete(exercise.chapter, found.exercise if found else None)
            continue
        if args.rounds and runs >= args.rounds:
            return 1
        print(ui.style(f"\nWatching chapters/{exercise.chapter.dirname} for changes (Ctrl-C to stop)...", "dim"),
              flush=True)
        wait_for_change(exercise.chapter, before, args.interval)
        print("\n" + ui.style("─" * 72, "dim"))
    print(ui.style("Every exercise passes: the course is complete. Well done.", "green", "bold"))
    return 0


def cmd_progress(args) -> int:
    show_course_progress(configure(), results_cache())
    return 0


def diff_target(text: str) -> Chapter | Exercise:
    """What `diff` was asked for: an exercise (ex3, 01/ex3, a name) or a chapter (3, 03, slug).
    A chapter's slug wins over an exercise of the same name (block-on is both)."""
    if "/" not in text and not EXERCISE_ID.fullmatch(text):
        try:
            return course.find_chapter(text)
        except course.CourseError:
            pass
    return parse_exercise(text, lambda: current_chapter(configure(), results_cache()))


def started(exercise: Exercise) -> bool:
    """Whether the learner has written anything in place of the exercise's stubs."""
    try:
        mine = course.exercise_regions(exercise.chapter.chapter_dir, exercise.id)
    except course.CourseError:
        return True
    stubs = [course.stub_lines(course.Region(exercise.id, what, "", 0, 0)) for _, what, _ in mine]
    return any([line.strip() for line in body] != [line.strip() for line in stub]
               for (_, _, body), stub in zip(mine, stubs))


def chapter_diff(chapter: Chapter) -> list[str]:
    """Each exercise begun in the learner's chapter against the reference. Exercises not begun
    are only named: their reference code would give the answers away."""
    parts = []
    for exercise in chapter.exercises:
        if started(exercise):
            parts.append(ui.style(f"{chapter.number}/{exercise.id} {exercise.title}:", "bold"))
            parts.append(exercise_diff(exercise))
        else:
            parts.append(f"{chapter.number}/{exercise.id} {exercise.title}: not begun (no spoilers)")
    return parts


def cmd_diff(args) -> int:
    if args.target:
        target = diff_target(args.target)
    else:  # the last chapter the learner has written in, so that a finished chapter is not skipped
        begun = [c for c in course.chapters() if any(started(ex) for ex in c.exercises)]
        target = begun[-1] if begun else course.chapters()[0]
    if isinstance(target, Exercise):
        print(exercise_diff(target))
        return 0
    print("\n".join(chapter_diff(target)))
    return 0


def cmd_changes(args) -> int:
    """The chapter's change to the runtime, file by file: the same normalised diff as the book's
    "What changed" section (anchors and exercise markers are not changes)."""
    chapters = course.chapters()
    chapter = course.find_chapter(args.chapter)
    before = compare.previous(chapter, chapters)
    if before is None:
        print(f"{chapter.dirname} is the first chapter: every file of solutions/{chapter.dirname}/ is new.")
        return 0
    found, unchanged = compare.changes(before.solution_dir, chapter.solution_dir)
    print(ui.style(f"solutions/{before.dirname} -> solutions/{chapter.dirname}: {len(found)} files new, "
                   f"changed or removed; {unchanged} unchanged", "bold"))
    for change in found:
        print()
        print(ui.style(f"{change.kind}: {change.path}", "bold"))
        if change.kind == "new":
            lines = compare.read_normalised(chapter.solution_dir / change.path)
            if args.new:
                print(ui.diff_lines([f"+{line}" for line in lines]))
            else:
                print(f"  {len(lines)} lines: solutions/{chapter.dirname}/{change.path} (--new prints them)")
        elif change.kind == "changed":
            print(ui.diff_lines(change.diff))
    return 0


def backup(chapter: Chapter) -> Path:
    """Copy a chapter's folder to .tutor/backup/ under a name no earlier backup has."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = STATE_DIR / "backup" / f"{chapter.dirname}-{stamp}"
    n = 1
    while target.exists():
        n += 1
        target = STATE_DIR / "backup" / f"{chapter.dirname}-{stamp}-{n}"
    shutil.copytree(chapter.chapter_dir, target)
    return target


def chapter_state(chapter: Chapter) -> str:
    """'missing', 'pristine', 'solved' (holds the reference) or 'worked' (holds the learner's work)."""
    if not chapter.chapter_dir.exists():
        return "missing"
    have = {p: (chapter.chapter_dir / p).read_text(errors="replace")
            for p in course.source_files(chapter.chapter_dir)}
    if have == generate.expected_files(chapter):
        return "pristine"
    return "solved" if have == generate.solved_files(chapter) else "worked"


def cmd_reset(args) -> int:
    chapter = course.find_chapter(args.chapter)
    state = chapter_state(chapter)
    if state == "pristine":
        print(f"chapters/{chapter.dirname} is as it was at the start: nothing to reset.")
        return 0
    saved = backup(chapter) if state != "missing" else None
    generate.write(chapter)
    print(f"chapters/{chapter.dirname} is back to its starting state.")
    if saved:
        print(f"Your version was saved in {rel(saved)}; to put it back: "
              f"cp -r {rel(saved)}/. chapters/{chapter.dirname}/")
    return 0


def cmd_start_at(args) -> int:
    start = course.find_chapter(args.chapter)
    states = {chapter.dirname: chapter_state(chapter) for chapter in course.chapters()}
    earlier = [c for c in course.chapters() if c.number < start.number]
    worked = [c for c in earlier if states[c.dirname] == "worked"]
    if worked and not args.force:
        names = ", ".join(f"chapters/{c.dirname}" for c in worked)
        verb = "holds" if len(worked) == 1 else "hold"
        raise TutorError(f"{names} {verb} your own work, which start-at would replace.\n"
                         f"Keep it, or run again with --force (your versions are backed up first).")
    for chapter in earlier:
        if states[chapter.dirname] == "solved":
            continue
        if states[chapter.dirname] == "worked":
            print(f"Your chapters/{chapter.dirname} was saved in {rel(backup(chapter))}")
        generate.write(chapter, generate.solved_files(chapter))
        print(f"chapters/{chapter.dirname}: filled with the reference solution")
    # A later chapter holding the reference (from an earlier start-at) would skip the learner past it.
    for chapter in course.chapters():
        if chapter.number >= start.number and states[chapter.dirname] == "solved":
            generate.write(chapter)
            print(f"chapters/{chapter.dirname}: back to its exercises")
    save_state({**load_state(), "current": None})  # the chapters filled were not the learner's passes
    print(f"\nYou start at chapter {start.dirname}. Run scripts/tutor to see your first exercise.")
    return 0


def run_binary(config: builds.Config, chapter: Chapter, tree: str, name: str, extra: list[str],
               env: dict[str, str] | None = None) -> int:
    shown = ui.BuildProgress(f"{tree}/{chapter.dirname}/{name}", quiet_for=0)
    try:
        builds.build(config, [builds.target(chapter, tree, name)], shown)
    except builds.BuildError as err:
        shown.finish()
        print(ui.style(f"{tree}/{chapter.dirname} does not compile. The first error:", "yellow"))
        print(ui.indented(builds.first_compiler_error(err.output)))
        return 1
    shown.finish()
    binary = builds.binary(config, chapter, tree, name)
    proc = subprocess.run([str(binary), *extra], stderr=subprocess.PIPE, text=True,
                          env=None if env is None else {**os.environ, **env})
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0 and "not yet implemented" in proc.stderr:
        print(ui.style(f"\nThe example needs exercises you have not solved yet. Finish the chapter's exercises, "
                       f"or run the reference: scripts/tutor example {chapter.number} --solution", "yellow"))
    return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode  # killed by a signal: as a shell says


def cmd_example(args) -> int:
    config = configure()
    chapter = course.find_chapter(args.chapter) if args.chapter else current_chapter(config, results_cache())
    tree = "solutions" if args.solution else "chapters"
    return run_binary(config, chapter, tree, "example", args.rest)


TIMELINE_FROM = "04"  # the first chapter whose runtime records what it does (trace.hpp)


def timeline_cost(config: builds.Config, rounds: int) -> int:
    chapter = course.find_chapter(book_timelines.COST_CHAPTER)
    names = book_timelines.COST_BINARIES
    shown = ui.BuildProgress(f"solutions/{chapter.dirname}: {' and '.join(names)}", quiet_for=0)
    try:
        builds.build(config, [builds.target(chapter, "solutions", name) for name in names], shown)
    except builds.BuildError as err:
        raise TutorError(f"could not build them:\n{builds.first_compiler_error(err.output)}") from None
    finally:
        shown.finish()
    try:
        lines = book_timelines.recorder_cost({name: builds.binary(config, chapter, "solutions", name)
                                              for name in names}, rounds)
    except book_timelines.TimelineError as err:
        raise TutorError(str(err)) from None
    print("\n".join(lines))
    return 0


def cmd_timeline(args) -> int:
    config = configure()
    if args.cost:
        return timeline_cost(config, args.rounds)
    chapter = course.find_chapter(args.chapter) if args.chapter else current_chapter(config, results_cache())
    if chapter.number < TIMELINE_FROM:
        raise TutorError(f"the runtime records a timeline from chapter {TIMELINE_FROM} on; chapter {chapter.number} "
                         f"has no recorder")
    tree = "solutions" if args.solution else "chapters"
    trace = config.directory / f"timeline-{chapter.number}.json"
    picture = config.directory / f"timeline-{chapter.number}.svg"
    trace.unlink(missing_ok=True)
    # RT_TRACE turns the recorder on (trace.hpp); it writes the file when the example exits.
    # With no arguments of its own, the example makes its small --timeline run (a full run records millions).
    status = run_binary(config, chapter, tree, "example", args.rest or ["--timeline"], env={"RT_TRACE": str(trace)})
    if not trace.is_file():
        raise TutorError(f"the example wrote no trace to {rel(trace)}")
    drawn = [sys.executable, str(Path(__file__).with_name("timeline.py")), str(trace), str(picture),
             "--title", f"Chapter {chapter.number}: {chapter.title}", "--max-events", str(args.max_events)]
    drawn += ["--from", str(args.start)] if args.start is not None else []
    drawn += ["--to", str(args.end)] if args.end is not None else []
    proc = subprocess.run(drawn, capture_output=True, text=True)
    if proc.returncode != 0:
        raise TutorError(f"could not draw the timeline: {(proc.stderr or proc.stdout).strip()}")
    print(proc.stdout.strip())
    print(f"Open {rel(picture)} in a browser (chromium {rel(picture)}); the trace itself, {rel(trace)}, "
          f"opens in ui.perfetto.dev or chrome://tracing.")
    return status


def cmd_server(args) -> int:
    config = configure()
    dirname, name = DELAY_SERVER
    try:
        chapter = course.find_chapter(dirname)
    except course.CourseError:
        raise TutorError("the delay server comes with chapter 05, which this course does not have yet") from None
    return run_binary(config, chapter, "solutions", name, ["--port", str(args.port)])


def cmd_book(args) -> int:
    out = book.build(book.output_dir())
    print(f"The book is in {rel(out)}/; open {rel(out / 'index.html')} in a browser.")
    return 0


def cmd_clean(args) -> int:
    config = builds.learner_config()
    shutil.rmtree(config.directory, ignore_errors=True)
    (STATE_DIR / "results.json").unlink(missing_ok=True)
    print(f"Deleted {rel(config.directory)}/. The next scripts/tutor configures it again.")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scripts/tutor", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command")
    sub.add_parser("help", help="this text")
    s = sub.add_parser("run", help="run one exercise's tests")
    s.add_argument("exercise", nargs="?")
    s.add_argument("--sanitize", action="store_true",
                   help="under AddressSanitizer + UBSan, and ThreadSanitizer where threads share data")
    s = sub.add_parser("hint", help="reveal the next hint")
    s.add_argument("exercise", nargs="?")
    s = sub.add_parser("watch", help="re-run the current exercise on every save")
    s.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)
    s.add_argument("--rounds", type=int, default=0, help=argparse.SUPPRESS)  # for the tutor's own tests
    sub.add_parser("progress", help="the progress table")
    s = sub.add_parser("diff", help="your code against the reference")
    s.add_argument("target", nargs="?")
    s = sub.add_parser("changes", help="what a chapter changes since the previous one")
    s.add_argument("chapter")
    s.add_argument("--new", action="store_true", help="print the new files too")
    s = sub.add_parser("reset", help="restore a chapter's starting state")
    s.add_argument("chapter")
    s = sub.add_parser("start-at", help="fill earlier chapters with the solutions")
    s.add_argument("chapter")
    s.add_argument("--force", action="store_true")
    s = sub.add_parser("example", help="run a chapter's example (its own arguments go after --)")
    s.add_argument("chapter", nargs="?")
    s.add_argument("--solution", action="store_true")
    s = sub.add_parser("timeline", help="run a chapter's example with the recorder on and draw what the runtime did")
    s.add_argument("chapter", nargs="?")
    s.add_argument("--solution", action="store_true")
    s.add_argument("--from", dest="start", type=float, help="ms after the first event")
    s.add_argument("--to", dest="end", type=float, help="ms after the first event")
    s.add_argument("--max-events", type=int, default=600, help="events drawn at most (default 600)")
    s.add_argument("--cost", action="store_true",
                   help="measure what the hooks cost with recording off (chapter 04's spawn + join, with and without)")
    s.add_argument("--rounds", type=int, default=5, help="with --cost: runs of each build (default 5)")
    s = sub.add_parser("server", help="run the delay server")
    s.add_argument("--port", type=int, default=8080)
    sub.add_parser("book", help="build the book")
    sub.add_parser("clean", help="delete the build directory")
    return p


COMMANDS = {None: cmd_default, "run": cmd_run, "hint": cmd_hint, "watch": cmd_watch, "progress": cmd_progress,
            "diff": cmd_diff, "changes": cmd_changes, "reset": cmd_reset, "start-at": cmd_start_at, "example": cmd_example,
            "timeline": cmd_timeline, "server": cmd_server, "book": cmd_book, "clean": cmd_clean}


def main(argv: list[str]) -> int:
    # What follows -- is the example's: split it off first, or argparse takes the example's
    # arguments, or our own --solution after the chapter, for one another.
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser().parse_args(argv[:split])
    args.rest = argv[split + 1:]
    if args.command == "help":
        print(__doc__)
        return 0
    os.chdir(course.ROOT)
    try:
        return COMMANDS[args.command](args)
    except (TutorError, course.CourseError, book.BookError) as err:
        print(ui.style(f"error: {err}", "red"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print()
        return 130
    except BrokenPipeError:
        # The reader went away (scripts/tutor diff | head): stop quietly, and let the exit not flush into it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
