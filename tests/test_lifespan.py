"""The ASGI lifespan: before_serving / after_serving under uvicorn and the test client."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import Message

from aioflask import Flask, current_app, g
from tests.serving import serve


async def run_lifespan(app: Flask, *incoming: str) -> list[Message]:
    queue = [{"type": t} for t in incoming]
    sent: list[Message] = []

    async def receive() -> Message:
        return queue.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    await asyncio.wait_for(app(scope, receive, send), 5)
    return sent


@pytest.mark.parametrize("sync", [True, False], ids=["def", "async"])
async def test_serving_functions_run_once_with_an_app_context(sync: bool) -> None:
    app = Flask(__name__)
    calls: list[Any] = []

    def sync_start() -> None:
        g.started = "yes"
        calls.append(("start", current_app.name, g.started))

    async def async_start() -> None:
        g.started = "yes"
        calls.append(("start", current_app.name, g.started))

    def sync_stop() -> None:
        calls.append(("stop", current_app.name, g.get("started")))

    async def async_stop() -> None:
        calls.append(("stop", current_app.name, g.get("started")))

    app.before_serving(sync_start if sync else async_start)
    app.after_serving(sync_stop if sync else async_stop)
    sent = await run_lifespan(app, "lifespan.startup", "lifespan.shutdown")
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    # Each phase has its own app context, so `g` starts empty at shutdown.
    assert calls == [("start", app.name, "yes"), ("stop", app.name, None)]


async def test_after_serving_failure_is_reported_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask(__name__)

    @app.after_serving
    def stop() -> None:
        raise RuntimeError("could not close the pool")

    sent = await run_lifespan(app, "lifespan.startup", "lifespan.shutdown")
    assert sent[-1] == {
        "type": "lifespan.shutdown.failed",
        "message": "RuntimeError: could not close the pool",
    }
    assert any(r.exc_info and "after_serving" in r.getMessage() for r in caplog.records)


async def test_uvicorn_runs_serving_functions_around_requests() -> None:
    app = Flask(__name__)
    events: list[str] = []

    @app.before_serving
    async def start() -> None:
        current_app.config["POOL"] = "open"
        events.append("before_serving")

    @app.after_serving
    def stop() -> None:
        events.append("after_serving")

    @app.get("/")
    async def index() -> str:
        events.append("request")
        return str(current_app.config["POOL"])

    with serve(app) as base:  # lifespan="auto": used, as the app answers it
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            assert (await client.get("/")).text == "open"
            assert (await client.get("/")).text == "open"
    assert events == ["before_serving", "request", "request", "after_serving"]


def test_uvicorn_refuses_to_start_when_before_serving_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    app = Flask(__name__)
    requests: list[str] = []

    @app.before_serving
    def connect() -> None:
        raise ConnectionError("database unreachable")

    @app.get("/")
    async def index() -> str:
        requests.append("served")
        return "never"

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="on", log_level="info", log_config=None
    )
    server = uvicorn.Server(config)
    exit_codes: list[Any] = []

    def run() -> None:
        try:
            server.run()
        except SystemExit as exc:  # uvicorn exits the process on a failed startup
            exit_codes.append(exc.code)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), "uvicorn kept running after a failed startup"
    assert not server.started
    assert exit_codes == [uvicorn.config.STARTUP_FAILURE]
    messages = [r.getMessage() for r in caplog.records]
    # Our traceback on app.logger, and uvicorn's own report with the message.
    assert any("before_serving function failed" in m for m in messages)
    assert any("ConnectionError: database unreachable" in m for m in messages)
    assert any("Application startup failed" in m for m in messages)
    assert requests == []


async def test_test_client_runs_the_lifespan_on_async_with() -> None:
    app = Flask(__name__)
    events: list[str] = []

    @app.before_serving
    def start() -> None:
        events.append("start")

    @app.after_serving
    async def stop() -> None:
        events.append("stop")

    @app.get("/")
    async def index() -> str:
        return ",".join(events)

    async with app.test_client() as client:
        assert (await client.get("/")).text == "start"
    assert events == ["start", "stop"]


async def test_test_client_reports_a_failed_startup() -> None:
    app = Flask(__name__)

    @app.before_serving
    async def start() -> None:
        raise ValueError("bad setting")

    with pytest.raises(RuntimeError, match="ValueError: bad setting"):
        async with app.test_client():
            pass


async def test_teardown_appcontext_runs_for_each_serving_phase() -> None:
    app = Flask(__name__)
    closed: list[BaseException | None] = []

    @app.teardown_appcontext
    def close(exc: BaseException | None) -> None:
        closed.append(exc)

    @app.before_serving
    def start() -> None:
        g.conn = "db"

    await run_lifespan(app, "lifespan.startup", "lifespan.shutdown")
    assert closed == [None, None]
