"""Build the book: book/*.md through pandoc into one HTML page per chapter.

Before pandoc sees a chapter, its Markdown is expanded here:

  ```{.cpp include="solutions/01-block-on/waker.hpp" anchor="waker"}
  ```                        the lines between // ANCHOR: waker and // ANCHOR_END: waker,
                             with exercise regions shown as the learner's stubs;
                             add solution=true to show the reference code instead
  <!-- hints ex3 -->         the exercise's hints, each folded away
  <!-- chapter-table -->     the table of chapters, from chapter.toml (you_build, example_shows)
  <!-- changes -->           what changed since the previous chapter's solution, as diffs
                             (a chapter without it gets the section appended at its end)
  ```{.output example="01-block-on"}
  ```                        sample output of a chapter's example (scripts/check compares its shape)
  ```{.bench workloads="spawn hop" programs="course-04 asio tokio"}
  ```                        a table of the side-by-side bench's figures, from book/bench.json (what
                             `scripts/bench --save` measured), with the date and the machine

A missing file or anchor, an empty snippet, an unknown exercise, or a C++ block
of more than three lines pasted instead of included stops the build with an error.

The site: index.html lists the chapters with what each builds (their summaries
from chapter.toml); introduction.html and one page per chapter follow, each with
a sidebar (the chapters, and this page's sections), previous/next links, and
styles from book/style.css. Graphviz sources book/diagrams/*.dot become
diagrams/*.svg; the runs book/timelines.toml lists, kept as book/timelines/*.json,
become timelines/*.svg (scripts/lib/book_timelines.py); other images under
book/ are copied as they are. Nothing is downloaded and no page runs JavaScript.

    book.py [OUT_DIR]        build into OUT_DIR (default build/book)
"""

from __future__ import annotations

import html
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import bench
import book_timelines
import compare
import course
from course import Chapter

BOOK = course.ROOT / "book"
INTRO = "00-introduction.md"
BOOK_TITLE = "Build an async runtime in C++"
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
BRACED = re.compile(r"^\{(?P<attrs>[^}]*)\}$")
HINTS = re.compile(r"^<!-- hints (?P<id>ex\d+) -->\s*$")
CHANGES = re.compile(r"^<!-- changes -->\s*$")
CHAPTER_TABLE = re.compile(r"^<!-- chapter-table -->\s*$")
TITLE = re.compile(r"# (.+?)\s*$")
HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*#*\s*$")
ATTR = re.compile(r'(?P<key>[\w-]+)="(?P<value>[^"]*)"|\.(?P<cls>[\w+-]+)|(?P<flag>[\w-]+)=(?P<bare>\S+)')
PASTE_LIMIT = 3  # longest C++ block that may be written inline
CPP_CLASSES = ("cpp", "c++", "hpp")
CHANGES_HEADING = "What changed since the previous chapter"
IMAGE_SUFFIXES = {".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp"}
# Every page carries this, so that a rebuild can delete the pages of a renamed chapter (and nothing else).
GENERATOR = '<meta name="generator" content="rt-tutorial scripts/lib/book.py">'


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


# ---------------------------------------------------------------- fenced code blocks

def fence_end(lines: list[str], start: int) -> int | None:
    """Index of the line closing the fence opened at lines[start], or None."""
    opening = FENCE.match(lines[start])["fence"]
    closing = re.compile(rf"^{re.escape(opening[0])}{{{len(opening)},}}\s*$")
    return next((j for j in range(start + 1, len(lines)) if closing.match(lines[j])), None)


def fence_info(line: str) -> tuple[list[str], dict[str, str], bool]:
    """(classes, attributes, braced) of an opening fence: ```cpp or ```{.cpp key="value"}."""
    info = FENCE.match(line)["info"]
    braced = BRACED.match(info)
    if braced:
        classes, attrs = parse_attrs(braced["attrs"])
        return classes, attrs, True
    return info.split()[:1], {}, False


