"""In-process micro-benchmark: aioflask against plain Starlette.

No server and no sockets: each ASGI app is called directly with a pre-built
scope, a `receive` that hands over one `http.request` message, and a `send`
that throws the response away. What is measured is the framework's own work
per request (routing, request and response objects, contexts, hooks), which
is the part aioflask adds on top of Starlette.

    python bench/run.py            # full run, about 30-40 s on 2 cores
    python bench/run.py --quick    # a few seconds, numbers are rough

Each case is warmed up, then timed for several rounds with
`time.perf_counter`. A round's size is picked from the warm-up speed so that
slow cases do not blow the time budget (at most `--n` requests per round).
The table shows the best round and, in brackets, the median round, in
microseconds per request. Ratios use the best rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import starlette
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message

from aioflask import Flask

HELLO = "Hello, World!"
JSON_BODY = b'{"message":"Hello, World!"}'
PLAINTEXT_TARGET = 1.5
JSON_TARGET = 1.5
ROUTING_TARGET = 1.2
MANY_ROUTES = 1000
FEW_ROUTES = 10


# -- the apps under test ---------------------------------------------------------------------


def make_aioflask_app() -> Flask:
    """The aioflask side of the plaintext, JSON and path-parameter cases."""
    app = Flask(__name__, static_folder=None)

    @app.get("/")
    async def plaintext() -> str:
        return HELLO

    @app.get("/sync")
    def plaintext_sync() -> str:
        return HELLO

    @app.get("/json")
    async def json() -> dict[str, str]:
        return {"message": HELLO}

    @app.get("/user/<int:id>")
    async def user(id: int) -> str:
        return f"user {id}"

    return app


def make_starlette_app() -> Starlette:
    """The same four endpoints written for plain Starlette."""

    async def plaintext(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse(HELLO)

    def plaintext_sync(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse(HELLO)

    async def json(request: StarletteRequest) -> JSONResponse:
        return JSONResponse({"message": HELLO})

    async def user(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse(f"user {request.path_params['id']}")

    return Starlette(
        routes=[
            Route("/", plaintext),
            Route("/sync", plaintext_sync),
            Route("/json", json),
            Route("/user/{id:int}", user),
        ]
    )


def make_many_routes_app(count: int) -> Flask:
    """An aioflask app with `count` rules: half `/r{i}/<int:id>`, half `/s{i}/static`.

    The rules are spread over different first segments, as a real app's
    blueprints are, and are registered interleaved so the last ones added are
    a dynamic and a static rule.
    """
    app = Flask(__name__, static_folder=None)

    def add(i: int) -> None:
        async def dynamic(id: int) -> str:
            return f"r{i} {id}"

        async def static() -> str:
            return f"s{i}"

        app.add_url_rule(f"/r{i}/<int:id>", endpoint=f"r{i}", view_func=dynamic)
        app.add_url_rule(f"/s{i}/static", endpoint=f"s{i}", view_func=static)

    for i in range(count // 2):
        add(i)
    return app


# -- the synthetic ASGI side ---------------------------------------------------------------------


def make_scope(path: str, method: str = "GET") -> dict[str, Any]:
    """An HTTP scope as uvicorn builds it for a plain browser-like request."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("ascii"),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:5000"),
            (b"user-agent", b"aioflask-bench"),
            (b"accept", b"*/*"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 5000),
    }


_REQUEST_MESSAGE: Message = {"type": "http.request", "body": b"", "more_body": False}


async def receive() -> Message:
    return _REQUEST_MESSAGE


async def discard(message: Message) -> None:
    return None


async def call_once(app: ASGIApp, scope: dict[str, Any]) -> tuple[int, bytes]:
    """Call `app` once and return the status and the body it sent."""
    status = 0
    body = bytearray()

    async def capture(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(dict(scope), receive, capture)
    return status, bytes(body)


async def time_requests(app: ASGIApp, scope: dict[str, Any], n: int) -> float:
    """Seconds taken by `n` back-to-back requests (each gets a fresh copy of the scope)."""
    start = time.perf_counter()
    for _ in range(n):
        await app(scope.copy(), receive, discard)
    return time.perf_counter() - start


# -- cases and measurement -----------------------------------------------------------------------


@dataclass
class Case:
    """One app and one request to time; `expected` is checked before timing."""

    name: str
    app: ASGIApp
    path: str
    expected: bytes


@dataclass
class Timing:
    """Microseconds per request for each timed round of one case."""

    case: Case
    per_round: int
    rounds_us: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.rounds_us)

    @property
    def median(self) -> float:
        return statistics.median(self.rounds_us)


