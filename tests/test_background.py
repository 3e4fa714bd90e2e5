"""Background tasks: after the response, in an app context, logged, awaited at shutdown."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from aioflask import (
    Flask,
    copy_current_request_context,
    current_app,
    g,
    has_request_context,
    request,
    session,
)
from aioflask.background import wait_for_background_tasks
from tests.serving import serve
from tests.test_streaming import Harness, http_scope


def asgi_client(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


async def settle(app: Flask, timeout: float = 2.0) -> None:
    await asyncio.wait_for(wait_for_background_tasks(app, timeout), timeout + 1)


# -- when and where they run -------------------------------------------------------------------


@pytest.mark.parametrize("sync_view", [True, False], ids=["def-view", "async-view"])
async def test_task_starts_after_the_response_and_teardown(sync_view: bool) -> None:
    app = Flask(__name__)
    harness = Harness()

    async def task(name: str, *, suffix: str) -> None:
        harness.sent.append(f"task {name}{suffix}")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        harness.sent.append("teardown")

    def sync_view_func() -> str:
        app.add_background_task(task, "a", suffix="!")
        return "ok"

    async def async_view_func() -> str:
        app.add_background_task(task, "a", suffix="!")
        await asyncio.sleep(0.01)  # a task added during the request does not start yet
        assert not app.background_tasks
        return "ok"

    app.add_url_rule("/", view_func=sync_view_func if sync_view else async_view_func)
    await app(http_scope(), harness.receive, harness.send)
    await settle(app)
    assert harness.kinds() == ["start", "end:ok", "teardown", "task a!"]


async def test_sync_task_runs_on_a_worker_thread_with_args() -> None:
    app = Flask(__name__)
    seen: list[Any] = []
    done = threading.Event()

    def task(a: int, b: int = 0) -> None:
        seen.append((a + b, threading.current_thread() is not threading.main_thread()))
        seen.append(current_app.name)
        done.set()

    @app.get("/")
    async def view() -> str:
        current_app.add_background_task(task, 1, b=2)
        return "ok"

    async with app.test_client() as client:
        assert (await client.get("/")).text == "ok"
    assert done.is_set()
    assert seen == [(3, True), app.name]


async def test_task_gets_a_fresh_app_context_and_no_request() -> None:
    app = Flask(__name__)
    seen: list[Any] = []

    async def task() -> None:
        seen.append(current_app.name)
        seen.append(g.get("user", "unset"))
        g.user = "task"
        seen.append(has_request_context())
        with pytest.raises(RuntimeError, match="outside of request context"):
            request.path  # noqa: B018 - the access is the point

    @app.get("/")
    async def view() -> str:
        g.user = "view"
        app.add_background_task(task)
        return "ok"

    async with app.test_client() as client:
        await client.get("/")
    assert seen == [app.name, "unset", False]


@pytest.mark.parametrize("sync", [True, False], ids=["def", "async"])
async def test_copy_current_request_context_works_for_tasks(sync: bool) -> None:
    app = Flask(__name__)
    app.secret_key = "dev"
    seen: list[Any] = []

    @app.get("/")
    def view() -> str:
        session["user"] = "ann"

        @copy_current_request_context
        def sync_task() -> None:
            seen.append((request.args["q"], session["user"]))

        @copy_current_request_context
        async def async_task() -> None:
            await asyncio.sleep(0)
            seen.append((request.args["q"], session["user"]))

        app.add_background_task(sync_task if sync else async_task)
        return "ok"

    async with app.test_client() as client:
        await client.get("/?q=1")
    assert seen == [("1", "ann")]


async def test_task_added_while_streaming_starts_after_the_stream() -> None:
    app = Flask(__name__)
    order: list[str] = []

    async def task() -> None:
        order.append("task")

    @app.get("/")
    async def view() -> Any:
        async def gen() -> AsyncIterator[str]:
            yield "a"
            app.add_background_task(task)
            await asyncio.sleep(0.02)
            order.append("stream end")
            yield "b"

        return gen()

    async with app.test_client() as client:
        assert (await client.get("/")).text == "ab"
    assert order == ["stream end", "task"]


async def test_task_runs_after_an_error_response_too() -> None:
    app = Flask(__name__)
    ran: list[str] = []

    async def task() -> None:
        ran.append("task")

    @app.get("/")
    async def view() -> str:
        app.add_background_task(task)
        raise ValueError("boom")

    async with app.test_client() as client:
        assert (await client.get("/")).status_code == 500
    assert ran == ["task"]


async def test_outside_a_request_the_task_starts_at_once() -> None:
    app = Flask(__name__)
    started = asyncio.Event()

    async def task() -> None:
        started.set()

    @app.before_serving
    async def warm_up() -> None:
        app.add_background_task(task)
        await asyncio.wait_for(started.wait(), 1)  # already running

    async with app.test_client():
        assert started.is_set()


async def test_task_added_by_a_task_the_view_spawned_after_the_response() -> None:
    app = Flask(__name__)
    ran: list[str] = []
    spawned: list[asyncio.Task[None]] = []

    async def later() -> None:
        ran.append("later")

    @app.get("/")
    async def view() -> str:
        async def child() -> None:
            await asyncio.sleep(0.05)  # the request is over by now
            app.add_background_task(later)

        spawned.append(asyncio.create_task(child()))
        return "ok"

    async with app.test_client() as client:
        await client.get("/")
        await asyncio.wait_for(spawned[0], 1)
    assert ran == ["later"]  # started at once, and awaited by `async with`


def test_without_a_running_loop_outside_a_request_the_error_says_why() -> None:
    app = Flask(__name__)
    with app.app_context(), pytest.raises(RuntimeError, match="running event loop"):
        app.add_background_task(lambda: None)


def test_a_non_callable_is_refused() -> None:
    app = Flask(__name__)
    with pytest.raises(TypeError, match="needs a function"):
        app.add_background_task("not callable")  # type: ignore[arg-type]


def test_the_sync_test_client_waits_for_tasks() -> None:
    app = Flask(__name__)
    ran: list[str] = []

    async def task() -> None:
        await asyncio.sleep(0.05)
        ran.append("task")

    @app.get("/")
    def view() -> str:
        app.add_background_task(task)
        return "ok"

    client = app.test_client()
    assert client.get("/").text == "ok"
    assert ran == ["task"]


# -- references, errors and shutdown -----------------------------------------------------------


async def test_the_app_holds_strong_references_until_done() -> None:
    app = Flask(__name__)
    release = asyncio.Event()

    async def task() -> None:
        await release.wait()

    @app.get("/")
    async def view() -> str:
        app.add_background_task(task)
        return "ok"

    async with asgi_client(app) as client:
        await client.get("/")
    assert len(app.background_tasks) == 1
    [running] = app.background_tasks
    assert not running.done()
    release.set()
    await settle(app)
    assert running.done() and not app.background_tasks


@pytest.mark.parametrize("sync", [True, False], ids=["def", "async"])
async def test_exceptions_are_logged_with_traceback(
    sync: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = Flask(__name__)

    def sync_task() -> None:
        raise ValueError("task failed")

    async def async_task() -> None:
        raise ValueError("task failed")

    @app.get("/")
    async def view() -> str:
        app.add_background_task(sync_task if sync else async_task)
        return "ok"

    async with app.test_client() as client:
        assert (await client.get("/")).status_code == 200
    records = [r for r in caplog.records if r.name == app.logger.name]
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.ERROR
    assert "Exception in background task" in record.getMessage()
    assert "sync_task" in record.getMessage() or "async_task" in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)


async def test_shutdown_waits_for_running_tasks_before_after_serving() -> None:
    app = Flask(__name__)
    order: list[str] = []

    async def task() -> None:
        await asyncio.sleep(0.2)
        order.append("task done")

    @app.after_serving
    def closing() -> None:
        order.append("after_serving")

    @app.get("/")
    async def view() -> str:
        app.add_background_task(task)
        return "ok"

    async with app.test_client() as client:
        await client.get("/")
        order.append("requests done")
    assert order == ["requests done", "task done", "after_serving"]


async def test_shutdown_cancels_tasks_after_the_timeout(caplog: pytest.LogCaptureFixture) -> None:
    app = Flask(__name__)
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0.1
    events: list[str] = []

    async def stuck() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise

    @app.get("/")
    async def view() -> str:
        app.add_background_task(stuck)
        return "ok"

    started = time.monotonic()
    async with app.test_client() as client:
        await client.get("/")
    assert time.monotonic() - started < 1.5
    assert events == ["cancelled"]
    assert not app.background_tasks
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("BACKGROUND_TASK_SHUTDOWN_TIMEOUT" in r.getMessage() for r in warnings)


async def test_tasks_added_by_tasks_are_awaited_at_shutdown() -> None:
    app = Flask(__name__)
    ran: list[str] = []

    async def second() -> None:
        await asyncio.sleep(0.05)
        ran.append("second")

    async def first() -> None:
        await asyncio.sleep(0.05)
        current_app.add_background_task(second)
        ran.append("first")

    @app.get("/")
    async def view() -> str:
        app.add_background_task(first)
        return "ok"

    async with app.test_client() as client:
        await client.get("/")
    assert ran == ["first", "second"]


def test_shutdown_timeout_is_a_documented_default() -> None:
    assert Flask(__name__).config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] == 5.0


async def test_real_server_shutdown_waits_for_a_running_task() -> None:
    app = Flask(__name__)
    order: list[str] = []

    async def task() -> None:
        await asyncio.sleep(0.3)
        order.append("task done")

    @app.after_serving
    async def closing() -> None:
        order.append("after_serving")

    @app.get("/")
    async def view() -> str:
        app.add_background_task(task)
        return "ok"

    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            r = await client.get("/")
            assert r.text == "ok"  # answered without waiting for the task
        assert order == []
    # Leaving `serve` stops uvicorn: the lifespan shutdown waited for the task.
    assert order == ["task done", "after_serving"]


async def test_async_with_waits_even_when_middleware_hides_the_lifespan() -> None:
    app = Flask(__name__)
    ran: list[str] = []
    inner = app.asgi_app

    async def no_lifespan(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            raise RuntimeError("this middleware does not speak lifespan")
        await inner(scope, receive, send)

    app.asgi_app = no_lifespan

    async def task() -> None:
        await asyncio.sleep(0.05)
        ran.append("task")

    @app.get("/")
    async def view() -> str:
        app.add_background_task(task)
        return "ok"

    async with app.test_client() as client:
        await client.get("/")
    assert ran == ["task"]
