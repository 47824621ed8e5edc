"""scripts/tutor: the learner's guide through the course.

    scripts/tutor                  build, show progress, run your current exercise
    scripts/tutor run [EX]         run one exercise's tests (default: the current one)
    scripts/tutor hint [EX]        reveal the next hint
    scripts/tutor watch            re-run the current exercise whenever you save; move on when it passes
    scripts/tutor progress         the progress table only
    scripts/tutor diff [CH|EX]     your code against the reference solution
    scripts/tutor reset CH         put a chapter back as it was (your version is backed up first)
    scripts/tutor start-at CH      fill every earlier chapter with the solutions, to begin at CH
    scripts/tutor example [CH]     build and run a chapter's example (--solution: the reference's)
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
import shutil
import subprocess
import sys
import time
from pathlib import Path

import book
import builds
import course
import generate
import progress
import ui
from course import Chapter, Exercise
from progress import BROKEN, FAILING, PASSED, TODO

STATE_DIR = course.ROOT / ".tutor"
MARK = {PASSED: ui.style("✓", "green"), FAILING: ui.style("✗", "red"), TODO: ui.style("·", "dim"),
        BROKEN: ui.style("!", "yellow")}
DELAY_SERVER = ("05-epoll-reactor", "delay-server")


class TutorError(Exception):
    pass


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
    return max(1, load_state().get("hints", {}).get(exercise.key, 1))


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- finding things

def parse_exercise(text: str, default: Chapter | None) -> Exercise:
    if "/" in text:
        chapter_part, ex_part = text.split("/", 1)
        return course.find_chapter(chapter_part).exercise(ex_part)
    if default is not None:
        try:
            return default.exercise(text)
        except course.CourseError:
            pass
    for chapter in course.chapters():
        for ex in chapter.exercises:
            if text == ex.name:
                return ex
    where = f" in chapter {default.dirname}" if default else ""
    raise TutorError(f"no exercise {text!r}{where}; write it as ex3, 01/ex3 or block-on/countdown")


def configure() -> builds.Config:
    config = builds.learner_config()
    try:
        builds.configure(config)
    except builds.BuildError as err:
        raise TutorError(f"{err}\n{err.output}".strip()) from None
    return config


def current_exercise(config: builds.Config, cache: progress.Cache) -> progress.Status | None:
    """The first exercise, in course order, whose tests do not all pass."""
    for chapter in course.chapters():
        for status in progress.chapter_statuses(config, chapter, cache):
            if status.state != PASSED:
                return status
    return None


def fresh_status(config: builds.Config, exercise: Exercise, cache: progress.Cache) -> progress.Status:
    """Build the exercise's chapter and run its tests now."""
    error = progress.build_chapter(config, exercise.chapter)
    if error is not None:
        return progress.Status(exercise, BROKEN, build_error=error)
    return progress.exercise_status(config, exercise, cache, need_run=True)


def region_locations(directory: Path, exercise: Exercise) -> list[str]:
    found = []
    for rel_path in course.source_files(directory):
        if rel_path.suffix not in course.SOURCE_SUFFIXES:
            continue
        lines = (directory / rel_path).read_text().splitlines()
        try:
            regions = course.regions(lines, str(rel_path))
        except course.CourseError:
            continue
        for region in regions:
            if region.exercise == exercise.id:
                found.append(f"{rel(directory / rel_path)}:{region.start + 1}  ({region.what})")
    return found


# ---------------------------------------------------------------- showing things

def book_link(exercise: Exercise) -> str:
    page = book.output_dir() / book.page_name(exercise.chapter)
    return f"{rel(page)}#{exercise.section}"


def show_progress(all_statuses: list[tuple[Chapter, list[progress.Status]]], current: Exercise | None) -> None:
    ui.heading("Progress")
    for chapter, statuses in all_statuses:
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


def show_failures(status: progress.Status, max_cases: int = 3) -> None:
    if status.build_error is not None:
        print(ui.style(f"  chapters/{status.exercise.chapter.dirname} does not compile. The first error:", "yellow"))
        print(ui.indented(status.build_error))
        return
    run = status.run
    if run is None:
        return
    if run.crash:
        print(ui.style(f"  The tests crashed: {run.crash}", "yellow"))
        tail = [ln for ln in run.stderr.splitlines() if ln.strip()][:14]
        if tail:
            print(ui.indented("\n".join(tail)))
    failing = [c for c in run.cases if not c.passed]
    if failing:
        print(f"  {len(failing)} of {len(run.cases)} tests fail:")
    for case in failing[:max_cases]:
        print(ui.style(f"  ✗ {case.name}", "red"))
        for failure in case.failures[:2]:
            print(ui.wrapped(f"{failure.where}: {failure.text}", indent="      "))
    if len(failing) > max_cases:
        print(f"  ... and {len(failing) - max_cases} more. To see every failure: "
              f"build/chapters/{status.exercise.chapter.dirname}/tests --test-suite='{status.exercise.id}:*'")


