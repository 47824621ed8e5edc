"""bench.py: a program's answer is read as figures, "unsupported" or a failure; the rounds give medians; the
ratios are to the best peer, never to the course or to wrk; the book's tables come from the saved results,
and a table naming a workload or a program that was not measured stops the book's build.
"""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path

import bench
from bench import Program, Results

WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:18081/hi
  1 threads and 100 connections
  Latency Distribution
     50%    2.53ms
     99%  916.00us
  11082 requests in 1.02s, 2.45MB read
Requests/sec:  10889.05
"""


def fake_program(folder: Path, name: str, script: str) -> Program:
    """A program that answers like a bench program: `script` is its shell body ($1 is the workload)."""
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return Program(name, name, [str(path)])


def results(medians: dict) -> Results:
    return Results("2026-12-01", {"cores": 2, "cpu": "x", "kernel": "6", "load_at_start": 0.1, "busy_cores_at_start": 0.1}, 3, 1.0,
                   {"course-04": "course 04", "asio": "Asio", "tokio": "Tokio", "wrk": "wrk"}, medians,
                   {w: {} for w in bench.WORKLOADS})


class Reading(unittest.TestCase):
    def test_wrk_rate_and_p99_in_any_unit(self):
        self.assertEqual(bench.wrk_figures(WRK_OUTPUT), {"requests_per_s": 10889.05, "p99_ms": 0.916})
        self.assertEqual(bench.wrk_figures(WRK_OUTPUT.replace("916.00us", "1.20s"))["p99_ms"], 1200.0)
        self.assertEqual(bench.wrk_figures("unable to connect"), {})

    def test_figures_are_name_value_lines_and_nothing_else(self):
        self.assertEqual(bench.parse_figures("ns_per_task 65.2\nnoise here and there\nx y\n"), {"ns_per_task": 65.2})

    def test_a_program_is_measured_unsupported_or_failed(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            ok = fake_program(folder, "ok", "echo ns_per_task 70")
            self.assertEqual(bench.run_once(ok, "spawn", 1, 1, "").figures, {"ns_per_task": 70.0})
            no = fake_program(folder, "no", "echo 'unsupported: no tasks'; exit 3")
            self.assertEqual(bench.run_once(no, "spawn", 1, 1, "").unsupported, "no tasks")
            broken = fake_program(folder, "broken", "echo 'error: wrong sum' >&2; exit 1")
            self.assertIn("wrong sum", bench.run_once(broken, "spawn", 1, 1, "").error)
            silent = fake_program(folder, "silent", "echo late_ms 3")
            self.assertIn("printed no bytes_per_task", bench.run_once(silent, "sleeps", 1, 1, "").error)


class Measuring(unittest.TestCase):
    def test_medians_over_rounds_and_a_failure_in_any_round_counts(self):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            counter = folder / "count"
            counter.write_text("0")
            # Prints 10, 60, 20 in turn: the median is 20 (the mean would be 30). The flaky one fails in its second round.
            steady = fake_program(folder, "course-04", f"n=$(cat {counter}); echo $((n+1)) > {counter}; "
                                  "case $n in 0) echo ns_per_task 10;; 1) echo ns_per_task 60;; "
                                  "*) echo ns_per_task 20;; esac")
            flaky = fake_program(folder, "asio", f"if [ -e {folder}/ran ]; then exit 1; fi; touch {folder}/ran; "
                                 "echo ns_per_task 5")
            absent = Program("tokio", "Tokio", missing="not installed")
            nginx = bench.Nginx()
            out = bench.measure([steady, flaky, absent], ["spawn"], 3, 1.0, 1.0, nginx, progress=False)
            self.assertEqual(out.medians["spawn"], {"course-04": {"ns_per_task": 20.0}})
            self.assertIn("failed", out.not_run["spawn"]["asio"])
            self.assertEqual(out.not_run["spawn"]["tokio"], "not installed")
            self.assertEqual(len(out.failures), 1)


class Table(unittest.TestCase):
    def test_ratios_are_to_the_best_peer_lower_or_higher_as_the_metric_says(self):
        r = results({"spawn": {"course-04": {"ns_per_task": 130}, "asio": {"ns_per_task": 65},
                               "tokio": {"ns_per_task": 189}},
                     "get": {"course-04": {"requests_per_s": 20000, "p99_ms": 9}, "tokio": {"requests_per_s": 16000,
                             "p99_ms": 10}, "wrk": {"requests_per_s": 40000, "p99_ms": 2}}})
        self.assertEqual(bench.cell(r, "spawn", "ns_per_task", "course-04"), "130 (2.00x)")
        self.assertEqual(bench.cell(r, "spawn", "ns_per_task", "asio"), "65 (1.00x)")
        # Higher is better for requests: wrk's 40,000 is not a peer, so Tokio's 16,000 is the best.
        self.assertEqual(bench.cell(r, "get", "requests_per_s", "course-04"), "20,000 (1.25x)")
        self.assertEqual(bench.cell(r, "get", "requests_per_s", "wrk"), "40,000")
        self.assertEqual(bench.cell(r, "hop", "ns_per_hop", "asio"), "-")

    def test_the_busy_warning_appears_when_others_keep_half_a_core_busy(self):
        r = results({})
        self.assertEqual(bench.busy_warning(r), "")
        r.machine["busy_cores_at_start"] = 0.6
        self.assertIn("not to be trusted", bench.busy_warning(r))


class Book(unittest.TestCase):
    def saved(self, folder: Path) -> Path:
        path = folder / "bench.json"
        r = results({"spawn": {"course-04": {"ns_per_task": 130}, "asio": {"ns_per_task": 65}}})
        r.not_run["spawn"]["tokio"] = "not installed"
        path.write_text(json.dumps(r.to_json()))
        return path

    def test_a_table_with_its_date_and_machine(self):
        with tempfile.TemporaryDirectory() as tmp:
            lines = bench.book_table({"workloads": "spawn", "programs": "course-04 asio tokio"}, "x.md:1",
                                     self.saved(Path(tmp)))
        self.assertEqual(lines[0], "|  | course 04 | Asio | Tokio |")
        self.assertEqual(lines[2], "| spawn + join (ns per task) | 130 (2.00x) | 65 (1.00x) | - |")
        self.assertIn("on 2026-12-01: 2 cores (x), Linux 6; 0.1 cores busy", lines[-2])

    def test_what_was_not_measured_stops_the_build(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = self.saved(Path(tmp))
            with self.assertRaisesRegex(bench.BenchError, "no smol for spawn"):
                bench.book_table({"workloads": "spawn", "programs": "asio smol"}, "x.md:1", path)
            with self.assertRaisesRegex(bench.BenchError, "no workload 'sleep'"):
                bench.book_table({"workloads": "sleep", "programs": "asio"}, "x.md:1", path)
            with self.assertRaisesRegex(bench.BenchError, "missing: run scripts/bench --save"):
                bench.book_table({"workloads": "spawn", "programs": "asio"}, "x.md:1", Path(tmp) / "none.json")


if __name__ == "__main__":
    unittest.main()
