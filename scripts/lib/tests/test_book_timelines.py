"""book_timelines.py: the book's timelines are read from book/timelines.toml, a malformed entry is refused
with its place named, and a trace is held to an entry's claims (its lanes, its wakes across threads, a
wake during a poll): each claim rejects the trace of the wrong chapter. The traces are timeline/'s
fixtures and the runs the book keeps (book/timelines/*.json).
"""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import book_timelines
import timeline
from book_timelines import Entry

FIXTURES = Path(__file__).resolve().parent / "timeline"


def fixture(name: str) -> timeline.Trace:
    return timeline.load(FIXTURES / f"{name}.json")


def entry(**claims) -> Entry:
    fields = dict(name="x", chapter="05", args=[], title="t", lanes=["main: executor"], cross_thread_wakes=(0, None))
    return Entry(**(fields | claims))


class Claims(unittest.TestCase):
    def test_the_lanes_must_be_exactly_the_threads_in_any_order(self):
        three = fixture("ch05-get")
        self.assertEqual(book_timelines.claim_problems(
            entry(lanes=["timer", "main: executor", "reactor"]), three), [])
        for wrong in (["main: executor"], ["main: executor", "reactor"], ["main: executor", "reactor", "timer", "x"]):
            problems = book_timelines.claim_problems(entry(lanes=wrong), three)
            self.assertEqual(len(problems), 1, wrong)
            self.assertIn("its lanes are", problems[0])

    def test_wakes_across_threads_are_counted_against_both_bounds(self):
        three, one = fixture("ch05-get"), fixture("ch06-get")
        lanes05, lanes06 = ["main: executor", "reactor", "timer"], ["main: executor + reactor"]
        self.assertEqual(book_timelines.claim_problems(entry(lanes=lanes05, cross_thread_wakes=(3, 3)), three), [])
        self.assertIn("3 wakes across threads, not at least 4",
                      book_timelines.claim_problems(entry(lanes=lanes05, cross_thread_wakes=(4, None)), three)[0])
        self.assertIn("not at least 0 and at most 2",
                      book_timelines.claim_problems(entry(lanes=lanes05, cross_thread_wakes=(0, 2)), three)[0])
        self.assertEqual(book_timelines.claim_problems(entry(lanes=lanes06, cross_thread_wakes=(0, 0)), one), [])

    def test_a_wake_during_a_poll_is_found_only_where_there_is_one(self):
        countdowns = fixture("ch04-countdowns")
        self.assertTrue(book_timelines.wakes_during_own_poll(countdowns))
        lanes = [t.name for t in countdowns.lanes()]
        self.assertEqual(book_timelines.claim_problems(entry(lanes=lanes, wake_during_poll=True), countdowns), [])
        # Chapter 05's GET: every wake comes from the reactor or the timer, none during the task's own poll.
        get = fixture("ch05-get")
        self.assertEqual(book_timelines.wakes_during_own_poll(get), [])
        problems = book_timelines.claim_problems(
            entry(lanes=["main: executor", "reactor", "timer"], cross_thread_wakes=(0, None), wake_during_poll=True),
            get)
        self.assertEqual(problems, ["no task is woken during its own poll and polled again"])
        # False claims there is none: it holds of the GET, and not of the countdowns.
        self.assertEqual(book_timelines.claim_problems(
            entry(lanes=["main: executor", "reactor", "timer"], cross_thread_wakes=(0, None),
                  wake_during_poll=False), get), [])
        problems = book_timelines.claim_problems(entry(lanes=lanes, wake_during_poll=False), countdowns)
        self.assertEqual(len(problems), 1)
        self.assertRegex(problems[0], r"^\d+ wakes come during the woken task's own poll$")


class Spec(unittest.TestCase):
    def write(self, text: str) -> Path:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        path = Path(folder.name) / "timelines.toml"
        path.write_text(text)
        return path

    def test_an_entry_is_read_with_its_claims(self):
        path = self.write('[[timeline]]\nname = "a"\nchapter = "05"\nargs = ["--timeline"]\ntitle = "T"\n'
                          'lanes = ["main"]\ncross_thread_wakes = { at_least = 1 }\n')
        [read] = book_timelines.entries(path)
        self.assertEqual((read.name, read.chapter, read.args, read.lanes, read.cross_thread_wakes,
                          read.wake_during_poll), ("a", "05", ["--timeline"], ["main"], (1, None), None))

    def test_a_missing_field_or_a_name_used_twice_is_refused(self):
        path = self.write('[[timeline]]\nname = "a"\nchapter = "05"\ntitle = "T"\nlanes = ["main"]\n')
        with self.assertRaisesRegex(book_timelines.TimelineError, "timeline 1: KeyError..cross_thread_wakes"):
            book_timelines.entries(path)
        one = 'name = "a"\nchapter = "05"\ntitle = "T"\nlanes = ["main"]\ncross_thread_wakes = { at_least = 0 }\n'
        path = self.write(f"[[timeline]]\n{one}[[timeline]]\n{one}")
        with self.assertRaisesRegex(book_timelines.TimelineError, "a name is used twice"):
            book_timelines.entries(path)


class KeptRuns(unittest.TestCase):
    def test_every_run_the_book_keeps_bears_out_its_entry(self):
        entries = book_timelines.entries()
        self.assertTrue(entries)
        for kept in entries:
            with self.subTest(kept.name):
                self.assertEqual(book_timelines.claim_problems(kept, timeline.load(kept.kept)), [])


if __name__ == "__main__":
    unittest.main()
