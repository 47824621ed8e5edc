"""Render every page of the built book in headless Chromium and report what is broken.

    browsercheck.py OUT_DIR                  check every *.html under OUT_DIR
    browsercheck.py OUT_DIR --screenshots D  also save a full-page PNG of each page in D (1280 px wide)

A problem is
  - a broken link: an <a href> (or a <link href>, such as the stylesheet) to a file that
    does not exist, or to a #fragment that no element's id (or <a name>) on the target page has;
  - a missing image: an <img> that did not load (naturalWidth 0 once loading has ended);
  - an empty code block: a <pre> with no text.
One line is printed per problem, then "checked N pages: M problems". Exit status: 0 when
there is no problem, 1 when there are, 2 when the check could not run (no Chromium, a
timeout, a crash).

How it works. One Chromium runs for the whole check, headless, driven through the DevTools
protocol over --remote-debugging-pipe: Chromium reads commands from file descriptor 3 and
writes answers and events to descriptor 4, as JSON messages each ended by a NUL byte. That
needs nothing beyond Python's standard library (no port, no websocket, no pip package). For
each page: Page.navigate to its file:// URL, wait for the load event (by then every image
has loaded or failed), then run one script in the page (Runtime.evaluate) that waits for any
image still loading and returns what the rendered DOM holds: every link as the browser
resolved it, every id, each image's naturalWidth, each <pre>'s text. Python checks the links
against the files on disk and against the ids of the target page, itself rendered the same
way (a page outside OUT_DIR is rendered on demand). Links to other schemes (https:, mailto:)
are not followed: nothing is downloaded.

Every wait is bounded: Chromium's start, each command, each page load, each image, and the
whole run (TOTAL_TIMEOUT). A handful of pages takes a few seconds.

Chromium is Debian's chromium package (scripts/lib/bootstrap.sh installs it for the check);
set CHROMIUM to use another binary. The flags below keep it from opening network
connections (background updates, sync, QUIC) and give it a fresh profile each run.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import pathname2url

START_TIMEOUT = 30.0  # Chromium's start, until it answers its first command
CALL_TIMEOUT = 15.0  # one DevTools command
LOAD_TIMEOUT = 15.0  # one page, until its load event
IMAGE_TIMEOUT_MS = 5000  # an image still loading after the load event
TOTAL_TIMEOUT = 60.0  # the whole check
WIDTH = 1280  # of the window the pages are laid out in

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--disable-dev-shm-usage", "--disable-breakpad",
         "--disable-client-side-phishing-detection", "--password-store=basic", "--mute-audio", "--hide-scrollbars",
         "--remote-debugging-pipe"]

# Runs in each page once it has loaded; returns what the checks need, as JSON-able values.
PAGE_SCRIPT = """
(async () => {
  const images = [...document.images];
  for (const img of images) if (img.loading === 'lazy') img.loading = 'eager';
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done, {once: true});
    img.addEventListener('error', done, {once: true});
    setTimeout(done, %d);
  })));
  const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')];
  const section = el => {
    let found = null;
    for (const h of headings)
      if (h.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) found = h;
    return found ? (found.id || found.textContent.trim().slice(0, 60)) : '';
  };
  const text = el => el.textContent.replace(/\\s+/g, ' ').trim().slice(0, 60);
  return {
    url: location.href,
    ids: [...document.querySelectorAll('[id]')].map(e => e.id)
      .concat([...document.querySelectorAll('a[name]')].map(a => a.name)),
    links: [...document.querySelectorAll('a[href]')].map(a =>
      ({href: a.href, raw: a.getAttribute('href'), text: text(a)})),
    resources: [...document.querySelectorAll('link[href]')].map(l =>
      ({href: l.href, raw: l.getAttribute('href'), text: l.rel})),
    images: images.map(img => ({src: img.currentSrc || img.src, raw: img.getAttribute('src') || '',
      width: img.naturalWidth, complete: img.complete, section: section(img)})),
    pres: [...document.querySelectorAll('pre')].map((pre, n) =>
      ({n: n + 1, empty: pre.textContent.trim() === '', section: section(pre)})),
    height: Math.ceil(document.documentElement.scrollHeight),
  };
})()
""" % IMAGE_TIMEOUT_MS


class BrowserError(Exception):
    """Chromium could not be started, crashed, or did not answer in time."""


class Browser:
    """A headless Chromium and one tab, driven over the DevTools pipe."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.binary = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
        if not self.binary:
            raise BrowserError("chromium is not installed: apt-get install chromium (scripts/check installs it)")
        self.profile = tempfile.TemporaryDirectory(prefix="browsercheck-")
        self.log = tempfile.TemporaryFile()
        # Two pipes, which bash moves to descriptors 3 (commands in) and 4 (answers out) before it runs
        # Chromium. Python cannot put a descriptor at a given number in the child itself (short of a
        # preexec_fn, which can clash with its own error pipe); ours sit at 10 and above, clear of 3 and 4
        # (which is why bash: dash takes single-digit descriptors only).
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        child_in = fcntl.fcntl(to_child_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(from_child_w, fcntl.F_DUPFD_CLOEXEC, 10)
        for fd in (to_child_r, from_child_w):
            os.close(fd)
        move = f'exec "$@" 3<&{child_in} 4>&{child_out} {child_in}<&- {child_out}>&-'
        command = [self.binary, *FLAGS, f"--user-data-dir={self.profile.name}", "about:blank"]
        try:
            self.proc = subprocess.Popen(
                [shutil.which("bash") or "/bin/bash", "-c", move, "bash", *command],
                stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, pass_fds=(child_in, child_out),
                start_new_session=True)  # a process group of its own, for close() to end
        except OSError as err:
            for fd in (to_child_w, from_child_r):
                os.close(fd)
            self.log.close()
            self.profile.cleanup()
            raise BrowserError(f"cannot start {self.binary}: {err}") from None
        finally:
            os.close(child_in)
            os.close(child_out)
        self.write_fd, self.read_fd = to_child_w, from_child_r
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []
        self.session = ""
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"}, session="", timeout=START_TIMEOUT)
            self.session = self.call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True},
                                     session="")["sessionId"]
            self.call("Page.enable")
            # A desktop window: the pages are laid out (and screenshots taken) 1280 px wide.
            self.call("Emulation.setDeviceMetricsOverride",
                      {"width": WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ the protocol

    def send(self, method: str, params: dict, session: str) -> int:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            try:
                written = os.write(self.write_fd, data)
            except BrokenPipeError:
                raise BrowserError(f"Chromium exited{self.log_tail()}") from None
            data = data[written:]
        return self.next_id

    def receive(self, until: float) -> dict:
        """The next message from Chromium, waiting until the monotonic time `until` at most."""
        while b"\0" not in self.buffer:
            left = min(until, self.deadline) - time.monotonic()
            if left <= 0:
                total = time.monotonic() >= self.deadline
                raise TimeoutError("the whole check took too long" if total else "no answer in time")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                raise BrowserError(f"Chromium exited{self.log_tail()}")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = CALL_TIMEOUT) -> dict:
        ident = self.send(method, params or {}, self.session if session is None else session)
        until = time.monotonic() + timeout
        while True:
            try:
                message = self.receive(until)
            except TimeoutError as err:
                raise BrowserError(f"{method}: {err} (after {timeout:.0f} s)") from None
            if message.get("id") == ident:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error'].get('message', message['error'])}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_event(self, method: str, timeout: float) -> bool:
        """Whether the event arrived (for our tab) within `timeout` seconds."""
        until = time.monotonic() + timeout
        while True:
            for n, event in enumerate(self.events):
                if event["method"] == method and event.get("sessionId") == self.session:
                    del self.events[:n + 1]
                    return True
            try:
                self.events.append(self.receive(until))
            except TimeoutError:
                return False

    # ------------------------------------------------------------ pages

    def render(self, url: str) -> dict:
        """Load a page and return what PAGE_SCRIPT found in it; {"error": ...} if it did not load."""
        self.events.clear()
        navigation = self.call("Page.navigate", {"url": url})
        if navigation.get("errorText"):
            return {"error": f"did not load: {navigation['errorText']}"}
        if not self.wait_event("Page.loadEventFired", LOAD_TIMEOUT):
            if time.monotonic() >= self.deadline:
                raise BrowserError("the whole check took too long")
            return {"error": f"did not finish loading in {LOAD_TIMEOUT:.0f} s"}
        result = self.call("Runtime.evaluate", {"expression": PAGE_SCRIPT, "awaitPromise": True,
                                                "returnByValue": True},
                           timeout=CALL_TIMEOUT + IMAGE_TIMEOUT_MS / 1000)
        if "exceptionDetails" in result:
            return {"error": f"the check's script failed: {result['exceptionDetails'].get('text')}"}
        return result["result"]["value"]

    def screenshot(self, height: int, target: Path) -> None:
        """The page now loaded, whole, as a PNG."""
        shot = self.call("Page.captureScreenshot",
                         {"format": "png", "captureBeyondViewport": True,
                          "clip": {"x": 0, "y": 0, "width": WIDTH, "height": max(height, 1), "scale": 1}})
        target.write_bytes(base64.b64decode(shot["data"]))

    def log_tail(self) -> str:
        try:
            self.log.seek(0)
            lines = [ln for ln in self.log.read().decode(errors="replace").splitlines()
                     if "dbus" not in ln and ln.strip()]
        except OSError:
            return ""
        return (":\n  " + "\n  ".join(lines[-8:])) if lines else ""

    def close(self) -> None:
        try:
            self.send("Browser.close", {}, "")
        except BrowserError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        try:  # Chromium runs in a process group of its own: this ends it and any helper left behind
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=5)
        for fd in (self.write_fd, self.read_fd):
            os.close(fd)
        self.log.close()
        self.profile.cleanup()

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------- the checks

