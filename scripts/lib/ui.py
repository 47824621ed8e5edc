"""Terminal output for the tutor: colour when it helps, plain text otherwise."""

from __future__ import annotations

import os
import sys
import textwrap
import time

_COLOUR = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None and os.environ.get("TERM") != "dumb"
_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34", "cyan": "36"}


def style(text: str, *names: str) -> str:
    if not _COLOUR or not names:
        return text
    return "".join(f"\033[{_CODES[n]}m" for n in names) + text + "\033[0m"


def heading(text: str) -> None:
    print(style(text, "bold"))


def wrapped(text: str, indent: str = "  ", width: int = 88) -> str:
    return textwrap.fill(" ".join(text.split()), width=width, initial_indent=indent, subsequent_indent=indent)


def indented(text: str, indent: str = "    ") -> str:
    return "\n".join(indent + line for line in text.splitlines())


def diff_lines(lines: list[str]) -> str:
    """A unified diff, coloured: removed lines red, added lines green."""
    out = []
    for line in lines:
        line = line.rstrip("\n")
        if line.startswith(("+++", "---")):
            out.append(style(line, "bold"))
        elif line.startswith("+"):
            out.append(style(line, "green"))
        elif line.startswith("-"):
            out.append(style(line, "red"))
        elif line.startswith("@@"):
            out.append(style(line, "cyan"))
        else:
            out.append(line)
    return "\n".join(out)


class BuildProgress:
    """Shows how far a build has got, as ninja reports each step: on a terminal one line that
    updates in place, elsewhere a line every few seconds. Silent for a build that ends quickly."""

    def __init__(self, what: str, quiet_for: float = 2.0, every: float = 5.0):
        self.what, self.quiet_for, self.every = what, quiet_for, every
        self.started = time.monotonic()
        self.last_shown = 0.0
        self.shown = False

    def __call__(self, done: int, total: int, step: str) -> None:
        now = time.monotonic()
        if now - self.started < self.quiet_for:
            return
        line = f"  building {self.what}: {done}/{total}  {_short(step)}"
        if sys.stdout.isatty():
            print("\r" + line[:100].ljust(100), end="", flush=True)
            self.shown = True
        elif now - self.last_shown >= self.every or done == total:
            print(line, flush=True)
            self.last_shown = now

    def finish(self) -> None:
        if self.shown:
            print("\r" + " " * 100 + "\r", end="", flush=True)


def _short(step: str) -> str:
    """'Compiling C++ object chapters/01-block-on/librt.a.p/waker.cpp.o' -> 'compiling waker.cpp'."""
    words = step.split()
    if words and words[0] in ("Compiling", "Linking"):
        name = words[-1].rsplit("/", 1)[-1].removesuffix(".o")
        return f"{words[0].lower()} {name}"
    return step
