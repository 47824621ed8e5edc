"""scripts/bench: the same workloads on this course's runtime, chapter by chapter, and on the runtimes
people use (Asio, libuv, Tokio, smol; wrk for HTTP), side by side. bench/README.md defines the workloads.

    scripts/bench                       build what is installed, run 3 interleaved rounds, print the table
    scripts/bench --install             first install the peers' Debian packages (Asio, libuv, Tokio, smol, wrk)
    scripts/bench --save                also keep the results in book/bench.json, where the book's tables come from
    scripts/bench --quick               every program once at a hundredth of the counts: does each run? (the check)
    scripts/bench --only spawn,hop      some workloads; --chapters 06,10 some chapters

Each run is a fresh process. The table shows each figure's median over the rounds, and its ratio to the
best peer measured in the same run. A peer that is not installed is reported, not fatal; a program that
fails is (exit status 1).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import course

ROOT = course.ROOT
SAVED = ROOT / "book" / "bench.json"


@dataclass(frozen=True)
class Metric:
    label: str
    lower_is_better: bool = True
    digits: int = 0  # decimals shown


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    metrics: dict[str, Metric]


WORKLOADS = {w.name: w for w in [
    Workload("spawn", "spawn + join of 1,000,000 trivial tasks", {
        "ns_per_task": Metric("spawn + join (ns per task)")}),
    Workload("hop", "10,000,000 wakes and re-polls of one task", {
        "ns_per_hop": Metric("wake + re-poll (ns per hop)", digits=1)}),
    Workload("sleeps", "100,000 tasks sleeping up to 50 ms", {
        "late_ms": Metric("100,000 sleeps: ms past the last deadline", digits=1),
        "bytes_per_task": Metric("100,000 sleeps: resident bytes per task")}),
    Workload("crosswake", "a wake from another thread, and its answer", {
        "p50_us": Metric("cross-thread wake round trip, p50 (us)", digits=1),
        "p99_us": Metric("cross-thread wake round trip, p99 (us)", digits=1)}),
    Workload("get", "HTTP GETs from 100 connections on one thread, against nginx", {
        "requests_per_s": Metric("GET, 100 connections (requests/s)", lower_is_better=False),
        "p99_ms": Metric("GET, p99 latency (ms)", digits=1)}),
]}

# The peers, with the Debian packages each needs. wrk is not a runtime but the reference for HTTP: what a
# C event loop built for load generation gets from the same nginx; ratios are not taken to it.
PEERS = ["asio", "libuv", "tokio", "smol"]
REFERENCES = ["wrk"]
PACKAGES = {"asio": ["libasio-dev"], "libuv": ["libuv1-dev"], "tokio": ["cargo", "librust-tokio-dev"],
            "smol": ["cargo", "librust-smol-dev"], "wrk": ["wrk"], "nginx": ["nginx"]}
DEBIAN_REGISTRY = Path("/usr/share/cargo/registry")
NGINX = Path("/usr/sbin/nginx")
# Other programs using more than half a core, in the second before the run, make its figures untrustworthy.
BUSY_CORES = 0.5


class BenchError(Exception):
    pass


@dataclass
class Program:
    name: str                 # course-04, asio, tokio, wrk...
    label: str                # the table's column heading
    command: list[str] = field(default_factory=list)
    missing: str = ""         # why it is not measured, when it is not

    @property
    def kind(self) -> str:
        return "course" if self.name.startswith("course-") else "reference" if self.name in REFERENCES else "peer"


@dataclass
class Outcome:
    figures: dict[str, float] = field(default_factory=dict)
    unsupported: str = ""
    error: str = ""


# ---------------------------------------------------------------- building

def installed(package: str) -> bool:
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return "install ok installed" in proc.stdout


def package_version(package: str) -> str:
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
    return re.sub(r"^\d+:|[-+].*$", "", proc.stdout.strip())


def missing_packages(name: str) -> list[str]:
    return [package for package in PACKAGES[name] if not installed(package)]


def course_chapters(wanted: list[str] | None) -> list[course.Chapter]:
    """Chapters 04 on (spawn comes in 04), or the ones asked for."""
    chapters = [chapter for chapter in course.chapters() if int(chapter.number) >= 4]
    if wanted:
        chapters = [chapter for chapter in chapters if chapter.number in wanted]
        if not chapters:
            raise BenchError(f"no chapter from 04 on among: {', '.join(wanted)}")
    return chapters


def configure(build: Path) -> None:
    if (build / "build.ninja").is_file():
        return
    proc = subprocess.run(["meson", "setup", str(build), "--buildtype=release", "-Db_ndebug=true"],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"meson setup {build} failed:\n{proc.stdout}{proc.stderr}")


def build_cpp(build: Path, programs: list[Program]) -> None:
    targets = [f"bench/{program.name}" for program in programs if not program.missing]
    if not targets:
        return
    print(f"Building {', '.join(program.name for program in programs if not program.missing)} in "
          f"{os.path.relpath(build, ROOT)}/ ...", flush=True)
    proc = subprocess.run(["ninja", "-C", str(build), *targets], capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"ninja failed:\n{proc.stdout[-4000:]}")
    for program in programs:
        if not program.missing:
            program.command = [str(build / "bench" / program.name)]


def build_rust(build: Path, programs: list[Program]) -> None:
    """Tokio and smol, with Debian's cargo and rustc, offline, from Debian's registry of crate sources.
    bench/rust is copied first, so that cargo's lock file lands in the build directory."""
    rust = [program for program in programs if not program.missing]
    if not rust:
        return
    work = build / "rust"
    shutil.copytree(ROOT / "bench" / "rust", work / "src", dirs_exist_ok=True)
    (work / "home").mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "bench" / "rust" / "cargo-config.toml", work / "home" / "config.toml")
    print(f"Building {', '.join(program.name for program in rust)} with Debian's cargo, offline ...", flush=True)
    env = os.environ | {"CARGO_HOME": str(work / "home"), "RUSTC": "/usr/bin/rustc"}
    proc = subprocess.run(["/usr/bin/cargo", "build", "--release", "--offline", "--quiet",
                           "--manifest-path", str(work / "src" / "Cargo.toml"), "--target-dir", str(work / "target"),
                           *[arg for program in rust for arg in ("--bin", program.name)]],
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        for program in rust:
            program.missing = f"cargo build failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr else '?'}"
        return
    for program in rust:
        program.command = [str(work / "target" / "release" / program.name)]


def programs_for(chapters: list[course.Chapter], build: Path) -> list[Program]:
    """Every program of the bench, built where it can be; a peer that cannot says why in .missing."""
    programs = [Program(f"course-{chapter.number}", f"course {chapter.number}") for chapter in chapters]
    labels = {"asio": "Asio", "libuv": "libuv", "tokio": "Tokio", "smol": "smol", "wrk": "wrk"}
    for name in PEERS + REFERENCES:
        program = Program(name, labels[name])
        missing = missing_packages(name)
        if missing:
            program.missing = f"not installed (scripts/bench --install, or: sudo apt-get install {' '.join(missing)})"
        elif name in ("tokio", "smol") and not DEBIAN_REGISTRY.is_dir():
            program.missing = f"{DEBIAN_REGISTRY} is missing"
        else:
            program.label += f" {package_version(PACKAGES[name][-1])}"
        programs.append(program)
    configure(build)
    build_cpp(build, [program for program in programs if program.name.startswith("course-") or
                      program.name in ("asio", "libuv")])
    build_rust(build, [program for program in programs if program.name in ("tokio", "smol")])
    wrk = next(program for program in programs if program.name == "wrk")
    if not wrk.missing:
        wrk.command = ["wrk"]
    return programs


# ---------------------------------------------------------------- nginx

class Nginx:
    """Debian's nginx as this user, on a free loopback port, serving a 2-byte file; stopped on exit."""

    def __init__(self) -> None:
        self.url = ""
        self.problem = ""
        self.dir = Path()

    def __enter__(self) -> "Nginx":
        if not NGINX.is_file():
            self.problem = "nginx is not installed (scripts/bench --install)"
            return self
        self.dir = Path(tempfile.mkdtemp(prefix="rt-bench-nginx-"))
        (self.dir / "www").mkdir()
        (self.dir / "www" / "hi").write_text("hi")
        os.chmod(self.dir, 0o755)  # nginx's workers run as another user when nginx is started by root
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        (self.dir / "nginx.conf").write_text(
            f"worker_processes auto;\npid {self.dir}/nginx.pid;\nerror_log {self.dir}/error.log;\n"
            f"events {{ worker_connections 4096; }}\n"
            f"http {{ access_log off; server {{ listen 127.0.0.1:{port}; root {self.dir}/www; }} }}\n")
        proc = subprocess.run([str(NGINX), "-q", "-p", str(self.dir), "-e", str(self.dir / "error.log"),
                               "-c", str(self.dir / "nginx.conf")], capture_output=True, text=True)
        if proc.returncode != 0:
            self.problem = f"nginx did not start: {proc.stderr.strip()}"
            return self
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                self.url = f"http://127.0.0.1:{port}/hi"
                return self
            except OSError:
                time.sleep(0.05)
        self.problem = f"nginx did not answer on port {port} (see {self.dir}/error.log)"
        return self

    def __exit__(self, *exc) -> None:
        if self.dir == Path():
            return
        if (self.dir / "nginx.pid").is_file():
            subprocess.run([str(NGINX), "-q", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-s", "stop"],
                           capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- running

def parse_figures(stdout: str) -> dict[str, float]:
    figures = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                figures[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return figures


def wrk_figures(stdout: str) -> dict[str, float]:
    """Requests/sec and the 99% line of `wrk --latency`."""
    rate = re.search(r"Requests/sec:\s*([\d.]+)", stdout)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\b", stdout, re.M)
    if not rate or not p99:
        return {}
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99[2]]
    return {"requests_per_s": float(rate[1]), "p99_ms": float(p99[1]) * scale}


def run_once(program: Program, workload: str, scale: float, seconds: float, url: str) -> Outcome:
    if program.name == "wrk":
        if workload != "get":
            return Outcome(unsupported="a load generator, for HTTP only")
        command = ["wrk", "-t1", "-c100", f"-d{max(1, round(seconds))}s", "--latency",
                   "-H", "Connection: close", url]
    else:
        command = program.command + [workload, "--scale", str(scale)]
        if workload == "get":
            command += ["--url", url, "--seconds", str(seconds), "--connections", "100"]
    limit = 120 + seconds
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return Outcome(error=f"no end after {limit:.0f} s")
    if proc.returncode == 3 and proc.stdout.startswith("unsupported:"):
        return Outcome(unsupported=proc.stdout.split(":", 1)[1].strip())
    if proc.returncode != 0:
        return Outcome(error=(proc.stderr.strip() or proc.stdout.strip() or f"exit status {proc.returncode}")[-500:])
    figures = wrk_figures(proc.stdout) if program.name == "wrk" else parse_figures(proc.stdout)
    wanted = WORKLOADS[workload].metrics.keys()
    if not all(name in figures for name in wanted):
        return Outcome(error=f"printed no {', '.join(n for n in wanted if n not in figures)}: {proc.stdout[-300:]}")
    return Outcome(figures={name: figures[name] for name in wanted})


@dataclass
class Results:
    """What one run of the bench measured: per workload, per program, a median per metric, or why not."""
    when: str
    machine: dict[str, object]
    rounds: int
    scale: float
    labels: dict[str, str]                      # program -> column heading
    medians: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    not_run: dict[str, dict[str, str]] = field(default_factory=dict)   # workload -> program -> why
    failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"when": self.when, "machine": self.machine, "rounds": self.rounds, "scale": self.scale,
                "labels": self.labels, "medians": self.medians, "not_run": self.not_run}

    @staticmethod
    def from_json(data: dict) -> "Results":
        return Results(data["when"], data["machine"], data["rounds"], data["scale"], data["labels"],
                       data["medians"], data["not_run"])


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores' worth of time the machine spent busy over `seconds`, from /proc/stat. The load average
    lags by minutes; this is what other programs take now, since the bench waits while it samples."""
    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle and iowait
        return sum(fields[:8]), idle
    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    if total1 == total0:
        return 0.0
    return round((1 - (idle1 - idle0) / (total1 - total0)) * (os.cpu_count() or 1), 2)


def machine() -> dict[str, object]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {"cores": os.cpu_count() or 1, "cpu": model, "kernel": platform.release(),
            "load_at_start": round(os.getloadavg()[0], 2), "busy_cores_at_start": busy_cores()}


def measure(programs: list[Program], workloads: list[str], rounds: int, scale: float, seconds: float,
            nginx: Nginx, progress: bool = True) -> Results:
    present = [program for program in programs if not program.missing]
    results = Results(datetime.date.today().isoformat(), machine(), rounds, scale,
                      {program.name: program.label for program in programs})
    samples: dict[tuple[str, str], list[dict[str, float]]] = {}
    for workload in workloads:
        results.not_run[workload] = {program.name: program.missing for program in programs if program.missing}
        if workload == "get" and nginx.problem:
            results.not_run[workload] = {program.name: nginx.problem for program in programs}
    for round_index in range(rounds):
        for workload in workloads:
            shift = round_index % len(present)
            for program in present[shift:] + present[:shift]:  # a rotated order each round
                if program.name in results.not_run[workload]:
                    continue
                outcome = run_once(program, workload, scale, seconds, nginx.url)
                if outcome.unsupported:
                    results.not_run[workload][program.name] = f"unsupported: {outcome.unsupported}"
                elif outcome.error:
                    results.failures.append(f"{program.name} {workload}: {outcome.error}")
                    results.not_run[workload][program.name] = f"failed: {outcome.error.splitlines()[-1]}"
                else:
                    samples.setdefault((workload, program.name), []).append(outcome.figures)
        if progress:
            print(f"  round {round_index + 1} of {rounds} done", flush=True)
    for (workload, name), runs in samples.items():
        if name in results.not_run[workload]:
            continue  # failed in a later round
        results.medians.setdefault(workload, {})[name] = {
            metric: statistics.median(run[metric] for run in runs) for metric in runs[0]}
    results.machine["load_at_end"] = round(os.getloadavg()[0], 2)
    return results


# ---------------------------------------------------------------- reporting

def best_peer(results: Results, workload: str, metric: str) -> float | None:
    values = [figures[metric] for name, figures in results.medians.get(workload, {}).items() if name in PEERS]
    if not values:
        return None
    return min(values) if WORKLOADS[workload].metrics[metric].lower_is_better else max(values)


def cell(results: Results, workload: str, metric: str, name: str) -> str:
    figures = results.medians.get(workload, {}).get(name)
    if figures is None:
        return "-"
    value = figures[metric]
    text = f"{value:,.{WORKLOADS[workload].metrics[metric].digits}f}"
    best = best_peer(results, workload, metric)
    if best and name not in REFERENCES:
        text += f" ({value / best:.2f}x)"
    return text


def table_rows(results: Results, workloads: list[str], names: list[str]) -> list[list[str]]:
    """A header row, then one row per metric of each workload that any of `names` measured."""
    rows = [[""] + [results.labels.get(name, name) for name in names]]
    for workload in workloads:
        for metric, meta in WORKLOADS[workload].metrics.items():
            cells = [cell(results, workload, metric, name) for name in names]
            if any(c != "-" for c in cells):
                rows.append([meta.label] + cells)
    return rows


def text_table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)).rstrip()
            for row in rows]


def markdown_table(rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join(["---"] + ["--:"] * (len(rows[0]) - 1)) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows[1:]]


def provenance(results: Results) -> str:
    m = results.machine
    return (f"Measured by `scripts/bench` on {results.when}: {m['cores']} cores ({m['cpu']}), Linux {m['kernel']}; "
            f"{m['busy_cores_at_start']} cores busy with other work as the run started; medians of {results.rounds} rounds, each run "
            f"a fresh process. In brackets: the ratio to the best of Asio, libuv, Tokio and smol in the same run "
            f"(below 1 is better, but for requests per second).")


def busy_warning(results: Results) -> str:
    busy, cores = float(results.machine["busy_cores_at_start"]), int(results.machine["cores"])
    if busy > BUSY_CORES:
        return (f"warning: other programs kept {busy} of the {cores} cores busy as the run started: they share "
                f"the machine, and these figures are not to be trusted. Run it again on a quiet machine.")
    return ""


def report(results: Results, programs: list[Program], workloads: list[str]) -> None:
    m = results.machine
    print(f"\nThis machine: {m['cores']} cores ({m['cpu']}), Linux {m['kernel']}. As the run started, other work "
          f"kept {m['busy_cores_at_start']} cores busy (load average {m['load_at_start']}; "
          f"{m.get('load_at_end', '?')} at the end, the bench's own load included).")
    warning = busy_warning(results)
    if warning:
        print(warning)
    print(f"Medians of {results.rounds} rounds; in brackets, the ratio to the best peer in this run.\n")
    names = [program.name for program in programs if not program.missing]
    print("\n".join(text_table(table_rows(results, workloads, names))))
    notes: dict[tuple[str, str], list[str]] = {}  # (program, why) -> the workloads
    for workload in workloads:
        for program, why in results.not_run[workload].items():
            if program not in REFERENCES or not why.startswith("unsupported"):
                notes.setdefault((program, why), []).append(workload)
    if notes:
        print("\nNot measured:")
        for (program, why), where in notes.items():
            print(f"  {results.labels.get(program, program)}, {', '.join(where)}: {why}")


# ---------------------------------------------------------------- the book

def load_saved(path: Path = SAVED) -> Results:
    if not path.is_file():
        raise BenchError(f"{os.path.relpath(path, ROOT)} is missing: run scripts/bench --save")
    return Results.from_json(json.loads(path.read_text()))


def book_table(attrs: dict[str, str], where: str, path: Path = SAVED) -> list[str]:
    """The Markdown a ```{.bench workloads="spawn hop" programs="course-04 asio tokio"}``` block stands for."""
    results = load_saved(path)
    workloads = attrs.get("workloads", "").split()
    names = attrs.get("programs", "").split()
    if not workloads or not names:
        raise BenchError(f"{where}: a bench block names its workloads and programs")
    for workload in workloads:
        if workload not in WORKLOADS:
            raise BenchError(f"{where}: no workload {workload!r} (there are: {', '.join(WORKLOADS)})")
        for name in names:
            if name not in results.medians.get(workload, {}) and name not in results.not_run.get(workload, {}):
                raise BenchError(f"{where}: {path.name} has no {name} for {workload}: run scripts/bench --save")
    return markdown_table(table_rows(results, workloads, names)) + ["", f": {provenance(results)}", ""]


# ---------------------------------------------------------------- main

def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    # scripts/bench installs them (scripts/lib/bootstrap.sh) before this runs.
    parser.add_argument("--install", action="store_true", help="install the peers' Debian packages first")
    parser.add_argument("--save", action="store_true", help="keep the results in book/bench.json")
    parser.add_argument("--quick", action="store_true", help="each program once, at a hundredth of the counts")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="how long each GET run lasts")
    parser.add_argument("--only", help="workloads, comma-separated (default: all)")
    parser.add_argument("--chapters", help="the course's chapters to measure, comma-separated (default: 04 on)")
    parser.add_argument("--strict", action="store_true", help="a peer not installed is a failure (the check)")
    parser.add_argument("--build", type=Path, default=ROOT / "build-bench",
                        help="the build directory (default build-bench/, a release build)")
    args = parser.parse_args(argv)
    workloads = args.only.split(",") if args.only else list(WORKLOADS)
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"no workload {', '.join(unknown)} (there are: {', '.join(WORKLOADS)})")
    if args.save and (args.quick or args.only or args.chapters):
        parser.error("the book's tables come from a full run: --save goes without --quick, --only and --chapters")
    rounds, scale, seconds = (1, 0.01, 0.5) if args.quick else (args.rounds, 1.0, args.seconds)
    try:
        programs = programs_for(course_chapters(args.chapters.split(",") if args.chapters else None),
                                args.build.resolve())
        with Nginx() as nginx:
            print(f"Running {len(workloads)} workloads, {rounds} round(s) ...", flush=True)
            results = measure(programs, workloads, rounds, scale, seconds, nginx)
    except BenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    report(results, programs, workloads)
    if args.strict:
        results.failures += [f"{program.name}: {program.missing}" for program in programs if program.missing]
    for failure in results.failures:
        print(f"FAILED: {failure}")
    if args.save:
        if results.failures:
            print("not saved: a program failed", file=sys.stderr)
        elif busy_warning(results):
            print("not saved: the book's figures come from a quiet machine", file=sys.stderr)
        else:
            SAVED.write_text(json.dumps(results.to_json(), indent=1) + "\n")
            print(f"\nSaved to {SAVED.relative_to(ROOT)}: the book's tables come from it (scripts/tutor book).")
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
