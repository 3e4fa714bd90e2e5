"""Robustness of the async core: contexts, worker threads, closing, caches.

Each test here was written first, failing, against a bug found by reading
the core modules; the fix is in the module named in the test's docstring.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from aioflask import Flask, g, request, send_file
from tests.serving import serve


def _scope(method: str = "GET", path: str = "/") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1),
        "server": ("localhost", 80),
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


# -- _threads._run_coro_blocking ----------------------------------------------------------------
async def test_async_teardown_of_a_sync_with_inside_a_running_loop_sees_the_context() -> None:
    """`_threads._run_coro_blocking`: the private loop's thread ran without the caller's
    context variables, so an `async def` teardown function run by a plain `with
    app.app_context():` in async code could not use `g` or `current_app`."""
    app = Flask(__name__)
    seen: list[Any] = []

    @app.teardown_request
    async def close_request(exc: BaseException | None) -> None:
        seen.append(request.path)

    @app.teardown_appcontext
    async def close_db(exc: BaseException | None) -> None:
        seen.append(g.get("db"))

    with app.app_context():
        g.db = "handle"
    assert seen == ["handle"]

    seen.clear()
    with app.test_request_context("/page"):
        g.db = "other"
    assert seen == ["/page", "other"]


# -- ctx.RequestContext.run_sync ----------------------------------------------------------------
async def test_worker_got_after_the_request_ended_goes_back_to_the_pool() -> None:
    """`ctx.RequestContext.run_sync`: a task the view spawned waited for a worker
    (all taken); the request ended meanwhile, and the worker it then got was
    stored on the finished context, never to be given back."""
    app = Flask(__name__)
    app.config["WORKER_THREADS"] = 1
    pool = app.worker_pool
    spawned: list[asyncio.Task[Any]] = []

    def blocking_work() -> str:
        return "done"

    @app.get("/")
    async def index() -> str:
        spawned.append(asyncio.ensure_future(app.ensure_async_call(blocking_work)))
        await asyncio.sleep(0.01)  # the task is now waiting for the pool
        return "ok"

    held = await pool.acquire()  # every worker is busy elsewhere
    async with app.test_client() as client:
        assert (await client.get("/")).text == "ok"
        pool.release(held)  # the waiting task gets it, after its request ended
        assert await asyncio.wait_for(spawned[0], 5) == "done"
    assert pool._idle == [held], "the worker was not given back"
    held.stop()


# -- wrappers/response.Response.__call__ --------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_streamed_body_is_closed_when_the_status_line_cannot_be_sent(
    method: str, tmp_path: Path
) -> None:
    """`wrappers/response.py`: when `send(http.response.start)` raised (the client
    left; uvicorn also raises for a header it refuses), the streamed body was
    never closed: the file `send_file` was given stayed open."""
    app = Flask(__name__)
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 100)
    opened: list[IO[bytes]] = []

    @app.get("/")
    async def index() -> Any:
        opened.append(open(path, "rb"))
        return send_file(opened[0], mimetype="application/octet-stream")

    async def send(message: dict[str, Any]) -> None:
        raise OSError("the client went away")

    with pytest.raises(OSError):
        await app(_scope(method), _receive, send)
    assert opened[0].closed


async def test_started_generator_is_closed_when_the_bodiless_reply_cannot_be_sent() -> None:
    """`wrappers/response.py`: the same for a 204 whose body is a started generator."""
    app = Flask(__name__)
    closed: list[bool] = []

    def body() -> Iterator[str]:
        try:
            yield "never sent"
        finally:
            closed.append(True)

    @app.get("/")
    async def index() -> Any:
        gen = body()
        next(gen)  # started (as `stream_with_context` does): closing runs `finally`
        return app.response_class(gen, status=204)

    async def send(message: dict[str, Any]) -> None:
        raise OSError("the client went away")

    with pytest.raises(OSError):
        await app(_scope(), _receive, send)
    assert closed == [True]


def test_sent_file_is_closed_when_uvicorn_refuses_a_header(tmp_path: Path) -> None:
    """The same on a real server: uvicorn raises from `send` for a header value
    it refuses, before anything is sent."""
    app = Flask(__name__)
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 100)
    opened: list[IO[bytes]] = []

    @app.get("/")
    def index() -> Any:
        opened.append(open(path, "rb"))
        response = send_file(opened[0], mimetype="application/octet-stream")
        response.raw_headers.append((b"x-bad", b"a\x00b"))  # bypasses the header checks
        return response

    with serve(app) as url:
        try:
            httpx.get(url + "/", timeout=5)
        except httpx.HTTPError:  # uvicorn may drop the connection instead of a 500
            pass
    assert opened[0].closed


# -- app.Flask._is_async ------------------------------------------------------------------------
async def test_async_cache_does_not_grow_with_per_call_callables() -> None:
    """`app.Flask._is_async`: every callable ever checked was kept in `_async_cache`,
    so per-call partials or bound methods of per-request objects (passed to
    `ensure_sync`/`ensure_async_call`) grew it, and kept them alive, forever."""
    app = Flask(__name__)

    def add(a: int, b: int) -> int:
        return a + b

    for i in range(5000):
        app.ensure_sync(functools.partial(add, i))(1)
    assert len(app._async_cache) <= 1024
