"""Application and request contexts, `g`, and the context helpers."""

from __future__ import annotations

import asyncio
import random
import threading
from typing import Any

import httpx
import pytest

from aioflask import (
    Flask,
    Response,
    after_this_request,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
    url_for,
)


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


# -- unbound proxies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("use", "context"),
    [
        (lambda: request.path, "request"),
        (lambda: session.get("x"), "request"),
        (lambda: request.args, "request"),
        (lambda: current_app.name, "application"),
        (lambda: g.user, "application"),
        (lambda: g.get("user"), "application"),
    ],
)
def test_proxies_outside_a_context_raise(use: Any, context: str) -> None:
    with pytest.raises(RuntimeError) as info:
        use()
    message = str(info.value)
    assert f"Working outside of {context} context" in message
    if context == "request":
        assert "test_request_context" in message
    else:
        assert "app_context()" in message


def test_unbound_proxies_are_falsy_and_printable() -> None:
    assert not request
    assert not session
    assert not current_app
    assert not g
    assert bool(request) is False
    assert "unbound" in repr(request)
    assert not has_request_context()
    assert not has_app_context()
    with pytest.raises(RuntimeError, match="request context"):
        request["x"]


def test_after_this_request_outside_a_request() -> None:
    with pytest.raises(RuntimeError, match="after_this_request"):
        after_this_request(lambda r: r)
    app = Flask(__name__)
    with app.app_context(), pytest.raises(RuntimeError):
        after_this_request(lambda r: r)


def test_copy_current_request_context_outside_a_request() -> None:
    with pytest.raises(RuntimeError, match="request"):
        copy_current_request_context(lambda: None)


# -- app context ------------------------------------------------------------------------------


def test_app_context_binds_current_app_and_a_fresh_g() -> None:
    app = Flask(__name__)
    torn: list[Any] = []

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        torn.append(("sync", exc, g.get("x")))

    with app.app_context() as ctx:
        assert has_app_context()
        assert not has_request_context()
        assert current_app == app
        assert current_app._get_current_object() is app  # type: ignore[attr-defined]
        assert ctx.app is app
        g.x = 1
        assert g.x == 1
        assert g.get("x") == 1
        assert g.get("y") is None
        assert g.get("y", 5) == 5
        assert "x" in g
        assert "y" not in g
        assert g.setdefault("y", 2) == 2
        assert g.setdefault("y", 3) == 2
        assert sorted(g) == ["x", "y"]
        assert g.pop("y") == 2
        assert g.pop("y", None) is None
        with pytest.raises(KeyError):
            g.pop("y")
        with pytest.raises(AttributeError):
            _ = g.missing
        assert torn == []
    assert torn == [("sync", None, 1)]
    assert not has_app_context()

    with app.app_context():
        assert "x" not in g  # a new context, a new g


def test_nested_app_context_tears_down_once() -> None:
    app = Flask(__name__)
    torn: list[Any] = []
    app.teardown_appcontext(torn.append)
    ctx = app.app_context()
    with ctx:
        with ctx:
            g.v = 1
        assert torn == []
        assert g.v == 1
    assert torn == [None]


def test_app_context_teardown_gets_the_exception() -> None:
    app = Flask(__name__)
    torn: list[Any] = []
    app.teardown_appcontext(torn.append)
    with pytest.raises(ZeroDivisionError), app.app_context():
        1 / 0  # noqa: B018
    assert len(torn) == 1
    assert isinstance(torn[0], ZeroDivisionError)


def test_sync_with_runs_async_teardown_too() -> None:
    app = Flask(__name__)
    torn: list[str] = []

    @app.teardown_appcontext
    async def teardown(exc: BaseException | None) -> None:
        await asyncio.sleep(0)
        torn.append("async")

    with app.app_context():
        pass
    assert torn == ["async"]


async def test_async_with_awaits_async_teardown() -> None:
    app = Flask(__name__)
    torn: list[Any] = []

    @app.teardown_appcontext
    async def async_teardown(exc: BaseException | None) -> None:
        await asyncio.sleep(0)
        torn.append(("async", g.get("db")))

    @app.teardown_appcontext
    def sync_teardown(exc: BaseException | None) -> None:
        torn.append(("sync", g.get("db")))

    async with app.app_context():
        g.db = "conn"
        assert current_app == app
    assert torn == [("sync", "conn"), ("async", "conn")]  # reverse registration order
    assert not has_app_context()