def show_hints(exercise: Exercise, shown: int) -> None:
    for i, hint in enumerate(exercise.hints[:shown], start=1):
        print(ui.style(f"  Hint {i}/{len(exercise.hints)}:", "cyan"))
        print(ui.wrapped(hint, indent="    "))
    if shown < len(exercise.hints):
        print(ui.style(f"  Another hint: scripts/tutor hint", "dim"))


def show_exercise(status: progress.Status) -> None:
    ex = status.exercise
    ui.heading(f"Exercise {ex.chapter.number}/{ex.id}: {ex.title}   (chapter {ex.chapter.dirname})")
    if status.state == TODO and status.run is not None:
        print(f"  Not started: its {len(status.run.cases)} tests stop at your rt::todo stub.")
    else:
        show_failures(status)
    print("  Write it in:")
    for location in region_locations(ex.chapter.chapter_dir, ex) or [f"chapters/{ex.chapter.dirname}"]:
        print(f"    {location}")
    print(f"  Read: {book_link(ex)}")
    show_hints(ex, hints_shown(ex))
    print(ui.style("  Run it again: scripts/tutor run    Re-run on every save: scripts/tutor watch", "dim"))


def exercise_diff(exercise: Exercise) -> str:
    """Your code for one exercise against the reference, region by region."""
    mine = course.exercise_regions(exercise.chapter.chapter_dir, exercise.id)
    theirs = course.exercise_regions(exercise.chapter.solution_dir, exercise.id)
    if len(mine) != len(theirs):
        return (f"  (the EXERCISE {exercise.id} markers in chapters/{exercise.chapter.dirname} were changed, so the "
                f"regions cannot be paired; see the whole chapter: scripts/tutor diff {exercise.chapter.number})")
    parts = []
    for (path, what, body), (_, _, ref) in zip(mine, theirs):
        if [l.strip() for l in body] == [l.strip() for l in ref]:
            parts.append(f"  {path} ({what}): the same as the reference.")
            continue
        lines = difflib.unified_diff(body, ref, f"yours: {path}", "reference", n=2)
        parts.append(ui.diff_lines(list(lines)))
    return "\n".join(parts)


def show_passed(exercise: Exercise, run_cases: int | None) -> None:
    count = f" all {run_cases} tests" if run_cases else ""
    print(ui.style(f"✓ {exercise.chapter.number}/{exercise.id} {exercise.title}: passes{count}.", "green", "bold"))
    print("  Your code beside the reference solution (- yours, + reference):")
    print(exercise_diff(exercise))
    print()


# ---------------------------------------------------------------- commands

def cmd_default(args) -> int:
    config = configure()
    try:
        print(f"Book: {rel(book.build(book.output_dir(), quiet=True) / 'index.html')}\n")
    except book.BookError as err:
        print(ui.style(f"The book did not build: {err}", "yellow"))
    cache = progress.Cache(STATE_DIR / "results.json")
    everything = [(chapter, progress.chapter_statuses(config, chapter, cache)) for chapter in course.chapters()]
    first = next((s for _, statuses in everything for s in statuses if s.state != PASSED), None)
    show_progress(everything, first.exercise if first else None)
    if first is None:
        total = sum(len(statuses) for _, statuses in everything)
        print(ui.style(f"All {total} exercises pass: the course is complete. Well done.", "green", "bold"))
        return 0
    if first.run is None and first.build_error is None:
        first = fresh_status(config, first.exercise, cache)
    show_exercise(first)
    return 1


def default_chapter(config: builds.Config, cache: progress.Cache) -> Chapter:
    """The chapter of the current exercise, or the last chapter once all pass."""
    found = current_exercise(config, cache)
    return found.exercise.chapter if found else course.chapters()[-1]


def cmd_run(args) -> int:
    config = configure()
    cache = progress.Cache(STATE_DIR / "results.json")
    if args.exercise:
        exercise = parse_exercise(args.exercise, default_chapter(config, cache))
    else:
        found = current_exercise(config, cache)
        if found is None:
            print(ui.style("Every exercise passes: the course is complete.", "green"))
            return 0
        exercise = found.exercise
    status = fresh_status(config, exercise, cache)
    if status.state == PASSED:
        show_passed(exercise, len(status.run.cases) if status.run else None)
        return 0
    show_exercise(status)
    return 1


