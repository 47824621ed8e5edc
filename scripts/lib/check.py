"""scripts/check: every check CI runs, ending with "N passed, N failed".

    check.py                 everything: layout, generated copies, four builds, stubs, examples, the book's
                             timelines (recorded again), fuzzing, book, tutor
    check.py --quick         g++ only: no clang, no sanitizers, no fuzzing, no browser
    check.py --chapter 03    only this chapter's builds, tests and stubs (layout and book still checked)
    check.py --authoring     seconds: layout, generated copies, drift, anchors, the book (no C++ build)

Exit status 0 only when nothing failed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import queue
import re
import subprocess
import sys
import time
from pathlib import Path

import book
import book_timelines
import builds
import compare
import course
import generate
import mutants
import testrun
from course import Chapter

ROOT = course.ROOT
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# An example's verdict on a target varies with the machine, as its numbers do.
VERDICT = re.compile(r"\b(met|MISSED)\b")


class Report:
    """Counts checks and prints one line per check, with details under a failure."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []
        self.started = time.monotonic()

    def item(self, name: str, ok: bool, detail: str = "") -> bool:
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed:6.0f}s] {'PASS' if ok else 'FAIL'}  {name}", flush=True)
        if not ok and detail:
            print("\n".join("        " + line for line in detail.strip().splitlines()[:60]), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)
        return ok

    def section(self, title: str) -> None:
        print(f"\n== {title}", flush=True)

    def summary(self) -> int:
        print()
        for name in self.failed:
            print(f"failed: {name}")
        print(f"{self.passed} passed, {len(self.failed)} failed")
        return 1 if self.failed else 0


# ---------------------------------------------------------------- layout

def meson_chapters() -> list[str]:
    text = (ROOT / "meson.build").read_text()
    block = re.search(r"^chapters = \[(?P<body>.*?)\]", text, re.S | re.M)
    return re.findall(r"'([^']+)'", block["body"]) if block else []


def layout_problems(chapters: list[Chapter]) -> list[str]:
    problems = []
    names = [c.dirname for c in chapters]
    if meson_chapters() != names:
        problems.append(f"meson.build lists {meson_chapters()}, solutions/ has {names}")
    for tree in ("chapters", "tests"):
        # tests/support: helpers every chapter's tests share; tests/fuzz: the fuzz harness (fuzz_item)
        have = sorted(p.name for p in (ROOT / tree).iterdir() if p.is_dir() and p.name not in ("support", "fuzz"))
        if have != names:
            problems.append(f"{tree}/ has {have}, solutions/ has {names}")
    for chapter in chapters:
        where = f"tests/{chapter.dirname}/chapter.toml"
        if not chapter.book_file.is_file():
            problems.append(f"{where}: book file book/{chapter.book} is missing")
        if not 3 <= len(chapter.exercises) <= 5:
            problems.append(f"{where}: {len(chapter.exercises)} exercises; a chapter has 3 to 5")
        ids = [ex.id for ex in chapter.exercises]
        if ids != [f"ex{i}" for i in range(1, len(ids) + 1)]:
            problems.append(f"{where}: exercise ids must be ex1, ex2, ... in order, found {ids}")
        seen_names = set()
        for ex in chapter.exercises:
            if ex.name in seen_names:
                problems.append(f"{where}: two exercises are named {ex.name}")
            seen_names.add(ex.name)
            if len(ex.hints) < 2:
                problems.append(f"{where}: {ex.id} has {len(ex.hints)} hint(s); give at least two")
            if not course.exercise_regions(chapter.solution_dir, ex.id):
                problems.append(f"{where}: {ex.id} has no BEGIN EXERCISE region in solutions/{chapter.dirname}")
        for rel in course.source_files(chapter.solution_dir):
            if rel.suffix not in course.SOURCE_SUFFIXES:
                continue
            try:
                for region in course.regions((chapter.solution_dir / rel).read_text().splitlines(), str(rel)):
                    if region.exercise not in ids:
                        problems.append(f"solutions/{chapter.dirname}/{rel}:{region.start + 1}: region of "
                                        f"{region.exercise}, which chapter.toml does not declare")
            except course.CourseError as err:
                problems.append(f"solutions/{chapter.dirname}/{err}")
        if not (chapter.solution_dir / "rt.hpp").is_file() or not (chapter.solution_dir / "example.cpp").is_file():
            problems.append(f"solutions/{chapter.dirname}: rt.hpp and example.cpp are required")
    return problems