@dataclass
class Result:
    pages: int = 0
    problems: list[str] = field(default_factory=list)


def file_url(path: Path) -> str:
    return "file://" + pathname2url(str(path))


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def check(out_dir: Path, screenshots: Path | None = None, total_timeout: float = TOTAL_TIMEOUT) -> Result:
    """Render every page under out_dir and collect the problems. Raises BrowserError if it cannot."""
    out_dir = out_dir.resolve()
    page_files = sorted(out_dir.rglob("*.html"))
    result = Result(pages=len(page_files))
    rendered: dict[Path, dict] = {}
    with Browser(time.monotonic() + total_timeout) as browser:
        def render(path: Path) -> dict:
            if path not in rendered:
                rendered[path] = browser.render(file_url(path))
                if screenshots is not None and "error" not in rendered[path] and path in page_files:
                    name = str(path.relative_to(out_dir)).replace("/", "_").removesuffix(".html") + ".png"
                    browser.screenshot(rendered[path]["height"], screenshots / name)
            return rendered[path]

        for path in page_files:
            render(path)
        for path in page_files:
            page = rendered[path]
            where = str(path.relative_to(out_dir))
            if "error" in page:
                result.problems.append(f"{where}: {page['error']}")
                continue
            result.problems += [f"{where}: {p}" for p in page_problems(page, render)]
    return result