@dataclass
class Settings:
    """How long to measure: rounds, the cap on requests per round, the warm-up."""

    rounds: int = 5
    max_per_round: int = 20_000
    round_seconds: float = 0.5
    warmup_seconds: float = 0.2
    min_per_round: int = 200
    loop: str = "asyncio"

    @classmethod
    def quick(cls) -> Settings:
        return cls(
            rounds=3,
            max_per_round=2_000,
            round_seconds=0.08,
            warmup_seconds=0.03,
            min_per_round=50,
        )


def build_cases() -> dict[str, Case]:
    """Every case the table needs, keyed by a short id."""
    flask_app = make_aioflask_app()
    star_app = make_starlette_app()
    many = make_many_routes_app(MANY_ROUTES)
    few = make_many_routes_app(FEW_ROUTES)
    last_many = MANY_ROUTES // 2 - 1
    last_few = FEW_ROUTES // 2 - 1
    hello = HELLO.encode()
    return {
        "aio_plain": Case("aioflask GET /", flask_app, "/", hello),
        "star_plain": Case("starlette GET /", star_app, "/", hello),
        "aio_json": Case("aioflask GET /json", flask_app, "/json", JSON_BODY),
        "star_json": Case("starlette GET /json", star_app, "/json", JSON_BODY),
        "aio_param": Case("aioflask GET /user/42", flask_app, "/user/42", b"user 42"),
        "star_param": Case("starlette GET /user/42", star_app, "/user/42", b"user 42"),
        "aio_sync": Case("aioflask def GET /sync", flask_app, "/sync", hello),
        "star_sync": Case("starlette def GET /sync", star_app, "/sync", hello),
        "many_routes": Case(
            f"aioflask {MANY_ROUTES} routes", many, f"/r{last_many}/42", f"r{last_many} 42".encode()
        ),
        "few_routes": Case(
            f"aioflask {FEW_ROUTES} routes", few, f"/r{last_few}/42", f"r{last_few} 42".encode()
        ),
        "many_routes_static": Case(
            f"aioflask {MANY_ROUTES} routes, static",
            many,
            f"/s{last_many}/static",
            f"s{last_many}".encode(),
        ),
        "few_routes_static": Case(
            f"aioflask {FEW_ROUTES} routes, static",
            few,
            f"/s{last_few}/static",
            f"s{last_few}".encode(),
        ),
    }


async def check(case: Case) -> None:
    """Fail loudly if a case does not answer 200 with the expected body."""
    status, body = await call_once(case.app, make_scope(case.path))
    if status != 200 or body.strip() != case.expected:
        raise RuntimeError(
            f"Benchmark case {case.name!r} answered {status} {body[:200]!r}; expected 200 "
            f"{case.expected!r}. Fix the app before timing it."
        )


