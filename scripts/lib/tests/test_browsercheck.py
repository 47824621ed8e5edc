"""browsercheck.py finds a broken link, a missing image and an empty code block, and passes a clean page.

Runs the real check (headless Chromium) on tiny pages written to a temporary folder; skipped
where Chromium is not installed.
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
HAVE_CHROMIUM = bool(os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser"))

PAGE = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head><body>{}</body></html>'
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10"/></svg>'
PAGES = {
    "good.html": '<h2 id="there">There</h2><p><a href="links.html">links</a> <a href="#there">here</a> '
                 '<a href="https://example.invalid/">not followed</a></p><img src="pic.svg" alt="">'
                 '<pre><code>int x;</code></pre>',
    "links.html": '<p><a href="missing.html">gone</a> <a href="good.html#nowhere">no such id</a> '
                  '<a href="good.html#there">fine</a></p>',
    "image.html": '<p><img src="nothing.png" alt="missing"> <img src="pic.svg" alt="fine"></p>',
    "code.html": '<h2 id="code">Code</h2><pre><code></code></pre><pre>   </pre><pre><code>fine</code></pre>',
}


def run_check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), str(folder)], capture_output=True, text=True, timeout=180)


@unittest.skipUnless(HAVE_CHROMIUM, "chromium is not installed")
class BrowserCheckTest(unittest.TestCase):
    def setUp(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="test-browsercheck-"))
        self.addCleanup(shutil.rmtree, self.folder)
        (self.folder / "pic.svg").write_text(SVG)

    def write(self, *names: str) -> None:
        for name in names:
            (self.folder / name).write_text(PAGE.format(PAGES[name]))

    def test_finds_each_kind_of_problem(self) -> None:
        self.write(*PAGES)
        proc = run_check(self.folder)
        lines = proc.stdout.splitlines()
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        problems = lines[:-1]

        def on(page: str) -> list[str]:
            return [line for line in problems if line.startswith(page + ":")]

        links = on("links.html")
        self.assertEqual(len(links), 2, links)
        self.assertTrue(any('"missing.html"' in line and "no such file" in line for line in links), links)
        self.assertTrue(any('"good.html#nowhere"' in line and 'no element with id "nowhere"' in line
                            for line in links), links)
        images = on("image.html")
        self.assertEqual(len(images), 1, images)
        self.assertIn('missing image "nothing.png"', images[0])
        self.assertIn("naturalWidth 0", images[0])
        code = on("code.html")
        self.assertEqual(len(code), 2, code)
        self.assertTrue(all("empty code block" in line for line in code), code)
        self.assertIn("1st <pre>", code[0])
        self.assertIn("2nd <pre>", code[1])
        self.assertEqual(on("good.html"), [])
        self.assertEqual(len(problems), 5, proc.stdout)
        self.assertTrue(lines[-1].startswith("checked 4 pages: 5 problems"), lines[-1])

    def test_passes_a_clean_page(self) -> None:
        self.write("good.html")
        (self.folder / "links.html").write_text(PAGE.format("<p>the page good.html links to</p>"))
        proc = run_check(self.folder)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertTrue(proc.stdout.strip().endswith("s)"), proc.stdout)
        self.assertIn("checked 2 pages: 0 problems", proc.stdout)


if __name__ == "__main__":
    unittest.main()
