"""Run a chapter's doctest binary for one suite and read what happened.

The binary is run with doctest's XML reporter; each test case's outcome, its
first failures and any rt::NotImplemented message are read from the XML. When
a test crashes, doctest's signal handler marks its test case as crashed and
closes the XML; a sanitizer that ends the process leaves the XML cut short.
Either way stderr says why, and describe_crash puts that in one line. A test
that hangs is stopped with SIGTERM after a timeout, which doctest reports like
a crash of the test case that was running.
"""

from __future__ import annotations

import html
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
TERMINATE_NO_EXCEPTION = "terminate called without an active exception"
# What tests/support/threads.hpp's test::bounded prints before it stops a test that waits too long.
BOUNDED_TIMEOUT = re.compile(r"^TIMEOUT: (?P<what>.+)$", re.M)
CASE_NAME = re.compile(r'<TestCase name="(?P<name>[^"]*)"')
# What a signal usually means in a test of this course.
SIGNAL_MEANING = {
    "SIGSEGV": "a segmentation fault: a null, dangling or out-of-range pointer or reference was used",
    "SIGABRT": "abort() was called: an assert failed, or std::terminate ran",
    "SIGFPE": "an arithmetic error, such as an integer division by zero",
    "SIGBUS": "a bus error: an invalid address was used",
    "SIGILL": "an illegal instruction: often a function that returns a value fell off its end",
    "SIGKILL": "it was killed from outside, perhaps for using too much memory",
}
# How long a test that hung gets to report itself after SIGTERM, before SIGKILL.
TERM_GRACE = 5


@dataclass
class Failure:
    where: str  # file:line
    text: str  # what to show: the failed check with its values, or the exception
    notes: list[str] = field(default_factory=list)  # the test's INFO/CAPTURE text: why it checks this


@dataclass
class TestCase:
    name: str
    passed: bool
    failures: list[Failure] = field(default_factory=list)
    not_implemented: list[str] = field(default_factory=list)  # exercise ids whose stub threw
    crashed: bool = False  # the process died (or was stopped) in this test case


@dataclass
class SuiteRun:
    suite: str
    cases: list[TestCase]
    returncode: int
    stderr: str
    crash: str | None = None  # why the process died, if it did
    timed_out: bool = False
    crashed_case: str | None = None  # the test case running when it died or was stopped, if known

    @property
    def passed(self) -> bool:
        return self.returncode == 0 and self.crash is None and bool(self.cases) and all(c.passed for c in self.cases)


