"""Concurrency guarantees: isolated contexts, thread-pool queueing, failures that stay local.

HOSTILE_INPUTS C1, C3, C5 and C8.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest

from aioflask import Flask, g, request, session
from aioflask.globals import _cv_app, _cv_request
from aioflask.sessions import SecureCookieSessionInterface
from tests.serving import serve


def asgi_client(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost", timeout=20
    )


def session_cookie(app: Flask, data: dict[str, Any]) -> str:
    interface = cast(SecureCookieSessionInterface, app.session_interface)
    serializer = interface.get_signing_serializer(app)
    assert serializer is not None
    return f"session={serializer.dumps(data)}"


def read_session(app: Flask, response: httpx.Response) -> Any:
    interface = cast(SecureCookieSessionInterface, app.session_interface)
    serializer = interface.get_signing_serializer(app)
    assert serializer is not None
    value = response.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
    return serializer.loads(value)


# -- C1: 1,000 concurrent requests see only their own values ------------------------------------


async def test_c1_a_thousand_concurrent_requests_see_only_their_own_values() -> None:
    app = Flask(__name__)
    app.secret_key = "concurrency"
    rng = random.Random(1)
    delays = [rng.random() * 0.05 for _ in range(1000)]

    def report(n: int) -> dict[str, Any]:
        return {
            "g": g.n,
            "session_in": session["incoming"],
            "session": session["n"],
            "arg": int(request.args["n"]),
            "path": request.path,
            "view_arg": n,
        }

    @app.get("/async/<int:n>")
    async def async_view(n: int) -> dict[str, Any]:
        g.n = n
        session["n"] = n
        await asyncio.sleep(delays[n])
        return report(n)

    @app.get("/sync/<int:n>")
    def sync_view(n: int) -> dict[str, Any]:
        g.n = n
        session["n"] = n
        time.sleep(delays[n] / 10)
        return report(n)

    async def one(client: httpx.AsyncClient, n: int) -> httpx.Response:
        kind = "sync" if n % 4 == 0 else "async"
        cookie = session_cookie(app, {"incoming": n})
        return await client.get(f"/{kind}/{n}?n={n}", headers={"Cookie": cookie})

    started = time.monotonic()
    async with asgi_client(app) as client:
        responses = await asyncio.wait_for(
            asyncio.gather(*(one(client, n) for n in range(1000))), 10
        )
    assert time.monotonic() - started < 10
    mismatches = []
    for n, r in enumerate(responses):
        kind = "sync" if n % 4 == 0 else "async"
        body = r.json()
        expected = {
            "g": n,
            "session_in": n,
            "session": n,
            "arg": n,
            "path": f"/{kind}/{n}",
            "view_arg": n,
        }
        if r.status_code != 200 or body != expected or read_session(app, r)["n"] != n:
            mismatches.append((n, body))
    assert mismatches == []
    assert _cv_request.get(None) is None and _cv_app.get(None) is None


# -- C3: tasks a view spawns see their own request --------------------------------------------


async def test_c3_tasks_spawned_by_views_see_their_own_request() -> None:
    app = Flask(__name__)
    spawned: list[asyncio.Task[None]] = []
    during: dict[int, Any] = {}
    after: dict[int, Any] = {}

    @app.get("/<int:n>")
    async def view(n: int) -> str:
        g.n = n

        async def child() -> None:
            await asyncio.sleep(random.random() * 0.02)
            during[n] = (g.n, int(request.args["n"]))
            await asyncio.sleep(0.1)  # the response is long gone by now
            try:
                after[n] = (g.get("n"), int(request.args["n"]))
            except RuntimeError:
                after[n] = "outside request context"

        spawned.append(asyncio.create_task(child()))
        await asyncio.sleep(0.03)
        return "ok"

    async with asgi_client(app) as client:
        responses = await asyncio.gather(*(client.get(f"/{n}?n={n}") for n in range(200)))
    assert all(r.status_code == 200 for r in responses)
    await asyncio.wait_for(asyncio.gather(*spawned), 5)
    assert during == {n: (n, n) for n in range(200)}
    # After the response a task keeps its own snapshot (or gets a clear error), never another's.
    assert all(after[n] in ((n, n), "outside request context") for n in range(200))


# -- C5: the loop stays responsive while sync code runs ----------------------------------------


async def test_c5_a_blocking_sync_stream_does_not_delay_an_async_view() -> None:
    app = Flask(__name__)

    @app.get("/stream")
    def stream() -> Any:
        def gen() -> Iterator[str]:
            yield "start\n"
            time.sleep(0.5)  # blocks the request's worker thread, not the loop
            yield "end\n"

        return gen()

    @app.get("/fast")
    async def fast() -> str:
        return "fast"

    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            async with client.stream("GET", "/stream") as r:
                chunks = r.aiter_raw()
                assert await chunks.__anext__() == b"start\n"
                started = time.perf_counter()
                fast_response = await client.get("/fast")
                elapsed = time.perf_counter() - started
                rest = b"".join([c async for c in chunks])
    assert fast_response.text == "fast"
    assert elapsed < 0.25, f"the async view waited {elapsed:.3f}s behind the sync stream"
    assert rest == b"end\n"


async def test_c5_more_sync_views_than_threads_queue_without_deadlock() -> None:
    app = Flask(__name__)

    @app.get("/slow/<int:n>")
    def slow(n: int) -> str:
        time.sleep(0.2)
        return str(n)

    @app.get("/health")
    async def health() -> str:
        return "ok"

    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as client:
            await client.get("/health")  # warm up
            started = time.perf_counter()
            slow_calls = asyncio.gather(*(client.get(f"/slow/{n}") for n in range(60)))
            slow_future = asyncio.ensure_future(slow_calls)
            await asyncio.sleep(0.05)  # let the 60 connections open: the server is busy now
            latencies: list[float] = []
            for _ in range(100):  # bounded
                if slow_future.done():
                    break
                t0 = time.perf_counter()
                assert (await client.get("/health")).text == "ok"
                latencies.append(time.perf_counter() - t0)
                await asyncio.sleep(0.02)
            responses = await asyncio.wait_for(slow_future, 10)
            total = time.perf_counter() - started
    assert [r.text for r in responses] == [str(n) for n in range(60)]
    # 100 worker threads: one wave of 0.2 s, plus overhead.
    assert total < 3, f"60 sync views took {total:.2f}s"
    assert len(latencies) >= 5
    median = statistics.median(latencies)
    assert median < 0.1, f"/health took {median:.3f}s (median) while sync views queued"
    assert max(latencies) < 0.5, f"/health took up to {max(latencies):.3f}s"


async def test_c5_sync_hook_and_60_one_second_views_leave_health_responsive() -> None:
    # A sync before_request hook makes every request, /health too, need a worker
    # thread. The default WORKER_THREADS (100) leaves room for the 61st.
    app = Flask(__name__)
    assert app.config["WORKER_THREADS"] == 100

    @app.before_request
    def hook() -> None:
        g.seen = True

    @app.get("/slow/<int:n>")
    def slow(n: int) -> str:
        time.sleep(1)
        return str(n)

    @app.get("/health")
    async def health() -> str:
        return "ok" if g.seen else "no hook"

    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as client:
            await client.get("/health")  # warm up
            started = time.perf_counter()
            slow_future = asyncio.ensure_future(
                asyncio.gather(*(client.get(f"/slow/{n}") for n in range(60)))
            )
            await asyncio.sleep(0.2)  # all 60 views are sleeping now
            latencies: list[float] = []
            for _ in range(10):  # bounded: about 0.5 s, inside the views' second
                t0 = time.perf_counter()
                assert (await client.get("/health")).text == "ok"
                latencies.append(time.perf_counter() - t0)
                await asyncio.sleep(0.05)
            responses = await asyncio.wait_for(slow_future, 10)
            total = time.perf_counter() - started
    assert [r.text for r in responses] == [str(n) for n in range(60)]
    assert total < 2.5, f"60 one-second views took {total:.2f}s"
    assert max(latencies) < 0.2, f"/health took up to {max(latencies):.3f}s"


async def test_worker_threads_sizes_the_pool_and_queues_beyond_it() -> None:
    app = Flask(__name__)
    app.config["WORKER_THREADS"] = 2

    @app.get("/slow")
    def slow() -> str:
        time.sleep(0.2)
        return "ok"

    assert app.worker_pool.max_workers == 2
    async with asgi_client(app) as client:
        started = time.perf_counter()
        rs = await asyncio.gather(*(client.get("/slow") for _ in range(4)))
        total = time.perf_counter() - started
    assert [r.text for r in rs] == ["ok"] * 4
    assert 0.35 < total < 2  # two waves of two
    default = Flask(__name__)
    assert default.worker_pool is Flask(__name__).worker_pool  # default-sized apps share one


# -- C8: failures stay with their own request ---------------------------------------------------


class Boom(Exception):
    pass


async def test_c8_before_request_failing_in_ten_percent_of_500_requests(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask(__name__)
    live = 0
    peak = 0
    before: Counter[int] = Counter()
    handled: Counter[int] = Counter()
    teardowns: Counter[int] = Counter()
    teardown_errors: dict[int, str | None] = {}

    @app.before_request
    async def check() -> None:
        nonlocal live, peak
        n = int(request.args["n"])
        live += 1
        peak = max(peak, live)
        before[n] += 1
        await asyncio.sleep(random.random() * 0.01)
        if n % 20 == 0:
            raise RuntimeError(f"unhandled {n}")  # -> 500
        if n % 20 == 10:
            raise Boom(n)  # -> handled, 503

    @app.errorhandler(Boom)
    def on_boom(e: Boom) -> tuple[str, int]:
        handled[int(request.args["n"])] += 1
        return "busy", 503

    @app.teardown_request
    def done(exc: BaseException | None) -> None:
        nonlocal live
        n = int(request.args["n"])
        live -= 1
        teardowns[n] += 1
        teardown_errors[n] = type(exc).__name__ if exc else None

    @app.get("/")
    async def index() -> str:
        await asyncio.sleep(random.random() * 0.01)
        return request.args["n"]

    async with asgi_client(app) as client:
        responses = await asyncio.wait_for(
            asyncio.gather(*(client.get(f"/?n={n}") for n in range(500))), 10
        )
    statuses = {n: r.status_code for n, r in enumerate(responses)}
    for n, r in enumerate(responses):
        if n % 20 == 0:
            assert r.status_code == 500
            assert "unhandled" not in r.text  # no traceback or message in production
        elif n % 20 == 10:
            assert (r.status_code, r.text) == (503, "busy")
        else:
            assert (r.status_code, r.text) == (200, str(n))
    assert Counter(statuses.values()) == {200: 450, 500: 25, 503: 25}
    assert before == Counter(range(500))
    assert teardowns == Counter(range(500))
    assert handled == Counter(n for n in range(500) if n % 20 == 10)
    assert all(teardown_errors[n] == ("RuntimeError" if n % 20 == 0 else None) for n in range(500))
    assert live == 0 and peak > 1
    logged = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(logged) == 25  # each unhandled error logged once
    assert _cv_request.get(None) is None and _cv_app.get(None) is None


async def test_c8_sequential_requests_on_one_keep_alive_connection() -> None:
    app = Flask(__name__)
    app.secret_key = "keep-alive"
    ports: set[int] = set()
    leaks: list[int] = []

    @app.get("/")
    async def index() -> dict[str, Any]:
        i = int(request.args["i"])
        client = request.scope.get("client")
        if client:
            ports.add(client[1])
        if "user" in g or "seen" in session:
            leaks.append(i)
        g.user = session["user"]
        if i == 50:
            raise ValueError("this one fails")
        return {"g": g.user, "session": session["user"], "i": i}

    cookies = {u: session_cookie(app, {"user": u}) for u in ("ann", "bob")}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5, limits=limits) as client:
            for i in range(100):
                user = "ann" if i % 2 else "bob"
                r = await client.get(f"/?i={i}", headers={"Cookie": cookies[user]})
                if i == 50:
                    assert r.status_code == 500
                    continue
                assert r.json() == {"g": user, "session": user, "i": i}
    assert leaks == []
    assert len(ports) == 1  # all on one connection