def page_problems(page: dict, render) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for link, kind in [(a, "link") for a in page["links"]] + [(r, "resource") for r in page["resources"]]:
        if link["raw"] in seen:
            continue
        seen.add(link["raw"])
        why = link_problem(link["href"], render)
        if why:
            label = f' ("{link["text"]}")' if link["text"] and kind == "link" else ""
            problems.append(f'broken {kind} "{link["raw"]}"{label}: {why}')
    for image in page["images"]:
        if not image["complete"]:
            problems.append(f'missing image "{image["raw"]}": still loading after {IMAGE_TIMEOUT_MS // 1000} s')
        elif image["width"] == 0:
            place = f' in section "{image["section"]}"' if image["section"] else ""
            problems.append(f'missing image "{image["raw"]}"{place}: it did not load (naturalWidth 0)')
    for pre in page["pres"]:
        if pre["empty"]:
            place = f', in section "{pre["section"]}"' if pre["section"] else ""
            problems.append(f"empty code block (the {ordinal(pre['n'])} <pre> of the page{place})")
    return problems


def link_problem(href: str, render) -> str:
    """Why a resolved link is broken, or "" when it is fine (or not ours to check)."""
    parts = urlsplit(href)
    if parts.scheme != "file":
        return ""  # https:, mailto:, ...: not followed, nothing is downloaded
    target = Path(unquote(parts.path))
    if target.is_dir():
        if not (target / "index.html").is_file():
            return f"{target} is a folder without an index.html"
        target = target / "index.html"
    elif not target.exists():
        return f"no such file {target}"
    fragment = unquote(parts.fragment)
    if not fragment or fragment == "top" or target.suffix.lower() not in (".html", ".htm"):
        return ""
    page = render(target)
    if "error" in page:
        return f"{target.name} {page['error']}"
    if fragment not in page["ids"]:
        return f'no element with id "{fragment}" on {target.name}'
    return ""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path, help="the built book (book.py's output folder)")
    parser.add_argument("--screenshots", type=Path, help="save a PNG of every page in this folder")
    args = parser.parse_args(argv)
    if not args.out_dir.is_dir():
        print(f"error: {args.out_dir} is not a folder", file=sys.stderr)
        return 2
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        result = check(args.out_dir, args.screenshots)
    except BrowserError as err:
        print(f"error: the browser check could not run: {err}", file=sys.stderr)
        return 2
    for problem in result.problems:
        print(problem)
    count = len(result.problems)
    print(f"checked {result.pages} pages: {count} problem{'' if count == 1 else 's'} "
          f"({time.monotonic() - started:.1f} s)")
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
