"""The runtime's recorder in the course: the book's timelines, and what the recorder costs when it is off.

The book's timelines are real runs of a chapter's example, recorded, drawn, and held to what the book says.

book/timelines.toml lists them. For each, `scripts/record-timelines` runs the solution's example with the
runtime's recorder on (RT_TRACE) and keeps the trace as book/timelines/NAME.json; the book build draws it as
timelines/NAME.svg, so a page shows it with ![...](timelines/NAME.svg). The check records each one again from
its own build and holds both runs, the kept one and the fresh one, to the entry's claims: the picture in the
book shows what the runtime does now, and what the text says of it.

    book_timelines.py [--build DIR] [NAME...]    record (all, or these) from the solutions built in DIR
                                                 (default: build, what scripts/tutor builds)

What the recorder costs when off (recorder_cost, for scripts/tutor timeline --cost and the check): chapter
04's example measures spawn + join; its meson.build also makes example-untraced, the same program with the
hooks compiled out (RT_TRACE_COMPILED_OUT). Both run in turn, on one CPU.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import course
import timeline

SPEC = course.ROOT / "book" / "timelines.toml"
KEPT = course.ROOT / "book" / "timelines"
BOOK_WIDTH = 820  # px
RUN_TIMEOUT = 60  # seconds; each scenario runs for well under one


class TimelineError(Exception):
    pass


@dataclass
class Entry:
    name: str
    chapter: str       # "05"
    args: list[str]    # the example's arguments
    title: str
    lanes: list[str]   # the threads' lanes, exactly, in any order
    cross_thread_wakes: tuple[int, int | None]  # at least, at most (None: no limit)
    wake_during_poll: bool | None = None  # None: no claim

    @property
    def kept(self) -> Path:
        return KEPT / f"{self.name}.json"


def entries(spec: Path = SPEC) -> list[Entry]:
    """The timelines book/timelines.toml lists; TimelineError on a malformed entry."""
    try:
        data = tomllib.loads(spec.read_text()) if spec.is_file() else {}
    except tomllib.TOMLDecodeError as err:
        raise TimelineError(f"{spec.name}: {err}") from None
    found = []
    for i, raw in enumerate(data.get("timeline", [])):
        where = f"book/{spec.name}, timeline {i + 1}"
        try:
            low, high = raw["cross_thread_wakes"]["at_least"], raw["cross_thread_wakes"].get("at_most")
            entry = Entry(raw["name"], str(raw["chapter"]), list(raw.get("args", [])), raw["title"],
                          list(raw["lanes"]), (int(low), None if high is None else int(high)),
                          None if "wake_during_poll" not in raw else bool(raw["wake_during_poll"]))
        except (KeyError, TypeError, ValueError) as err:
            raise TimelineError(f"{where}: {err!r} (see the fields at the top of the file)") from None
        found.append(entry)
    names = [e.name for e in found]
    if len(set(names)) != len(names):
        raise TimelineError(f"book/{spec.name}: a name is used twice: {names}")
    return found


def wakes_during_own_poll(trace: timeline.Trace) -> list[timeline.Wake]:
    """Wakes of a task made on its polling thread while that task's poll ran, that led to another poll."""
    found = []
    for wake in trace.wakes:
        inside = any(span.of_task and span.task == wake.task and span.key == wake.key and
                     span.start <= wake.ts <= span.end for span in trace.spans)
        if inside and wake.target is not None and wake.target.start >= wake.ts:
            found.append(wake)
    return found


def claim_problems(entry: Entry, trace: timeline.Trace) -> list[str]:
    """What in `trace` contradicts the entry's claims (empty when it bears them out)."""
    problems = []
    lanes = [thread.name for thread in trace.lanes()]
    if sorted(lanes) != sorted(entry.lanes):  # in order of each thread's first event, which may vary
        problems.append(f"its lanes are {lanes}, not {entry.lanes}")
    cross = sum(1 for wake in trace.wakes if wake.cross)
    low, high = entry.cross_thread_wakes
    if cross < low or (high is not None and cross > high):
        wanted = f"at least {low}" + ("" if high is None else f" and at most {high}")
        problems.append(f"it has {cross} wakes across threads, not {wanted}")
    during = wakes_during_own_poll(trace)
    if entry.wake_during_poll is True and not during:
        problems.append("no task is woken during its own poll and polled again")
    if entry.wake_during_poll is False and during:
        problems.append(f"{len(during)} wakes come during the woken task's own poll")
    if not trace.polls():
        problems.append("it has no poll")
    return problems


