"""browsercheck.py finds each kind of problem, passes a clean page, and saves a screenshot of every page.

Runs the real check (headless Chromium through Selenium) on tiny pages written to a temporary
folder; skipped where Chromium, chromedriver or Selenium is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "browsercheck.py"


def have_selenium() -> bool:
    """browsercheck.py runs under Debian's python3 when this one has no selenium module."""
    pythons = {sys.executable, "/usr/bin/python3"}
    return any(shutil.which(p) and subprocess.run([p, "-c", "import selenium"], capture_output=True).returncode == 0
               for p in pythons)


HAVE_BROWSER = all(os.access(p, os.X_OK) for p in ("/usr/bin/chromium", "/usr/bin/chromedriver")) and have_selenium()

PAGE = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head><body>{}</body></html>'
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10"/></svg>'
PAGES = {
    "good.html": '<h2 id="there">There</h2><p><a href="links.html">links</a> <a href="#there">here</a> '
                 '<a href="https://example.invalid/">not followed</a></p><img src="pic.svg" alt="">'
                 '<pre><code>int x;</code></pre>',
    "links.html": '<link rel="stylesheet" href="gone.css"><p><a href="missing.html">gone</a> '
                  '<a href="good.html#nowhere">no such id</a> <a href="good.html#there">fine</a></p>',
    "image.html": '<h2 id="pics">Pictures</h2><p><img src="nothing.png" alt="missing"> <img src="pic.svg" alt="fine"></p>',
    "code.html": '<h2 id="code">Code</h2><pre><code></code></pre><pre>   </pre><pre><code>fine</code></pre>',
    "sub/nested.html": '<p><a href="../good.html#there">up</a></p>',
}


def make_book(names) -> tuple[Path, Path]:
    """A temporary folder with book/ (the pages) in it; returns both. Screenshots go to its book-screenshots/."""
    root = Path(tempfile.mkdtemp(prefix="test-browsercheck-"))
    book = root / "book"
    (book / "sub").mkdir(parents=True)
    (book / "pic.svg").write_text(SVG)
    for name in names:
        (book / name).write_text(PAGE.format(PAGES[name]))
    return root, book


def run_check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), str(folder)], capture_output=True, text=True, timeout=180)


@unittest.skipUnless(HAVE_BROWSER, "chromium, chromium-driver or python3-selenium is not installed")
class BrowserCheckTest(unittest.TestCase):
    """One run of the check on pages with every kind of problem; each test looks at its own."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.root, cls.book = make_book(PAGES)
        cls.proc = run_check(cls.book)
        cls.lines = cls.proc.stdout.splitlines()

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.root)

    def on(self, page: str) -> list[str]:
        return [line for line in self.lines if line.startswith(page + ":")]

    def test_summary_and_exit_status(self) -> None:
        self.assertEqual(self.proc.returncode, 1, self.proc.stdout + self.proc.stderr)
        self.assertRegex(self.lines[-1], r"^checked 5 pages: 6 problems \(\d+\.\d s\)$")
        self.assertEqual(len(self.lines), 8, self.proc.stdout)  # 6 problems, the screenshots, the summary

    def test_broken_link(self) -> None:
        self.assertTrue(any('broken link "missing.html" ("gone"): no such file' in line
                            for line in self.on("links.html")), self.proc.stdout)
        self.assertTrue(any('broken resource "gone.css": no such file' in line
                            for line in self.on("links.html")), self.proc.stdout)

    def test_missing_fragment(self) -> None:
        self.assertTrue(any('"good.html#nowhere"' in line and 'no element with id "nowhere" on good.html' in line
                            for line in self.on("links.html")), self.proc.stdout)
        self.assertEqual(len(self.on("links.html")), 3, self.proc.stdout)  # good.html#there is fine

    def test_missing_image(self) -> None:
        self.assertEqual(self.on("image.html"), ['image.html: missing image "nothing.png" in section "pics": '
                                                 'it did not load (naturalWidth 0)'])

    def test_empty_code_block(self) -> None:
        self.assertEqual(self.on("code.html"), [
            'code.html: empty code block (the 1st <pre> of the page, in section "code")',
            'code.html: empty code block (the 2nd <pre> of the page, in section "code")'])

    def test_good_pages_have_no_problem(self) -> None:
        self.assertEqual(self.on("good.html") + self.on("sub/nested.html"), [])

    def test_saves_a_screenshot_of_each_page(self) -> None:
        shots = self.root / "book-screenshots"  # the default: beside the book
        self.assertIn(f"screenshots of the pages: {shots}", self.lines, self.proc.stdout)
        names = sorted(p.name for p in shots.iterdir())
        self.assertEqual(names, ["code.png", "good.png", "image.png", "links.png", "sub_nested.png"])
        png = (shots / "good.png").read_bytes()
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual(int.from_bytes(png[16:20], "big"), 1280)  # the width, from the PNG's header


@unittest.skipUnless(HAVE_BROWSER, "chromium, chromium-driver or python3-selenium is not installed")
class CleanBookTest(unittest.TestCase):
    def test_passes_a_clean_page(self) -> None:
        root, book = make_book(["good.html"])
        self.addCleanup(shutil.rmtree, root)
        (book / "links.html").write_text(PAGE.format("<p>the page good.html links to</p>"))
        shots = root / "elsewhere"
        proc = subprocess.run([sys.executable, str(SCRIPT), str(book), "--screenshots", str(shots)],
                              capture_output=True, text=True, timeout=180)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertRegex(proc.stdout, r"checked 2 pages: 0 problems \(\d+\.\d s\)\n$")
        self.assertEqual(sorted(p.name for p in shots.iterdir()), ["good.png", "links.png"])


if __name__ == "__main__":
    unittest.main()
