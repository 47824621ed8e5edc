"""A run of the runtime, seen: load its trace (Chrome trace event JSON) and draw it as an SVG timeline.

    timeline.py TRACE.json OUT.svg [--title T] [--from MS] [--to MS] [--max-events N] [--linear]
    timeline.py TRACE.json --check          validate, then print a summary and the runtime's events in order

The SVG has one lane per thread, time running left to right: polls as bars (a colour per task), waits
(park, epoll_wait) as hatched stretches, wakes as arrows from the thread that woke to the poll the wake
led to (red and straight across threads, purple and dashed on one thread), spawns, completions and fired
timers as marks, a time axis in ms and a legend. Idle stretches (no event, no poll running) longer than
a 40th of the run are cut short and marked, so the microseconds of work on either side stay readable;
--linear keeps time linear. --from/--to (ms from the first event) draw a window; at most --max-events
events are drawn (default 3000, 0 for no limit), and the SVG says when it stops early.
Only the Python standard library is used.


THE TRACE FORMAT

The runtime of chapters 04 onwards writes this when recording is on. It is the Chrome trace event
format (what about:tracing, ui.perfetto.dev and this script read): one JSON object,

    {"traceEvents": [EVENT, ...], "displayTimeUnit": "ms", "otherData": {"chapter": "05-epoll-reactor", ...}}

(otherData is free-form and optional; a bare [EVENT, ...] array is read too). Every EVENT has

    ph    one letter, the phase: "M" metadata, "X" complete slice, "B"/"E" slice begin/end,
          "i" instant, "s"/"f" flow start/end
    ts    number: microseconds (fractions allowed) on one steady clock, e.g. since recording began
    pid   integer: the process (getpid(), or any constant: the runtime is one process)
    tid   integer: the thread; small numbers handed out in order of each thread's first event read best
    name  string: one of the names below
    cat   string: "rt" for every event of the runtime
    args  object: the event's fields, as below

("M" events need no ts or cat.) Fields not listed here are allowed and ignored.

  Thread names, one per thread (anywhere in the list):
    {"ph": "M", "name": "thread_name", "pid": P, "tid": T, "args": {"name": "executor"}}
    {"ph": "M", "name": "thread_sort_index", "pid": P, "tid": T, "args": {"sort_index": 0}}   optional:
        lanes are ordered by sort_index, then by order of their thread_name
  poll   a task's future being polled, on the polling thread:
    {"ph": "X", "name": "poll", "cat": "rt", "ts": T0, "dur": D, "pid": P, "tid": T, "args": {"task": 3}}
        or a "B" (with args.task) and an "E" on the same thread. Task ids are whole numbers >= 0 handed
        out at spawn; the future that block_on drives, when it is not a task, is task 0.
        Optional args.future (a short string, "child 2" say): the poll is of a future inside the task
        (a join polling its children), nested in the task's own poll; drawn inside the task's bar, it is
        not a poll of the task (no wake leads to it, sequence() leaves it out).
  park   the thread blocked until another unparks it (the executor's parker, the timer thread's wait):
    {"ph": "X", "name": "park", ..., "dur": D, "args": {}}              or "B"/"E"
  epoll_wait   the reactor's thread inside epoll_wait; on return, how many events it got:
    {"ph": "X", "name": "epoll_wait", ..., "dur": D, "args": {"events": 2}}
        or "B" then "E" with args.events on the "E"
  spawn      {"ph": "i", "s": "t", "name": "spawn", ..., "args": {"task": 3}}      on the spawning thread
  complete   {"ph": "i", "s": "t", "name": "complete", ..., "args": {"task": 3}}   the poll that returned Ready
  timers_fired  {"ph": "i", "s": "t", "name": "timers_fired", ..., "args": {"count": 2}}
                the timer (thread or loop) found `count` deadlines due and is about to wake them
  wake   a waker's wake() (or wake_by_ref()), on the thread that calls it:
    {"ph": "X", "name": "wake", "cat": "rt", "ts": T0, "dur": D, "pid": P, "tid": T,
     "args": {"task": 3, "by": "reactor"}}
        args.task: the task woken; args.by (optional string): who woke it ("reactor", "timer", "join",
        "self", ...). The waking thread is the event's tid. A wake is a slice ("X", dur = how long the
        call took, may be 0) rather than an instant because Chrome's flow events attach to slices;
        "i" is read too, as dur 0.
    plus a flow, so that Perfetto and about:tracing draw the arrow, with a number `id` unique per wake:
    {"ph": "s", "name": "wake", "cat": "rt", "id": 17, "ts": T0 + D / 2, "pid": P, "tid": T}
        on the wake's thread, in the middle of the wake
    {"ph": "f", "bp": "e", "name": "wake", "cat": "rt", "id": 17, "ts": T1 + D1 / 2, "pid": P, "tid": U}
        T1, D1 and U: the start, dur and thread of the poll the wake leads to, the woken task's first
        poll that starts after the wake's ts (its dur does not count: the executor may start that poll
        before wake() returns); no "f" when the task is not polled again. Each flow event lies inside
        its slice, not at its edge, so it binds to that slice whatever order a viewer puts events of
        one ts in. The renderer does not need flows (it finds that poll itself), but when they are
        there they must be right: an "s" within its wake, an "f" within that poll, name and cat as above.

A recorder that is easy to write in C++: one fixed-size record per event, in a per-thread buffer,
    struct Record { double ts_us, dur_us; std::uint32_t tid; std::uint8_t kind;  // poll, park, epoll_wait,
                    std::uint64_t task; std::uint64_t value; const char* by; };  // wake, spawn, complete, timers
(value: events or count; by: a string literal), with slices taken by a scope guard that writes one
record when the scope ends (so each hook is one line). At exit, merge the buffers, sort by ts, and
write one line per record: an "X" or "i" as above; for a wake, its "s" too, and its "f" when a later
record is a poll of the same task (keep, per task, the flow ids of wakes not yet followed by a poll;
the first poll of the task itself, not of a future in it, that starts after a wake's ts takes them).
So polls are best recorded as "X": their dur is known when the "f" is written. `Recorder` below is
that writer in Python, used by the tests; the C++ one must produce what it produces.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

# --------------------------------------------------------------------------------------- the format

SLICES = {"poll", "park", "epoll_wait"}         # "X", or "B" and "E"
WAITS = {"park", "epoll_wait"}
MARKS = {"spawn", "complete", "timers_fired"}   # "i"
WAKE = "wake"                                   # "X" or "i"; flows "s" and "f"
# Each phase: the names it may carry, and the fields every event of it needs (beyond ph).
PHASES = {
    "M": (None, ("name", "pid", "tid", "args")),
    "X": (SLICES | {WAKE}, ("name", "cat", "ts", "dur", "pid", "tid", "args")),
    "B": (SLICES, ("name", "cat", "ts", "pid", "tid", "args")),
    "E": (SLICES, ("name", "cat", "ts", "pid", "tid")),
    "i": (MARKS | {WAKE}, ("name", "cat", "ts", "pid", "tid", "args")),
    "I": (MARKS | {WAKE}, ("name", "cat", "ts", "pid", "tid", "args")),
    "s": ({WAKE}, ("name", "cat", "ts", "pid", "tid", "id")),
    "f": ({WAKE}, ("name", "cat", "ts", "pid", "tid", "id")),
}
ARGS = {  # the args each name needs: (key, what it is); for a "B"/"E" pair, on either
    "poll": (("task", "a task id"),), "wake": (("task", "a task id"),),
    "spawn": (("task", "a task id"),), "complete": (("task", "a task id"),),
    "timers_fired": (("count", "how many timers fired"),), "epoll_wait": (("events", "how many events it returned"),),
    "park": (),
}
TOLERANCE = 0.001  # µs: timestamps written with fewer digits still meet


class TraceError(ValueError):
    """A trace this script cannot read, with the event at fault named."""


Key = tuple  # (pid, tid): a thread


@dataclass
class Thread:
    key: Key
    name: str
    sort_index: float
    order: int  # when its name (or first event) was read


@dataclass
class Span:
    """A poll or a wait, from start to end (µs); `open` when the trace ended first."""
    name: str
    key: Key
    start: float
    end: float
    args: dict
    open: bool = False
    depth: int = 0

    @property
    def task(self) -> int | None:
        return self.args.get("task")

    @property
    def of_task(self) -> bool:
        """A poll of the task itself, not of a future inside it."""
        return self.name == "poll" and "future" not in self.args


@dataclass
class Mark:
    name: str
    key: Key
    ts: float
    args: dict


@dataclass
class Wake:
    key: Key
    ts: float
    dur: float
    task: int
    by: str | None
    where: str
    flow: object = None             # the id of its "s", if any
    flow_end: tuple | None = None   # (key, ts) of its "f", if any
    target: Span | None = None      # the poll it led to

    @property
    def cross(self) -> bool:
        return self.target is not None and self.target.key != self.key


@dataclass
class Trace:
    threads: dict  # Key -> Thread
    spans: list
    marks: list
    wakes: list
    start: float   # µs of the first event
    end: float     # µs of the last
    other: dict = field(default_factory=dict)

    def lanes(self) -> list[Thread]:
        return sorted(self.threads.values(), key=lambda t: (t.sort_index, t.order))

    def polls(self) -> list[Span]:
        """The polls of tasks (not those of futures inside them)."""
        return [s for s in self.spans if s.of_task]


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def describe(index: int, event) -> str:
    """traceEvents[12] (ph "X", name "poll", tid 2, ts 3.5): how a message names an event."""
    if not isinstance(event, dict):
        return f"traceEvents[{index}]"
    parts = [f"{k} {json.dumps(event[k])}" for k in ("ph", "name", "tid", "ts") if k in event]
    text = ", ".join(parts)
    return f"traceEvents[{index}] ({text[:100]})" if parts else f"traceEvents[{index}]"


def check_event(index: int, event) -> None:
    """The fields every event of its phase needs, of the right types, and a name the runtime uses."""
    where = describe(index, event)
    if not isinstance(event, dict):
        raise TraceError(f"{where}: an event is a JSON object, not {json.dumps(event)[:40]}")
    ph = event.get("ph")
    if ph not in PHASES:
        raise TraceError(f"{where}: ph {json.dumps(ph)} is not one this runtime writes "
                         f"({', '.join(sorted(PHASES))})")
    names, required = PHASES[ph]
    missing = [f for f in required if f not in event]
    if missing:
        raise TraceError(f"{where}: missing {', '.join(missing)} (a \"{ph}\" event needs {', '.join(required)})")
    for f in ("pid", "tid"):
        if not is_whole(event[f]):
            raise TraceError(f"{where}: {f} must be a whole number >= 0, not {json.dumps(event[f])}")
    for f in ("ts", "dur"):
        if f in event and not is_number(event[f]):
            raise TraceError(f"{where}: {f} must be a number (microseconds), not {json.dumps(event[f])}")
    if event.get("dur", 0) < 0:
        raise TraceError(f"{where}: dur is negative ({event['dur']})")
    if not isinstance(event["name"], str):
        raise TraceError(f"{where}: name must be a string")
    if "cat" in required and not isinstance(event["cat"], str):
        raise TraceError(f"{where}: cat must be a string")
    if "args" in event and not isinstance(event["args"], dict):
        raise TraceError(f"{where}: args must be an object, not {json.dumps(event['args'])[:40]}")
    if names is not None and event["name"] not in names:
        raise TraceError(f"{where}: a \"{ph}\" event named {json.dumps(event['name'])} is not in the runtime's "
                         f"vocabulary (for \"{ph}\": {', '.join(sorted(names))})")
    if ph in "iI" and event.get("s", "t") != "t":
        raise TraceError(f"{where}: an instant of the runtime is thread-scoped (\"s\": \"t\"), "
                         f"not {json.dumps(event['s'])}")
    if ph in "sf" and not (is_whole(event["id"]) or isinstance(event["id"], str)):
        raise TraceError(f"{where}: a flow's id is a whole number or a string, not {json.dumps(event['id'])}")
    if ph == "M" and event["name"] == "thread_name" and not isinstance(event["args"].get("name"), str):
        raise TraceError(f"{where}: thread_name needs args.name, a string")
    if ph == "M" and event["name"] == "thread_sort_index" and not is_number(event["args"].get("sort_index")):
        raise TraceError(f"{where}: thread_sort_index needs args.sort_index, a number")
    if ph != "E" and ph in "XBiI":
        check_args(where, event["name"], event["args"], skip=("events",) if ph == "B" else ())


def check_args(where: str, name: str, args: dict, skip=()) -> None:
    for key, what in ARGS[name]:
        if key in skip:
            continue
        if key not in args:
            raise TraceError(f"{where}: {name} needs args.{key} ({what})")
        if not is_whole(args[key]):
            raise TraceError(f"{where}: args.{key} of {name} must be a whole number >= 0, "
                             f"not {json.dumps(args[key])}")
    for key, names in (("by", {WAKE}), ("future", {"poll"})):
        if name in names and key in args and not isinstance(args[key], str):
            raise TraceError(f"{where}: args.{key} of {name} is a string, not {json.dumps(args[key])}")


def parse(data, source: str = "the trace") -> Trace:
    """Validate a loaded trace and turn it into threads, spans, marks and wakes. Raises TraceError."""
    if isinstance(data, dict):
        if "traceEvents" not in data:
            raise TraceError(f"{source}: no \"traceEvents\" (a trace is {{\"traceEvents\": [...]}})")
        events, other = data["traceEvents"], data.get("otherData") or {}
    else:
        events, other = data, {}
    if not isinstance(events, list):
        raise TraceError(f"{source}: \"traceEvents\" is not a list")
    for index, event in enumerate(events):
        check_event(index, event)
    timed = [(e["ts"], i) for i, e in enumerate(events) if e["ph"] != "M"]
    if not timed:
        raise TraceError(f"{source}: no events besides thread names")

    threads: dict[Key, Thread] = {}

    def thread(key: Key) -> Thread:
        if key not in threads:
            threads[key] = Thread(key, f"thread {key[1]}", math.inf, len(threads))
        return threads[key]

    for event in events:
        if event["ph"] == "M":
            key = (event["pid"], event["tid"])
            if event["name"] == "thread_name":
                thread(key).name = event["args"]["name"]
            elif event["name"] == "thread_sort_index":
                thread(key).sort_index = event["args"]["sort_index"]

    spans: list[Span] = []
    marks: list[Mark] = []
    wakes: list[Wake] = []
    open_: dict[Key, list[tuple[int, dict, Span]]] = defaultdict(list)
    starts, ends = [], []  # flow events, checked once every span is known
    for ts, index in sorted(timed):  # by time; events at one time keep the file's order
        event = events[index]
        ph, name, key, where = event["ph"], event["name"], (event["pid"], event["tid"]), describe(index, event)
        thread(key)
        args = dict(event.get("args", {}))
        if ph == "X" and name in SLICES:
            spans.append(Span(name, key, ts, ts + event["dur"], args))
        elif ph == "B":
            span = Span(name, key, ts, math.inf, args)
            open_[key].append((index, event, span))
            spans.append(span)
        elif ph == "E":
            if not open_[key]:
                raise TraceError(f"{where}: ends \"{name}\", but nothing is open on thread {key[1]}")
            begun_at, begun, span = open_[key][-1]
            if begun["name"] != name:
                raise TraceError(f"{where}: ends \"{name}\", but the slice open on thread {key[1]} is "
                                 f"\"{begun['name']}\" ({describe(begun_at, begun)})")
            open_[key].pop()
            span.end = ts
            span.args.update(args)
            check_args(where, name, span.args)
        elif name == WAKE and ph in "XiI":
            wakes.append(Wake(key, ts, event.get("dur", 0.0), args["task"], args.get("by"), where))
        elif ph in "iI":
            marks.append(Mark(name, key, ts, args))
        elif ph == "s":
            starts.append((index, event))
        elif ph == "f":
            ends.append((index, event))

    end = max(e["ts"] + e.get("dur", 0) for e in events if e["ph"] != "M")
    for stack in open_.values():
        for _, _, span in stack:  # still open when the recorder wrote the trace: it runs to the end
            span.end, span.open = end, True
    nest(spans)
    link_wakes(wakes, spans)
    check_flows(starts, ends, wakes)
    return Trace(threads, spans, marks, wakes, min(ts for ts, _ in timed), end, other)


def nest(spans: list[Span]) -> None:
    """Set each span's depth: how many spans of its thread enclose it."""
    by_thread = defaultdict(list)
    for span in spans:
        by_thread[span.key].append(span)
    for group in by_thread.values():
        group.sort(key=lambda s: (s.start, -s.end))
        stack: list[float] = []
        for span in group:
            while stack and stack[-1] <= span.start:
                stack.pop()
            span.depth = len(stack)
            stack.append(span.end)


