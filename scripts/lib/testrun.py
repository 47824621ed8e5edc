"""Run a chapter's doctest binary for one suite and read what happened.

The binary is run with doctest's XML reporter; each test case's outcome, its
first failures and any rt::NotImplemented message are read from the XML. A
crash (signal, sanitizer report, std::terminate) leaves the XML cut short: what
stderr says is kept instead.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

NOT_IMPLEMENTED = re.compile(r"not yet implemented: (?P<id>ex\d+): (?P<what>[^\n\"]*)")
SANITIZER = re.compile(r"(?:ERROR|WARNING): (?P<tool>\w+Sanitizer): (?P<what>[^\n]*)")
RUNTIME_ERROR = re.compile(r"(?P<where>[^\s:]+:\d+:\d+): runtime error: (?P<what>[^\n]*)")
TERMINATE = re.compile(r"terminate called after throwing an instance of '(?P<type>[^']*)'\n\s*what\(\):\s*(?P<what>[^\n]*)")


@dataclass
class Failure:
    where: str  # file:line
    text: str  # what to show: the failed check with its values, or the exception


@dataclass
class TestCase:
    name: str
    passed: bool
    failures: list[Failure] = field(default_factory=list)
    not_implemented: list[str] = field(default_factory=list)  # exercise ids whose stub threw


@dataclass
class SuiteRun:
    suite: str
    cases: list[TestCase]
    returncode: int
    stderr: str
    crash: str | None = None  # why the process died, if it did
    timed_out: bool = False

    @property
    def passed(self) -> bool:
        return self.returncode == 0 and self.crash is None and bool(self.cases) and all(c.passed for c in self.cases)

    @property
    def stubs_hit(self) -> set[str]:
        found = {ex for case in self.cases for ex in case.not_implemented}
        found.update(m["id"] for m in NOT_IMPLEMENTED.finditer(self.stderr))
        return found


def _text(element: ET.Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _parse(xml_text: str, suite: str) -> list[TestCase]:
    # A crash cuts the document short: close what is open so the finished cases can be read.
    end = xml_text.rfind("</TestCase>")
    if "</doctest>" not in xml_text:
        xml_text = xml_text[:end + len("</TestCase>")] + "</TestSuite></doctest>" if end >= 0 else ""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return []
    cases = []
    for suite_el in root.iter("TestSuite"):
        if suite_el.get("name") != suite:
            continue
        for case_el in suite_el.iter("TestCase"):
            results = case_el.find("OverallResultsAsserts")
            passed = results is not None and results.get("test_case_success") == "true"
            case = TestCase(case_el.get("name", "?"), passed)
            for expr in case_el.iter("Expression"):
                if expr.get("success") == "false":
                    where = f"{Path(expr.get('filename', '?')).name}:{expr.get('line', '?')}"
                    original, expanded = _text(expr.find("Original")), _text(expr.find("Expanded"))
                    exception = _text(expr.find("Exception"))
                    expected = _text(expr.find("ExpectedException")) or _text(expr.find("ExpectedExceptionString"))
                    text = f"{expr.get('type')}( {original} )"
                    if expanded and expanded != original:
                        text += f"  with values: {expanded}"
                    if exception:
                        text += f"  threw: {exception}"
                    if expected:
                        text += f"  (expected {expected})"
                    case.failures.append(Failure(where, text))
            for exc in case_el.findall("Exception"):
                case.failures.append(Failure(f"{Path(case_el.get('filename', '?')).name}:{case_el.get('line', '?')}",
                                             f"threw an exception: {_text(exc)}"))
            for message in case_el.iter("Message"):
                if message.get("type") in ("ERROR", "FATAL ERROR"):
                    case.failures.append(Failure(
                        f"{Path(message.get('filename', '?')).name}:{message.get('line', '?')}", _text(message.find("Text"))))
            blob = ET.tostring(case_el, encoding="unicode")
            case.not_implemented = sorted({m["id"] for m in NOT_IMPLEMENTED.finditer(blob)})
            cases.append(case)
    return cases


def describe_crash(returncode: int, stderr: str) -> str:
    """One line on why a test process died: the sanitizer's finding, an uncaught exception, a signal."""
    for pattern in (SANITIZER, RUNTIME_ERROR):
        match = pattern.search(stderr)
        if match:
            if pattern is SANITIZER:
                return f"{match['tool']} found: {match['what'].strip()}"
            return f"UndefinedBehaviorSanitizer found: {match['what']} at {match['where']}"
    match = TERMINATE.search(stderr)
    if match:
        return (f"std::terminate: an exception ({match['type']}: {match['what']}) escaped where it cannot be "
                f"caught (a destructor, a noexcept function or another thread)")
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"the test process was killed by {name}"
    return f"the test process exited with status {returncode}"


def run_suite(test_binary: Path, suite: str, timeout: float = 120, env: dict[str, str] | None = None) -> SuiteRun:
    """Run one doctest suite (exact name) of a test binary."""
    # doctest filters are wildcard patterns separated by commas: escape both.
    pattern = suite.replace(",", "?").replace("*", "?").replace("[", "?")
    cmd = [str(test_binary), f"--test-suite={pattern}", "--reporters=xml", "--no-version"]
    full_env = dict(os.environ, **(env or {}))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env,
                              errors="replace")
    except subprocess.TimeoutExpired as err:
        out = err.stdout.decode(errors="replace") if isinstance(err.stdout, bytes) else (err.stdout or "")
        stderr = err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) else (err.stderr or "")
        run = SuiteRun(suite, _parse(out, suite), -1, stderr, timed_out=True)
        run.crash = (f"timed out after {timeout:.0f} s: something waits for a wake-up that never comes, "
                     f"or loops forever")
        return run
    cases = _parse(proc.stdout, suite)
    run = SuiteRun(suite, cases, proc.returncode, proc.stderr)
    if "</doctest>" not in proc.stdout:
        run.crash = describe_crash(proc.returncode, proc.stderr)
    elif proc.returncode != 0 and all(c.passed for c in cases) and cases:
        run.crash = describe_crash(proc.returncode, proc.stderr)  # e.g. a leak found at exit
    return run


def list_suites(test_binary: Path) -> list[str]:
    """The names of every test suite in a binary."""
    proc = subprocess.run([str(test_binary), "--list-test-suites", "--reporters=xml", "--no-version"],
                          capture_output=True, text=True, timeout=60)
    root = ET.fromstring(proc.stdout)
    return sorted({el.get("name") for el in root.iter("TestSuite") if el.get("name")})
