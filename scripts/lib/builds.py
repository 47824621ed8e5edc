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
from dataclasses import dataclass, field
from pathlib import Path

from course import ROOT, Chapter

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


def learner_config(root: Path = ROOT) -> Config:
    return Config("learner", root / "build", os.environ.get("CXX", "g++"))


def check_configs(root: Path = ROOT) -> list[Config]:
    base = root / "build-check"
    strict = ["-Dwerror=true"]
    return [
        Config("gcc", base / "gcc", "g++", strict),
        Config("clang", base / "clang", "clang++", strict),
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


def configured_compiler(directory: Path) -> str | None:
    """The compiler command a build directory was configured with, if it is configured."""
    if not (directory / "meson-info" / "meson-info.json").is_file():
        return None
    try:
        commands = json.loads((directory / "compile_commands.json").read_text())
        return commands[0]["command"].split()[0]
    except (OSError, ValueError, KeyError, IndexError):
        return "an unknown compiler"


def same_compiler(configured: str, wanted: str) -> bool:
    """Whether a build directory's compiler is the one asked for ('g++' matches '/usr/bin/g++')."""
    def resolve(command: str) -> str:
        path = shutil.which(command)
        return os.path.realpath(path) if path else command
    return resolve(configured) == resolve(wanted)


def configure(config: Config) -> None:
    """Configure the directory unless it already is. Raises BuildError with meson's output."""
    existing = configured_compiler(config.directory)
    if existing is not None:
        if not same_compiler(existing, config.compiler):
            raise BuildError(
                f"{config.directory.name}/ was configured with {existing}, not {config.compiler}.\n"
                f"Delete it and build again: rm -rf {config.directory}")
        return
    if config.directory.exists() and any(config.directory.iterdir()):
        raise BuildError(f"{config.directory} exists but is not a meson build directory; delete it: "
                         f"rm -rf {config.directory}")
    env = dict(os.environ, CXX=config.compiler)
    proc = subprocess.run(["meson", "setup", str(config.directory), *config.options], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        shutil.rmtree(config.directory, ignore_errors=True)  # never leave a half-configured directory
        raise BuildError(f"meson setup {config.directory.name} failed", proc.stdout + proc.stderr)


def target(chapter: Chapter, tree: str, name: str) -> str:
    """The ninja target of a chapter binary: solutions/01-block-on/tests."""
    return f"{tree}/{chapter.dirname}/{name}"


def build(config: Config, targets: list[str]) -> None:
    """Build targets with ninja. Raises BuildError carrying the compiler's output."""
    proc = subprocess.run(["ninja", "-C", str(config.directory), *targets], capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError("build failed", proc.stdout + proc.stderr)


ERROR_LINE = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+): (fatal )?error: ", re.M)


def first_compiler_error(output: str, context_lines: int = 12) -> str:
    """The first error of a compiler's output and the lines that explain it, not the whole wall."""
    match = ERROR_LINE.search(output)
    if not match:
        lines = [ln for ln in output.splitlines() if ln.strip() and not ln.startswith("[")]
        return "\n".join(lines[-context_lines:])
    start = output.rfind("\n", 0, match.start()) + 1
    # Keep the "In file included from" / "In function" lines just before it.
    preceding = output[:start].splitlines()
    lead = []
    for line in reversed(preceding):
        if line.startswith(("In file included", "                 from", "In function", "In member",
                            "In instantiation", "In static member", "In constructor", "In destructor")) \
                or re.match(r"^[^\s:]+: In ", line):
            lead.insert(0, line)
        else:
            break
    rest = output[start:].splitlines()
    shown = [rest[0]]
    for line in rest[1:context_lines]:
        if ERROR_LINE.match(line) or line.startswith(("ninja:", "[")):
            break
        shown.append(line)
    return "\n".join(lead[-4:] + shown)


def binary(config: Config, chapter: Chapter, tree: str, name: str) -> Path:
    return config.directory / tree / chapter.dirname / name
