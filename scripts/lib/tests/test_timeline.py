"""timeline.py: a trace is read with every field it needs checked, a malformed one is refused with the
event named, and the SVG drawn from it has a lane per thread, a bar per poll and an arrow per wake, told
apart by class (read with xml.etree, not by matching text). The traces are small and hand-written, or
the fixtures in timeline/ (a chapter-05-like GET across three threads, the same on chapter 06's one
thread, chapter 04's wakes during a poll), written with timeline.Recorder.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

import timeline
from tests.test_browsercheck import HAVE_BROWSER

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "timeline"
SVG_NS = "{http://www.w3.org/2000/svg}"
EXECUTOR, REACTOR = 1, 2


def small_run() -> dict:
    """A task spawned, polled, woken by the reactor's thread, polled again, complete; written by hand."""
    def ev(ph, name, ts, tid, **more):
        return {"ph": ph, "name": name, "cat": "rt", "ts": ts, "pid": 7, "tid": tid, **more}
    return {"traceEvents": [
        {"ph": "M", "name": "thread_name", "pid": 7, "tid": EXECUTOR, "args": {"name": "executor"}},
        {"ph": "M", "name": "thread_name", "pid": 7, "tid": REACTOR, "args": {"name": "reactor"}},
        ev("X", "poll", 0.0, EXECUTOR, dur=20.0, args={"task": 0}),
        ev("i", "spawn", 5.0, EXECUTOR, s="t", args={"task": 1}),
        ev("X", "poll", 25.0, EXECUTOR, dur=10.0, args={"task": 1}),
        ev("X", "park", 40.0, EXECUTOR, dur=60.0, args={}),
        ev("X", "epoll_wait", 1.0, REACTOR, dur=89.0, args={"events": 1}),
        ev("X", "wake", 91.0, REACTOR, dur=2.0, args={"task": 1, "by": "reactor"}),
        ev("s", "wake", 91.0, REACTOR, id=1),
        ev("X", "poll", 105.0, EXECUTOR, dur=12.5, args={"task": 1}),
        ev("f", "wake", 105.0, EXECUTOR, id=1, bp="e"),
        ev("i", "complete", 117.0, EXECUTOR, s="t", args={"task": 1}),
        ev("X", "wake", 118.0, EXECUTOR, dur=1.0, args={"task": 0, "by": "join"}),
        ev("s", "wake", 118.0, EXECUTOR, id=2),
        ev("X", "poll", 121.0, EXECUTOR, dur=4.0, args={"task": 0}),
        ev("f", "wake", 121.0, EXECUTOR, id=2, bp="e"),
        ev("i", "complete", 124.0, EXECUTOR, s="t", args={"task": 0}),
        ev("B", "epoll_wait", 95.0, REACTOR, args={}),
        ev("E", "epoll_wait", 130.0, REACTOR, args={"events": 1}),
        ev("i", "timers_fired", 126.0, REACTOR, s="t", args={"count": 2}),
    ]}


def svg_of(trace: timeline.Trace, **options) -> ET.Element:
    return ET.fromstring(timeline.render(trace, **options))


def with_class(root: ET.Element, *classes: str, tag: str = "g") -> list[ET.Element]:
    return [e for e in root.iter(SVG_NS + tag) if set(classes) <= set(e.get("class", "").split())]


def lane_names(root: ET.Element) -> list[str]:
    return [" ".join(e.itertext()) for e in with_class(root, "lane-name", tag="text")]


def caption(root: ET.Element) -> str:
    return " ".join(e.text for e in with_class(root, "caption", tag="text"))


