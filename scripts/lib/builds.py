"""Build directories: configuring them with meson and building targets with ninja.

The learner's build lives in build/ (g++, or $CXX). scripts/check uses one
directory per configuration under build-check/, because meson 1.0 does not
apply a changed sanitizer option to an existing directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from course import ROOT, Chapter, Exercise

SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:halt_on_error=1",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    "TSAN_OPTIONS": "halt_on_error=1:second_deadlock_stack=1",
}


@dataclass
class Config:
    name: str
    directory: Path
    compiler: str  # the C++ compiler command
    options: list[str] = field(default_factory=list)
    # A sanitizer build is slower: its tests get more time.
    slow: bool = False
    source: Path = ROOT  # the source tree meson configures (scripts/check's mutants use a scratch copy)


def learner_config(root: Path = ROOT) -> Config:
    """build/, with $CXX. Without $CXX, the compiler build/ already has (g++ for a new one):
    a learner who configured with CXX=clang++ once need not repeat it on every command."""
    directory = root / "build"
    compiler = os.environ.get("CXX") or configured_compiler(directory) or "g++"
    return Config("learner", directory, compiler)


# The learner's sanitizer builds (scripts/tutor run --sanitize), with g++ so that they need no package
# beyond the learner's: AddressSanitizer + UndefinedBehaviorSanitizer (leaks count), and
# ThreadSanitizer for the chapters where threads share data.
SANITIZERS = {"address": ["-Db_sanitize=address,undefined"], "thread": ["-Db_sanitize=thread"]}


def sanitizer_config(kind: str, directory: Path, source: Path = ROOT) -> Config:
    return Config(f"learner-{kind}", directory, "g++", SANITIZERS[kind], slow=True, source=source)


def check_configs(root: Path = ROOT) -> list[Config]:
    base = root / "build-check"
    strict = ["-Dwerror=true"]
    # Without debug information: a third less compile time, and nobody debugs these builds; the
    # sanitizer builds keep it, so that a report names file and line.
    fast = strict + ["-Ddebug=false"]
    return [
        Config("gcc", base / "gcc", "g++", fast),
        Config("clang", base / "clang", "clang++", fast),
        Config("asan-ubsan", base / "asan-ubsan", "clang++",
               strict + ["-Db_sanitize=address,undefined", "-Db_lundef=false",
                         "-Dcpp_args=-fno-sanitize-recover=all -fno-omit-frame-pointer"], slow=True),
        Config("tsan", base / "tsan", "clang++", strict + ["-Db_sanitize=thread", "-Db_lundef=false"], slow=True),
    ]


class BuildError(Exception):
    """Configuring or building failed; .output holds what the tools printed."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


class CompilerMismatch(BuildError):
    """The build directory was configured with another compiler than the one asked for."""

    def __init__(self, directory: Path, configured: str, wanted: str):
        super().__init__(f"{directory.name}/ was configured with {configured}, not {wanted}: "
                         f"delete it (rm -rf {directory}) and build again")
        self.directory, self.configured, self.wanted = directory, configured, wanted


def is_configured(directory: Path) -> bool:
    return (directory / "meson-info" / "meson-info.json").is_file()


def configured_compiler(directory: Path) -> str | None:
    """The C++ compiler command a configured build directory uses; None if it is not configured
    (or meson's record of it cannot be read)."""
    try:
        targets = json.loads((directory / "meson-info" / "intro-targets.json").read_text())
        for target_info in targets:
            for source in target_info.get("target_sources", []):
                if source.get("language") == "cpp" and source.get("compiler"):
                    return " ".join(source["compiler"])
    except (OSError, ValueError, AttributeError):
        pass
    return None


def _resolved(command: str) -> str:
    """The real file a compiler command runs: 'ccache g++' and '/usr/bin/g++' both give g++'s binary."""
    words = [w for w in command.split() if os.path.basename(w) not in ("ccache", "sccache")]
    program = words[-1] if words else command
    path = shutil.which(program)
    return os.path.realpath(path) if path else program


def same_compiler(configured: str, wanted: str) -> bool:
    """Whether a build directory's compiler is the one asked for ('g++' matches '/usr/bin/g++')."""
    return _resolved(configured) == _resolved(wanted)