def code_fence(lines: list[str]) -> str:
    """A backtick fence longer than any that starts a line of `lines`."""
    longest = max((len(m[0]) for m in (re.match(r"`+", ln) for ln in lines) if m), default=0)
    return "`" * max(3, longest + 1)


def code_block(lines: list[str], classes: list[str], attrs: dict[str, str] | None = None) -> list[str]:
    fence = code_fence(lines)
    parts = [f".{c}" for c in classes] + [f'{k}="{v}"' for k, v in (attrs or {}).items()]
    return [fence + ("{" + " ".join(parts) + "}" if parts else ""), *lines, fence]


# ---------------------------------------------------------------- directives

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
    if not any(ln.strip() for ln in lines):
        raise BookError(f"{where}: the snippet from {attrs['include']} is empty")
    return dedent(lines)


def shown_path(attrs: dict[str, str]) -> str:
    """The file a snippet comes from, as the reader finds it: the learner's copy unless it shows the solution."""
    path = attrs["include"]
    if attrs.get("solution") != "true" and path.startswith("solutions/"):
        return "chapters/" + path[len("solutions/"):]
    return path


def hints_markdown(chapter: Chapter, exercise_id: str, where: str) -> list[str]:
    try:
        exercise = chapter.exercise(exercise_id)
    except course.CourseError as err:
        raise BookError(f"{where}: {err}") from None
    out = ["::: {.hints}", f"Run its tests with `scripts/tutor run {chapter.number}/{exercise.id}`.", ""]
    for i, hint in enumerate(exercise.hints, start=1):
        # A hint is plain text, as scripts/tutor prints it, and often C++ ("std::get_if<First>(&state_)"):
        # as Markdown, <First> would vanish as an HTML tag and [&](...) become a link. So: raw HTML, escaped.
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", hint.strip()) if p.strip()]
        out += ["```{=html}", f'<details class="hint"><summary>Hint {i} of {len(exercise.hints)}</summary>']
        out += [f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs]
        out += ["</details>", "```", ""]
    return out + [":::", ""]


def changes_markdown(chapter: Chapter, chapters: list[Chapter]) -> list[str]:
    """What changed since the previous chapter's solution, generated so it cannot drift. Files are
    compared normalised (compare.py): a file whose only differences are anchors or exercise markers
    is unchanged, as `scripts/tutor changes` shows it."""
    before = compare.previous(chapter, chapters)
    after = chapter.solution_dir
    if before is None:
        names = ", ".join(f"`{rel}`" for rel in course.source_files(after))
        return [f"This is the first chapter: every file of `solutions/{chapter.dirname}/` is new: {names}.", ""]
    found, unchanged = compare.changes(before.solution_dir, after)
    if not found:
        return ["The solution is the same as the previous chapter's.", ""]
    counts = {kind: sum(1 for c in found if c.kind == kind) for kind in ("new", "changed", "removed")}
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n or kind != "removed")
    out = [f"From `solutions/{before.dirname}/` to `solutions/{chapter.dirname}/`: {summary}, {unchanged} "
           f"unchanged (anchors and exercise markers aside). Each file below unfolds; the code is the "
           f"reference solution. In a terminal: `scripts/tutor changes {chapter.number}`.", "",
           "::: {.changes}"]
    for change in found:
        name = html.escape(str(change.path))
        if change.kind == "removed":
            out += [f'<p class="file-note"><code>{name}</code> <span class="tag removed">removed</span></p>', ""]
            continue
        if change.kind == "new":
            lines = compare.read_normalised(after / change.path)
            stat = f'<span class="add">+{len(lines)}</span>'
            block = code_block(lines, ["cpp"] if change.path.suffix in course.SOURCE_SUFFIXES else [])
        else:
            stat = f'<span class="add">+{change.added}</span> <span class="del">-{change.removed}</span>'
            block = code_block(change.diff, ["diff"])
        summary_html = (f'<code>{name}</code> <span class="tag {change.kind}">{change.kind}</span> '
                        f'<span class="stat">{stat}</span>')
        out += [f'<details class="diff"><summary>{summary_html}</summary>', "", *block, "", "</details>", ""]
    return out + [":::", ""]