class TraceTest(unittest.TestCase):
    """What parse() makes of a trace."""

    def test_the_events_of_a_scripted_run_in_order(self):
        trace = timeline.parse(small_run())
        self.assertEqual(timeline.sequence(trace, task=1),
                         [("spawn", 1), ("poll", 1), ("wake", 1), ("poll", 1), ("complete", 1)])
        self.assertEqual(timeline.sequence(trace)[:3], [("poll", 0), ("spawn", 1), ("poll", 1)])

    def test_threads_spans_and_wakes(self):
        trace = timeline.parse(small_run())
        self.assertEqual([t.name for t in trace.lanes()], ["executor", "reactor"])
        self.assertEqual([(s.task, s.start, s.end) for s in trace.polls()],
                         [(0, 0.0, 20.0), (1, 25.0, 35.0), (1, 105.0, 117.5), (0, 121.0, 125.0)])
        cross, same = trace.wakes
        self.assertTrue(cross.cross and not same.cross)
        self.assertEqual((cross.by, cross.target.start, cross.flow, cross.flow_end),
                         ("reactor", 105.0, 1, ((7, EXECUTOR), 105.0)))
        self.assertEqual((same.target.start, same.target.key), (121.0, (7, EXECUTOR)))
        waits = [(s.name, s.args.get("events")) for s in trace.spans if s.name in timeline.WAITS]
        self.assertEqual(sorted(waits, key=str), [("epoll_wait", 1), ("epoll_wait", 1), ("park", None)])
        self.assertEqual((trace.start, trace.end), (0.0, 130.0))

    def test_begin_and_end_pairs_read_like_complete_events(self):
        data = small_run()
        events = data["traceEvents"]
        i = next(i for i, e in enumerate(events) if e.get("name") == "poll" and e["ts"] == 25.0)
        begin = dict(events[i], ph="B")
        del begin["dur"]
        end = {"ph": "E", "name": "poll", "cat": "rt", "ts": 35.0, "pid": 7, "tid": EXECUTOR}
        events[i:i + 1] = [begin, end]
        self.assertEqual([(s.task, s.start, s.end) for s in timeline.parse(data).polls()][1], (1, 25.0, 35.0))

    def test_a_wake_during_its_own_poll_leads_to_the_next_poll(self):
        trace = timeline.load(FIXTURES / "ch04-countdowns.json")
        self_wakes = [w for w in trace.wakes if w.by == "self"]
        self.assertEqual(len(self_wakes), 4)
        for wake in self_wakes:
            during = next(s for s in trace.polls() if s.task == wake.task and s.start < wake.ts < s.end)
            self.assertGreater(wake.target.start, during.end)
            self.assertFalse(wake.cross)

    def test_a_join_polling_its_children(self):
        rec = timeline.Recorder().thread(1, "executor")
        rec.poll(0, 30, 1, 0).poll(5, 8, 1, 0, future="child 1").poll(15, 8, 1, 0, future="child 2")
        rec.wake(40, 1, 1, 0, "join").poll(50, 20, 1, 0).poll(55, 10, 1, 0, future="child 1")
        data = rec.trace()
        self.assertEqual([e["ts"] for e in data["traceEvents"] if e["ph"] == "f"], [60])  # the task's poll
        trace = timeline.parse(data)
        self.assertEqual(timeline.sequence(trace), [("poll", 0), ("wake", 0), ("poll", 0)])
        self.assertEqual([(s.args.get("future"), s.depth) for s in trace.spans],
                         [(None, 0), ("child 1", 1), ("child 2", 1), (None, 0), ("child 1", 1)])
        self.assertEqual(trace.wakes[0].target.start, 50)
        root = svg_of(trace)
        self.assertEqual((len(with_class(root, "poll")), len(with_class(root, "future-poll"))), (2, 3))

    def test_a_slice_still_open_runs_to_the_end(self):
        data = small_run()
        data["traceEvents"] = [e for e in data["traceEvents"] if e["ph"] != "E"]
        trace = timeline.parse(data)
        (still,) = [s for s in trace.spans if s.open]
        self.assertEqual((still.name, still.start, still.end), ("epoll_wait", 95.0, trace.end))
        self.assertIn("1 slice still open", caption(svg_of(trace)))

    def test_a_bare_array_is_a_trace_too(self):
        self.assertEqual(len(timeline.parse(small_run()["traceEvents"]).polls()), 4)