def configure(config: Config) -> None:
    """Configure the directory unless it already is. Raises BuildError with meson's output, or
    CompilerMismatch when the directory holds another compiler's build (meson cannot switch it)."""
    if is_configured(config.directory):
        existing = configured_compiler(config.directory)
        if existing is not None and not same_compiler(existing, config.compiler):
            raise CompilerMismatch(config.directory, existing, config.compiler)
        return
    if config.directory.exists() and any(config.directory.iterdir()):
        raise BuildError(f"{config.directory} exists but is not a meson build directory; delete it: "
                         f"rm -rf {config.directory}")
    env = dict(os.environ, CXX=config.compiler)
    proc = subprocess.run(["meson", "setup", str(config.directory), *config.options], cwd=config.source, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        shutil.rmtree(config.directory, ignore_errors=True)  # never leave a half-configured directory
        raise BuildError(f"meson setup {config.directory.name} failed", proc.stdout + proc.stderr)


def target(chapter: Chapter, tree: str, name: str) -> str:
    """The ninja target of a chapter binary: solutions/01-block-on/tests."""
    return f"{tree}/{chapter.dirname}/{name}"


NINJA_STEP = re.compile(r"^\[(?P<done>\d+)/(?P<total>\d+)\] (?P<what>.*)$")


def build(config: Config, targets: list[str], progress: Callable[[int, int, str], None] | None = None) -> None:
    """Build targets with ninja. Raises BuildError carrying the compiler's output. `progress`, if
    given, hears each step ninja starts: (steps done, steps in all, what it builds)."""
    proc = subprocess.Popen(["ninja", "-C", str(config.directory), *targets], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    lines = []
    for line in proc.stdout:
        lines.append(line)
        step = NINJA_STEP.match(line.rstrip("\n"))
        if step and progress is not None:
            progress(int(step["done"]), int(step["total"]), step["what"])
    proc.wait()
    if proc.returncode != 0:
        output = tidy_output("".join(lines), config.directory)
        build_log(config).write_text(output)  # the whole of it, for a learner who wants more than the first error
        raise BuildError("build failed", output)


def build_log(config: Config) -> Path:
    """Where the last failed build's whole output is kept."""
    return config.directory / "last-build-errors.txt"


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def tidy_output(output: str, directory: Path) -> str:
    """Build output as the learner reads it: no colour codes (ninja passes them through when
    CLICOLOR_FORCE is set), and paths from the repository's root: the compiler names
    ../chapters/x.cpp and the linker /repo/build/../chapters/x.cpp where the learner's editor
    knows chapters/x.cpp."""
    output = ANSI_ESCAPE.sub("", output)
    up = os.path.relpath(ROOT, directory) + "/"  # ../ from build/, ../../ from build-check/gcc/
    for prefix in (f"{directory}/{up}", up):
        # Only where a path starts: never inside a quoted #include "../x.hpp" of a source excerpt.
        output = re.sub(r"(?<![^\s(])" + re.escape(prefix), "", output)
    return output


ERROR_LINE = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+): (fatal )?error: ")
# Lines that lead up to an error: the include chain, the function or template it is in.
LEAD_LINE = re.compile(r"^(In file included from |\s+from |[^\s:]+: In |[^\s:]+:\d+:\d+:\s+required )")
# Lines that begin something else: another file's errors, ninja's progress and failure lines.
OTHER_LINE = re.compile(r"^(FAILED: |ninja: |\[\d+/\d+\] |In file included from |[^\s:]+: In |\d+ errors? generated)")
NOTE_LINE = re.compile(r"^[^\s:]+:\d+:\d+: note: ")
LINKER_ERROR = re.compile(r"undefined reference to|multiple definition of|cannot find -l")


def first_compiler_error(output: str, context_lines: int = 12) -> str:
    """The first error of a build's output and the lines that explain it, not the whole wall.
    Builds run in parallel, so the output may hold several files' errors: only the first is kept."""
    lines = output.splitlines()
    first = next((i for i, line in enumerate(lines) if ERROR_LINE.match(line)), None)
    if first is None:
        return _other_error(lines, context_lines)
    lead = []
    for line in reversed(lines[:first]):
        if not LEAD_LINE.match(line):
            break
        lead.insert(0, line)
    shown = [lines[first]]
    for line in lines[first + 1:]:
        if ERROR_LINE.match(line) or OTHER_LINE.match(line):
            break
        # The error's notes may come after a long excerpt; keep every note line (one of them is often
        # the comment that explains the error), other lines up to the limit.
        if len(shown) < context_lines or NOTE_LINE.match(line):
            shown.append(line)
    return "\n".join(lead[-4:] + shown)


def _other_error(lines: list[str], context_lines: int) -> str:
    """A failure with no compiler error: the linker's first complaint, or the last lines of the output."""
    for line in lines:
        if LINKER_ERROR.search(line):
            return (line.replace("/usr/bin/ld: ", "") + "\n(a linker error: something is declared and used but "
                    "never defined, or defined twice)")
    shown, after_failed = [], False
    for line in lines:
        if line.startswith("FAILED: "):
            after_failed = True  # the next line is the failed command: long, and no help
            continue
        if not after_failed and line.strip() and not OTHER_LINE.match(line):
            shown.append(line)
        after_failed = False
    return "\n".join(shown[-context_lines:])


def binary(config: Config, chapter: Chapter, tree: str, name: str) -> Path:
    return config.directory / tree / chapter.dirname / name


def exercise_binary(config: Config, exercise: Exercise) -> Path:
    """The test binary of one exercise of the learner's chapter (the top-level meson.build makes it)."""
    return config.directory / f"tests-{exercise.chapter.dirname}-{exercise.id}"