def authoring_items(report: Report, chapters: list[Chapter]) -> None:
    """What a maintainer adding or fixing a chapter gets wrong: drift between snapshots, an exercise
    region left over from the previous chapter, an anchor no page uses."""
    drift = [p for chapter in chapters for p in compare.drift_problems(chapter, chapters)]
    report.item("no drift: each chapter differs from the previous only in the files its chapter.toml lists",
                not drift, "\n".join(drift))
    carried = [p for chapter in chapters for p in compare.carried_regions(chapter, chapters)]
    report.item("no exercise region is carried over unchanged from the previous chapter", not carried,
                "\n".join(carried))
    unused = compare.unused_anchors(chapters, book.included_anchors())
    report.item("every anchor is included by a book page", not unused, "\n".join(unused))


# ---------------------------------------------------------------- builds and tests

def extra_binaries(chapter: Chapter) -> list[str]:
    """Executables a chapter's meson.build declares besides tests and example (a server, a benchmark)."""
    text = (chapter.solution_dir / "meson.build").read_text()
    return [name for name in re.findall(r"executable\(\s*'([^']+)'", text) if name not in ("tests", "example")]


def build_item(report: Report, config: builds.Config, chapter: Chapter, tree: str,
               names: list[str] | None = None) -> bool:
    if names is None:
        names = ["tests", "example"] + (extra_binaries(chapter) if tree == "solutions" else [])
    try:
        builds.build(config, [builds.target(chapter, tree, n) for n in names])
        return report.item(f"{config.name}: {tree}/{chapter.dirname} builds", True)
    except builds.BuildError as err:
        return report.item(f"{config.name}: {tree}/{chapter.dirname} builds", False,
                           builds.first_compiler_error(err.output, 30))


def solution_tests_item(report: Report, config: builds.Config, chapter: Chapter) -> None:
    binary = builds.binary(config, chapter, "solutions", "tests")
    timeout = 900 if config.slow else 300
    env = dict(os.environ, **builds.SANITIZER_ENV)
    name = f"{config.name}: solutions/{chapter.dirname} passes its tests"
    try:
        proc = subprocess.run([str(binary)], capture_output=True, text=True, timeout=timeout, env=env,
                              errors="replace")
    except subprocess.TimeoutExpired:
        report.item(name, False, f"timed out after {timeout} s")
        return
    summary = [ln for ln in proc.stdout.splitlines() if ln.startswith("[doctest] test cases")]
    ok = proc.returncode == 0
    detail = "" if ok else (testrun.describe_crash(proc.returncode, proc.stderr) + "\n" +
                            "\n".join((proc.stdout + proc.stderr).splitlines()[-50:]))
    report.item(f"{name} ({summary[0][len('[doctest] '):].strip() if summary else 'no summary'})", ok, detail)


def suites_item(report: Report, config: builds.Config, chapter: Chapter) -> None:
    """Each exercise has exactly its suite; every other suite is 'given: ...'."""
    suites = testrun.list_suites(builds.binary(config, chapter, "solutions", "tests"))
    expected = {ex.suite for ex in chapter.exercises}
    problems = [f"no test suite named {s!r}" for s in sorted(expected - set(suites))]
    problems += [f"suite {s!r} is neither an exercise's (chapter.toml) nor 'given: ...'"
                 for s in suites if s not in expected and not s.startswith("given: ")]
    report.item(f"{chapter.dirname}: every exercise has its test suite", not problems, "\n".join(problems))