class MalformedTest(unittest.TestCase):
    """Each mistake a recorder could make is refused, and the message names the event and the fault."""

    def refused(self, change, *expected: str) -> str:
        data = small_run()
        change(data["traceEvents"])
        with self.assertRaises(timeline.TraceError) as caught:
            timeline.parse(data)
        message = str(caught.exception)
        for text in expected:
            self.assertIn(text, message)
        return message

    @staticmethod
    def index(events, name, ts) -> int:
        return next(i for i, e in enumerate(events) if e.get("name") == name and e.get("ts") == ts)

    def test_missing_or_mistyped_fields(self):
        def drop(field):
            return lambda ev: ev[self.index(ev, "poll", 25.0)].pop(field)
        self.refused(drop("ts"), "traceEvents[4]", "missing ts")
        self.refused(drop("dur"), "traceEvents[4]", "missing dur")
        self.refused(drop("tid"), "missing tid")
        self.refused(drop("cat"), "missing cat")
        self.refused(lambda ev: ev[4].update(ts="25"), 'traceEvents[4] (ph "X", name "poll", tid 1, ts "25")',
                     "ts must be a number (microseconds)")
        self.refused(lambda ev: ev[4].update(tid=-1), "tid must be a whole number")
        self.refused(lambda ev: ev[4].update(dur=-3), "dur is negative")
        self.refused(lambda ev: ev[4].update(args=[1]), "args must be an object")
        self.refused(lambda ev: ev.append(7), "traceEvents[20]", "an event is a JSON object")

    def test_args_the_runtime_needs(self):
        self.refused(lambda ev: ev[4].update(args={}), "traceEvents[4]", "poll needs args.task")
        self.refused(lambda ev: ev[4].update(args={"task": True}), "args.task of poll must be a whole number")
        self.refused(lambda ev: ev[6].update(args={}), "epoll_wait needs args.events")
        self.refused(lambda ev: ev[19].update(args={"count": "2"}), "args.count of timers_fired")
        self.refused(lambda ev: ev[7]["args"].update(by=3), "args.by of wake is a string")
        self.refused(lambda ev: ev[4]["args"].update(future=2), "args.future of poll is a string")
        self.refused(lambda ev: ev[18].update(args={}), "traceEvents[18]", "epoll_wait needs args.events")
        self.refused(lambda ev: ev[0]["args"].pop("name"), "thread_name needs args.name")

    def test_names_and_phases_outside_the_vocabulary(self):
        self.refused(lambda ev: ev[6].update(name="epol_wait"), 'named "epol_wait" is not in the runtime\'s vocabulary')
        self.refused(lambda ev: ev[3].update(name="poll"), '"i" event named "poll"')
        self.refused(lambda ev: ev[4].update(ph="Q"), 'ph "Q" is not one this runtime writes')
        self.refused(lambda ev: ev[3].update(s="g"), 'thread-scoped ("s": "t")')

    def test_slices_that_do_not_pair(self):
        self.refused(lambda ev: ev.pop(17), "traceEvents[17]", 'ends "epoll_wait", but nothing is open on thread 2')
        self.refused(lambda ev: ev[17].update(name="park"), 'the slice open on thread 2 is "park"')

    def test_flows_that_do_not_match_their_wake(self):
        self.refused(lambda ev: ev[10].update(id=9), "traceEvents[10]", 'no flow start ("s") has id 9')
        self.refused(lambda ev: ev[8].update(ts=60.0), "traceEvents[8]", "a flow start must be at a wake")
        self.refused(lambda ev: ev[13].update(id=1), "flow id 1 is used by two wakes")
        self.refused(lambda ev: ev[10].update(ts=30.0), "a flow end must lie in the poll its wake led to",
                     "task 1's next poll starts at 105.000 µs on thread 1")
        self.refused(lambda ev: ev[10].update(cat="other"), "viewers join a flow by id, cat and name")

    def test_files_that_are_not_traces(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = Path(tmp) / "bad.json"
            bad.write_text('{"traceEvents": [')
            with self.assertRaisesRegex(timeline.TraceError, r"bad\.json: not JSON"):
                timeline.load(bad)
            bad.write_text('{"events": []}')
            with self.assertRaisesRegex(timeline.TraceError, r'bad\.json: no "traceEvents"'):
                timeline.load(bad)
            bad.write_text('{"traceEvents": [{"ph": "M", "name": "thread_name", "pid": 1, "tid": 1, '
                           '"args": {"name": "x"}}]}')
            with self.assertRaisesRegex(timeline.TraceError, "no events besides thread names"):
                timeline.load(bad)
            with self.assertRaisesRegex(timeline.TraceError, "missing.json"):
                timeline.load(Path(tmp) / "missing.json")


class ChromeFormatTest(unittest.TestCase):
    """What the recorder writes is a Chrome trace: the fields about:tracing and Perfetto need, per phase."""

    def check_chrome(self, text: str) -> None:
        data = json.loads(text)
        self.assertIsInstance(data["traceEvents"], list)
        for event in data["traceEvents"]:
            with self.subTest(event=event):
                self.assertIn(event["ph"], "MXBEiIsf")
                for key in ("name", "pid", "tid"):
                    self.assertIn(key, event)
                self.assertIsInstance(event["pid"], int)
                self.assertIsInstance(event["tid"], int)
                if event["ph"] == "M":
                    self.assertIsInstance(event["args"]["name" if event["name"] == "thread_name" else "sort_index"],
                                          (str, int))
                    continue
                self.assertIsInstance(event["ts"], (int, float))
                self.assertEqual(event["cat"], "rt")
                if event["ph"] == "X":
                    self.assertGreaterEqual(event["dur"], 0)
                if event["ph"] == "i":
                    self.assertEqual(event["s"], "t")
                if event["ph"] in "sf":
                    self.assertIn("id", event)
                    self.assertEqual(event["name"], "wake")
                if event["ph"] == "f":
                    self.assertEqual(event["bp"], "e")

    def test_the_fixtures(self):
        for path in sorted(FIXTURES.glob("*.json")):
            with self.subTest(path=path.name):
                self.check_chrome(path.read_text())
                timeline.load(path)

    def test_the_reference_writer(self):
        rec = timeline.Recorder(pid=3).thread(1, "executor").thread(2, "reactor")
        rec.poll(0, 10, 1, 1).park(12, 40, 1).epoll_wait(0, 30, 2, 1).wake(31, 2, 2, 1, "reactor")
        rec.poll(50, 5, 1, 1).complete(54, 1, 1).wake(60, 1, 2, 1)
        data = rec.trace()
        self.check_chrome(json.dumps(data))
        flows = [(e["ph"], e["id"], e["tid"], e["ts"]) for e in data["traceEvents"] if e["ph"] in "sf"]
        self.assertEqual(flows, [("s", 1, 2, 32), ("f", 1, 1, 52.5), ("s", 2, 2, 60.5)])  # the last: never polled
        trace = timeline.parse(data)
        self.assertEqual(timeline.sequence(trace),
                         [("poll", 1), ("wake", 1), ("poll", 1), ("complete", 1), ("wake", 1)])
        self.assertIsNone(trace.wakes[1].target)

    def test_a_wake_inside_a_poll_flows_to_the_next_poll(self):
        rec = timeline.Recorder().thread(1, "executor")
        rec.poll(0, 10, 1, 1).wake(4, 1, 1, 1, "self").poll(12, 5, 1, 2).poll(20, 5, 1, 1)
        ends = [(e["id"], e["ts"]) for e in rec.trace()["traceEvents"] if e["ph"] == "f"]
        self.assertEqual(ends, [(1, 22.5)])
        self.assertEqual(timeline.parse(rec.trace()).wakes[0].target.start, 20)


class SvgTest(unittest.TestCase):
    """The drawing, read back as XML: counted by class, not by matching its text."""

    def test_a_lane_per_thread_a_bar_per_poll_an_arrow_per_wake(self):
        trace = timeline.parse(small_run())
        root = svg_of(trace)
        lanes = with_class(root, "lane")
        self.assertEqual([lane.get("data-tid") for lane in lanes], ["1", "2"])
        self.assertEqual(lane_names(root), ["executor", "reactor"])
        self.assertEqual(len(with_class(root, "poll")), 4)
        self.assertEqual(sorted(int(g.get("data-task")) for g in with_class(root, "poll")), [0, 0, 1, 1])
        cross = with_class(root, "wake", "cross-thread")
        self.assertEqual([(g.get("data-from"), g.get("data-to"), g.get("data-task")) for g in cross], [("2", "1", "1")])
        self.assertEqual(len(with_class(root, "wake", "same-thread")), 1)
        self.assertEqual(len(with_class(root, "wait", "epoll-wait")), 2)
        self.assertEqual(len(with_class(root, "wait", "park")), 1)
        self.assertEqual((len(with_class(root, "spawn")), len(with_class(root, "complete")),
                          len(with_class(root, "timers-fired"))), (1, 2, 1))
        self.assertEqual(len(with_class(root, "legend")), 1)
        ids = [e.get("id") for e in root.iter() if e.get("id")]
        self.assertEqual(len(ids), len(set(ids)), "ids are unique")

    def test_the_get_across_three_threads(self):
        trace = timeline.load(FIXTURES / "ch05-get.json")
        root = svg_of(trace, title="A GET")
        self.assertEqual(lane_names(root),
                         ["main: executor", "reactor", "timer"])
        crossing = [w for w in trace.wakes if w.cross]
        self.assertEqual(len(crossing), 3)
        self.assertEqual(len(with_class(root, "wake", "cross-thread")), len(crossing))
        self.assertEqual(sorted(g.get("data-from") for g in with_class(root, "wake", "cross-thread")), ["2", "2", "3"])
        self.assertEqual(len(with_class(root, "poll")), len(trace.polls()))
        self.assertEqual(with_class(root, "title", tag="text")[0].text, "A GET")
        self.assertIn("3 from another thread", caption(root))

    def test_one_thread_has_no_cross_thread_arrow(self):
        trace = timeline.load(FIXTURES / "ch06-get.json")
        root = svg_of(trace)
        self.assertEqual(len(with_class(root, "lane")), 1)
        self.assertEqual(len(with_class(root, "wake", "cross-thread")), 0)
        self.assertEqual(len(with_class(root, "wake", "same-thread")), len(trace.wakes))

    def test_idle_stretches_are_cut_unless_linear(self):
        trace = timeline.load(FIXTURES / "ch05-get.json")
        self.assertEqual(len(with_class(svg_of(trace), "break")), 2)
        self.assertIn("cut short", caption(svg_of(trace)))
        self.assertEqual(len(with_class(svg_of(trace, compress=False), "break")), 0)
        ticks = [e.text for e in with_class(svg_of(trace), "tick", tag="text")]
        self.assertEqual(ticks[0], "0.0")
        self.assertTrue(any(t.startswith("100.") for t in ticks), ticks)

    def test_no_cut_through_a_running_poll(self):
        rec = timeline.Recorder().thread(1, "executor")
        rec.poll(0, 10, 1, 1).poll(20, 100000, 1, 1).poll(100030, 10, 1, 1)  # one long, blocking poll
        self.assertEqual(len(with_class(svg_of(timeline.parse(rec.trace())), "break")), 0)

    def test_a_window_and_a_cap_say_so(self):
        trace = timeline.load(FIXTURES / "ch05-get.json")
        root = svg_of(trace, window_ms=(50.0, 51.0))
        self.assertEqual(len(with_class(root, "poll")), 2)  # task 2's last poll, task 0's
        self.assertIn("Window 50 to 51 ms of 101 ms", caption(root))
        root = svg_of(trace, max_events=4)
        self.assertIn("The first 4 of 19 events only", caption(root))
        self.assertNotIn("cut short", caption(root))  # 44 µs: nothing long enough to cut
        self.assertLessEqual(len(with_class(root, "poll")) + len(with_class(root, "spawn")), 4)
        with self.assertRaisesRegex(timeline.TraceError, "the window is empty"):
            timeline.render(trace, window_ms=(5.0, 2.0))

    def test_a_wake_never_followed_by_a_poll(self):
        rec = timeline.Recorder().thread(1, "executor").thread(2, "timer")
        rec.poll(0, 10, 1, 1).wake(20, 1, 2, 1, "timer")
        root = svg_of(timeline.parse(rec.trace()))
        self.assertEqual(len(with_class(root, "wake", "unmatched")), 1)
        self.assertEqual(len(with_class(root, "wake", "cross-thread")), 0)

    def test_narrow_pictures_wrap_the_caption_and_long_names(self):
        root = svg_of(timeline.load(FIXTURES / "ch05-get.json"), width=700)
        self.assertGreater(len(with_class(root, "caption", tag="text")), 1)
        self.assertEqual(root.get("width"), "700")
        root = svg_of(timeline.load(FIXTURES / "ch06-get.json"), width=700)
        (name,) = with_class(root, "lane-name", tag="text")
        self.assertEqual([t.text for t in name], ["main: executor +", "reactor"])


class CommandLineTest(unittest.TestCase):
    def run_main(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = timeline.main(list(argv))
        return code, out.getvalue(), err.getvalue()

    def test_writes_an_svg(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "t.svg"
            code, stdout, _ = self.run_main(str(FIXTURES / "ch05-get.json"), str(out), "--title", "T",
                                            "--from", "0", "--to", "60")
            self.assertEqual(code, 0)
            self.assertIn("wrote", stdout)
            root = ET.parse(out).getroot()
            self.assertEqual(root.tag, SVG_NS + "svg")
            self.assertEqual(len(with_class(root, "lane")), 3)

    def test_check_prints_the_events(self):
        code, stdout, _ = self.run_main(str(FIXTURES / "ch04-countdowns.json"), "--check")
        self.assertEqual(code, 0)
        self.assertIn("1 thread: main: executor (1)", stdout)
        self.assertIn("  wake 1\n", stdout)

    def test_a_bad_trace_is_an_error_naming_the_event(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = Path(tmp) / "bad.json"
            data = small_run()
            data["traceEvents"][4]["args"] = {}
            bad.write_text(json.dumps(data))
            code, _, stderr = self.run_main(str(bad), str(Path(tmp) / "t.svg"))
            self.assertEqual(code, 1)
            self.assertIn("error: ", stderr)
            self.assertIn("traceEvents[4]", stderr)
            self.assertFalse((Path(tmp) / "t.svg").exists())


@unittest.skipUnless(HAVE_BROWSER, "chromium, chromium-driver or python3-selenium is not installed")
class BrowserTest(unittest.TestCase):
    """The book's browser check loads a page showing a timeline: the SVG is an image Chromium draws."""

    def test_the_browser_check_passes_a_page_with_a_timeline(self):
        with tempfile.TemporaryDirectory(prefix="test-timeline-") as tmp:
            book = Path(tmp) / "book"
            book.mkdir()
            svg = timeline.render(timeline.load(FIXTURES / "ch05-get.json"), width=760)
            (book / "timeline.svg").write_text(svg)
            (book / "page.html").write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title>'
                                            '</head><body><img src="timeline.svg" alt="a run"></body></html>')
            script = HERE.parent / "browsercheck.py"
            proc = subprocess.run([sys.executable, str(script), str(book)], capture_output=True, text=True, timeout=180)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            self.assertIn("checked 1 pages: 0 problems", proc.stdout)
            self.assertTrue((Path(tmp) / "book-screenshots" / "page.png").is_file())


if __name__ == "__main__":
    unittest.main()