def test_two_apps_contexts() -> None:
    app1 = Flask("one")
    app2 = Flask("two")
    with app1.app_context():
        with app2.app_context():
            assert current_app.name == "two"
        assert current_app.name == "one"


# -- test_request_context -------------------------------------------------------------------------


def make_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "test key"

    @app.route("/hello", methods=["GET", "POST"])
    def hello() -> str:
        return "hi"

    @app.get("/user/<int:uid>")
    def user(uid: int) -> str:
        return str(uid)

    return app


def test_test_request_context_gives_request_data() -> None:
    app = make_app()
    with app.test_request_context(
        "/hello",
        method="POST",
        data={"name": "ann", "tags": ["a", "b"]},
        headers={"X-Token": "t"},
        query_string={"page": "2"},
    ) as ctx:
        assert has_request_context()
        assert has_app_context()
        assert request.method == "POST"
        assert request.path == "/hello"
        assert request.form["name"] == "ann"
        assert request.form.getlist("tags") == ["a", "b"]
        assert request.args.get("page", type=int) == 2
        assert request.headers["x-token"] == "t"
        assert request.endpoint == "hello"
        assert request.url_rule is not None and request.url_rule.rule == "/hello"
        assert request.view_args == {}
        assert request.url == "http://localhost/hello?page=2"
        assert url_for("user", uid=5) == "/user/5"
        assert url_for("hello", _external=True) == "http://localhost/hello"
        assert ctx.request is request._get_current_object()  # type: ignore[attr-defined]
        assert current_app == app
    assert not has_request_context()
    assert not has_app_context()


def test_test_request_context_json_and_path_variations() -> None:
    app = make_app()
    with app.test_request_context("/hello", method="POST", json={"a": [1]}):
        assert request.json == {"a": [1]}
        assert request.is_json
        assert request.content_type == "application/json"
    with app.test_request_context("/user/7?x=1"):
        assert request.view_args == {"uid": 7}
        assert request.args["x"] == "1"
        assert request.full_path == "/user/7?x=1"
    with app.test_request_context("/nowhere"):
        assert request.endpoint is None
        assert request.routing_exception is not None
    with app.test_request_context(base_url="https://example.com:8443/root/"):
        assert request.url_root == "https://example.com:8443/root/"
        assert request.script_root == "/root"
        assert request.is_secure
        assert url_for("hello") == "/root/hello"
    with app.test_request_context("/hello", data="raw", content_type="text/plain"):
        assert request.get_data() == b"raw"
        assert request.mimetype == "text/plain"


def test_test_request_context_session_and_g() -> None:
    app = make_app()
    with app.test_request_context("/"):
        assert session.get("k") is None
        session["k"] = "v"
        assert session["k"] == "v"
        g.value = 3
        assert g.value == 3
    with app.test_request_context("/"):
        assert "k" not in session
        assert "value" not in g


def test_test_request_context_inside_app_context_reuses_it() -> None:
    app = make_app()
    torn: list[Any] = []
    app.teardown_appcontext(torn.append)
    with app.app_context():
        g.outer = 1
        with app.test_request_context("/"):
            assert g.outer == 1
        assert torn == []
    assert torn == [None]


def test_test_request_context_teardown_runs_on_exit() -> None:
    app = make_app()
    events: list[str] = []

    @app.before_request
    def before() -> None:
        events.append("before")

    @app.teardown_request
    def teardown_request(exc: BaseException | None) -> None:
        events.append("teardown_request")

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        events.append("teardown_app")

    with app.test_request_context("/hello"):
        assert events == []  # before_request is not run by test_request_context
    assert events == ["teardown_request", "teardown_app"]


async def test_async_test_request_context() -> None:
    app = make_app()
    torn: list[str] = []

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        await asyncio.sleep(0)
        torn.append(request.path)

    async with app.test_request_context("/user/3", method="GET", query_string="a=1"):
        assert request.view_args == {"uid": 3}
        assert request.args["a"] == "1"
        assert url_for("hello") == "/hello"
        assert (await request.get_data()) == b""
    assert torn == ["/user/3"]
    assert not has_request_context()


async def test_preprocess_request_in_test_request_context() -> None:
    app = make_app()

    @app.before_request
    def before() -> str | None:
        return "blocked" if request.args.get("block") else None

    async with app.test_request_context("/hello?block=1"):
        assert await app.preprocess_request() == "blocked"