def record(entry: Entry, example: Path, into: Path) -> timeline.Trace:
    """Run `example` (a solution's example program) as the entry says, recorder on; the trace goes to `into`."""
    if not example.is_file():
        raise TimelineError(f"{example} is missing: build chapter {entry.chapter}'s solution first")
    into.parent.mkdir(parents=True, exist_ok=True)
    into.unlink(missing_ok=True)
    env = dict(os.environ, RT_TRACE=str(into))
    try:
        proc = subprocess.run([str(example), *entry.args], capture_output=True, text=True, env=env,
                              timeout=RUN_TIMEOUT, cwd=course.ROOT, errors="replace")
    except subprocess.TimeoutExpired:
        raise TimelineError(f"{entry.name}: the example ran over {RUN_TIMEOUT} s") from None
    if proc.returncode != 0:
        raise TimelineError(f"{entry.name}: the example exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    if not into.is_file():
        raise TimelineError(f"{entry.name}: the example wrote no trace to {into}")
    try:
        return timeline.load(into)
    except timeline.TraceError as err:
        raise TimelineError(f"{entry.name}: {err}") from None


def example_of(entry: Entry, build: Path) -> Path:
    chapter = course.find_chapter(entry.chapter)
    return build / "solutions" / chapter.dirname / "example"


def draw(entry: Entry, trace: timeline.Trace) -> str:
    # At the width of the book's text column, so that its letters are drawn at their size, not shrunk.
    return timeline.render(trace, title=entry.title, width=BOOK_WIDTH)


COST_CHAPTER = "04"
COST_BINARIES = ["example", "example-untraced"]  # the hooks in, recording off; the hooks compiled out
NS_PER_TASK = re.compile(r"(\d+) ns per task")


def recorder_cost(binaries: dict[str, Path], rounds: int) -> list[str]:
    """Run chapter 04's spawn + join with the hooks in (recording off) and compiled out, in turn, `rounds`
    times each; the lines that say what they measured."""
    figures: dict[str, list[int]] = {name: [] for name in COST_BINARIES}
    # Every run on one CPU: the CPUs of a virtual machine can differ by 15% (this course's did), and
    # which one a process lands on is chance, which would decide the comparison.
    cpu = min(os.sched_getaffinity(0))
    for _ in range(rounds):
        for name in COST_BINARIES:
            try:
                proc = subprocess.run([str(binaries[name]), "--spawn-join"], capture_output=True, text=True,
                                      timeout=120, env={**os.environ, "RT_TRACE": ""},
                                      preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
            except subprocess.TimeoutExpired:
                raise TimelineError(f"{name} --spawn-join ran over 120 s") from None
            found = NS_PER_TASK.search(proc.stdout)
            if proc.returncode != 0 or not found:
                raise TimelineError(f"{name} --spawn-join failed:\n{proc.stdout}{proc.stderr}")
            figures[name].append(int(found[1]))
    hooked, untraced = figures["example"], figures["example-untraced"]
    spread = max(max(v) - min(v) for v in figures.values()) / statistics.median(untraced) * 100
    # Each round runs both builds one after the other, so a slow spell of the machine slows both:
    # a round's difference is the fairer figure, and their median the summary.
    paired = statistics.median((a - b) / b * 100 for a, b in zip(hooked, untraced))
    return [f"Chapter {COST_CHAPTER}'s spawn + join of 1,000,000 tasks, {rounds} rounds of each build, in turn, "
            f"on CPU {cpu}:",
            f"  hooks compiled out:       {statistics.median(untraced):4.0f} ns per task (each round: {untraced})",
            f"  hooks in, recording off:  {statistics.median(hooked):4.0f} ns per task (each round: {hooked})",
            f"  what the hooks cost, the median of the rounds' differences: {paired:+.1f}% (the rounds of one "
            f"build differ by up to {spread:.0f}%)"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*")
    parser.add_argument("--build", type=Path, default=course.ROOT / "build")
    args = parser.parse_args(argv)
    try:
        chosen = [e for e in entries() if not args.names or e.name in args.names]
        unknown = set(args.names) - {e.name for e in chosen}
        if unknown:
            raise TimelineError(f"not in book/timelines.toml: {', '.join(sorted(unknown))}")
        for entry in chosen:
            # Recorded to a scratch file first: a run that fails its claims replaces nothing.
            with tempfile.TemporaryDirectory() as scratch:
                fresh = Path(scratch) / "trace.json"
                trace = record(entry, example_of(entry, args.build), fresh)
                problems = claim_problems(entry, trace)
                if problems:
                    raise TimelineError(f"{entry.name}: this run does not bear out book/timelines.toml: "
                                        + "; ".join(problems))
                KEPT.mkdir(exist_ok=True)
                entry.kept.write_text(fresh.read_text())
            print(f"recorded {entry.kept.relative_to(course.ROOT)}: {len(trace.lanes())} lanes, "
                  f"{len(trace.polls())} polls, {sum(w.cross for w in trace.wakes)} wakes across threads")
    except TimelineError as err:
        print(f"record-timelines: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