def link_wakes(wakes: list[Wake], spans: list[Span]) -> None:
    """Each wake's target: the woken task's first poll that starts after it (not the poll it is in)."""
    polls = defaultdict(list)
    for span in spans:
        if span.of_task:
            polls[span.task].append(span)
    for group in polls.values():
        group.sort(key=lambda s: s.start)
    starts = {task: [s.start for s in group] for task, group in polls.items()}
    for wake in wakes:
        group = polls.get(wake.task, [])
        i = bisect.bisect_right(starts.get(wake.task, []), wake.ts + TOLERANCE)
        wake.target = group[i] if i < len(group) else None


def check_flows(starts, ends, wakes: list[Wake]) -> None:
    """An "s" lies on a wake of its thread; an "f" names a known "s" and lies in a poll of the woken task."""
    by_thread = defaultdict(list)
    for wake in wakes:  # in time order already
        by_thread[wake.key].append(wake)
    times = {key: [w.ts for w in group] for key, group in by_thread.items()}
    flows: dict = {}
    for index, event in starts:
        where, key, ts = describe(index, event), (event["pid"], event["tid"]), event["ts"]
        if event["id"] in flows:
            raise TraceError(f"{where}: flow id {json.dumps(event['id'])} is used by two wakes; "
                             f"each wake needs its own")
        group = by_thread[key]
        i = bisect.bisect_right(times.get(key, []), ts + TOLERANCE)
        wake = next((group[j] for j in range(i - 1, -1, -1)  # the latest wake begun by ts, free, reaching ts
                     if group[j].flow is None and ts <= group[j].ts + group[j].dur + TOLERANCE), None)
        if wake is None:
            raise TraceError(f"{where}: a flow start must be at a wake of its own thread (same tid, within "
                             f"the wake's ts and dur); there is none")
        wake.flow = event["id"]
        flows[event["id"]] = (event, wake)
    for index, event in ends:
        where, key, ts = describe(index, event), (event["pid"], event["tid"]), event["ts"]
        if event["id"] not in flows:
            raise TraceError(f"{where}: no flow start (\"s\") has id {json.dumps(event['id'])}")
        start, wake = flows[event["id"]]
        if start["cat"] != event["cat"]:
            raise TraceError(f"{where}: cat {json.dumps(event['cat'])} differs from its start's "
                             f"{json.dumps(start['cat'])}; viewers join a flow by id, cat and name")
        if wake.flow_end is not None:
            raise TraceError(f"{where}: a second flow end for id {json.dumps(event['id'])}")
        target = wake.target
        if not (target and target.key == key and target.start - TOLERANCE <= ts <= target.end + TOLERANCE):
            found = (f"task {wake.task}'s next poll starts at {target.start:.3f} µs on thread {target.key[1]}"
                     if target else f"task {wake.task} is not polled after the wake")
            raise TraceError(f"{where}: a flow end must lie in the poll its wake led to ({wake.where}), "
                             f"but {found}")
        wake.flow_end = (key, ts)