def _text(element: ET.Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _where(element: ET.Element) -> str:
    """file:line of a test's source, from the repository's top: tests/01-block-on/test_waker.cpp:31."""
    parts = Path(element.get("filename", "?")).parts
    while parts and parts[0] in ("..", "."):
        parts = parts[1:]  # doctest records paths as the compiler saw them, from the build directory
    return f"{Path(*parts) if parts else '?'}:{element.get('line', '?')}"


def _expression_failure(expr: ET.Element) -> Failure:
    """A failed CHECK or REQUIRE: the expression, its values, and the exception it threw or expected."""
    original, expanded = _text(expr.find("Original")), _text(expr.find("Expanded"))
    exception = _text(expr.find("Exception"))
    expected_type, expected_text = _text(expr.find("ExpectedException")), _text(expr.find("ExpectedExceptionString"))
    expected = expected_type + (f' with message "{expected_text}"' if expected_text else "")
    text = f"{expr.get('type')}( {original} )"
    if expanded and expanded != original:
        text += f"  with values: {expanded}"
    if exception:
        text += f"  threw: {exception}"
    if expected:
        text += f"  (expected {expected})"
    return Failure(_where(expr), text, [_text(info) for info in expr.findall("Info")])


def _case(case_el: ET.Element) -> TestCase:
    results = case_el.find("OverallResultsAsserts")
    passed = results is not None and results.get("test_case_success") == "true"
    case = TestCase(case_el.get("name", "?"), passed)
    case.failures = [_expression_failure(expr) for expr in case_el.iter("Expression") if expr.get("success") == "false"]
    for exc in case_el.findall("Exception"):
        if exc.get("crash") == "true":
            case.crashed = True  # a signal, not an exception: the run's crash line says what it means
        else:
            case.failures.append(Failure(_where(case_el), f"threw an exception: {_text(exc)}"))
    for message in case_el.iter("Message"):
        if message.get("type") in ("ERROR", "FATAL ERROR"):
            case.failures.append(Failure(_where(message), _text(message.find("Text")),
                                         [_text(info) for info in message.findall("Info")]))
    blob = ET.tostring(case_el, encoding="unicode")
    case.not_implemented = sorted({m["id"] for m in NOT_IMPLEMENTED.finditer(blob)})
    return case


def _parse(xml_text: str, suite: str) -> list[TestCase]:
    """The test cases of one suite that ran, from doctest's XML report."""
    if "</doctest>" not in xml_text:
        # Cut short by a crash: close what is open so that the finished cases can be read.
        end = xml_text.rfind("</TestCase>")
        xml_text = xml_text[:end + len("</TestCase>")] + "</TestSuite></doctest>" if end >= 0 else ""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return []
    return [_case(case_el) for suite_el in root.iter("TestSuite") if suite_el.get("name") == suite
            for case_el in suite_el.iter("TestCase") if case_el.get("skipped") != "true"]


def _unfinished_case(xml_text: str) -> str | None:
    """The test case a report cut short was in the middle of, if it was in one."""
    start = xml_text.rfind("<TestCase ")
    if start < 0 or "</TestCase>" in xml_text[start:]:
        return None
    tag_end = xml_text.find(">", start)
    if tag_end < 0 or xml_text[tag_end - 1] == "/":  # cut inside the tag, or a skipped case's empty tag
        return None
    match = CASE_NAME.match(xml_text, start)
    return html.unescape(match["name"]) if match else None


def describe_crash(returncode: int, stderr: str) -> str:
    """One line on why a test process died: the sanitizer's finding, an uncaught exception, a signal."""
    match = SANITIZER.search(stderr)
    if match:
        return f"{match['tool']} found: {match['what'].strip()}"
    match = RUNTIME_ERROR.search(stderr)
    if match:
        return f"UndefinedBehaviorSanitizer found: {match['what']} at {match['where']}"
    match = TERMINATE.search(stderr)
    if match:
        return (f"std::terminate: an exception ({match['type']}: {match['what']}) escaped where it cannot be "
                f"caught (a destructor, a noexcept function or another thread)")
    if TERMINATE_NO_EXCEPTION in stderr:
        return ("std::terminate without an exception: most often a std::thread destroyed while still joinable "
                "(join or detach it first)")
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        meaning = SIGNAL_MEANING.get(name)
        return f"the test process was killed by {name}" + (f" ({meaning})" if meaning else "")
    return f"the test process exited with status {returncode}"


def _run(cmd: list[str], timeout: float, env: dict[str, str]) -> tuple[int, str, str, bool]:
    """(returncode, stdout, stderr, timed out) of a test binary run under a timeout."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                            env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err, False
    except subprocess.TimeoutExpired:
        # SIGTERM first: doctest's handler then reports the test case that hung and closes its XML.
        proc.terminate()
        try:
            out, err = proc.communicate(timeout=TERM_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        return proc.returncode, out, err, True


def run_suite(test_binary: Path, suite: str, timeout: float = 120, env: dict[str, str] | None = None) -> SuiteRun:
    """Run one doctest suite (exact name) of a test binary."""
    # doctest filters are wildcard patterns separated by commas: escape both.
    pattern = suite.replace(",", "?").replace("*", "?").replace("[", "?")
    cmd = [str(test_binary), f"--test-suite={pattern}", "--reporters=xml", "--no-version"]
    returncode, out, err, timed_out = _run(cmd, timeout, dict(os.environ, **(env or {})))
    run = SuiteRun(suite, _parse(out, suite), returncode, err, timed_out=timed_out)
    crashed = [c.name for c in run.cases if c.crashed]
    run.crashed_case = crashed[0] if crashed else _unfinished_case(out)
    bounded = BOUNDED_TIMEOUT.search(err)
    if timed_out:
        run.crash = (f"stopped after {timeout:g} s: something waits for a wake-up that never comes, "
                     f"or loops forever")
    elif bounded:
        run.timed_out = True  # the test's own bounded wait ran out: a hang, not a crash
        run.crash = bounded["what"].strip()
    elif returncode < 0 or crashed or "</doctest>" not in out:
        run.crash = describe_crash(returncode, err)
    elif returncode != 0 and run.cases and all(c.passed for c in run.cases):
        run.crash = describe_crash(returncode, err)  # e.g. a leak found at exit
    return run


def list_suites(test_binary: Path) -> list[str]:
    """The names of every test suite in a binary."""
    proc = subprocess.run([str(test_binary), "--list-test-suites", "--reporters=xml", "--no-version"],
                          capture_output=True, text=True, timeout=60)
    root = ET.fromstring(proc.stdout)
    return sorted({el.get("name") for el in root.iter("TestSuite") if el.get("name")})