def expand(text: str, where: str, chapter: Chapter | None, chapters: list[Chapter]) -> str:
    """The chapter's Markdown with includes, hints and changes filled in."""
    lines = text.splitlines()
    out: list[str] = []
    heading = ""  # the text of the last heading seen
    saw_changes = False
    i = 0
    while i < len(lines):
        line = lines[i]
        here = f"{where}:{i + 1}"
        if FENCE.match(line):
            end = fence_end(lines, i)
            if end is None:
                raise BookError(f"{here}: code block never closed")
            classes, attrs, braced = fence_info(line)
            body = lines[i + 1:end]
            if braced and "include" in attrs:
                if any(b.strip() for b in body):
                    raise BookError(f"{here}: an include block must be empty")
                lang = classes or ["cpp"]
                out += code_block(included_lines(attrs, here), lang, {"file": shown_path(attrs)})
            elif braced and "example" in attrs:
                out += code_block(body, ["output"])
            elif braced and "bench" in classes:
                if any(b.strip() for b in body):
                    raise BookError(f"{here}: a bench block must be empty")
                try:
                    out += bench.book_table(attrs, here)
                except bench.BenchError as err:
                    raise BookError(str(err)) from None
            else:
                check_pasted(classes, body, here)
                out += lines[i:end + 1]
            i = end + 1
            continue
        title = HEADING.match(line)
        if title:
            heading = title["text"]
        hints = HINTS.match(line)
        if hints:
            if chapter is None:
                raise BookError(f"{here}: hints outside a chapter")
            out += hints_markdown(chapter, hints["id"], here)
        elif CHAPTER_TABLE.match(line):
            out += course.chapter_table(chapters, "{stem}.html", shows=True)
        elif CHANGES.match(line):
            if chapter is None:
                raise BookError(f"{here}: changes outside a chapter")
            if "chang" not in heading.lower():
                out += ["", f"## {CHANGES_HEADING}", ""]
            out += changes_markdown(chapter, chapters)
            saw_changes = True
        else:
            out.append(line)
        i += 1
    if chapter is not None and not saw_changes:
        out += ["", f"## {CHANGES_HEADING}", ""] + changes_markdown(chapter, chapters)
    return "\n".join(out) + "\n"


def check_pasted(classes: list[str], body: list[str], where: str) -> None:
    if any(c in CPP_CLASSES for c in classes) and len([b for b in body if b.strip()]) > PASTE_LIMIT:
        raise BookError(f"{where}: a C++ block of more than {PASTE_LIMIT} lines is pasted; include it from "
                        f"the solution by anchor instead")


def included_anchors() -> set[tuple[str, str]]:
    """(file, anchor) of every snippet a book page includes by anchor."""
    found = set()
    for page in sorted(BOOK.glob("*.md")):
        lines = page.read_text().splitlines()
        for line in lines:
            if FENCE.match(line):
                _, attrs, braced = fence_info(line)
                if braced and "include" in attrs and "anchor" in attrs:
                    found.add((attrs["include"], attrs["anchor"]))
    return found


def output_blocks(text: str) -> list[tuple[str, list[str], list[str]]]:
    """(chapter folder, arguments, lines) of every ```{.output example=...} block of a chapter."""
    found = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not FENCE.match(lines[i]):
            i += 1
            continue
        end = fence_end(lines, i)
        if end is None:
            break
        _, attrs, braced = fence_info(lines[i])
        if braced and "example" in attrs:
            found.append((attrs["example"], shlex.split(attrs.get("args", "")), lines[i + 1:end]))
        i = end + 1
    return found


# ---------------------------------------------------------------- the HTML pandoc writes, polished

