"""Build the book: book/*.md through pandoc into one HTML page per chapter.

Before pandoc sees a chapter, its Markdown is expanded here:

  ```{.cpp include="solutions/01-block-on/waker.hpp" anchor="waker"}
  ```                        the lines between // ANCHOR: waker and // ANCHOR_END: waker,
                             with exercise regions shown as the learner's stubs;
                             add solution=true to show the reference code instead
  <!-- hints ex3 -->         the exercise's hints, each folded away
  <!-- changes -->           what changed since the previous chapter's solution, as diffs
  ```{.output example="01-block-on"}
  ```                        sample output of a chapter's example (scripts/check compares its shape)

A missing file or anchor, an unknown exercise, or a C++ block of more than
three lines pasted instead of included stops the build with an error.

    book.py [OUT_DIR]        build into OUT_DIR (default build/book)
"""

from __future__ import annotations

import difflib
import html
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import course
from course import Chapter

BOOK = course.ROOT / "book"
INTRO = "00-introduction.md"
FENCE_OPEN = re.compile(r"^```\s*\{(?P<attrs>[^}]*)\}\s*$")
FENCE_ANY = re.compile(r"^```")
HINTS = re.compile(r"^<!-- hints (?P<id>ex\d+) -->\s*$")
CHANGES = re.compile(r"^<!-- changes -->\s*$")
ATTR = re.compile(r'(?P<key>[\w-]+)="(?P<value>[^"]*)"|\.(?P<cls>[\w+-]+)|(?P<flag>[\w-]+)=(?P<bare>\S+)')
PASTE_LIMIT = 3  # longest C++ block that may be written inline


class BookError(Exception):
    pass


def output_dir() -> Path:
    return course.ROOT / "build" / "book"


def page_name(chapter: Chapter | None) -> str:
    return "index.html" if chapter is None else chapter.book.replace(".md", ".html")


def parse_attrs(text: str) -> tuple[list[str], dict[str, str]]:
    classes, attrs = [], {}
    for match in ATTR.finditer(text):
        if match["cls"]:
            classes.append(match["cls"])
        elif match["key"]:
            attrs[match["key"]] = match["value"]
        else:
            attrs[match["flag"]] = match["bare"]
    return classes, attrs


def dedent(lines: list[str]) -> list[str]:
    widths = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(widths, default=0)
    return [line[cut:] if line.strip() else "" for line in lines]


def included_lines(attrs: dict[str, str], where: str) -> list[str]:
    path = course.ROOT / attrs["include"]
    if not path.is_file():
        raise BookError(f"{where}: included file {attrs['include']} does not exist")
    text = path.read_text()
    if attrs.get("solution") != "true" and path.suffix in course.SOURCE_SUFFIXES:
        # The learner's view: the exercise regions become stubs; anchor lines stay for the cut below.
        lines = text.splitlines(keepends=True)
        regions = course.regions(lines, attrs["include"])
        for region in reversed(regions):
            lines[region.start + 1:region.end] = course.stub_lines(region)
        text = "".join(lines)
    if "anchor" in attrs:
        try:
            lines = course.anchor_lines(text, attrs["anchor"], attrs["include"])
        except course.CourseError as err:
            raise BookError(f"{where}: {err}") from None
    else:
        lines = [ln for ln in text.splitlines() if not course.ANCHOR.match(ln)]
    return dedent(lines)


def hints_markdown(chapter: Chapter, exercise_id: str, where: str) -> list[str]:
    try:
        exercise = chapter.exercise(exercise_id)
    except course.CourseError as err:
        raise BookError(f"{where}: {err}") from None
    out = [f"Run its tests with `scripts/tutor run {chapter.number}/{exercise.id}`.", ""]
    for i, hint in enumerate(exercise.hints, start=1):
        out += [f'<details class="hint"><summary>Hint {i} of {len(exercise.hints)}</summary>', "",
                hint.strip(), "", "</details>", ""]
    return out