def cmd_hint(args) -> int:
    config = configure()
    if args.exercise:
        exercise = parse_exercise(args.exercise, default_chapter(config, progress.Cache(STATE_DIR / "results.json")))
    else:
        found = current_exercise(config, progress.Cache(STATE_DIR / "results.json"))
        if found is None:
            print("Every exercise passes: no hints needed.")
            return 0
        exercise = found.exercise
    state = load_state()
    shown = min(len(exercise.hints), hints_shown(exercise) + 1)
    state.setdefault("hints", {})[exercise.key] = shown
    save_state(state)
    ui.heading(f"Exercise {exercise.chapter.number}/{exercise.id}: {exercise.title}")
    show_hints(exercise, shown)
    if shown == len(exercise.hints):
        print(ui.style(f"  That was the last hint. The book section: {book_link(exercise)}", "dim"))
    return 0


def chapter_files_signature(chapter: Chapter) -> tuple:
    files = []
    for directory in (chapter.chapter_dir, chapter.tests_dir):
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                stat = path.stat()
                files.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(files)


def cmd_watch(args) -> int:
    config = configure()
    cache = progress.Cache(STATE_DIR / "results.json")
    found = current_exercise(config, cache)
    rounds = 0
    while found is not None:
        exercise = found.exercise
        status = fresh_status(config, exercise, cache)
        rounds += 1
        if status.state == PASSED:
            show_passed(exercise, len(status.run.cases) if status.run else None)
            found = current_exercise(config, cache)
            continue
        show_exercise(status)
        if args.rounds and rounds >= args.rounds:
            return 1
        print(ui.style(f"\nWatching chapters/{exercise.chapter.dirname} for changes (Ctrl-C to stop)...", "dim"),
              flush=True)
        before = chapter_files_signature(exercise.chapter)
        while chapter_files_signature(exercise.chapter) == before:
            time.sleep(args.interval)
        print("\n" + ui.style("─" * 72, "dim"))
    print(ui.style("Every exercise passes: the course is complete. Well done.", "green", "bold"))
    return 0


def cmd_progress(args) -> int:
    config = configure()
    cache = progress.Cache(STATE_DIR / "results.json")
    everything = [(chapter, progress.chapter_statuses(config, chapter, cache)) for chapter in course.chapters()]
    first = next((s for _, statuses in everything for s in statuses if s.state != PASSED), None)
    show_progress(everything, first.exercise if first else None)
    return 0


def cmd_diff(args) -> int:
    target = args.target
    if target and ("/" in target or target.startswith("ex") or not target[:1].isdigit()):
        try:
            exercise = parse_exercise(target, default_chapter(configure(), progress.Cache(STATE_DIR / "results.json")))
        except (TutorError, course.CourseError):
            exercise = None
        if exercise is not None:
            print(exercise_diff(exercise))
            return 0
    chapter = course.find_chapter(target) if target else \
        default_chapter(configure(), progress.Cache(STATE_DIR / "results.json"))
    differs = False
    for rel_path in course.source_files(chapter.solution_dir):
        reference = course.solved_copy((chapter.solution_dir / rel_path).read_text()).splitlines(keepends=True)
        mine_path = chapter.chapter_dir / rel_path
        mine = mine_path.read_text().splitlines(keepends=True) if mine_path.exists() else []
        lines = list(difflib.unified_diff(mine, reference, f"chapters/{chapter.dirname}/{rel_path}",
                                          f"solutions/{chapter.dirname}/{rel_path}"))
        if lines:
            differs = True
            print(ui.diff_lines(lines))
    if not differs:
        print(f"chapters/{chapter.dirname} is the same as the reference solution.")
    return 0


def backup(chapter: Chapter) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = STATE_DIR / "backup" / f"{chapter.dirname}-{stamp}"
    shutil.copytree(chapter.chapter_dir, target)
    return target


def cmd_reset(args) -> int:
    chapter = course.find_chapter(args.chapter)
    saved = backup(chapter) if chapter.chapter_dir.exists() else None
    generate.write(chapter)
    print(f"chapters/{chapter.dirname} is back to its starting state.")
    if saved:
        print(f"Your version was saved in {rel(saved)}")
    return 0


