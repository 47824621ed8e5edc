"""Comparing one chapter's solution with another's, the one way every script does it.

A chapter snapshot carries lines that are not code: book anchors, exercise
markers, and the `#include "todo.hpp"` that only a stub needs. They differ from
chapter to chapter while the code does not. So every comparison (the book's
"What changed", `scripts/tutor changes`, the drift guard, carrying a fix
forward) looks at the *normalised* file: those lines dropped, and a blank line
that only followed a dropped line dropped with it.

The drift guard: each chapter.toml lists in `changes` the files the chapter
adds, changes or removes. Any other file must be the previous chapter's, line
for line after normalisation; so a fix written in one chapter and not carried
into the next is caught, with the file and the first line that differs.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import course
from course import Chapter

TODO_INCLUDE = re.compile(r'^\s*#include "todo\.hpp"\s*$')


def is_scaffolding(line: str) -> bool:
    """An anchor, an exercise marker or the stub's include: a line that is not the runtime's code."""
    return bool(course.ANCHOR.match(line) or course.BEGIN.match(line) or course.END.match(line)
                or TODO_INCLUDE.match(line))


def normalised(lines: list[str]) -> tuple[list[str], list[int]]:
    """(kept lines, index in `lines` of each kept line): scaffolding dropped, and a blank line
    dropped when the kept line before it is blank too (it only stood next to a dropped line)."""
    kept: list[str] = []
    where: list[int] = []
    for i, line in enumerate(lines):
        if is_scaffolding(line):
            continue
        if not line.strip() and (not kept or not kept[-1].strip()):
            continue
        kept.append(line)
        where.append(i)
    return kept, where


def normalised_text(text: str) -> list[str]:
    """A file's normalised lines, without line ends."""
    return normalised(text.splitlines())[0]


def read_normalised(path: Path) -> list[str]:
    return normalised_text(path.read_text(errors="replace"))


# ---------------------------------------------------------------- one chapter against the previous

@dataclass
class FileChange:
    path: Path  # relative to the chapter folder
    kind: str  # "new", "changed" or "removed"
    diff: list[str] = field(default_factory=list)  # unified diff body (no ---/+++ header), for "changed"

    @property
    def added(self) -> int:
        return sum(1 for ln in self.diff if ln.startswith("+"))

    @property
    def removed(self) -> int:
        return sum(1 for ln in self.diff if ln.startswith("-"))


def file_diff(before: list[str], after: list[str], context: int = 3) -> list[str]:
    return list(difflib.unified_diff(before, after, n=context, lineterm=""))[2:]


def changes(before_dir: Path, after_dir: Path) -> tuple[list[FileChange], int]:
    """What differs from one solution folder to the next, normalised: (changes, unchanged count)."""
    old, new = set(course.source_files(before_dir)), set(course.source_files(after_dir))
    found = [FileChange(rel, "new") for rel in sorted(new - old)]
    unchanged = 0
    for rel in sorted(old & new):
        diff = file_diff(read_normalised(before_dir / rel), read_normalised(after_dir / rel))
        if diff:
            found.append(FileChange(rel, "changed", diff))
        else:
            unchanged += 1
    found += [FileChange(rel, "removed") for rel in sorted(old - new)]
    return found, unchanged


def previous(chapter: Chapter, chapters: list[Chapter]) -> Chapter | None:
    index = [c.dirname for c in chapters].index(chapter.dirname)
    return chapters[index - 1] if index > 0 else None


def first_difference(before: list[str], after: list[str]) -> str:
    for i in range(max(len(before), len(after))):
        a = before[i] if i < len(before) else "(end of file)"
        b = after[i] if i < len(after) else "(end of file)"
        if a != b:
            return f"normalised line {i + 1}: previous chapter has {a.strip()!r}, this one {b.strip()!r}"
    return "no difference"


def drift_problems(chapter: Chapter, chapters: list[Chapter]) -> list[str]:
    """Files that differ from the previous chapter without chapter.toml's `changes` saying so,
    and files `changes` names that do not differ."""
    before = previous(chapter, chapters)
    if before is None:
        return []
    declared = set(chapter.changes)
    where = f"tests/{chapter.dirname}/chapter.toml"
    found, _ = changes(before.solution_dir, chapter.solution_dir)
    problems = []
    for change in found:
        name = str(change.path)
        if name in declared:
            continue
        if change.kind == "changed":
            how = first_difference(read_normalised(before.solution_dir / change.path),
                                   read_normalised(chapter.solution_dir / change.path))
            problems.append(f"solutions/{chapter.dirname}/{name} differs from solutions/{before.dirname}/{name} "
                            f"but {where} does not list it in `changes` ({how}). If the previous chapter was "
                            f"fixed, carry the fix forward: scripts/carry-forward {before.number}")
        else:
            problems.append(f"solutions/{chapter.dirname}/{name} is {change.kind} since {before.dirname}, "
                            f"but {where} does not list it in `changes`")
    differing = {str(c.path) for c in found}
    problems += [f"{where}: `changes` lists {name}, which is the same as in {before.dirname}"
                 for name in sorted(declared - differing)]
    return problems