def changes_markdown(chapter: Chapter, chapters: list[Chapter]) -> list[str]:
    """What changed since the previous chapter's solution, generated so it cannot drift."""
    index = chapters.index(chapter)
    if index == 0:
        return ["This is the first chapter: every file is new."]
    before, after = chapters[index - 1].solution_dir, chapter.solution_dir
    old = {p for p in course.source_files(before)}
    new = {p for p in course.source_files(after)}
    out = [f"Between `solutions/{chapters[index - 1].dirname}` and `solutions/{chapter.dirname}`:", ""]
    for rel in sorted(new - old):
        out.append(f"- new: `{rel}`")
    for rel in sorted(old - new):
        out.append(f"- removed: `{rel}`")
    diffs = []
    for rel in sorted(old & new):
        a = course.solved_copy((before / rel).read_text()).splitlines(keepends=True)
        b = course.solved_copy((after / rel).read_text()).splitlines(keepends=True)
        lines = list(difflib.unified_diff(a, b, f"{chapters[index - 1].dirname}/{rel}", f"{chapter.dirname}/{rel}"))
        if lines:
            added = sum(1 for ln in lines if ln.startswith("+") and not ln.startswith("+++"))
            removed = sum(1 for ln in lines if ln.startswith("-") and not ln.startswith("---"))
            out.append(f"- changed: `{rel}` (+{added} -{removed})")
            diffs.append((rel, lines))
    out.append("")
    for rel, lines in diffs:
        out += [f'<details class="diff"><summary>{html.escape(str(rel))}</summary>', "", "```diff"]
        out += [ln.rstrip("\n") for ln in lines]
        out += ["```", "", "</details>", ""]
    for rel in sorted(new - old):
        out += [f'<details class="diff"><summary>{html.escape(str(rel))} (new)</summary>', "", "```" +
                ("cpp" if rel.suffix in course.SOURCE_SUFFIXES else ""), ]
        out += course.solved_copy((after / rel).read_text()).splitlines()
        out += ["```", "", "</details>", ""]
    return out