def chapter_state(chapter: Chapter) -> str:
    """'pristine', 'solved' (holds the reference) or 'worked' (holds the learner's work)."""
    pristine = generate.expected_files(chapter)
    have = {p: (chapter.chapter_dir / p).read_text() for p in course.source_files(chapter.chapter_dir)} \
        if chapter.chapter_dir.exists() else {}
    if have == pristine:
        return "pristine"
    solved = {p: course.solved_copy((chapter.solution_dir / p).read_text()) for p in pristine}
    return "solved" if have == solved else "worked"


def cmd_start_at(args) -> int:
    start = course.find_chapter(args.chapter)
    earlier = [c for c in course.chapters() if c.number < start.number]
    worked = [c for c in earlier if chapter_state(c) == "worked"]
    if worked and not args.force:
        names = ", ".join(f"chapters/{c.dirname}" for c in worked)
        raise TutorError(f"{names} hold your own work, which start-at would replace.\n"
                         f"Keep it, or run again with --force (your versions are backed up first).")
    for chapter in earlier:
        if chapter.chapter_dir.exists() and chapter_state(chapter) == "worked":
            print(f"Your chapters/{chapter.dirname} was saved in {rel(backup(chapter))}")
        if chapter.chapter_dir.exists():
            shutil.rmtree(chapter.chapter_dir)
        for rel_path in course.source_files(chapter.solution_dir):
            target = chapter.chapter_dir / rel_path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(course.solved_copy((chapter.solution_dir / rel_path).read_text()))
        print(f"chapters/{chapter.dirname}: filled with the reference solution")
    print(f"\nYou start at chapter {start.dirname}. Run scripts/tutor to see your first exercise.")
    return 0


def run_binary(config: builds.Config, chapter: Chapter, tree: str, name: str, extra: list[str]) -> int:
    try:
        builds.build(config, [builds.target(chapter, tree, name)])
    except builds.BuildError as err:
        print(ui.style(f"{tree}/{chapter.dirname} does not compile. The first error:", "yellow"))
        print(ui.indented(builds.first_compiler_error(err.output)))
        return 1
    binary = builds.binary(config, chapter, tree, name)
    proc = subprocess.run([str(binary), *extra], stderr=subprocess.PIPE, text=True)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0 and "not yet implemented" in proc.stderr:
        print(ui.style(f"\nThe example needs exercises you have not solved yet. Finish the chapter's exercises, "
                       f"or run the reference: scripts/tutor example {chapter.number} --solution", "yellow"))
    return proc.returncode


def cmd_example(args) -> int:
    config = configure()
    chapter = course.find_chapter(args.chapter) if args.chapter else \
        default_chapter(config, progress.Cache(STATE_DIR / "results.json"))
    tree = "solutions" if args.solution else "chapters"
    return run_binary(config, chapter, tree, "example", args.rest)


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
    s = sub.add_parser("hint", help="reveal the next hint")
    s.add_argument("exercise", nargs="?")
    s = sub.add_parser("watch", help="re-run the current exercise on every save")
    s.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)
    s.add_argument("--rounds", type=int, default=0, help=argparse.SUPPRESS)  # for the tutor's own tests
    sub.add_parser("progress", help="the progress table")
    s = sub.add_parser("diff", help="your code against the reference")
    s.add_argument("target", nargs="?")
    s = sub.add_parser("reset", help="restore a chapter's starting state")
    s.add_argument("chapter")
    s = sub.add_parser("start-at", help="fill earlier chapters with the solutions")
    s.add_argument("chapter")
    s.add_argument("--force", action="store_true")
    s = sub.add_parser("example", help="run a chapter's example")
    s.add_argument("chapter", nargs="?")
    s.add_argument("--solution", action="store_true")
    s.add_argument("rest", nargs=argparse.REMAINDER, help="arguments for the example, after --")
    s = sub.add_parser("server", help="run the delay server")
    s.add_argument("--port", type=int, default=8080)
    sub.add_parser("book", help="build the book")
    sub.add_parser("clean", help="delete the build directory")
    return p


COMMANDS = {None: cmd_default, "run": cmd_run, "hint": cmd_hint, "watch": cmd_watch, "progress": cmd_progress,
            "diff": cmd_diff, "reset": cmd_reset, "start-at": cmd_start_at, "example": cmd_example,
            "server": cmd_server, "book": cmd_book, "clean": cmd_clean}


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.command == "help":
        print(__doc__)
        return 0
    if getattr(args, "rest", None) and args.rest[0] == "--":
        args.rest = args.rest[1:]
    os.chdir(course.ROOT)
    try:
        return COMMANDS[args.command](args)
    except (TutorError, course.CourseError, book.BookError) as err:
        print(ui.style(f"error: {err}", "red"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print()
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