def load(path: Path) -> Trace:
    """Read and validate a trace file; TraceError names the file and the event at fault."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as err:
        raise TraceError(f"{path}: {err.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise TraceError(f"{path}: not JSON: {err}") from None
    try:
        return parse(data, str(path))
    except TraceError as err:
        raise TraceError(f"{path}: {err}") from None


def sequence(trace: Trace, task: int | None = None) -> list[tuple[str, int]]:
    """The runtime's events in time order as (name, task): spawn, poll (at its start), wake, complete.
    One task's only, if given. What a test of the recorder compares with what a scripted run must do."""
    items = [(m.ts, 1, m.name, m.args["task"]) for m in trace.marks if m.name in ("spawn", "complete")]
    items += [(s.start, 0, "poll", s.task) for s in trace.polls()]
    items += [(w.ts, 1, "wake", w.task) for w in trace.wakes]
    items.sort(key=lambda item: item[:2])
    return [(name, t) for _, _, name, t in items if task is None or t == task]


# --------------------------------------------------------------------- the reference writer

class Recorder:
    """What the C++ recorder writes, in Python: record events (times in µs), then trace() them.

    A wake gets its flow start in its middle, and a flow end in the middle of the first poll of its
    task that starts after the wake's ts; the flow ids count from 1. The tests write their traces with it."""

    def __init__(self, pid: int = 1, **other):
        self.pid, self.other, self.names, self.records = pid, other, [], []

    def thread(self, tid: int, name: str) -> Recorder:
        self.names.append((tid, name))
        return self

    def _add(self, ts, kind, tid, dur=None, **args):
        self.records.append((ts, len(self.records), kind, tid, dur, args))
        return self

    def poll(self, ts, dur, tid, task, future=None):
        return self._add(ts, "poll", tid, dur, task=task, **({"future": future} if future else {}))

    def park(self, ts, dur, tid):                return self._add(ts, "park", tid, dur)
    def epoll_wait(self, ts, dur, tid, events):  return self._add(ts, "epoll_wait", tid, dur, events=events)
    def spawn(self, ts, tid, task):              return self._add(ts, "spawn", tid, task=task)
    def complete(self, ts, tid, task):           return self._add(ts, "complete", tid, task=task)
    def timers_fired(self, ts, tid, count):      return self._add(ts, "timers_fired", tid, count=count)

    def wake(self, ts, dur, tid, task, by=None):
        return self._add(ts, WAKE, tid, dur, task=task, **({"by": by} if by else {}))

    def trace(self) -> dict:
        base = {"cat": "rt", "pid": self.pid}
        events = [{"ph": "M", "name": "thread_name", "pid": self.pid, "tid": tid, "args": {"name": name}}
                  for tid, name in self.names]
        events += [{"ph": "M", "name": "thread_sort_index", "pid": self.pid, "tid": tid, "args": {"sort_index": i}}
                   for i, (tid, _) in enumerate(self.names)]
        waiting = defaultdict(list)  # task -> [(flow id, end of its wake)]
        next_id = 1
        for ts, _, kind, tid, dur, args in sorted(self.records):
            task_poll = kind == "poll" and "future" not in args
            if task_poll:
                due = [flow for flow, woken in waiting[args["task"]] if woken < ts - TOLERANCE]
                waiting[args["task"]] = [(f, w) for f, w in waiting[args["task"]] if f not in due]
            if dur is None:
                events.append({"ph": "i", "s": "t", "name": kind, "ts": ts, "tid": tid, **base, "args": args})
            else:
                events.append({"ph": "X", "name": kind, "ts": ts, "dur": dur, "tid": tid, **base, "args": args})
            if kind == WAKE:
                events.append({"ph": "s", "name": WAKE, "id": next_id, "ts": ts + dur / 2, "tid": tid, **base})
                waiting[args["task"]].append((next_id, ts))
                next_id += 1
            if task_poll:
                events += [{"ph": "f", "bp": "e", "name": WAKE, "id": flow, "ts": ts + dur / 2, "tid": tid, **base}
                           for flow in due]
        return {"traceEvents": events, "displayTimeUnit": "ms", "otherData": self.other}