def stub_items(report: Report, config: builds.Config, chapter: Chapter) -> None:
    """On the pristine copy every exercise's tests fail, each on that exercise's own rt::todo."""
    binary = builds.binary(config, chapter, "chapters", "tests")
    for ex in chapter.exercises:
        run = testrun.run_suite(binary, ex.suite, timeout=120)
        problems = []
        if run.crash:
            problems.append(f"the tests crashed or hung: {run.crash}\n{run.stderr[-1500:]}")
        if not run.cases:
            problems.append("no test case ran")
        for case in run.cases:
            if case.passed:
                problems.append(f"passes on the stub: {case.name}")
            elif case.not_implemented != [ex.id]:
                why = ", ".join(case.not_implemented) or "something other than rt::NotImplemented"
                first = case.failures[0].text if case.failures else ""
                problems.append(f"fails on {why}, not on {ex.id}'s stub: {case.name}\n    {first}")
        report.item(f"{chapter.dirname}/{ex.id}: fails on its own stub ({len(run.cases)} tests)", not problems,
                    "\n".join(problems))
    given = [s for s in testrun.list_suites(binary) if s.startswith("given: ")]
    for suite in given:
        run = testrun.run_suite(binary, suite, timeout=120)
        failing = [c.name for c in run.cases if not c.passed]
        report.item(f"{chapter.dirname}: '{suite}' passes on the learner's copy", run.passed,
                    run.crash or "\n".join(failing))


def mask(lines: list[str]) -> list[str]:
    return [" ".join(VERDICT.sub("#", NUMBER.sub("#", line)).split()) for line in lines]


def example_items(report: Report, config: builds.Config, chapter: Chapter, compare: bool) -> None:
    """Run each example as the book shows it; with `compare`, its output must have the book's shape."""
    runs = book.output_blocks(chapter.book_file.read_text()) if chapter.book_file.is_file() else []
    runs = [(args, lines) for folder, args, lines in runs if folder == chapter.dirname]
    if compare and not runs:
        report.item(f"{chapter.dirname}: the book shows the example's output", False,
                    f"book/{chapter.book} has no ```{{.output example=\"{chapter.dirname}\"}} block")
        return
    env = dict(os.environ, **builds.SANITIZER_ENV)
    binary = builds.binary(config, chapter, "solutions", "example")
    for args, shown in runs or [([], [])]:
        label = f"{config.name}: {chapter.dirname} example {' '.join(args)}".rstrip()
        try:
            proc = subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=300, env=env,
                                  cwd=ROOT, errors="replace")
        except subprocess.TimeoutExpired:
            report.item(label + " runs", False, "timed out after 300 s")
            continue
        if proc.returncode != 0:
            report.item(label + " runs", False, testrun.describe_crash(proc.returncode, proc.stderr) + "\n" +
                        (proc.stdout + proc.stderr)[-3000:])
            continue
        if not compare:
            report.item(label + " runs", True)
            continue
        got, want = mask(proc.stdout.splitlines()), mask(shown)
        detail = ""
        if got != want:
            for i in range(max(len(got), len(want))):
                a = want[i] if i < len(want) else "(nothing)"
                b = got[i] if i < len(got) else "(nothing)"
                if a != b:
                    detail = f"line {i + 1} differs (numbers masked as #)\n  book:    {a}\n  example: {b}"
                    break
            detail += "\nThe example printed:\n" + proc.stdout
        report.item(label + " prints what the book shows", got == want, detail)


