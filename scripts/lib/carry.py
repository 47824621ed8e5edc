"""Carry a change made in one chapter's solution into every later chapter that has the same code.

    carry.py 03               the uncommitted change to solutions/03-*/ (against HEAD)
    carry.py 03 --base REV    the change since REV (a commit, a branch)

For each file of solutions/NN that differs from the base, the edit is merged
into the same file of chapter NN+1, then NN+1's own before-and-after into NN+2,
and so on while the file exists and the edit still changes something. The merge
is three-way on normalised lines (scripts/lib/compare.py), so anchors and
exercise markers never conflict. On a conflict nothing is written and the
report says where; otherwise the files are written and chapters/ regenerated.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import compare
import course
import generate


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=course.ROOT, capture_output=True, text=True)


def changed_files(chapter: course.Chapter, base: str) -> list[Path]:
    """Files of the chapter's solution that differ from `base`, relative to the chapter folder."""
    folder = f"solutions/{chapter.dirname}/"
    proc = git("diff", "--name-only", base, "--", folder)
    if proc.returncode != 0:
        raise course.CourseError(f"git diff {base} failed: {proc.stderr.strip()}")
    return [Path(name[len(folder):]) for name in proc.stdout.split()]


def base_text(chapter: course.Chapter, rel: Path, base: str) -> str | None:
    proc = git("show", f"{base}:solutions/{chapter.dirname}/{rel}")
    return proc.stdout if proc.returncode == 0 else None


def plan(start: course.Chapter, base: str) -> tuple[dict[Path, str], list[str]]:
    """(path -> new text of every later file the change reaches, report lines). Raises compare.Conflict."""
    chapters = course.chapters()
    later = chapters[[c.dirname for c in chapters].index(start.dirname) + 1:]
    writes: dict[Path, str] = {}
    report: list[str] = []
    files = changed_files(start, base)
    if not files:
        report.append(f"solutions/{start.dirname} has no change against {base}: nothing to carry")
    for rel in files:
        old, new_path = base_text(start, rel, base), start.solution_dir / rel
        if old is None or not new_path.is_file():
            report.append(f"solutions/{start.dirname}/{rel}: new or deleted, not carried (add or remove it by hand)")
            continue
        new = new_path.read_text()
        for chapter in later:
            target = chapter.solution_dir / rel
            if compare.normalised_text(old) == compare.normalised_text(new) or not target.is_file():
                break
            current = target.read_text()
            try:
                merged = compare.carry(old, new, current)
            except compare.Conflict as err:
                raise compare.Conflict(f"solutions/{chapter.dirname}/{rel}: {err}") from None
            shown = f"solutions/{chapter.dirname}/{rel}"
            if merged == current:
                report.append(f"{shown}: already has the change")
            else:
                diff = compare.file_diff(current.splitlines(), merged.splitlines(), context=0)
                added = sum(1 for ln in diff if ln.startswith("+"))
                removed = sum(1 for ln in diff if ln.startswith("-"))
                report.append(f"{shown}: carried (+{added} -{removed})")
                writes[target] = merged
            old, new = current, merged
    return writes, report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/carry-forward", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapter", help="the chapter the change was made in (number, slug or folder)")
    parser.add_argument("--base", default="HEAD", help="what the change is measured against (default HEAD)")
    args = parser.parse_args(argv)
    try:
        start = course.find_chapter(args.chapter)
        writes, report = plan(start, args.base)
    except compare.Conflict as err:
        print(f"conflict, nothing written: {err}\nMake the change in that chapter by hand, then run "
              f"scripts/carry-forward from there.", file=sys.stderr)
        return 1
    except course.CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for line in report:
        print(line)
    for path, text in writes.items():
        path.write_text(text)
    touched = sorted({path.relative_to(course.ROOT / "solutions").parts[0] for path in writes})
    for dirname in touched:
        generate.write(course.load_chapter(dirname))
        print(f"generated chapters/{dirname}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