async def measure(case: Case, settings: Settings) -> Timing:
    """Warm `case` up, size a round from the warm-up speed, then time the rounds."""
    await check(case)
    scope = make_scope(case.path)
    warm_n, warm_s = 0, 0.0
    batch = max(settings.min_per_round // 4, 1)
    while True:
        warm_s += await time_requests(case.app, scope, batch)
        warm_n += batch
        if warm_s >= settings.warmup_seconds:
            break
    per_request = warm_s / warm_n
    n = int(settings.round_seconds / per_request)
    n = max(settings.min_per_round, min(settings.max_per_round, n))
    timing = Timing(case, n)
    for _ in range(settings.rounds):
        gc.collect()
        seconds = await time_requests(case.app, scope, n)
        timing.rounds_us.append(seconds / n * 1e6)
    return timing


async def measure_all(
    settings: Settings, only: list[str] | None = None, progress: bool = False
) -> dict[str, Timing]:
    """Measure every case (or the ids in `only`) one after another."""
    cases = build_cases()
    results: dict[str, Timing] = {}
    for key, case in cases.items():
        if only is not None and key not in only:
            continue
        if progress:
            print(f"  timing {case.name} ...", file=sys.stderr, flush=True)
        results[key] = await measure(case, settings)
    return results


# -- the report --------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: a measurement against its baseline."""

    label: str
    subject: Timing
    baseline: Timing
    target: float | None

    @property
    def ratio(self) -> float:
        return self.subject.best / self.baseline.best

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "info"
        return "PASS" if self.ratio <= self.target else "MISS"


def build_rows(results: dict[str, Timing]) -> tuple[list[Row], list[Row]]:
    """The framework comparison rows and the route-count rows."""
    r = results
    versus = [
        Row("plaintext  GET /", r["aio_plain"], r["star_plain"], PLAINTEXT_TARGET),
        Row("json       GET /json", r["aio_json"], r["star_json"], JSON_TARGET),
        Row("path param GET /user/42", r["aio_param"], r["star_param"], None),
        Row("sync def   GET /sync", r["aio_sync"], r["star_sync"], None),
    ]
    routing = [
        Row("dynamic /r499/42 vs /r4/42", r["many_routes"], r["few_routes"], ROUTING_TARGET),
        Row(
            "static /s499/static vs /s4/static",
            r["many_routes_static"],
            r["few_routes_static"],
            None,
        ),
    ]
    return versus, routing


def _us(t: Timing) -> str:
    return f"{t.best:8.1f} ({t.median:6.1f})"


def _target(row: Row) -> str:
    return f"<= {row.target:.1f}x" if row.target is not None else "-"


def format_report(results: dict[str, Timing], settings: Settings) -> str:
    """The printed table: µs per request as `best (median)`, ratios and PASS/MISS."""
    versus, routing = build_rows(results)
    rounds = {t.per_round for t in results.values()}
    lines = [
        f"aioflask {_dist_version()} vs Starlette {starlette.__version__} | "
        f"Python {platform.python_version()} ({platform.machine()}) | {settings.loop} loop",
        f"{settings.rounds} rounds of {min(rounds)}-{max(rounds)} requests per case; "
        "microseconds per request, best (median); ratios use the best round",
        "",
        f"{'case':<36}{'aioflask':>19}{'starlette':>19}{'ratio':>8}{'target':>10}  result",
        "-" * 100,
    ]
    for row in versus:
        lines.append(
            f"{row.label:<36}{_us(row.subject):>19}{_us(row.baseline):>19}"
            f"{row.ratio:>7.2f}x{_target(row):>10}  {row.verdict}"
        )
    lines += [
        "",
        f"{'routing (aioflask only)':<36}{f'{MANY_ROUTES} routes':>19}"
        f"{f'{FEW_ROUTES} routes':>19}{'ratio':>8}{'target':>10}  result",
        "-" * 100,
    ]
    for row in routing:
        lines.append(
            f"{row.label:<36}{_us(row.subject):>19}{_us(row.baseline):>19}"
            f"{row.ratio:>7.2f}x{_target(row):>10}  {row.verdict}"
        )
    missed = [row.label.split()[0] for row in versus + routing if row.verdict == "MISS"]
    lines += [
        "",
        "targets: plaintext and JSON <= 1.5x Starlette; 1000 routes <= 1.2x 10 routes",
        f"summary: {'all targets met' if not missed else 'MISS: ' + ', '.join(missed)}",
    ]
    return "\n".join(lines)


def _dist_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aioflask")
    except PackageNotFoundError:
        return "(not installed)"


def missed_targets(results: dict[str, Timing]) -> list[str]:
    """Labels of the rows whose ratio is above its target."""
    versus, routing = build_rows(results)
    return [row.label for row in versus + routing if row.verdict == "MISS"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a short, rough run (a few seconds)")
    parser.add_argument("--rounds", type=int, help="timed rounds per case (default 5)")
    parser.add_argument("--n", type=int, help="at most this many requests per round (20000)")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop, as uvicorn does")
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
    args = parser.parse_args(argv)
    settings = Settings.quick() if args.quick else Settings()
    if args.rounds:
        settings.rounds = args.rounds
    if args.n:
        settings.max_per_round = args.n
    if args.uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        settings.loop = "uvloop"
    started = time.perf_counter()
    results = asyncio.run(measure_all(settings, progress=True))
    print(format_report(results, settings))
    print(f"(measured in {time.perf_counter() - started:.1f} s)")
    return 1 if args.strict and missed_targets(results) else 0


if __name__ == "__main__":
    sys.exit(main())