def timeline_items(report: Report, config: builds.Config, chapter: Chapter) -> None:
    """The book's timelines of this chapter: recorded again, and the kept run and this one hold to their claims."""
    try:
        entries = [e for e in book_timelines.entries() if e.chapter == chapter.number]
    except book_timelines.TimelineError as err:
        report.item("book/timelines.toml reads", False, str(err))
        return
    for entry in entries:
        label = f"{config.name}: timeline {entry.name}, as book/timelines.toml says"
        fresh = config.directory / "timelines" / f"{entry.name}.json"
        try:
            kept = book_timelines.timeline.load(entry.kept)
            trace = book_timelines.record(entry, builds.binary(config, chapter, "solutions", "example"), fresh)
            fresh.with_suffix(".svg").write_text(book_timelines.draw(entry, trace))
        except (book_timelines.TimelineError, book_timelines.timeline.TraceError) as err:
            report.item(label, False, str(err))
            continue
        problems = [f"the kept run (book/timelines/{entry.kept.name}): {p}" for p in
                    book_timelines.claim_problems(entry, kept)]
        problems += [f"this run ({fresh.relative_to(ROOT)}): {p}" for p in book_timelines.claim_problems(entry, trace)]
        report.item(label, not problems, "\n".join(problems))


def cost_item(report: Report, config: builds.Config, chapter: Chapter) -> None:
    """What the recorder's hooks cost with recording off, measured (not judged: timing is no test)."""
    label = f"{config.name}: what the recorder costs when off runs (scripts/tutor timeline --cost)"
    try:
        lines = book_timelines.recorder_cost({name: builds.binary(config, chapter, "solutions", name)
                                              for name in book_timelines.COST_BINARIES}, rounds=3)
    except book_timelines.TimelineError as err:
        report.item(label, False, str(err))
        return
    report.item(f"{label}: {lines[-1].split(': ', 1)[1]}", True)


class Collected:
    """Checks made away from the report (by a worker thread), kept to be reported in order."""

    def __init__(self) -> None:
        self.items: list[tuple[str, bool, str]] = []

    def item(self, name: str, ok: bool, detail: str = "") -> bool:
        self.items.append((name, ok, detail))
        return ok


# Chapters checked at once, each worker in a scratch copy of its own. A mutant's rebuild is one
# file, on one core, and its tests mostly wait on timers and sockets: two at once take little
# longer than one, on the two cores the check is meant for.
MUTANT_WORKERS = 2


def accountable_items(report: Report, chapters: list[Chapter], sanitizers: bool) -> None:
    """Every exercise passes with only it and those before it solved, and fails on each of its
    mutants (mutants.py), in the learner's build, or the sanitizer build a mutant names."""
    scratches: queue.Queue[mutants.Scratch] = queue.Queue()
    for n in range(min(MUTANT_WORKERS, len(chapters))):
        scratches.put(mutants.Scratch(ROOT / "build-check" / "mutants" / str(n)))

    def check_chapter(chapter: Chapter) -> Collected:
        scratch = scratches.get()
        try:
            collected = Collected()
            chapter_accountable_items(collected, scratch, chapter, sanitizers)
            return collected
        finally:
            scratches.put(scratch)

    # The longest chapters (most exercises) first, so that the two workers finish together;
    # the results are reported in course order.
    with concurrent.futures.ThreadPoolExecutor(max_workers=scratches.qsize()) as pool:
        futures = {chapter.dirname: pool.submit(check_chapter, chapter)
                   for chapter in sorted(chapters, key=lambda c: -len(c.exercises))}
        for chapter in chapters:
            for name, ok, detail in futures[chapter.dirname].result().items:
                report.item(name, ok, detail)