CODE_BLOCK = re.compile(r'(<code class="sourceCode (?P<lang>[\w+-]+)">)(?P<body>.*?)(</code>)', re.S)
LINE_ANCHOR = re.compile(r'<a href="#cb\d+-\d+" aria-hidden="true" tabindex="-1"></a>')
LINE_SPAN = re.compile(r'^<span id="(?P<id>cb\d+-\d+)">')
TAG = re.compile(r"<[^>]+>")
SECTION_HEADING = re.compile(r'<(?P<h>h[23]) id="(?P<id>[^"]+)"(?P<rest>[^>]*)>(?P<text>.*?)</(?P=h)>', re.S)


def mark_lines(match: re.Match) -> str:
    """Give each line of a highlighted block a class: diff lines, and the lines of an exercise region."""
    lang, lines = match["lang"], match["body"].split("\n")
    inside = False
    for n, line in enumerate(lines):
        text = html.unescape(TAG.sub("", line))
        cls = ""
        if lang == "diff":
            cls = {"+": "diff-add", "-": "diff-del", "@": "diff-hunk"}.get(text[:1], "")
        elif course.BEGIN.match(text):
            cls, inside = "exercise exercise-begin", True
        elif course.END.match(text):
            cls, inside = "exercise exercise-end", False
        elif inside:
            cls = "exercise"
        if cls:
            lines[n] = LINE_SPAN.sub(rf'<span id="\g<id>" class="{cls}">', line, count=1)
    return match[1] + "\n".join(lines) + match[4]


def polish(page: str) -> str:
    page = LINE_ANCHOR.sub("", page)  # pandoc's per-line links, useless without line numbers
    page = CODE_BLOCK.sub(mark_lines, page)
    return SECTION_HEADING.sub(
        lambda m: f'<{m["h"]} id="{m["id"]}"{m["rest"]}>{m["text"]} <a class="anchor" href="#{m["id"]}" '
                  f'aria-label="Link to this section">#</a></{m["h"]}>', page)


# ---------------------------------------------------------------- pages

def pages(chapters: list[Chapter]) -> list[tuple[Path, Chapter | None, str]]:
    """(markdown file, chapter or None, output page) in reading order, after the front page."""
    out = [(BOOK / INTRO, None, "introduction.html")]
    out += [(c.book_file, c, page_name(c)) for c in chapters]
    return out


def render_diagrams(out: Path) -> None:
    diagrams = BOOK / "diagrams"
    sources = sorted(diagrams.glob("*.dot")) if diagrams.is_dir() else []
    if (out / "diagrams").is_dir():  # drop the pictures of deleted sources
        for old in (out / "diagrams").glob("*.svg"):
            if not (diagrams / (old.stem + ".dot")).exists() and not (diagrams / old.name).exists():
                old.unlink()
    if not sources:
        return
    (out / "diagrams").mkdir(exist_ok=True)
    for source in sources:
        target = out / "diagrams" / (source.stem + ".svg")
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        partial = target.with_suffix(".svg.part")
        try:
            proc = subprocess.run(["dot", "-Tsvg", str(source), "-o", str(partial)], capture_output=True, text=True)
        except FileNotFoundError:
            raise BookError("Graphviz's dot is not installed (Debian package graphviz)") from None
        if proc.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BookError(f"book/diagrams/{source.name}: {proc.stderr.strip()}")
        partial.replace(target)


def render_timelines(out: Path) -> None:
    """The recorded runs book/timelines.toml lists, drawn (timeline.py); a listed run not recorded is an error."""
    try:
        entries = book_timelines.entries()
    except book_timelines.TimelineError as err:
        raise BookError(str(err)) from None
    folder = out / "timelines"
    if folder.is_dir():  # drop the pictures of runs no longer listed
        for old in folder.glob("*.svg"):
            if old.stem not in {entry.name for entry in entries}:
                old.unlink()
    for entry in entries:
        if not entry.kept.is_file():
            raise BookError(f"book/timelines/{entry.kept.name} is missing: run scripts/record-timelines {entry.name}")
        try:
            picture = book_timelines.draw(entry, book_timelines.timeline.load(entry.kept))
        except book_timelines.timeline.TraceError as err:
            raise BookError(str(err)) from None
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{entry.name}.svg").write_text(picture)


