"""The fixture course: fixture/ (two tiny chapters) plus the real scripts/, in a temporary folder.

Building is what costs time, so the course is built once per test run and every
test gets a fresh copy of that built course (built_course). The copy is made at
the same path each time, because meson's build directory holds absolute paths,
and with the files' times kept, so that ninja finds nothing to rebuild.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import course

SCRIPTS = Path(__file__).resolve().parents[2]  # the real scripts/
FIXTURE = Path(__file__).resolve().parent / "fixture"


@dataclass
class Result:
    code: int
    output: str  # stdout and stderr together: what the learner sees


class Course:
    def __init__(self, root: Path):
        self.root = root

    def env(self, extra: dict[str, str] | None) -> dict[str, str]:
        """The learner's environment: no colour, g++ unless the test asks for another compiler."""
        env = {k: v for k, v in os.environ.items() if k not in ("CXX", "TUTOR_TEST_TIMEOUT", "CLICOLOR_FORCE")}
        env["NO_COLOR"] = "1"
        env.update(extra or {})
        return env

    def command(self, args: tuple[str, ...]) -> list[str]:
        return [sys.executable, str(self.root / "scripts" / "lib" / "tutor.py"), *args]

    def tutor(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Result:
        """Run scripts/lib/tutor.py ARGS in the course, as the learner would."""
        proc = subprocess.run(self.command(args), cwd=self.root, env=self.env(env), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)
        return Result(proc.returncode, proc.stdout)

    def start_tutor(self, *args: str) -> "RunningTutor":
        return RunningTutor(subprocess.Popen(self.command(args), cwd=self.root, env=self.env(None),
                                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))

    def chapter(self, dirname: str) -> course.Chapter:
        return course.load_chapter(dirname, self.root)

    def region_line(self, dirname: str, exercise: str) -> str:
        """file:line of the exercise's first BEGIN marker in the learner's chapter, as the tutor shows it."""
        chapter = self.chapter(dirname)
        for rel, _, region in course.chapter_regions(chapter.chapter_dir):
            if region.exercise == exercise:
                return f"chapters/{dirname}/{rel}:{region.start + 1}"
        raise AssertionError(f"no region of {exercise} in chapters/{dirname}")

    def write_exercise(self, dirname: str, exercise: str, body: str | None = None) -> None:
        """Write an exercise in the learner's chapter, as the learner would: the reference's code, or `body`."""
        chapter = self.chapter(dirname)
        reference = course.exercise_regions(chapter.solution_dir, exercise)
        for rel in sorted({rel for rel, _, _ in reference}):
            path = chapter.chapter_dir / rel
            lines = path.read_text().splitlines(keepends=True)
            regions = [r for r in course.regions(lines) if r.exercise == exercise]
            bodies = [ref for r, _, ref in reference if r == rel]
            for region, ref in reversed(list(zip(regions, bodies))):
                lines[region.start + 1:region.end] = ref if body is None else [f"{region.indent}{body}\n"]
            path.write_text("".join(lines))

    def files(self, directory: Path) -> dict[Path, str]:
        return {rel: (directory / rel).read_text() for rel in course.source_files(directory)}


class RunningTutor:
    """A tutor running in the background (watch), whose output can be waited for line by line."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str, timeout: float) -> bool:
        """Read output until a line holds `text`; False if the output ends or the time runs out first."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                return False
            self.output += line
            if text in line:
                return True
        return False

    def finish(self, timeout: float) -> int | None:
        """Wait for the tutor to end and read the rest of its output; None (and stop it) if it does not end."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        try:
            while (line := self.lines.get(timeout=5)) is not None:
                self.output += line
        except queue.Empty:
            pass
        self.proc.stdout.close()
        return code


def make_course(root: Path) -> Course:
    """Lay out the fixture course at `root` with the real scripts, and generate chapters/."""
    shutil.copytree(FIXTURE, root)
    shutil.copytree(SCRIPTS, root / "scripts", ignore=shutil.ignore_patterns("tests", "__pycache__"))
    subprocess.run([sys.executable, str(root / "scripts" / "lib" / "generate.py")], cwd=root, check=True,
                   stdout=subprocess.DEVNULL)
    return Course(root)


_workspace: tempfile.TemporaryDirectory | None = None


def workspace() -> Path:
    """A temporary folder for this test run, deleted when it ends."""
    global _workspace
    if _workspace is None:
        _workspace = tempfile.TemporaryDirectory(prefix="tutor-tests-")
    return Path(_workspace.name)


def built_course() -> Course:
    """A fresh copy of the fixture course, with build/ configured and every chapter built."""
    root, snapshot = workspace() / "course", workspace() / "built"
    if root.exists():
        shutil.rmtree(root)
    if not snapshot.exists():
        result = make_course(root).tutor("progress", timeout=600)  # configures build/ and builds every chapter
        if result.code != 0:
            raise RuntimeError(f"the fixture course does not build:\n{result.output}")
        shutil.rmtree(root / ".tutor")
        shutil.copytree(root, snapshot, symlinks=True)  # copy2 keeps the times ninja compares
    else:
        shutil.copytree(snapshot, root, symlinks=True)
    return Course(root)


def new_course(name: str) -> Course:
    """A fresh copy of the fixture course that has never been configured or built."""
    root = workspace() / name
    if root.exists():
        shutil.rmtree(root)
    return make_course(root)