# -- contexts during real requests ---------------------------------------------------------------


async def test_g_is_fresh_per_request_and_isolated() -> None:
    app = Flask(__name__)

    @app.get("/<int:uid>")
    async def view(uid: int) -> dict[str, Any]:
        seen_before = g.get("user")
        g.user = uid
        await asyncio.sleep(random.random() * 0.02)
        return {
            "g": g.user,
            "arg": request.args["uid"],
            "before": seen_before,
            "path": request.path,
        }

    async with client_for(app) as client:
        rs = await asyncio.gather(*(client.get(f"/{i}?uid={i}") for i in range(100)))
    for i, r in enumerate(rs):
        assert r.json() == {"g": i, "arg": str(i), "before": None, "path": f"/{i}"}


async def test_sync_view_state_is_visible_to_hooks_and_response() -> None:
    app = Flask(__name__)
    app.secret_key = "secret"
    seen: list[Any] = []

    @app.get("/")
    def view() -> str:
        g.x = "from view"
        session["k"] = "v"

        @after_this_request
        def add_header(response: Response) -> Response:
            response.headers["X-After"] = g.x
            return response

        return "ok"

    @app.after_request
    def after(response: Response) -> Response:
        seen.append((g.get("x"), session.get("k"), threading.current_thread().name))
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(("teardown", g.get("x")))

    async with client_for(app) as client:
        r = await client.get("/")
        assert r.status_code == 200
        assert r.headers["X-After"] == "from view"
        assert "session=" in r.headers["set-cookie"]
        assert r.headers["vary"] == "Cookie"
    assert seen[0][:2] == ("from view", "v")
    assert seen[1] == ("teardown", "from view")


async def test_sync_callables_of_one_request_share_a_thread() -> None:
    app = Flask(__name__)
    threads: list[int] = []

    @app.before_request
    def before() -> None:
        threads.append(threading.get_ident())

    @app.get("/")
    def view() -> str:
        threads.append(threading.get_ident())
        return "ok"

    @app.after_request
    def after(response: Response) -> Response:
        threads.append(threading.get_ident())
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        threads.append(threading.get_ident())

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        threads.append(threading.get_ident())

    async with client_for(app) as client:
        await client.get("/")
    assert len(threads) == 5
    assert len(set(threads)) == 1
    assert threads[0] != threading.get_ident()


async def test_after_this_request_order_and_async_callbacks() -> None:
    app = Flask(__name__)
    order: list[str] = []

    @app.after_request
    def after1(response: Response) -> Response:
        order.append("after1")
        return response

    @app.after_request
    def after2(response: Response) -> Response:
        order.append("after2")
        return response

    @app.get("/")
    async def view() -> str:
        @after_this_request
        async def first(response: Response) -> Response:
            order.append("atr1")
            return response

        @after_this_request
        def second(response: Response) -> Response:
            order.append("atr2")
            response.headers["X-Second"] = "yes"
            return response

        return "ok"

    async with client_for(app) as client:
        r = await client.get("/")
    assert r.headers["X-Second"] == "yes"
    assert order == ["atr1", "atr2", "after2", "after1"]


async def test_teardown_order_and_exceptions() -> None:
    app = Flask(__name__)
    events: list[Any] = []

    class Handled(Exception):
        pass

    @app.errorhandler(Handled)
    def handle(e: Handled) -> tuple[str, int]:
        return "handled", 400

    @app.get("/handled")
    def handled() -> str:
        raise Handled()

    @app.get("/unhandled")
    def unhandled() -> str:
        raise KeyError("boom")

    @app.teardown_request
    def t1(exc: BaseException | None) -> None:
        events.append(("t1", type(exc).__name__ if exc else None))

    @app.teardown_request
    def t2(exc: BaseException | None) -> None:
        events.append(("t2", type(exc).__name__ if exc else None))

    @app.teardown_appcontext
    def tapp(exc: BaseException | None) -> None:
        events.append(("app", type(exc).__name__ if exc else None))

    async with client_for(app) as client:
        r = await client.get("/handled")
        assert r.status_code == 400
        assert events == [("t2", None), ("t1", None), ("app", None)]
        events.clear()
        r = await client.get("/unhandled")
        assert r.status_code == 500
        assert events == [("t2", "KeyError"), ("t1", "KeyError"), ("app", "KeyError")]


