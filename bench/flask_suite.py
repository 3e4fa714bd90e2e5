"""Run third-party Flask test suites against aioflask and against Flask; print the counts.

Started by `bench/flask_suite.sh`, which prepares the virtualenv and the
unpacked sdists. Each suite runs twice, unmodified, in its own unpacked
directory: once with `-p aioflask.flask_alias` (so `import flask` gives
aioflask) and once without (the real Flask). The table compares the two, and
the most common failure messages under aioflask are listed to show what to
fix next.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# Tests of Flask's suite that replace `werkzeug.serving.run_simple` with a mock to
# check what `app.run()` passes to Werkzeug's server. aioflask serves with uvicorn,
# so they cannot apply; they are left out of both runs.
FLASK_SERVING_TESTS = (
    "tests/test_basic.py::test_werkzeug_passthrough_errors",
    "tests/test_basic.py::test_run_defaults",
    "tests/test_basic.py::test_run_server_port",
    "tests/test_basic.py::test_run_from_config",
    "tests/test_templating.py::test_templates_auto_reload_debug_run",
)


@dataclass
class Suite:
    name: str
    directory: str  # the unpacked sdist's directory name, without the version
    tests: str = "tests"
    deselect: tuple[str, ...] = ()


SUITES = [
    Suite("flask", "flask-", deselect=FLASK_SERVING_TESTS),
    Suite("flask-login", "Flask-Login-"),
    Suite("flask-wtf", "flask_wtf-"),
    Suite("flask-sqlalchemy", "flask_sqlalchemy-"),
    Suite("flask-cors", "flask_cors-"),
]


@dataclass
class Outcome:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    note: str = ""
    # One line per failing test: its id and the first line of its failure message.
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.skipped


def find_source(src: Path, prefix: str) -> Path:
    for path in sorted(src.iterdir()):
        rest = path.name[len(prefix) :]
        if path.name.startswith(prefix) and rest[:1].isdigit():
            return path
    raise SystemExit(f"no unpacked sdist starting with {prefix!r} in {src}")


def read_junit(path: Path, outcome: Outcome) -> None:
    for case in ET.parse(path).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
            kind = "error"
        else:
            kind = "failure"
        if case.find("skipped") is not None:
            outcome.skipped += 1
        elif problem is None:
            outcome.passed += 1
        else:
            if kind == "failure":
                outcome.failed += 1
            else:
                outcome.errors += 1
            message = (problem.get("message") or problem.text or "").strip()
            outcome.failures.append((test_id, message.splitlines()[0] if message else "?"))


def run_suite(suite: Suite, source: Path, alias: bool, timeout: float) -> Outcome:
    outcome = Outcome()
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", suite.tests, "-q", "-p", "no:cacheprovider"]
        cmd += [f"--junitxml={junit}", "--timeout=60", f"--basetemp={tmp}/t"]
        if alias:
            cmd += ["-p", "aioflask.flask_alias"]
        for test in suite.deselect:
            cmd += ["--deselect", test]
        start = time.monotonic()
        try:
            proc = subprocess.run(
                cmd, cwd=source, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            outcome.note = f"stopped after {timeout:.0f} s"
        else:
            if junit.exists():
                read_junit(junit, outcome)
            tail = proc.stdout.strip().splitlines()[-1:] or proc.stderr.strip().splitlines()[-1:]
            if not junit.exists() or outcome.total == 0:
                outcome.note = "no results: " + (tail[0] if tail else f"exit {proc.returncode}")
        outcome.seconds = time.monotonic() - start
    return outcome


_NOISE = [
    (re.compile(r"0x[0-9a-f]+"), "0x…"),
    (re.compile(r"'[^']{40,}'"), "'…'"),
]


def signature(message: str) -> str:
    """A failure message with addresses and long literals blurred, so alike failures group."""
    for pattern, repl in _NOISE:
        message = pattern.sub(repl, message)
    return message[:160]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, required=True, help="the unpacked sdists")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per suite run")
    parser.add_argument("--top", type=int, default=25, help="failure messages to list per suite")
    parser.add_argument("--failures", type=Path, help="write every failing test id here")
    parser.add_argument("--no-flask", action="store_true", help="skip the real-Flask runs")
    parser.add_argument("suites", nargs="*", help="names of the suites to run (default: all)")
    args = parser.parse_args()

    chosen = [s for s in SUITES if not args.suites or s.name in args.suites]
    rows = []
    details = []
    for suite in chosen:
        source = find_source(args.src, suite.directory)
        print(f"== {suite.name} ({source.name})", flush=True)
        aio = run_suite(suite, source, alias=True, timeout=args.timeout)
        print(f"   aioflask: {aio.passed}/{aio.total} passed in {aio.seconds:.0f} s", flush=True)
        real = None
        if not args.no_flask:
            real = run_suite(suite, source, alias=False, timeout=args.timeout)
            print(f"   flask:    {real.passed}/{real.total} passed", flush=True)
        rows.append((suite, source, aio, real))
        details.append((suite, aio))

    print()
    header = f"{'suite':<18}{'aioflask':>16}{'flask':>16}  fail/error/skip (aioflask)"
    print(header)
    print("-" * len(header))
    for suite, _source, aio, real in rows:
        flask_col = f"{real.passed}/{real.total}" if real else "-"
        line = f"{suite.name:<18}{f'{aio.passed}/{aio.total}':>16}{flask_col:>16}"
        line += f"  {aio.failed}/{aio.errors}/{aio.skipped}"
        for note in (aio.note, real.note if real else ""):
            if note:
                line += f"  ({note})"
        print(line)
        if suite.deselect:
            print(f"{'':<18}(left out: {', '.join(t.split('::')[1] for t in suite.deselect)})")

    for suite, aio in details:
        if not aio.failures:
            continue
        print(f"\n== {suite.name}: most common failure messages under aioflask")
        counts = Counter(signature(message) for _test, message in aio.failures)
        for message, count in counts.most_common(args.top):
            print(f"{count:5d}  {message}")

    if args.failures:
        with args.failures.open("w") as out:
            for suite, aio in details:
                for test, message in aio.failures:
                    out.write(f"{suite.name}\t{test}\t{message}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