def copy_images(out: Path) -> None:
    """Images kept under book/ (a screenshot, a hand-drawn SVG) go to the same place in the site."""
    for source in sorted(BOOK.rglob("*")):
        if source.is_file() and source.suffix.lower() in IMAGE_SUFFIXES:
            target = out / source.relative_to(BOOK)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)


def remove_stale_pages(out: Path, keep: set[str]) -> None:
    for page in out.glob("*.html"):
        if page.name not in keep and GENERATOR in page.read_text(errors="replace")[:2000]:
            page.unlink()


def yaml_string(text: str) -> str:
    """A title as a YAML string that pandoc reads as one line of Markdown (not a list, not a heading)."""
    text = re.sub(r"^(\d+)([.)])", r"\1\\\2", text)  # "01. block_on" is not an ordered list
    text = re.sub(r"^([#>*+:|%-])", r"\\\1", text)
    return json.dumps(text, ensure_ascii=False)


def literal(text: str) -> str:
    """Plain text as Markdown that pandoc shows as it is: every ASCII punctuation mark escaped."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", " ".join(text.split()))


def plain(text: str) -> str:
    """A Markdown heading as plain text, for links and tooltips."""
    return re.sub(r"`([^`]*)`", r"\1", text).replace("**", "")


def pandoc(markdown: str, target: Path, title: str, variables: dict[str, str], toc: bool = True) -> None:
    cmd = ["pandoc", "--from", "markdown", "--to", "html5", "--standalone", "--wrap=none",
           "--template", str(BOOK / "template.html"), "--highlight-style=tango", "--output", str(target)]
    if toc:
        cmd += ["--toc", "--toc-depth=2"]
    for key, value in variables.items():
        cmd += ["--variable", f"{key}={value}"]
    document = f"---\ntitle: {yaml_string(title)}\n---\n\n{markdown}"
    try:
        proc = subprocess.run(cmd, input=document, capture_output=True, text=True)
    except FileNotFoundError:
        raise BookError("pandoc is not installed (Debian package pandoc)") from None
    if proc.returncode != 0:
        raise BookError(f"pandoc failed for {target.name}: {proc.stderr.strip()}")
    target.write_text(polish(target.read_text()))


def sidebar(order: list[tuple[Path, Chapter | None, str]], current: int) -> tuple[str, str, str]:
    """The chapter list around the current page's entry: (before, the current entry's link, after)."""
    items = []
    for source, chapter, name in order:
        number = f'<span class="num">{chapter.number}</span> ' if chapter else ""
        label = html.escape(chapter.title if chapter else title_of((source, chapter, name)))
        items.append((name, number + label))
    before = "".join(f'<li><a href="{name}">{label}</a></li>\n' for name, label in items[:current])
    after = "".join(f'<li><a href="{name}">{label}</a></li>\n' for name, label in items[current + 1:])
    name, label = items[current]
    return before, f'<a href="{name}" aria-current="page">{label}</a>', after


def front_page(chapters: list[Chapter]) -> str:
    lines = ["::: {.lead}",
             "Learn how an async runtime works by building one in C++20, one chapter at a time. "
             "The model is Rust's: futures polled by an executor, wakers that say when to poll again, "
             "and a reactor that turns kernel readiness into wake-ups.",
             ":::", "",
             "Each chapter explains one piece, then has you write it: your code goes in `chapters/NN-slug/`, "
             "and `scripts/tutor` runs the first exercise you have not solved, with its tests and hints.", "",
             "[Start with the introduction →](introduction.html){.start}", "",
             "## The chapters", "",
             "::: {.chapter-list}"]
    for c in chapters:  # chapter.toml's texts are plain text, as scripts/tutor prints them
        lines += [f"- [[{c.number}]{{.num}} {literal(c.title)}]({page_name(c)}){{.chapter-title}}", "",
                  f"  {literal(c.summary)}", ""]
        if c.exercises:
            lines += ["  [You write:]{.label} " + " · ".join(literal(ex.title) for ex in c.exercises), ""]
    return "\n".join(lines + [":::", ""])


def sources_changed_since(stamp: Path) -> bool:
    """Whether anything the book is made of is newer than `stamp` (or it does not exist)."""
    try:
        built = stamp.stat().st_mtime
    except OSError:
        return True
    inputs = [Path(__file__)]
    for folder in (BOOK, course.ROOT / "solutions", course.ROOT / "tests"):
        inputs += [p for p in folder.rglob("*") if p.is_file()]
    return any(p.stat().st_mtime > built for p in inputs)


def build(out: Path | None = None, quiet: bool = False, if_changed: bool = False) -> Path:
    """Build every page into `out`; returns `out`. Raises BookError. With
    `if_changed`, does nothing when no source is newer than the last build."""
    out = out or output_dir()
    if if_changed and not sources_changed_since(out / "index.html"):
        return out
    out.mkdir(parents=True, exist_ok=True)
    chapters = course.chapters()
    order = pages(chapters)
    remove_stale_pages(out, {"index.html"} | {name for _, _, name in order})
    for i, (source, chapter, name) in enumerate(order):
        if not source.is_file():
            raise BookError(f"book/{source.name} is missing")
        where = f"book/{source.name}"
        text = source.read_text()
        title_match = first_heading(text)
        if not title_match:
            raise BookError(f"{where}: the first heading (# Title) is missing")
        if chapter is not None and title_match[1].strip() != f"{chapter.number}. {chapter.title}":
            raise BookError(f"{where}: the heading '{title_match[1].strip()}' differs from "
                            f"'{chapter.number}. {chapter.title}', the title in tests/{chapter.dirname}/chapter.toml")
        body = text[:title_match.start()] + text[title_match.end():]
        markdown = expand(body, where, chapter, chapters)
        before, current, after = sidebar(order, i)
        variables = {"chapters-before": before, "chapter-current": current, "chapters-after": after}
        previous = ("index.html", "Contents") if i == 0 else (order[i - 1][2], title_of(order[i - 1]))
        variables["prev"], variables["prevtitle"] = previous[0], html.escape(previous[1])
        if i + 1 < len(order):
            variables["next"], variables["nexttitle"] = order[i + 1][2], html.escape(title_of(order[i + 1]))
        pandoc(markdown, out / name, title_match[1], variables)
        if chapter is not None:
            page = (out / name).read_text()
            for ex in chapter.exercises:
                if f'id="{ex.section}"' not in page:
                    raise BookError(f"{where}: no section with id {ex.section!r}, which tests/{chapter.dirname}/"
                                    f"chapter.toml names for {ex.id}")
    pandoc(front_page(chapters), out / "index.html", BOOK_TITLE,
           {"next": order[0][2], "nexttitle": html.escape(title_of(order[0])), "front": "true"}, toc=False)
    shutil.copy(BOOK / "style.css", out / "style.css")
    copy_images(out)
    render_diagrams(out)
    render_timelines(out)
    if not quiet:
        print(f"built {len(order) + 1} pages in {out}")
    return out


def title_of(entry: tuple[Path, Chapter | None, str]) -> str:
    """A page's title as plain text, for links: chapter.toml's title, or the page's first heading."""
    source, chapter, _ = entry
    if chapter is not None:
        return f"{chapter.number}. {chapter.title}"
    match = first_heading(source.read_text()) if source.is_file() else None
    return plain(match[1]) if match else source.stem


def first_heading(text: str) -> re.Match | None:
    """The page's title: its first "# Title" line outside a code block."""
    lines = text.splitlines(keepends=True)
    offset = i = 0
    while i < len(lines):
        if FENCE.match(lines[i]):
            end = fence_end(lines, i)
            if end is None:
                return None
            offset += sum(len(ln) for ln in lines[i:end + 1])
            i = end + 1
            continue
        match = TITLE.match(text, offset, offset + len(lines[i].rstrip("\n")))
        if match:
            return match
        offset += len(lines[i])
        i += 1
    return None


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