def chapter_accountable_items(report: Report | Collected, scratch: mutants.Scratch, chapter: Chapter,
                              sanitizers: bool) -> None:
    try:
        found = mutants.load(chapter)
    except (mutants.MutantError, course.CourseError) as err:
        report.item(f"{chapter.dirname}: mutants.toml reads", False, str(err))
        return
    for index, exercise in enumerate(chapter.exercises):
        outcome = mutants.prefix_outcome(scratch, chapter, index)
        label = f"{chapter.number}/{exercise.id}: passes with ex1..{exercise.id} solved and the rest stubs"
        report.item(label, outcome.ok, outcome.detail)
        own = [m for m in found if m.exercise == exercise.id]
        for mutant in own:
            if mutant.sanitizer and not sanitizers:
                continue
            outcome = mutants.mutant_outcome(scratch, chapter, index, mutant)
            how = f" ({outcome.how[:90]})" if outcome.ok and outcome.how else ""
            build = f", {mutant.sanitizer} sanitizer" if mutant.sanitizer else ""
            report.item(f"{mutant.label(chapter)} is caught{build}{how}", outcome.ok, outcome.detail)
        if len(own) < 3:
            report.item(f"{chapter.number}/{exercise.id} has at least 3 mutants", False,
                        f"tests/{chapter.dirname}/mutants.toml has {len(own)} for {exercise.id}")
    mutants.reset(scratch, chapter)


# ---------------------------------------------------------------- fuzzing

FUZZ_CHAPTER = "05-epoll-reactor"  # the chapter whose http.cpp the harness parses with
FUZZ_SECONDS = 60


def bench_item(report: Report) -> None:
    """scripts/bench --quick in the gcc build: every program of the side-by-side bench builds, and runs every
    workload it supports (the figures, at a hundredth of the counts, are not judged)."""
    gcc = builds.check_configs()[0]
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "lib" / "bench.py"), "--quick", "--strict",
                           "--build", str(gcc.directory)], capture_output=True, text=True)
    report.item("the side-by-side bench: every program (the course's chapters 04 on, Asio, libuv, Tokio, smol, "
                "wrk) runs every workload it supports (scripts/bench --quick)", proc.returncode == 0,
                proc.stdout[-3000:] + proc.stderr[-2000:])


def fuzz_item(report: Report) -> None:
    """tests/fuzz: ResponseParser under libFuzzer, ASan and UBSan (clang) for a minute, from the committed
    seeds; new inputs go to build-check/fuzz/corpus, never into the seeds. Any crash or hang fails."""
    out = ROOT / "build-check" / "fuzz"
    (out / "corpus").mkdir(parents=True, exist_ok=True)
    solution, binary = ROOT / "solutions" / FUZZ_CHAPTER, out / "fuzz_response_parser"
    name = f"fuzz: ResponseParser under libFuzzer, ASan and UBSan for {FUZZ_SECONDS} s"
    proc = subprocess.run(["clang++", "-std=c++20", "-g", "-O1", "-fsanitize=fuzzer,address,undefined",
                           "-fno-sanitize-recover=all", f"-I{solution}", "tests/fuzz/fuzz_response_parser.cpp",
                           str(solution / "http.cpp"), "-o", str(binary)], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        report.item(name + ": builds", False, proc.stdout + proc.stderr)
        return
    try:
        proc = subprocess.run([str(binary), f"-max_total_time={FUZZ_SECONDS}", "-timeout=10", "-max_len=4096",
                               "-print_final_stats=1", f"-artifact_prefix={out}/", str(out / "corpus"),
                               "tests/fuzz/corpus"], capture_output=True, text=True, cwd=ROOT, errors="replace",
                              env=dict(os.environ, **builds.SANITIZER_ENV), timeout=FUZZ_SECONDS + 120)
    except subprocess.TimeoutExpired:
        report.item(name, False, "libFuzzer did not stop in time")
        return
    runs = re.search(r"number_of_executed_units:\s*(\d+)", proc.stderr)
    found = "nothing found" if proc.returncode == 0 else "found a failing input (saved under build-check/fuzz/)"
    report.item(f"{name}: {runs[1] if runs else 'no'} inputs, {found}", proc.returncode == 0,
                "\n".join(proc.stderr.splitlines()[-40:]))


# ---------------------------------------------------------------- the rest

def book_items(report: Report, browser: bool) -> None:
    out = ROOT / "build-check" / "book"
    try:
        book.build(out, quiet=True)
        report.item("book builds: every include and anchor exists, no pasted C++, every exercise section exists",
                    True)
    except (book.BookError, course.CourseError) as err:
        report.item("book builds", False, str(err))
        return
    if browser:
        shots = ROOT / "build-check" / "book-screenshots"
        proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "lib" / "browsercheck.py"), str(out),
                               "--screenshots", str(shots)], capture_output=True, text=True)
        report.item(f"book renders in headless Chromium: no broken link, missing image or empty code block "
                    f"(screenshots: {shots.relative_to(ROOT)}/)", proc.returncode == 0, proc.stdout + proc.stderr)


