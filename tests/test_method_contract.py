"""Flask's sync method contract for the pipeline methods.

Extensions wrap and override `handle_exception`, `process_response` and the
other pipeline methods with plain functions, and call the originals as plain
functions. These tests do what such code does and check the responses.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aioflask import Flask, Response, abort, g, request
from aioflask.exceptions import HTTPException, NotFound


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


def add_header(app: Flask, f: Callable[..., Any]) -> Callable[..., Any]:
    """What Flask-CORS does to `handle_exception` and `handle_user_exception`."""

    def wrapped(*args: Any, **kwargs: Any) -> Response:
        response = app.make_response(f(*args, **kwargs))
        response.headers["X-Wrapped"] = f.__name__
        return response

    return wrapped


def test_the_fast_path_is_kept_for_plain_apps() -> None:
    assert Flask._aio_custom_pipeline is False
    app = Flask(__name__)
    assert app._aio_custom_pipeline is False
    app.handle_exception = add_header(app, app.handle_exception)  # type: ignore[method-assign]
    assert app._aio_custom_pipeline is True
    assert Flask(__name__)._aio_custom_pipeline is False


async def test_sync_wrapper_of_handle_exception_gets_a_response() -> None:
    app = Flask(__name__)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("view failed")

    @app.get("/aboom")
    async def aboom() -> str:
        raise RuntimeError("view failed")

    app.handle_exception = add_header(app, app.handle_exception)  # type: ignore[method-assign]
    async with client_for(app) as client:
        for path in ("/boom", "/aboom"):
            r = await client.get(path)
            assert r.status_code == 500
            assert r.headers["x-wrapped"] == "handle_exception"
            assert "view failed" not in r.text


async def test_sync_wrapper_of_handle_user_exception_sees_http_errors_and_handlers() -> None:
    app = Flask(__name__)

    @app.errorhandler(418)
    def teapot(e: HTTPException) -> tuple[str, int]:
        return "short and stout", 418

    @app.get("/missing")
    def missing() -> str:
        abort(404)

    @app.get("/teapot")
    async def teapot_view() -> str:
        abort(418)

    app.handle_user_exception = add_header(  # type: ignore[method-assign]
        app, app.handle_user_exception
    )
    async with client_for(app) as client:
        r = await client.get("/missing")
        assert (r.status_code, r.headers["x-wrapped"]) == (404, "handle_user_exception")
        r = await client.get("/teapot")
        assert (r.status_code, r.text) == (418, "short and stout")
        assert r.headers["x-wrapped"] == "handle_user_exception"
        r = await client.get("/nowhere")  # a routing error goes the same way
        assert (r.status_code, r.headers["x-wrapped"]) == (404, "handle_user_exception")


async def test_sync_subclass_override_calls_super_on_the_request_thread() -> None:
    threads: dict[str, int] = {}

    class App(Flask):
        def process_response(self, response: Response) -> Response:
            threads["override"] = threading.get_ident()
            response = super().process_response(response)  # runs the def hook below
            response.headers["X-Processed"] = "yes"
            return response

    app = App(__name__)

    @app.before_request
    def before() -> None:
        threads["before"] = threading.get_ident()

    @app.after_request
    def after(response: Response) -> Response:
        threads["after"] = threading.get_ident()
        response.headers["X-After"] = "ran"
        return response

    @app.get("/")
    def index() -> str:
        threads["view"] = threading.get_ident()
        return "ok"

    async with client_for(app) as client:
        r = await asyncio.wait_for(client.get("/"), 5)
    assert (r.status_code, r.text) == (200, "ok")
    assert (r.headers["x-processed"], r.headers["x-after"]) == ("yes", "ran")
    # One thread for the whole request, the override's call into the pipeline included.
    assert len(set(threads.values())) == 1, threads
    assert threads["override"] != threading.get_ident()


async def test_sync_overrides_of_dispatch_steps() -> None:
    calls: list[str] = []

    class App(Flask):
        def full_dispatch_request(self) -> Response:
            calls.append("full")
            response: Response = super().full_dispatch_request()
            response.headers["X-Full"] = "1"
            return response

        def preprocess_request(self) -> Any:
            calls.append("pre")
            return super().preprocess_request()

        def dispatch_request(self) -> Any:
            calls.append("dispatch")
            rv = super().dispatch_request()
            return rv.upper() if isinstance(rv, str) else rv

        def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Response:
            calls.append("finalize")
            response: Response = super().finalize_request(rv, from_error_handler)
            return response

    app = App(__name__)

    @app.before_request
    async def before() -> None:
        g.loop = asyncio.get_running_loop()

    @app.get("/sync")
    def sync_view() -> str:
        return "sync"

    @app.get("/async")
    async def async_view() -> str:
        assert asyncio.get_running_loop() is g.loop  # the server's loop, not a private one
        return "async"

    async with client_for(app) as client:
        r = await client.get("/sync")
        assert (r.text, r.headers["x-full"]) == ("SYNC", "1")
        r = await client.get("/async")
        assert (r.text, r.headers["x-full"]) == ("ASYNC", "1")
    assert calls == ["full", "pre", "dispatch", "finalize"] * 2


async def test_async_override_awaits_super() -> None:
    class App(Flask):
        async def handle_http_exception(self, e: HTTPException) -> Any:
            rv = await super().handle_http_exception(e)
            response = self.make_response(rv)
            response.headers["X-Code"] = str(e.code)
            return response

    app = App(__name__)
    async with client_for(app) as client:
        r = await client.get("/nowhere")
    assert (r.status_code, r.headers["x-code"]) == (404, "404")


def test_methods_return_results_in_sync_code_outside_a_loop() -> None:
    app = Flask(__name__)

    @app.before_request
    def block() -> str | None:
        return "blocked" if request.args.get("block") else None

    @app.route("/")
    def index() -> str:
        return "index"

    with app.test_request_context("/?block=1"):
        assert app.preprocess_request() == "blocked"
        response = app.finalize_request("done")
        assert isinstance(response, Response) and response.get_data() == b"done"
        rv = app.handle_user_exception(NotFound())
        assert isinstance(rv, NotFound)
        with pytest.raises(RuntimeError):
            app.handle_user_exception(RuntimeError("unhandled"))


async def test_methods_are_awaitable_in_async_code() -> None:
    app = Flask(__name__)

    @app.route("/")
    async def index() -> str:
        return "index"

    async with app.test_request_context("/"):
        assert await app.preprocess_request() is None
        assert await app.dispatch_request() == "index"


async def test_ensure_sync_in_a_def_view_runs_on_the_servers_loop() -> None:
    app = Flask(__name__)
    loops: list[asyncio.AbstractEventLoop] = []

    async def lookup(name: str) -> str:
        loops.append(asyncio.get_running_loop())
        await asyncio.sleep(0)
        return f"found {name} for {request.path}"

    @app.get("/")
    def index() -> str:
        return app.ensure_sync(lookup)("ada")  # type: ignore[no-any-return]

    async with client_for(app) as client:
        r = await client.get("/")
    assert r.text == "found ada for /"
    assert loops == [asyncio.get_running_loop()]
