"""Machine instructions per request, counted by valgrind's callgrind.

Timings on a shared 2-core machine move by tens of percent between runs;
instruction counts do not (callgrind counts the same for the same code and
inputs, whatever else the machine does). This runs the in-process cases of
`bench/run.py` under callgrind twice, with `--few` and `--many` requests,
and divides the difference in instructions by the difference in requests, so
interpreter start-up and imports cancel out.

    python bench/instructions.py               # all cases, about a minute
    python bench/instructions.py plaintext     # one case

It needs valgrind (Debian's package). Compare two versions by running it in
each checkout with the same Python.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

CASES = {
    "plaintext": ("aioflask", "/"),
    "json": ("aioflask", "/json"),
    "path param": ("aioflask", "/user/42"),
    "starlette plaintext": ("starlette", "/"),
    "starlette json": ("starlette", "/json"),
}


def serve(kind: str, path: str, count: int) -> None:
    """Call the app `count` times in-process (the child process's work)."""
    from bench.run import make_aioflask_app, make_scope, make_starlette_app

    app: Any = make_aioflask_app() if kind == "aioflask" else make_starlette_app()
    scope = make_scope(path)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def main() -> None:
        for _ in range(50):  # warm caches the same way in both runs
            await app(dict(scope), receive, send)
        for _ in range(count):
            await app(dict(scope), receive, send)

    asyncio.run(main())


def instructions(kind: str, path: str, count: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--child",
            kind,
            path,
            str(count),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    return collected(done.stderr)


def collected(report: str) -> int:
    """The instruction total from callgrind's closing lines (`==pid== Collected : N`)."""
    match = re.search(r"Collected\s*:\s*([\d,]+)", report)
    if match is None:
        raise RuntimeError(f"no instruction count in callgrind's output:\n{report[-2000:]}")
    return int(match.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "cases", nargs="*", help=f"cases to count (default all): {', '.join(CASES)}"
    )
    parser.add_argument("--few", type=int, default=200)
    parser.add_argument("--many", type=int, default=1200)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path, count = args.child
        serve(kind, path, int(count))
        return
    unknown = [name for name in args.cases if name not in CASES]
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; pick from {', '.join(CASES)}")
    for name in args.cases or CASES:
        kind, path = CASES[name]
        few = instructions(kind, path, args.few)
        many = instructions(kind, path, args.many)
        per_request = (many - few) / (args.many - args.few)
        print(f"{name:<22} {per_request:>12,.0f} instructions per request", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