def tutor_items(report: Report) -> None:
    proc = subprocess.run([sys.executable, "-m", "unittest", "discover", "-s", str(ROOT / "scripts" / "lib" / "tests"),
                           "-t", str(ROOT / "scripts" / "lib")], capture_output=True, text=True, cwd=ROOT)
    tail = proc.stderr.strip().splitlines()
    report.item(f"the tutor's own tests ({tail[-1] if tail else 'no output'})", proc.returncode == 0, proc.stderr)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="g++ only: no clang, sanitizers, fuzzing or browser")
    parser.add_argument("--chapter", help="only this chapter's builds and tests")
    parser.add_argument("--authoring", action="store_true",
                        help="no builds: layout, generated copies, drift, anchors and the book")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    report = Report()

    report.section("layout and generated copies")
    try:
        chapters = course.chapters()
    except course.CourseError as err:
        report.item("the course layout reads", False, str(err))
        return report.summary()
    problems = layout_problems(chapters)
    report.item("layout: chapters, metadata, exercises, hints and regions agree", not problems, "\n".join(problems))
    if any("malformed exercise marker" in problem for problem in problems):
        return report.summary()  # no learner's copy can be made until the markers are fixed
    stale = [line for chapter in chapters for line in generate.differences(chapter)]
    stale += generate.readme_differences(chapters)
    report.item("chapters/ and the README's chapter table are what scripts/generate makes", not stale,
                "\n".join(stale))
    authoring_items(report, chapters)
    selected = [course.find_chapter(args.chapter)] if args.chapter else chapters

    if args.authoring:
        report.section("book")
        book_items(report, browser=False)
        return report.summary()

    configs = builds.check_configs()
    if args.quick:
        configs = configs[:1]
    for config in configs:
        report.section(f"{config.name} build ({config.compiler} {' '.join(config.options)})")
        try:
            builds.configure(config)
        except builds.BuildError as err:
            report.item(f"{config.name}: meson setup", False, f"{err}\n{err.output}")
            continue
        for chapter in selected:
            if config.name == "clang":
                # The solutions and every test build with clang, warnings as errors, in the two
                # sanitizer builds below; what only this build sees is the learner's copy.
                build_item(report, config, chapter, "chapters", names=["example"])
                continue
            if not build_item(report, config, chapter, "solutions"):
                continue
            solution_tests_item(report, config, chapter)
            if config.name == "gcc":
                suites_item(report, config, chapter)
            if config.name in ("gcc", "asan-ubsan"):
                example_items(report, config, chapter, compare=config.name == "gcc")
            if config.name == "gcc":
                timeline_items(report, config, chapter)
            if config.name == "gcc" and chapter.number == book_timelines.COST_CHAPTER:
                cost_item(report, config, chapter)
            if config.name == "gcc" and build_item(report, config, chapter, "chapters"):
                stub_items(report, config, chapter)

    if not args.chapter:
        report.section("the side-by-side bench")
        bench_item(report)

    report.section("exercises held to account: the right answer passes, wrong answers fail")
    accountable_items(report, selected, sanitizers=not args.quick)

    if not args.quick and any(chapter.dirname == FUZZ_CHAPTER for chapter in selected):
        report.section("fuzzing")
        fuzz_item(report)

    report.section("book")
    book_items(report, browser=not args.quick)
    report.section("tutor")
    tutor_items(report)
    return report.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
