"""Render every page of the built book in headless Chromium, report what is broken, save screenshots.

    browsercheck.py OUT_DIR [--screenshots DIR]   (DIR defaults to OUT_DIR/../book-screenshots)

The book is read in a browser, so it is checked in one. A problem is
  - a broken link: an <a href> or <link href> (the stylesheet) to a missing file, or to a
    #fragment that no element's id (or <a name>) on the target page has;
  - a missing image: an <img> that did not load (naturalWidth 0 once loading has ended);
  - an empty code block: a <pre> with no text (an include that found nothing);
  - a page that did not finish loading.
It prints one line per problem, the folder of screenshots (a full-page PNG of each page, for a
person to look at), then "checked N pages: M problems (T s)"; exits 1 on a problem, 2 if it cannot run.

Selenium (python3-selenium) drives Debian's chromium through its chromedriver (chromium-driver),
both named by path, so Selenium Manager (which would download a driver) never runs. The flags keep
Chromium off the network, with a fresh profile; links to other schemes (https:, mailto:) are not
followed. Every wait is bounded. scripts/lib/bootstrap.sh installs the three packages.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.remote.remote_connection import RemoteConnection
except ImportError:  # a python3 other than Debian's (pyenv, a venv): main() runs again under Debian's
    webdriver = None

CHROMIUM, CHROMEDRIVER, SYSTEM_PYTHON = "/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/python3"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,900"]
LOAD_TIMEOUT, IMAGE_TIMEOUT, TOTAL_TIMEOUT = 15, 5, 300  # seconds: one page, a late image, the whole check

# Runs in each loaded page: waits for any image still loading, returns what the checks need.
PAGE_SCRIPT = """return (async () => {
  const images = [...document.images];
  const settled = img => Promise.race([img.decode().catch(() => 0), new Promise(done => setTimeout(done, %d))]);
  await Promise.all(images.map(img => img.complete || (img.loading = 'eager', settled(img))));
  const all = selector => [...document.querySelectorAll(selector)];
  const text = el => el.textContent.replace(/\\s+/g, ' ').trim().slice(0, 60);
  const headings = all('h1, h2, h3, h4, h5, h6');
  const section = el => {  // the heading the element is under: its id, or its text
    const h = headings.filter(h => h.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING).pop();
    return h ? h.id || text(h) : '';
  };
  return {
    ids: all('[id], a[name]').flatMap(e => [e.id, e.getAttribute('name')]),
    links: all('a[href]').map(a => ({href: a.href, raw: a.getAttribute('href'), text: text(a), kind: 'link'}))
      .concat(all('link[href]').map(l => ({href: l.href, raw: l.getAttribute('href'), text: '', kind: 'resource'}))),
    images: images.map(img => ({raw: img.getAttribute('src') || '', width: img.naturalWidth,
                                complete: img.complete, section: section(img)})),
    pres: all('pre').map(pre => ({empty: text(pre) === '', section: section(pre)})),
    width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
  };
})();""" % (IMAGE_TIMEOUT * 1000)


@contextlib.contextmanager
def chromium():
    """One headless Chromium for the whole check, with a fresh profile, driven by chromedriver."""
    if missing := [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]:
        raise WebDriverException(f"{' and '.join(missing)} missing: apt-get install chromium chromium-driver")
    RemoteConnection.set_timeout(LOAD_TIMEOUT + IMAGE_TIMEOUT + 30)  # any one command to chromedriver
    with tempfile.TemporaryDirectory(prefix="browsercheck-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS + [f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(LOAD_TIMEOUT)
        driver.set_script_timeout(IMAGE_TIMEOUT + 10)
        try:
            yield driver
        finally:
            driver.quit()


def render(driver, path: Path, screenshot: Path | None) -> dict:
    """Load a page (the driver waits for its load event) and return what PAGE_SCRIPT found."""
    try:
        driver.get(path.as_uri())
    except TimeoutException:
        return {"error": f"did not finish loading in {LOAD_TIMEOUT} s"}
    page = driver.execute_script(PAGE_SCRIPT)
    if screenshot:  # the whole page, not just the window: Chromium's own capture, through chromedriver
        clip = {"x": 0, "y": 0, "width": page["width"], "height": max(page["height"], 1), "scale": 1}
        png = driver.execute_cdp_cmd("Page.captureScreenshot",
                                     {"format": "png", "captureBeyondViewport": True, "clip": clip})
        screenshot.write_bytes(base64.b64decode(png["data"]))
    return page


def check(out_dir: Path, screenshots: Path) -> tuple[int, list[str]]:
    """Render every page under out_dir; return how many there are and the problems."""
    out_dir, deadline = out_dir.resolve(), time.monotonic() + TOTAL_TIMEOUT
    pages = sorted(out_dir.rglob("*.html"))
    rendered: dict[Path, dict] = {}  # by path: what render() returned
    problems: list[str] = []
    with chromium() as driver:
        def render_once(path: Path) -> dict:  # a page of the book, or one a link leads to (for its ids)
            if time.monotonic() > deadline:
                raise WebDriverException(f"the whole check took more than {TOTAL_TIMEOUT} s")
            if path not in rendered:
                shot = str(path.relative_to(out_dir)).replace("/", "_")[:-5] + ".png" if path in pages else None
                rendered[path] = render(driver, path, shot and screenshots / shot)
            return rendered[path]

        for path in pages:
            problems += [f"{path.relative_to(out_dir)}: {p}" for p in page_problems(render_once(path), render_once)]
    return len(pages), problems


def page_problems(page: dict, render_once) -> list[str]:
    if "error" in page:
        return [page["error"]]
    problems, seen = [], set()
    for link in page["links"]:
        why = link["raw"] not in seen and link_problem(link["href"], render_once)
        seen.add(link["raw"])
        if why:
            label = f' ("{link["text"]}")' if link["text"] else ""
            problems.append(f'broken {link["kind"]} "{link["raw"]}"{label}: {why}')
    for image in page["images"]:
        if image["width"] == 0:  # it failed, or is still loading after IMAGE_TIMEOUT
            place = f' in section "{image["section"]}"' if image["section"] else ""
            why = "it did not load (naturalWidth 0)" if image["complete"] else f"still loading after {IMAGE_TIMEOUT} s"
            problems.append(f'missing image "{image["raw"]}"{place}: {why}')
    for n, pre in enumerate(page["pres"], 1):
        if pre["empty"]:
            nth = f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
            place = f', in section "{pre["section"]}"' if pre["section"] else ""
            problems.append(f"empty code block (the {nth} <pre> of the page{place})")
    return problems


def link_problem(href: str, render_once) -> str:
    """Why a link, as the browser resolved it, is broken; "" when it is fine (or not ours to check)."""
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
    page = render_once(target)
    if "error" in page:
        return f"{target.name} {page['error']}"
    return "" if fragment in page["ids"] else f'no element with id "{fragment}" on {target.name}'


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path, help="the built book (book.py's output folder)")
    parser.add_argument("--screenshots", type=Path, help="where to save a PNG of every page")
    args = parser.parse_args(argv)
    if webdriver is None:
        if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and os.access(SYSTEM_PYTHON, os.X_OK):
            os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, __file__, *argv])
        print("error: no selenium module: apt-get install python3-selenium", file=sys.stderr)
        return 2
    if not args.out_dir.is_dir():
        print(f"error: {args.out_dir} is not a folder", file=sys.stderr)
        return 2
    screenshots = (args.screenshots or args.out_dir.resolve().parent / "book-screenshots").resolve()
    screenshots.mkdir(parents=True, exist_ok=True)
    for old in screenshots.glob("*.png"):  # a removed page leaves no picture behind
        old.unlink()
    started = time.monotonic()
    try:
        pages, problems = check(args.out_dir, screenshots)
    except WebDriverException as err:
        print(f"error: the browser check could not run: {err.msg or err}", file=sys.stderr)
        return 2
    print("\n".join(problems + [f"screenshots of the pages: {screenshots}"]))
    print(f"checked {pages} pages: {len(problems)} problem{'' if len(problems) == 1 else 's'} "
          f"({time.monotonic() - started:.1f} s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
