"""Terminal output for the tutor: colour when it helps, plain text otherwise."""

from __future__ import annotations

import os
import sys
import textwrap

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
