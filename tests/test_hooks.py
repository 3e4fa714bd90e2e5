"""Request hooks: order, short-circuiting, teardown arguments and the thread `def` code runs on."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from aioflask import Flask, Response, after_this_request, g, request
from aioflask.exceptions import NotFound


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


async def get(app: Flask, path: str = "/", method: str = "GET") -> httpx.Response:
    async with client_for(app) as client:
        return await client.request(method, path)


# -- order -------------------------------------------------------------------------------


def _ordered_app(app: Flask, calls: list[str], *, sync: bool) -> None:
    """Register two of each hook; `sync` picks `def` or `async def` for all of them."""

    def make(name: str, returns_arg: bool = False) -> Any:
        def sync_hook(*args: Any) -> Any:
            calls.append(name)
            return args[0] if returns_arg else None

        async def async_hook(*args: Any) -> Any:
            return sync_hook(*args)

        hook = sync_hook if sync else async_hook
        hook.__name__ = name
        return hook

    app.before_request(make("before1"))
    app.before_request(make("before2"))
    app.after_request(make("after1", returns_arg=True))
    app.after_request(make("after2", returns_arg=True))
    app.teardown_request(make("teardown1"))
    app.teardown_request(make("teardown2"))
    app.teardown_appcontext(make("teardown_app1"))
    app.teardown_appcontext(make("teardown_app2"))

    def view() -> str:
        calls.append("view")
        after_this_request(make("this1", returns_arg=True))
        after_this_request(make("this2", returns_arg=True))
        return "ok"

    async def async_view() -> str:
        return view()

    app.add_url_rule("/", "index", view if sync else async_view)


EXPECTED_ORDER = [
    "before1",
    "before2",
    "view",
    "this1",
    "this2",
    "after2",
    "after1",
    "teardown2",
    "teardown1",
    "teardown_app2",
    "teardown_app1",
]


@pytest.mark.parametrize("sync", [True, False], ids=["def", "async"])
async def test_hook_order_matches_flask(app: Flask, sync: bool) -> None:
    calls: list[str] = []
    _ordered_app(app, calls, sync=sync)
    r = await get(app)
    assert r.text == "ok"
    assert calls == EXPECTED_ORDER


async def test_before_request_return_value_short_circuits_view(app: Flask) -> None:
    calls: list[str] = []

    @app.before_request
    def first() -> None:
        calls.append("first")

    @app.before_request
    async def deny() -> Any:
        calls.append("deny")
        return "denied", 403

    @app.before_request
    def never() -> None:
        calls.append("never")

    @app.after_request
    def after(response: Response) -> Response:
        calls.append("after")
        response.headers["X-After"] = "1"
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        calls.append(f"teardown:{exc!r}")

    @app.route("/")
    def index() -> str:
        calls.append("view")
        return "view"

    r = await get(app)
    assert r.status_code == 403
    assert r.text == "denied"
    assert r.headers["X-After"] == "1"
    assert calls == ["first", "deny", "after", "teardown:None"]


async def test_after_request_can_replace_the_response(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return "original"

    @app.after_request
    async def replace(response: Response) -> Response:
        return Response("replaced", status=202)

    r = await get(app)
    assert r.status_code == 202
    assert r.text == "replaced"


async def test_before_request_runs_for_unmatched_urls(app: Flask) -> None:
    seen: list[tuple[str, str | None, Any]] = []

    @app.url_value_preprocessor
    def pre(endpoint: str | None, values: dict[str, Any] | None) -> None:
        seen.append(("pre", endpoint, values))

    @app.before_request
    def before() -> None:
        seen.append(("before", request.endpoint, request.view_args))

    @app.route("/only-get")
    def only_get() -> str:
        return "x"

    r404 = await get(app, "/missing")
    r405 = await get(app, "/only-get", method="POST")
    assert r404.status_code == 404
    assert r405.status_code == 405
    assert seen == [
        ("pre", None, None),
        ("before", None, None),
        ("pre", None, None),
        ("before", None, None),
    ]


async def test_before_request_runs_for_redirects(app: Flask) -> None:
    calls: list[str] = []

    @app.before_request
    def before() -> None:
        calls.append(request.path)

    @app.route("/dir/")
    def directory() -> str:
        return "x"

    r = await get(app, "/dir")
    assert r.status_code == 308
    assert calls == ["/dir"]


async def test_before_request_can_answer_unmatched_urls(app: Flask) -> None:
    @app.before_request
    def catch_all() -> Any:
        if request.endpoint is None:
            return "caught", 200
        return None

    r = await get(app, "/nothing/here")
    assert r.status_code == 200
    assert r.text == "caught"


async def test_url_value_preprocessor_runs_before_before_request(app: Flask) -> None:
    calls: list[Any] = []

    @app.before_request
    def before() -> None:
        calls.append(("before", dict(request.view_args or {}), g.lang))

    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        calls.append(("pre", endpoint))
        g.lang = values.pop("lang") if values else None

    @app.route("/<lang>/page/<int:n>")
    def page(n: int) -> str:
        return f"{g.lang}:{n}"

    r = await get(app, "/fr/page/3")
    assert r.text == "fr:3"
    assert calls == [("pre", "page"), ("before", {"n": 3}, "fr")]


async def test_after_request_does_not_run_when_exception_propagates(app: Flask) -> None:
    app.testing = True
    calls: list[str] = []

    @app.after_request
    def after(response: Response) -> Response:
        calls.append("after")
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        calls.append(f"teardown:{type(exc).__name__}")

    @app.route("/")
    def index() -> str:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await get(app)
    assert calls == ["teardown:ZeroDivisionError"]


async def test_after_request_runs_on_error_pages(app: Flask) -> None:
    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = str(response.status_code)
        return response

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    assert (await get(app, "/missing")).headers["X-After"] == "404"
    assert (await get(app, "/boom")).headers["X-After"] == "500"


async def test_after_request_error_gives_500_and_hooks_run_again(app: Flask) -> None:
    calls: list[Any] = []
    error = RuntimeError("after failed")

    @app.after_request
    def after(response: Response) -> Response:
        calls.append(response.status_code)
        if response.status_code == 200:
            raise error
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        calls.append(exc)

    @app.route("/")
    def index() -> str:
        return "x"

    r = await get(app)
    assert r.status_code == 500
    assert calls == [200, 500, error]


async def test_exception_in_before_request_goes_to_error_handler(app: Flask) -> None:
    calls: list[str] = []

    @app.before_request
    def before() -> None:
        raise NotFound()

    @app.errorhandler(404)
    def not_found(e: NotFound) -> Any:
        calls.append("handler")
        return "handled 404", 404

    @app.route("/")
    def index() -> str:
        calls.append("view")
        return "x"

    r = await get(app)
    assert r.status_code == 404
    assert r.text == "handled 404"
    assert calls == ["handler"]


# -- teardown arguments --------------------------------------------------------------------


class Handled(Exception):
    pass


def _teardown_app(app: Flask, seen: list[Any]) -> None:
    @app.teardown_request
    def teardown_request(exc: BaseException | None) -> None:
        seen.append(("request", exc))

    @app.teardown_appcontext
    async def teardown_app(exc: BaseException | None) -> None:
        seen.append(("app", exc))


async def test_teardown_gets_none_on_success(app: Flask) -> None:
    seen: list[Any] = []
    _teardown_app(app, seen)

    @app.route("/")
    def index() -> str:
        return "x"

    await get(app)
    assert seen == [("request", None), ("app", None)]


async def test_teardown_gets_none_when_a_handler_handled_the_error(app: Flask) -> None:
    seen: list[Any] = []
    _teardown_app(app, seen)

    @app.errorhandler(Handled)
    def handle(e: Handled) -> Any:
        return "handled", 409

    @app.route("/")
    def index() -> str:
        raise Handled()

    r = await get(app)
    assert r.status_code == 409
    assert seen == [("request", None), ("app", None)]


async def test_teardown_gets_none_for_http_errors_without_a_handler(app: Flask) -> None:
    seen: list[Any] = []
    _teardown_app(app, seen)
    r = await get(app, "/missing")
    assert r.status_code == 404
    assert seen == [("request", None), ("app", None)]


async def test_teardown_gets_the_original_unhandled_exception(app: Flask) -> None:
    seen: list[Any] = []
    _teardown_app(app, seen)
    error = KeyError("k")

    @app.route("/")
    def index() -> str:
        raise error

    r = await get(app)
    assert r.status_code == 500
    assert seen == [("request", error), ("app", error)]


async def test_teardown_gets_original_exception_even_with_a_500_handler(app: Flask) -> None:
    seen: list[Any] = []
    _teardown_app(app, seen)
    error = ValueError("v")

    @app.errorhandler(500)
    def server_error(e: Exception) -> Any:
        return "custom 500", 500

    @app.route("/")
    async def index() -> str:
        raise error

    r = await get(app)
    assert r.text == "custom 500"
    assert seen == [("request", error), ("app", error)]


async def test_teardown_gets_exception_when_propagating(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True
    seen: list[Any] = []
    _teardown_app(app, seen)
    error = ZeroDivisionError()

    @app.route("/")
    def index() -> str:
        raise error

    with pytest.raises(ZeroDivisionError):
        await get(app)
    assert seen == [("request", error), ("app", error)]


@pytest.mark.parametrize("sync", [True, False], ids=["def", "async"])
async def test_error_while_streaming_reaches_teardown(app: Flask, sync: bool) -> None:
    # The context stays up while the body is sent, as with Flask's stream_with_context,
    # and teardown sees the error, as it does there.
    seen: list[Any] = []
    _teardown_app(app, seen)
    error = ValueError("mid-stream")

    def chunks() -> Iterator[str]:
        yield "a"
        raise error

    async def async_chunks() -> AsyncIterator[str]:
        yield "a"
        raise error

    @app.route("/")
    def index() -> Any:
        return chunks() if sync else async_chunks()

    # The status line is already sent: the error goes to the server.
    with pytest.raises(ValueError, match="mid-stream"):
        await get(app)
    assert seen == [("request", error), ("app", error)]


async def test_failing_teardown_is_logged_and_the_others_still_run(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    # Flask 3.1 lets the error escape and skips the remaining teardown_request
    # functions; the response has already been sent here, so aioflask logs it
    # and carries on (as Flask 3.2 does).
    calls: list[str] = []

    @app.teardown_request
    def survives(exc: BaseException | None) -> None:
        calls.append("survives")

    @app.teardown_request
    def fails(exc: BaseException | None) -> None:
        raise RuntimeError("teardown failed")

    @app.teardown_appcontext
    def app_teardown(exc: BaseException | None) -> None:
        calls.append("app")

    @app.route("/")
    def index() -> str:
        return "x"

    r = await get(app)
    assert r.status_code == 200
    assert r.text == "x"
    assert calls == ["survives", "app"]
    [record] = [rec for rec in caplog.records if rec.name == app.logger.name]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError


# -- threads: `def` code runs on one worker thread per request ----------------------------


async def test_def_view_runs_off_the_loop_and_async_view_on_it(app: Flask) -> None:
    loop_thread = threading.get_ident()
    threads: dict[str, int] = {}

    @app.route("/sync")
    def sync_view() -> str:
        threads["sync"] = threading.get_ident()
        return "s"

    @app.route("/async")
    async def async_view() -> str:
        threads["async"] = threading.get_ident()
        return "a"

    await get(app, "/sync")
    await get(app, "/async")
    assert threads["sync"] != loop_thread
    assert threads["async"] == loop_thread


async def test_all_def_functions_of_a_request_share_one_thread(app: Flask) -> None:
    loop_thread = threading.get_ident()
    threads: dict[str, int] = {}

    def record(name: str) -> None:
        threads[name] = threading.get_ident()

    @app.url_value_preprocessor
    def pre(endpoint: str | None, values: Any) -> None:
        pass

    @app.before_request
    def before() -> None:
        record("before_request")

    @app.before_request
    async def async_before() -> None:
        record("async_before")

    @app.route("/")
    def index() -> str:
        record("view")

        @after_this_request
        def this(response: Response) -> Response:
            record("after_this_request")
            return response

        return "x"

    @app.after_request
    def after(response: Response) -> Response:
        record("after_request")
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        record("teardown_request")

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        record("teardown_appcontext")

    await get(app)
    assert threads.pop("async_before") == loop_thread
    assert len(threads) == 6
    assert len(set(threads.values())) == 1, threads
    assert threads["view"] != loop_thread


async def test_error_handler_def_runs_on_the_request_thread(app: Flask) -> None:
    threads: dict[str, int] = {}

    @app.route("/")
    def index() -> str:
        threads["view"] = threading.get_ident()
        raise Handled()

    @app.errorhandler(Handled)
    def handle(e: Handled) -> str:
        threads["handler"] = threading.get_ident()
        return "handled"

    assert (await get(app)).text == "handled"
    assert threads["view"] == threads["handler"]


async def test_sqlite_connection_in_g_closed_in_teardown_appcontext(app: Flask) -> None:
    errors: list[BaseException] = []
    closed: list[bool] = []

    def get_db() -> sqlite3.Connection:
        if "db" not in g:
            g.db = sqlite3.connect(":memory:")
        return g.db  # type: ignore[no-any-return]

    @app.teardown_appcontext
    def close_db(exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            try:
                db.execute("SELECT 1")
                db.close()
                closed.append(True)
            except sqlite3.ProgrammingError as e:
                errors.append(e)

    @app.before_request
    def open_db() -> None:
        get_db().execute("CREATE TABLE t (v TEXT)")

    @app.route("/<value>")
    def store(value: str) -> str:
        db = get_db()
        db.execute("INSERT INTO t VALUES (?)", (value,))
        return str(db.execute("SELECT v FROM t").fetchone()[0])

    @app.after_request
    def count(response: Response) -> Response:
        response.headers["X-Rows"] = str(get_db().execute("SELECT count(*) FROM t").fetchone()[0])
        return response

    async with client_for(app) as client:
        responses = await asyncio.gather(*(client.get(f"/v{i}") for i in range(5)))
    assert [r.text for r in responses] == [f"v{i}" for i in range(5)]
    assert all(r.headers["X-Rows"] == "1" for r in responses)
    assert errors == []
    assert closed == [True] * 5


async def test_g_and_after_this_request_from_def_view_are_visible_later(app: Flask) -> None:
    seen: dict[str, Any] = {}

    @app.before_request
    async def before() -> None:
        g.trail = ["before"]

    @app.route("/")
    def index() -> str:
        g.trail.append("view")
        g.user = "ann"

        @after_this_request
        def add_header(response: Response) -> Response:
            response.headers["X-This"] = "yes"
            return response

        return "x"

    @app.after_request
    async def after(response: Response) -> Response:
        seen["after"] = (g.user, list(g.trail))
        return response

    @app.teardown_appcontext
    async def teardown(exc: BaseException | None) -> None:
        seen["teardown"] = g.get("user")

    r = await get(app)
    assert r.headers["X-This"] == "yes"
    assert seen == {"after": ("ann", ["before", "view"]), "teardown": "ann"}


async def test_g_is_fresh_for_each_request(app: Flask) -> None:
    @app.route("/set")
    def set_value() -> str:
        g.value = "set"
        return "ok"

    @app.route("/read")
    def read_value() -> str:
        return str(g.get("value", "missing"))

    async with client_for(app) as client:
        await client.get("/set")
        r = await client.get("/read")
    assert r.text == "missing"


async def test_async_after_this_request_callback(app: Flask) -> None:
    @app.route("/")
    async def index() -> str:
        @after_this_request
        async def add_header(response: Response) -> Response:
            response.headers["X-Async"] = "yes"
            return response

        return "x"

    r = await get(app)
    assert r.headers["X-Async"] == "yes"


@pytest.mark.parametrize("sync", [True, False], ids=["def", "async"])
async def test_after_this_request_callbacks_are_not_kept_alive(app: Flask, sync: bool) -> None:
    refs: list[weakref.ref[Any]] = []

    @app.route("/")
    def index() -> str:
        def sync_callback(response: Response) -> Response:
            return response

        async def async_callback(response: Response) -> Response:
            return response

        callback = sync_callback if sync else async_callback
        after_this_request(callback)
        refs.append(weakref.ref(callback))
        return "x"

    async with client_for(app) as client:
        for _ in range(5):
            await client.get("/")
    gc.collect()
    assert len(refs) == 5
    assert [ref() for ref in refs] == [None] * 5


def test_after_this_request_outside_a_request_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="after_this_request"):
        after_this_request(lambda response: response)