# ------------------------------------------------------------------------------------ the drawing

WIDTH, LABELS, RIGHT = 1400, 240, 36    # px: the picture, at most for the lane names, the right margin
LANE, BAR_TOP, BAR = 80, 30, 26         # px: a lane's height; its bars' top and height
MARK_Y = 15                             # px below a lane's top: the row of marks and their labels
BREAK, MIN_BREAK = 58, 100.0            # px: an idle stretch cut short; µs: the shortest one cut
FONT = "system-ui, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', sans-serif"
TEXT, MUTED, FAINT, RULE = "#1f2328", "#59636e", "#8c959f", "#d8dee4"
CROSS, SAME, LOST = "#cf222e", "#8250df", "#8c959f"      # wakes: across threads, on one, never polled
SPAWN, DONE, TIMER = "#1a7f37", "#1f2328", "#9a6700"
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#a0cbe8",
           "#bab0ac", "#8cd17d", "#b6992d", "#86bcb6"]
MAX_EVENTS = 3000


def task_colour(task: int) -> str:
    return PALETTE[task % len(PALETTE)]


def tint(colour: str, white: float = 0.5) -> str:
    """The colour mixed with white."""
    return "#" + "".join(f"{round(int(colour[i:i + 2], 16) * (1 - white) + 255 * white):02x}" for i in (1, 3, 5))


def ink_on(colour: str) -> str:
    """Black or white text, whichever reads on the colour."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return TEXT if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def text_width(text: str, size: float) -> float:
    return len(text) * size * 0.6  # a generous average for the sans-serif fonts a browser picks


def fmt_us(us: float) -> str:
    """A duration as a person reads it: 37 µs, 1.25 ms, 49.7 ms, 2.3 s."""
    if us < 1000:
        return f"{us:.3g} µs" if us < 10 else f"{us:.0f} µs"
    if us < 1e6:
        ms = us / 1000
        return f"{ms:.3g} ms" if ms < 100 else f"{ms:.0f} ms"
    return f"{us / 1e6:.3g} s"


def fmt_ms(ms: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    return f"{ms:.{decimals}f}"


def nice_step(raw: float) -> float:
    """The 1, 2 or 5 times a power of ten at or above raw."""
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))


@dataclass
class Scale:
    """Time (µs) to x (px), linear between breaks: pieces of (t0, t1, x0, x1, is_break)."""
    pieces: list

    def x(self, t: float) -> float:
        for t0, t1, x0, x1, _ in self.pieces:
            if t <= t1:
                return x0 if t <= t0 or t1 == t0 else x0 + (t - t0) / (t1 - t0) * (x1 - x0)
        return self.pieces[-1][3]

    def breaks(self) -> list[tuple]:
        return [p for p in self.pieces if p[4]]

    def per_us(self) -> float:
        active = [p for p in self.pieces if not p[4] and p[1] > p[0]]
        return (active[0][3] - active[0][2]) / (active[0][1] - active[0][0]) if active else 1.0


def make_scale(times: list[float], busy: list[tuple[float, float]], t0: float, t1: float, x0: float, x1: float,
               compress: bool) -> Scale:
    """A scale from t0..t1 onto x0..x1. With compress, each of the (at most 8) longest stretches without
    an event and outside every busy interval (the polls), if longer than a 40th of the whole and than
    MIN_BREAK, is cut to a BREAK px gap, leaving on each side a bit of it (a 25th of the time kept)."""
    t1 = max(t1, t0 + 1.0)
    if not compress:
        return Scale([(t0, t1, x0, x1, False)])
    times = sorted({t0, t1, *(t for t in times if t0 <= t <= t1)})
    total = t1 - t0
    busy = sorted(busy)
    begins = [start for start, _ in busy]
    reach = list(itertools.accumulate((end for _, end in busy), max))  # the latest end of the busy begun so far

    def in_busy(a: float, b: float) -> bool:  # a stretch between two event times is inside a poll, or outside all
        i = bisect.bisect_right(begins, a + TOLERANCE)
        return i > 0 and reach[i - 1] >= b - TOLERANCE

    longer = max(total / 40, MIN_BREAK)
    gaps = sorted(((b - a, a, b) for a, b in zip(times, times[1:]) if b - a > longer and not in_busy(a, b)),
                  reverse=True)[:8]
    gaps.sort(key=lambda g: g[1])
    if not gaps:
        return Scale([(t0, t1, x0, x1, False)])
    kept = total - sum(g for g, _, _ in gaps)
    margin = max(kept / 25, total / 2000)
    cuts = [(a + margin, b - margin) for g, a, b in gaps if g > 2 * margin]
    active = total - sum(b - a for a, b in cuts)
    per_us = (x1 - x0 - BREAK * len(cuts)) / active
    pieces, t, x = [], t0, x0
    for a, b in cuts:
        pieces.append((t, a, x, x + (a - t) * per_us, False))
        x += (a - t) * per_us
        pieces.append((a, b, x, x + BREAK, True))
        t, x = b, x + BREAK
    pieces.append((t, t1, x, x1, False))
    return Scale(pieces)


class Svg:
    """The SVG's text, element by element."""

    def __init__(self):
        self.parts: list[str] = []

    def add(self, tag: str, text: str | None = None, title: str | None = None, **attrs) -> None:
        self.parts.append(element(tag, text, title, **attrs))

    def open(self, tag: str, title: str | None = None, **attrs) -> None:
        self.parts.append(element(tag, None, None, **attrs)[:-2] + ">")
        if title:
            self.parts.append(f"<title>{escape(title)}</title>")

    def close(self, tag: str) -> None:
        self.parts.append(f"</{tag}>")