# -- tasks and threads --------------------------------------------------------------------------


async def test_task_spawned_by_a_view_sees_its_own_request() -> None:
    app = Flask(__name__)
    results: dict[str, Any] = {}
    tasks: set[asyncio.Task[None]] = set()

    @app.get("/<name>")
    async def view(name: str) -> str:
        g.name = name

        async def child() -> None:
            await asyncio.sleep(0.01)
            results[name] = (request.path, g.name, request.args.get("n"))

        task = asyncio.create_task(child())
        tasks.add(task)
        return "started"

    async with client_for(app) as client:
        await asyncio.gather(*(client.get(f"/r{i}?n={i}") for i in range(10)))
    await asyncio.gather(*tasks)
    assert results == {f"r{i}": (f"/r{i}", f"r{i}", str(i)) for i in range(10)}


async def test_copy_current_request_context_async_task_after_response() -> None:
    app = Flask(__name__)
    app.secret_key = "k"
    done = asyncio.Event()
    results: list[Any] = []
    tasks: list[asyncio.Task[None]] = []
    events: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.get("/")
    async def view() -> str:
        session["user"] = "ann"

        @copy_current_request_context
        async def background() -> None:
            await asyncio.sleep(0.01)
            events.append("background")
            results.append((request.path, request.args["q"], session["user"], current_app.name))
            done.set()

        tasks.append(asyncio.create_task(background()))
        return "ok"

    async with client_for(app) as client:
        r = await client.get("/?q=1")
        assert r.status_code == 200
        assert events == ["teardown"]  # the response is complete before the task works
    await asyncio.wait_for(done.wait(), 1)
    await tasks[0]
    assert results == [("/", "1", "ann", app.name)]
    assert not has_request_context()


async def test_copy_current_request_context_sync_in_a_thread() -> None:
    app = Flask(__name__)
    app.secret_key = "k"
    results: list[Any] = []

    @app.get("/")
    def view() -> str:
        session["user"] = "bob"

        @copy_current_request_context
        def work(arg: int) -> None:
            results.append((request.path, request.args["q"], session["user"], arg))

        thread = threading.Thread(target=work, args=(42,))
        thread.start()
        thread.join(1)
        return "ok"

    async with client_for(app) as client:
        r = await client.get("/?q=x")
    assert r.status_code == 200
    assert results == [("/", "x", "bob", 42)]


async def test_copy_current_request_context_shares_the_session() -> None:
    app = Flask(__name__)
    app.secret_key = "k"

    @app.get("/")
    async def view() -> str:
        @copy_current_request_context
        async def write() -> None:
            session["from_copy"] = 1

        await write()
        return str(session.get("from_copy"))

    async with client_for(app) as client:
        r = await client.get("/")
    assert r.text == "1"
    assert "session=" in r.headers.get("set-cookie", "")


async def test_copy_current_request_context_tears_down_its_app_context() -> None:
    app = Flask(__name__)
    closed: list[Any] = []

    @app.teardown_appcontext
    def close_db(exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            closed.append(db)

    @app.get("/")
    def view() -> str:
        @copy_current_request_context
        def work() -> None:
            g.db = "thread-db"

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(1)
        g.db = "view-db"
        return "ok"

    async with client_for(app) as client:
        await client.get("/")
    assert sorted(closed) == ["thread-db", "view-db"]


def test_request_context_repr_and_copy() -> None:
    app = make_app()
    with app.test_request_context("/hello") as ctx:
        assert "/hello" in repr(ctx)
        copied = ctx.copy()
        assert copied.request is ctx.request
        assert copied.session is ctx.session


async def test_concurrent_sessions_stay_separate() -> None:
    app = Flask(__name__)
    app.secret_key = "k"

    @app.get("/inc")
    def inc() -> str:
        session["n"] = session.get("n", 0) + 1
        session["who"] = request.args["who"]
        return f"{session['who']}:{session['n']}"

    async def user(i: int) -> list[str]:
        async with client_for(app) as client:
            out = []
            for _ in range(3):
                r = await client.get(f"/inc?who={i}")
                out.append(r.text)
            return out

    results = await asyncio.gather(*(user(i) for i in range(20)))
    assert results == [[f"{i}:1", f"{i}:2", f"{i}:3"] for i in range(20)]