def expand(text: str, where: str, chapter: Chapter | None, chapters: list[Chapter]) -> str:
    """The chapter's Markdown with includes, hints and changes filled in."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        here = f"{where}:{i + 1}"
        fence = FENCE_OPEN.match(line)
        if fence:
            classes, attrs = parse_attrs(fence["attrs"])
            end = next((j for j in range(i + 1, len(lines)) if FENCE_ANY.match(lines[j])), None)
            if end is None:
                raise BookError(f"{here}: code block never closed")
            body = lines[i + 1:end]
            if "include" in attrs:
                if any(b.strip() for b in body):
                    raise BookError(f"{here}: an include block must be empty")
                lang = classes[0] if classes else "cpp"
                out += [f"```{lang}"] + included_lines(attrs, here) + ["```"]
            elif "example" in attrs:
                out += ['```{.output}'] + body + ["```"]
            else:
                check_pasted(classes, body, here)
                out += lines[i:end + 1]
            i = end + 1
            continue
        if FENCE_ANY.match(line):
            lang = line[3:].strip()
            end = next((j for j in range(i + 1, len(lines)) if FENCE_ANY.match(lines[j])), None)
            if end is None:
                raise BookError(f"{here}: code block never closed")
            check_pasted([lang], lines[i + 1:end], here)
            out += lines[i:end + 1]
            i = end + 1
            continue
        hints = HINTS.match(line)
        if hints:
            if chapter is None:
                raise BookError(f"{here}: hints outside a chapter")
            out += hints_markdown(chapter, hints["id"], here)
        elif CHANGES.match(line):
            if chapter is None:
                raise BookError(f"{here}: changes outside a chapter")
            out += changes_markdown(chapter, chapters)
        else:
            out.append(line)
        i += 1
    return "\n".join(out) + "\n"


def check_pasted(classes: list[str], body: list[str], where: str) -> None:
    if any(c in ("cpp", "c++", "hpp") for c in classes) and len([b for b in body if b.strip()]) > PASTE_LIMIT:
        raise BookError(f"{where}: a C++ block of more than {PASTE_LIMIT} lines is pasted; include it from "
                        f"the solution by anchor instead")


def output_blocks(text: str) -> list[tuple[str, list[str], list[str]]]:
    """(chapter folder, arguments, lines) of every ```{.output example=...} block of a chapter."""
    found = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        fence = FENCE_OPEN.match(line)
        if fence:
            _, attrs = parse_attrs(fence["attrs"])
            if "example" in attrs:
                end = next(j for j in range(i + 1, len(lines)) if FENCE_ANY.match(lines[j]))
                found.append((attrs["example"], shlex.split(attrs.get("args", "")), lines[i + 1:end]))
    return found


def pages(chapters: list[Chapter]) -> list[tuple[Path, Chapter | None, str]]:
    """(markdown file, chapter or None, output page) in reading order, the front page first."""
    out = [(BOOK / INTRO, None, "introduction.html")]
    out += [(c.book_file, c, page_name(c)) for c in chapters]
    return out


def render_diagrams(out: Path) -> None:
    diagrams = BOOK / "diagrams"
    if not diagrams.is_dir():
        return
    (out / "diagrams").mkdir(exist_ok=True)
    for source in sorted(diagrams.glob("*.dot")):
        target = out / "diagrams" / (source.stem + ".svg")
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        proc = subprocess.run(["dot", "-Tsvg", str(source), "-o", str(target)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise BookError(f"book/diagrams/{source.name}: {proc.stderr.strip()}")


def pandoc(markdown: str, target: Path, title: str, variables: dict[str, str]) -> None:
    cmd = ["pandoc", "--from", "markdown", "--to", "html5", "--standalone",
           "--template", str(BOOK / "template.html"), "--toc", "--toc-depth=2",
           "--highlight-style=tango", "--metadata", f"title={title}", "--output", str(target)]
    for key, value in variables.items():
        cmd += ["--variable", f"{key}={value}"]
    proc = subprocess.run(cmd, input=markdown, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BookError(f"pandoc failed for {target.name}: {proc.stderr.strip()}")


def front_page(chapters: list[Chapter]) -> str:
    lines = ["Learn how an async runtime works by building one in C++20, a chapter at a time:",
             "futures polled by an executor, wakers, timers, a task queue and an epoll reactor.", "",
             "- [Introduction: why async, and how to use this repository](introduction.html)"]
    for c in chapters:
        lines.append(f"- [{c.number}. {c.title}]({page_name(c)}): {c.summary}")
    return "\n".join(lines) + "\n"


def build(out: Path | None = None, quiet: bool = False) -> Path:
    """Build every page into `out`; returns `out`. Raises BookError."""
    out = out or output_dir()
    out.mkdir(parents=True, exist_ok=True)
    chapters = course.chapters()
    order = pages(chapters)
    for i, (source, chapter, name) in enumerate(order):
        if not source.is_file():
            raise BookError(f"book/{source.name} is missing")
        where = f"book/{source.name}"
        text = source.read_text()
        title_match = re.match(r"^# (.+)$", text, re.M)
        if not title_match:
            raise BookError(f"{where}: the first heading (# Title) is missing")
        body = text[:title_match.start()] + text[title_match.end():]
        markdown = expand(body, where, chapter, chapters)
        variables = {"index": "index.html"}
        if i > 0:
            variables["prev"], variables["prevtitle"] = order[i - 1][2], title_of(order[i - 1])
        if i + 1 < len(order):
            variables["next"], variables["nexttitle"] = order[i + 1][2], title_of(order[i + 1])
        pandoc(markdown, out / name, title_match[1], variables)
        if chapter is not None:
            page = (out / name).read_text()
            for ex in chapter.exercises:
                if f'id="{ex.section}"' not in page:
                    raise BookError(f"{where}: no section with id {ex.section!r}, which tests/{chapter.dirname}/"
                                    f"chapter.toml names for {ex.id}")
    pandoc(front_page(chapters), out / "index.html", "Build an async runtime in C++",
           {"index": "index.html", "next": order[0][2], "nexttitle": title_of(order[0]), "front": "true"})
    shutil.copy(BOOK / "style.css", out / "style.css")
    render_diagrams(out)
    if not quiet:
        print(f"built {len(order) + 1} pages in {out}")
    return out


def title_of(entry: tuple[Path, Chapter | None, str]) -> str:
    source, chapter, _ = entry
    if chapter is not None:
        return f"{chapter.number}. {chapter.title}"
    match = re.search(r"^# (.+)$", source.read_text(), re.M)
    return match[1] if match else source.stem


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else output_dir()
    try:
        build(out)
    except (BookError, course.CourseError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