def element(tag: str, text: str | None = None, title: str | None = None, **attrs) -> str:
    def value(v):
        return quoteattr(f"{v:.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v))
    attributes = "".join(f" {k.rstrip('_').replace('_', '-')}={value(v)}" for k, v in attrs.items() if v is not None)
    inner = (f"<title>{escape(title)}</title>" if title else "") + (escape(text) if text is not None else "")
    return f"<{tag}{attributes}>{inner}</{tag}>" if inner else f"<{tag}{attributes}/>"


class Labels:
    """Places text on a row without overlaps: a label that would cover another is left out."""

    def __init__(self, left: float, right: float):
        self.left, self.right = left, right  # the plot: labels stay inside it
        self.taken: dict = defaultdict(list)

    def block(self, row, left: float, right: float) -> None:
        self.taken[row].append((left, right))

    def fits(self, row, left: float, right: float) -> bool:
        if left < self.left or right > self.right or any(left < b + 3 and right > a - 3 for a, b in self.taken[row]):
            return False
        self.taken[row].append((left, right))
        return True


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render(trace: Trace, title: str | None = None, window_ms: tuple = (None, None),
           max_events: int = MAX_EVENTS, compress: bool = True, width: int = WIDTH) -> str:
    """The SVG timeline of a trace, as text."""
    return Picture(trace, title, window_ms, max_events, compress, width).draw()


class Picture:
    """One drawing: what is in it (the window, the events), where things go, and the SVG it becomes."""

    def __init__(self, trace: Trace, title: str | None, window_ms: tuple, max_events: int, compress: bool,
                 width: int):
        self.trace, self.width, self.first = trace, width, trace.start
        self.t0 = self.first + window_ms[0] * 1000 if window_ms[0] is not None else self.first
        self.t1 = self.first + window_ms[1] * 1000 if window_ms[1] is not None else trace.end
        if self.t1 <= self.t0:
            raise TraceError(f"the window is empty: --from {window_ms[0]} ms is not before --to {window_ms[1]} ms")
        notes = []
        if window_ms != (None, None):
            notes.append(f"window {self.ms(self.t0):.3g} to {self.ms(self.t1):.3g} ms of {self.ms(trace.end):.3g} ms")
        self.select(trace.spans, trace.marks, trace.wakes)
        items = sorted([s.start for s in self.polls] + [m.ts for m in self.marks] + [w.ts for w in self.wakes])
        if max_events and len(items) > max_events:
            self.t1 = max(items[max_events - 1], self.t0 + 1)
            notes.append(f"the first {max_events} of {len(items)} events only, to {self.ms(self.t1):.3g} ms: "
                         f"pass --from/--to for later ones")
            self.select(self.spans, self.marks, self.wakes)

        self.lanes = trace.lanes()
        self.row = {t.key: i for i, t in enumerate(self.lanes)}
        names_fit = min(LABELS, max(180, width // 5)) - 36  # px for a lane's name, which wraps to fit
        self.names = {t.key: wrap(t.name, 14, names_fit) for t in self.lanes}
        longest = max(text_width(line, 14) for lines in self.names.values() for line in lines)
        self.left, self.right = min(max(longest + 36, 110), LABELS), width - RIGHT
        times = [t for s in self.spans for t in (s.start, s.end)] + [m.ts for m in self.marks]
        times += [t for w in self.wakes for t in (w.ts, w.target.start if w.target else w.ts)]
        self.scale = make_scale(times, [(s.start, s.end) for s in self.polls], self.t0, self.t1, self.left,
                                self.right, compress)
        self.x = self.scale.x

        tasks = {s.task for s in self.polls} | {w.task for w in self.wakes}
        crossing = sum(w.cross for w in self.wakes)
        self.title = title or f"What the runtime did: {trace.other.get('chapter', 'a run')}"
        self.caption = (f"One lane per thread, time running right: {plural(len(self.polls), 'poll')} of "
                        f"{plural(len(tasks), 'task')}, {plural(len(self.wakes), 'wake')} ({crossing} from another "
                        f"thread), over {fmt_us(self.t1 - self.t0)}.")
        if self.scale.breaks():
            notes.append("≈ marks a stretch with no event and no poll running, cut short")
        if still := sum(s.open for s in self.spans):
            notes.append(f"{plural(still, 'slice')} still open when the trace was written")
        if notes:
            text = "; ".join(notes)
            self.caption += f" {text[0].upper()}{text[1:]}."
        self.caption_lines = wrap(self.caption, 13, width - 32)
        self.top = 78 + 17 * (len(self.caption_lines) - 1)
        self.bottom = self.top + LANE * len(self.lanes)
        self.labels = Labels(self.left + 2, width - 4)
        self.svg = Svg()

    def select(self, spans, marks, wakes) -> None:
        self.spans = [s for s in spans if s.end >= self.t0 and s.start <= self.t1]
        self.polls = [s for s in self.spans if s.of_task]
        self.marks = [m for m in marks if self.t0 <= m.ts <= self.t1]
        self.wakes = [w for w in wakes if self.t0 <= w.ts <= self.t1]

    def ms(self, t: float) -> float:
        return (t - self.first) / 1000

    def lane_top(self, key) -> float:
        return self.top + LANE * self.row[key]

    def thread(self, key) -> str:
        return self.trace.threads[key].name

    def draw(self) -> str:
        futures = any(s.name == "poll" and not s.of_task for s in self.spans)
        rows, legend = legend_items(bool(self.scale.breaks()), futures, self.width)
        height = self.bottom + 48 + 30 * rows + 16
        svg, width = self.svg, self.width
        svg.open("svg", xmlns="http://www.w3.org/2000/svg", width=width, height=height,
                 viewBox=f"0 0 {width} {height}", font_family=FONT, font_size=12, role="img", aria_label=self.title)
        svg.add("title", self.title)
        svg.add("desc", self.caption)
        defs(svg, self.left, self.top, self.right - self.left, self.bottom - self.top)
        svg.add("rect", width=width, height=height, fill="#ffffff")
        svg.add("text", self.title, x=16, y=30, font_size=19, font_weight=650, fill=TEXT, class_="title")
        for i, line in enumerate(self.caption_lines):
            svg.add("text", line, x=16, y=53 + 17 * i, font_size=13, fill=MUTED, class_="caption")
        ticks = axis_ticks(self.scale, self.first)
        self.draw_lanes(ticks)
        svg.open("g", clip_path="url(#plot)")
        self.draw_waits()
        self.draw_breaks()
        self.draw_polls()
        svg.close("g")
        for mark in self.marks:  # the marks' glyphs first, then the wakes' labels: they matter more
            self.labels.block(mark.key, self.x(mark.ts) - 6, self.x(mark.ts) + 6)
        self.draw_wakes()
        self.draw_marks()
        self.draw_axis(ticks)
        svg.open("g", class_="legend", transform=f"translate(16,{self.bottom + 52})")
        for (lx, ly), glyph, text in legend:
            svg.open("g", class_="legend-item", transform=f"translate({lx},{ly})")
            svg.parts.append(glyph)
            svg.add("text", text, x=34, y=4, font_size=12, fill=TEXT)
            svg.close("g")
        svg.close("g")
        svg.close("svg")
        return "\n".join(svg.parts) + "\n"

    def draw_lanes(self, ticks) -> None:
        """A band per thread with its name; the grid of the ticks across them."""
        svg = self.svg
        for i, t in enumerate(self.lanes):
            y = self.top + LANE * i
            svg.open("g", class_="lane", id=f"lane-{t.key[0]}-{t.key[1]}", data_tid=t.key[1])
            svg.add("rect", x=0, y=y, width=self.width, height=LANE, fill="#f6f8fa" if i % 2 else "#ffffff")
            lines = self.names[t.key]
            name_y = y + BAR_TOP + 11 - 8 * (len(lines) - 1)
            tspans = "".join(element("tspan", line, x=16, dy=0 if i == 0 else 16) for i, line in enumerate(lines))
            svg.parts.append(element("text", x=16, y=name_y, font_size=14, font_weight=600, fill=TEXT,
                                     class_="lane-name")[:-2] + f">{tspans}</text>")
            svg.add("text", f"thread {t.key[1]}", x=16, y=name_y + 16 * len(lines), font_size=11, fill=FAINT)
            svg.close("g")
        for i in range(len(self.lanes) + 1):
            y = self.top + LANE * i
            svg.add("line", x1=0, x2=self.width, y1=y, y2=y, stroke=RULE)
        for tx, _ in ticks:
            svg.add("line", x1=tx, x2=tx, y1=self.top, y2=self.bottom, stroke="#eaeef2")
        svg.add("line", x1=self.left, x2=self.left, y1=self.top, y2=self.bottom, stroke=RULE)

    def draw_waits(self) -> None:
        """park and epoll_wait: hatched, labelled in their widest piece that no break covers."""
        for span in self.spans:
            if span.name not in WAITS:
                continue
            start, end = max(span.start, self.t0), min(span.end, self.t1)
            a, b = self.x(start), self.x(end)
            y = self.lane_top(span.key) + BAR_TOP + 3
            events = span.args.get("events")
            got = f", returned {plural(events, 'event')}" if events is not None else ""
            tip = (f"{span.name} on {self.thread(span.key)}: {fmt_us(span.end - span.start)}{got}"
                   + (" (still waiting at the end)" if span.open else ""))
            self.svg.open("g", class_=f"wait {span.name.replace('_', '-')}", title=tip)
            self.svg.add("rect", x=a, y=y, width=max(b - a, 1.0), height=BAR - 6, fill="url(#hatch)",
                         stroke="#c8d1da", stroke_width=0.6)
            texts = [span.name]
            if span.name == "epoll_wait":
                got = [f"epoll_wait → {plural(events, 'event')}"] if events is not None else []
                texts = got + texts + ["epoll"]
            left, right = widest_piece(self.scale, start, end)
            text = next((t for t in texts if right - left >= text_width(t, 11) + 10), None)
            if text:
                self.svg.add("text", text, x=(left + right) / 2, y=y + BAR / 2, font_size=11, fill=MUTED,
                             text_anchor="middle", font_style="italic")
            self.svg.close("g")

    def draw_breaks(self) -> None:
        """Idle stretches cut short: a pale band between two zigzags, over the waits."""
        for t0, t1, x0, x1, _ in self.scale.breaks():
            self.svg.open("g", class_="break", title=f"{fmt_us(t1 - t0)} cut out: no event, no poll running")
            self.svg.add("rect", x=x0, y=self.top, width=x1 - x0, height=self.bottom - self.top, fill="#ffffff",
                         opacity=0.72)
            for bx in (x0 + 4, x1 - 4):
                self.svg.add("path", d=zigzag(bx, self.top, self.bottom), fill="none", stroke=FAINT,
                             stroke_width=1.2)
            self.svg.close("g")

    def draw_polls(self) -> None:
        """A bar per poll in its task's colour, with the task's id when it fits (before the first of the
        polls nested in it); a future's poll inside the task's is thinner and paler, with its name."""
        polls = sorted((s for s in self.spans if s.name == "poll"), key=lambda s: (s.depth, s.start))
        for span in polls:
            a = self.x(span.start)
            w = max(self.x(span.end) - a, 2.0)
            y, h = self.lane_top(span.key) + BAR_TOP + 3 * span.depth, BAR - 6 * span.depth
            colour = task_colour(span.task) if span.of_task else tint(task_colour(span.task))
            inside = [s.start for s in polls if s.key == span.key and s.depth > span.depth
                      and span.start <= s.start < span.end]
            room = self.x(min(inside)) - a if inside else w
            what = f"task {span.task}" if span.of_task else f"{span.args['future']} in task {span.task}"
            self.svg.open("g", class_="poll" if span.of_task else "future-poll", data_task=span.task,
                          title=f"poll of {what} on {self.thread(span.key)}: {fmt_us(span.end - span.start)}, "
                                f"from {self.ms(span.start):.3f} ms")
            self.svg.add("rect", x=a, y=y, width=w, height=h, fill=colour, stroke="#1f232840" if span.of_task
                         else "#1f2328a0", stroke_width=0.6 if span.of_task else 1, rx=2)
            texts = (f"task {span.task}", f"{span.task}") if span.of_task else (span.args["future"],)
            text = next((t for t in texts if room >= text_width(t, 11) + 6), None)
            if text:
                self.svg.add("text", text, x=a + room / 2, y=y + h / 2 + 4, font_size=11, fill=ink_on(colour),
                             text_anchor="middle", font_weight=600)
            self.svg.close("g")

    def label(self, key, at: float, text: str, colour: str, gap: float, left_first: bool = False, **style) -> None:
        """A label on a lane's row of marks, `gap` px beside `at` (twice that on the right when the left
        comes first), on whichever side has room; none if neither has."""
        w, y = text_width(text, 10.5), self.lane_top(key) + MARK_Y + 4
        r = at + gap * (2 if left_first else 1)
        right = (r, r + w, r, "start")
        left = (at - gap - w, at - gap, at - gap, "end")
        for a, b, tx, anchor in (left, right) if left_first else (right, left):
            if self.labels.fits(key, a, b):
                self.svg.add("text", text, x=tx, y=y, font_size=10.5, fill=colour,
                             text_anchor=anchor if anchor == "end" else None, **style)
                return

    def draw_marks(self) -> None:
        """spawn, complete and timers_fired: a glyph each, and a label where there is room."""
        for mark in self.marks:
            mx, at = self.x(mark.ts), f"at {self.ms(mark.ts):.3f} ms"
            task = mark.args.get("task")
            if mark.name == "spawn":
                tip = f"spawn of task {task} on {self.thread(mark.key)}, {at}"
                text, glyph = f"spawn task {task}", "spawn"
            elif mark.name == "complete":
                tip, text, glyph = f"task {task} complete, {at}", f"task {task} done", "complete"
            else:
                timers = plural(mark.args["count"], "timer")
                tip, text, glyph = f"{timers} fired on {self.thread(mark.key)}, {at}", timers, "timer"
            self.svg.open("g", class_=mark.name.replace("_", "-"), data_task=task, title=tip)
            self.svg.add("use", href=f"#{glyph}", x=mx, y=self.lane_top(mark.key) + MARK_Y)
            self.label(mark.key, mx, text, MUTED, 9)
            self.svg.close("g")

    def draw_wakes(self) -> None:
        """An arrow per wake, from where it happened to the poll it led to: straight and red from another
        thread, a dashed purple arc under the bars on the same one; thinner when there are many."""
        thin = 0.5 if len(self.wakes) > 40 else 1.0
        for n, wake in enumerate(self.wakes, 1):
            wx, ly, target = self.x(wake.ts), self.lane_top(wake.key), wake.target
            by = f" by {wake.by}" if wake.by else ""
            if target is None:
                kind, colour = "unmatched", LOST
                tip = f"wake of task {wake.task}{by} on {self.thread(wake.key)}: not polled again in the trace"
            else:
                kind, colour = ("cross-thread", CROSS) if wake.cross else ("same-thread", SAME)
                tip = (f"wake of task {wake.task}{by}, on {self.thread(wake.key)}; polled "
                       f"{fmt_us(target.start - wake.ts)} later on {self.thread(target.key)}"
                       + (", after this window" if target.start > self.t1 else ""))
            self.svg.open("g", class_=f"wake {kind}", id=f"wake-{n}", data_task=wake.task, data_from=wake.key[1],
                          data_to=target.key[1] if target else None, title=tip)
            if kind == "cross-thread":
                tx, ttop = self.x(target.start), self.lane_top(target.key)
                y0 = ly + BAR_TOP + BAR / 2
                y1 = ttop + BAR_TOP - 2 if ttop > ly else ttop + BAR_TOP + BAR + 2
                dashes = None
                if target.start > self.t1:  # polled after the window: a short dashed arrow its way
                    tx, y1, dashes = wx + 14, y0 + (y1 - y0) * 0.4, "3 2"
                self.svg.add("path", d=f"M{wx:.2f},{y0:.2f} L{max(tx, wx):.2f},{y1:.2f}", fill="none",
                             stroke=colour, stroke_width=2 * thin, marker_end="url(#arrow-cross)",
                             opacity=thin if thin < 1 else None, stroke_dasharray=dashes)
                self.svg.add("circle", cx=wx, cy=y0, r=3.5 * thin, fill=colour)
            elif kind == "same-thread":
                tx = self.x(target.start)
                tx = max(min(tx, wx + 40) if target.start > self.t1 else tx, wx + 14)
                y0 = ly + BAR_TOP + BAR + 1
                self.svg.add("path", d=f"M{wx:.2f},{y0:.2f} C{wx:.2f},{y0 + 15:.2f} {tx:.2f},{y0 + 15:.2f} "
                                       f"{tx:.2f},{y0 + 2:.2f}", fill="none", stroke=colour, stroke_width=1.6,
                             stroke_dasharray="4 2.5", marker_end="url(#arrow-same)")
                self.svg.add("circle", cx=wx, cy=y0, r=2.5, fill=colour)
            else:
                y0 = ly + BAR_TOP + BAR / 2
                self.svg.add("path", d=f"M{wx:.2f},{y0:.2f} l10,-10", fill="none", stroke=colour, stroke_width=1.6,
                             stroke_dasharray="3 2")
                self.svg.add("circle", cx=wx, cy=y0, r=3, fill=colour)
            if kind != "same-thread":  # left of the dot first: the arrow leaves it to the right
                self.label(wake.key, wx, f"wakes task {wake.task}", colour, 5, left_first=True, font_weight=600)
            self.svg.close("g")

    def draw_axis(self, ticks) -> None:
        """The time axis, in ms from the first event; each break's length under it."""
        svg, y = self.svg, self.bottom
        svg.open("g", class_="axis")
        svg.add("line", x1=self.left, x2=self.right, y1=y, y2=y, stroke=MUTED)
        for tx, text in ticks:
            svg.add("line", x1=tx, x2=tx, y1=y, y2=y + 5, stroke=MUTED)
            svg.add("text", text, x=tx, y=y + 18, font_size=11, fill=MUTED, text_anchor="middle", class_="tick")
        for t0, t1, x0, x1, _ in self.scale.breaks():
            svg.add("text", "≈", x=(x0 + x1) / 2, y=y + 5, font_size=16, fill=MUTED, text_anchor="middle")
            svg.add("text", f"+{fmt_us(t1 - t0)}", x=(x0 + x1) / 2, y=y + 30, font_size=10, fill=FAINT,
                    text_anchor="middle")
        svg.add("text", "time, ms", x=self.left - 22, y=y + 18, font_size=11, fill=MUTED, text_anchor="end")
        svg.close("g")


def wrap(text: str, size: float, width: float) -> list[str]:
    """Words into lines no wider than width px (as text_width guesses)."""
    lines = [""]
    for word in text.split():
        if lines[-1] and text_width(f"{lines[-1]} {word}", size) > width:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    return lines


def widest_piece(scale: Scale, a: float, b: float) -> tuple[float, float]:
    """The widest stretch, in px, of a..b (µs) that no break covers."""
    pieces, start = [], a
    for t0, t1, _, _, is_break in scale.pieces:
        if is_break and t1 > a and t0 < b:
            pieces.append((start, max(start, t0)))
            start = t1
    pieces.append((min(start, b), b))
    return max(((scale.x(p), scale.x(q)) for p, q in pieces), key=lambda p: p[1] - p[0])


def axis_ticks(scale: Scale, t_first: float) -> list[tuple[float, str]]:
    """Ticks every nice step (about 100 px apart) inside the pieces that are not cut, labelled in ms."""
    step = nice_step(100 / scale.per_us())
    ticks, last = [], -math.inf
    for a, b, _, _, is_break in scale.pieces:
        if is_break:
            continue
        k = math.ceil((a - t_first) / step - 1e-9)
        while t_first + k * step <= b + 1e-9:
            tx = scale.x(t_first + k * step)
            if tx - last >= 60:
                ticks.append((tx, fmt_ms(k * step / 1000, step / 1000)))
                last = tx
            k += 1
    return ticks


def zigzag(x: float, y0: float, y1: float) -> str:
    points, y, side = [f"M{x:.1f},{y0:.1f}"], y0, 1
    while y < y1:
        y = min(y + 6, y1)
        points.append(f"L{x + 2.5 * side:.1f},{y:.1f}")
        side = -side
    return " ".join(points)


def defs(svg: Svg, x: float, y: float, w: float, h: float) -> None:
    svg.parts.append(f"""<defs>
<clipPath id="plot"><rect x="{x}" y="{y}" width="{w}" height="{h}"/></clipPath>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
<rect width="6" height="6" fill="#eef1f4"/>
<line x1="0" y1="0" x2="0" y2="6" stroke="#c3ccd5" stroke-width="2"/></pattern>
<marker id="arrow-cross" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
<path d="M0,0 L10,5 L0,10 z" fill="{CROSS}"/></marker>
<marker id="arrow-same" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5.5" markerHeight="5.5" orient="auto">
<path d="M0,0 L10,5 L0,10 z" fill="{SAME}"/></marker>
<g id="spawn"><circle r="5.5" fill="{SPAWN}"/><path d="M-3,0 H3 M0,-3 V3" stroke="#fff" stroke-width="1.6"/></g>
<g id="complete"><rect x="-4.2" y="-4.2" width="8.4" height="8.4" transform="rotate(45)" fill="{DONE}"/></g>
<g id="timer"><circle r="5.5" fill="#fff" stroke="{TIMER}" stroke-width="1.6"/>
<path d="M0,-3.2 V0 H2.6" fill="none" stroke="{TIMER}" stroke-width="1.4"/></g>
</defs>""")


def legend_items(with_breaks: bool, with_futures: bool, width: int) -> tuple[int, list]:
    """The legend's entries, laid out in rows: (rows, [((x, y), glyph's svg, text)])."""
    entries = [
        ('<rect x="0" y="-7" width="26" height="14" rx="2" fill="#4e79a7"/>', "a poll (one colour per task)"),
    ]
    if with_futures:
        entries.append((f'<rect x="0" y="-7" width="26" height="14" rx="2" fill="#4e79a7"/><rect x="8" y="-4" '
                         f'width="14" height="8" rx="2" fill="{tint("#4e79a7")}" stroke="#1f2328a0"/>',
                         "a future polled inside its task"))
    entries += [
        ('<rect x="0" y="-7" width="26" height="14" fill="url(#hatch)" stroke="#c8d1da" stroke-width="0.6"/>',
         "waiting: park, epoll_wait"),
        (f'<path d="M2,0 H22" stroke="{CROSS}" stroke-width="2" marker-end="url(#arrow-cross)"/>'
         f'<circle cx="2" cy="0" r="3.5" fill="{CROSS}"/>', "wake from another thread"),
        (f'<path d="M2,2 C2,-10 22,-10 22,0" fill="none" stroke="{SAME}" stroke-width="1.6" '
         f'stroke-dasharray="4 2.5" marker-end="url(#arrow-same)"/>', "wake on the same thread"),
        ('<use href="#spawn" x="12" y="0"/>', "spawn"),
        ('<use href="#complete" x="12" y="0"/>', "task complete"),
        ('<use href="#timer" x="12" y="0"/>', "timers fired"),
    ]
    if with_breaks:
        entries.append((f'<path d="{zigzag(8, -9, 9)}" fill="none" stroke="{FAINT}" stroke-width="1.2"/>'
                        f'<path d="{zigzag(16, -9, 9)}" fill="none" stroke="{FAINT}" stroke-width="1.2"/>',
                        "idle time cut short"))
    placed, lx, ly, rows = [], 0.0, 0.0, 1
    for draw, text in entries:
        w = 34 + text_width(text, 12) + 26
        if lx + w > width - 32 and lx > 0:
            lx, ly, rows = 0.0, ly + 30, rows + 1
        placed.append(((lx, ly), draw, text))
        lx += w
    return rows, placed


# ------------------------------------------------------------------------------ the command line

def summary(trace: Trace) -> str:
    names = ", ".join(f"{t.name} ({t.key[1]})" for t in trace.lanes())
    wakes = len(trace.wakes)
    cross = sum(w.cross for w in trace.wakes)
    return (f"{plural(len(trace.threads), 'thread')}: {names}\n{plural(len(trace.polls()), 'poll')}, "
            f"{plural(wakes, 'wake')} ({cross} from another thread), {plural(len(trace.marks), 'mark')}, "
            f"over {fmt_us(trace.end - trace.start)}")


def write(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_text(text)
    partial.replace(path)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="timeline.py", description=__doc__.split("\n\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("trace", type=Path, help="a trace the runtime wrote (Chrome trace event JSON)")
    p.add_argument("out", type=Path, nargs="?", help="the SVG to write")
    p.add_argument("--title", help="the picture's title (default: from the trace)")
    p.add_argument("--from", dest="from_ms", type=float, metavar="MS", help="start the window MS after the first event")
    p.add_argument("--to", dest="to_ms", type=float, metavar="MS", help="end the window MS after the first event")
    p.add_argument("--max-events", type=int, default=MAX_EVENTS, metavar="N",
                   help=f"draw at most N polls, wakes and marks (default {MAX_EVENTS}; 0: all)")
    p.add_argument("--linear", action="store_true", help="keep time linear: do not cut idle stretches short")
    p.add_argument("--width", type=int, default=WIDTH, metavar="PX", help=f"the picture's width (default {WIDTH})")
    p.add_argument("--check", action="store_true", help="validate; print a summary and the events in order")
    args = p.parse_args(argv)
    if not args.check and args.out is None:
        p.error("name the SVG to write, or pass --check")
    try:
        trace = load(args.trace)
        if args.check:
            print(summary(trace))
            print("\n".join(f"  {name} {task}" for name, task in sequence(trace)))
            return 0
        svg = render(trace, args.title, (args.from_ms, args.to_ms), args.max_events, not args.linear, args.width)
    except TraceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    write(args.out, svg)
    print(f"wrote {args.out}: {summary(trace).splitlines()[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