def carried_regions(chapter: Chapter, chapters: list[Chapter]) -> list[str]:
    """Exercise regions left over from the previous chapter: same file, same exercise id, same
    code. Left in place, the previous chapter's exercise would silently become this one's."""
    before = previous(chapter, chapters)
    if before is None:
        return []
    old = {(str(rel), r.exercise, "".join(course.region_body(lines, r)))
           for rel, lines, r in course.chapter_regions(before.solution_dir)}
    return [f"solutions/{chapter.dirname}/{rel}:{r.start + 1}: the region of {r.exercise} is the one "
            f"{before.dirname} has; remove its markers (and its #include \"todo.hpp\") or write this "
            f"chapter's exercise there"
            for rel, lines, r in course.chapter_regions(chapter.solution_dir)
            if (str(rel), r.exercise, "".join(course.region_body(lines, r))) in old]


# ---------------------------------------------------------------- anchors

def anchors(directory: Path) -> list[tuple[Path, str]]:
    """(file, anchor) of every // ANCHOR: in a chapter folder."""
    found = []
    for rel in course.source_files(directory):
        for line in (directory / rel).read_text(errors="replace").splitlines():
            match = course.ANCHOR.match(line)
            if match and match.group(1) is None:
                found.append((rel, match["name"]))
    return found


def unused_anchors(chapters: list[Chapter], included: set[tuple[str, str]]) -> list[str]:
    """Anchors no book page includes; `included` holds (path from the root, anchor) pairs."""
    return [f"solutions/{c.dirname}/{rel}: anchor {name!r} is included by no book page; remove it"
            for c in chapters for rel, name in anchors(c.solution_dir)
            if (f"solutions/{c.dirname}/{rel}", name) not in included]


# ---------------------------------------------------------------- carrying a change forward

class Conflict(Exception):
    """A three-way merge could not place the change; the message shows where."""


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two edits of base lines [start, end) touch the same place (an insertion has start == end)."""
    (a1, a2), (b1, b2) = a, b
    if a1 == a2 and b1 == b2:
        return a1 == b1
    if a1 == a2:
        return b1 < a1 < b2
    if b1 == b2:
        return a1 < b1 < a2
    return a1 < b2 and b1 < a2


def merge(base: list[str], ours: list[str], theirs: list[str]) -> list[str]:
    """Three-way merge of line lists: the change from `base` to `theirs`, applied to `ours`.
    Raises Conflict where both sides changed the same lines differently."""
    a = difflib.SequenceMatcher(None, base, ours, autojunk=False)
    b = difflib.SequenceMatcher(None, base, theirs, autojunk=False)
    edits_ours = [(i1, i2, ours[j1:j2]) for tag, i1, i2, j1, j2 in a.get_opcodes() if tag != "equal"]
    edits_theirs = [(i1, i2, theirs[j1:j2]) for tag, i1, i2, j1, j2 in b.get_opcodes() if tag != "equal"]
    for i1, i2, new in edits_theirs:
        for k1, k2, mine in edits_ours:
            if _overlap((i1, i2), (k1, k2)) and (k1, k2, mine) != (i1, i2, new):
                context = "".join(f"    {ln}\n" for ln in base[max(0, i1 - 2):i2 + 2])
                raise Conflict(f"both sides changed lines {i1 + 1}-{max(i1 + 1, i2)} of the original:\n{context}")
    edits = {(i1, i2): new for i1, i2, new in edits_ours}
    for i1, i2, new in edits_theirs:
        edits[(i1, i2)] = new  # an identical edit on both sides is applied once
    out, pos = [], 0
    for (i1, i2), new in sorted(edits.items(), key=lambda e: (e[0][0], e[0][1])):
        out += base[pos:i1] + new
        pos = i2
    return out + base[pos:]


def carry(old_text: str, new_text: str, target_text: str) -> str:
    """The edit that took a file from `old_text` to `new_text`, applied to `target_text` (the same
    file in a later chapter). The merge works on normalised lines, so anchors and exercise markers
    on either side never conflict; the target's own scaffolding lines are then put back beside the
    lines they stood next to."""
    target = target_text.splitlines(keepends=True)
    ours, where = normalised(target)
    merged = merge(normalised(old_text.splitlines(keepends=True))[0], ours,
                   normalised(new_text.splitlines(keepends=True))[0])
    # Each dropped target line goes back after the kept line it followed (or first of all).
    follows: dict[int, list[str]] = {}
    k = -1
    kept = set(where)
    for i, line in enumerate(target):
        if i in kept:
            k += 1
        else:
            follows.setdefault(k, []).append(line)
    # Where does each line of `ours` land in `merged`?
    landing: dict[int, int] = {}
    for _, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ours, merged, autojunk=False).get_opcodes():
        for n in range(i1, i2):
            landing[n] = min(j1 + n - i1, j2 - 1)
    after: dict[int, list[str]] = {}
    for k, lines in follows.items():
        after.setdefault(landing.get(k, k) if k >= 0 else -1, []).extend(lines)
    out = after.get(-1, [])
    for j, line in enumerate(merged):
        out.append(line)
        out += after.get(j, [])
    text = "".join(out)
    if target_text.endswith("\n") and not text.endswith("\n"):
        text += "\n"
    return text
