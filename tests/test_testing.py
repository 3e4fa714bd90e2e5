"""The test client: async (httpx) and Flask-style sync use."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
import pytest

from aioflask import (
    Flask,
    Response,
    after_this_request,
    g,
    has_request_context,
    redirect,
    request,
    session,
)
from aioflask.testing import FlaskClient, TestResponse


def make_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "testing"
    app.testing = True

    @app.get("/")
    def index() -> str:
        return "index"

    @app.get("/json")
    def json_view() -> dict[str, Any]:
        return {"a": 1, "path": request.path}

    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo() -> dict[str, Any]:
        return {
            "method": request.method,
            "args": request.args.to_dict(flat=False),
            "form": request.form.to_dict(flat=False),
            "json": request.get_json(silent=True),
            "data": request.get_data(as_text=True),
            "content_type": request.content_type,
            "files": {
                k: [f.filename, f.read().decode(), f.content_type] for k, f in request.files.items()
            },
            "cookies": dict(request.cookies),
            "user_agent": request.user_agent.string,
            "remote_addr": request.remote_addr,
            "host": request.host,
            "x": request.headers.get("X-Test"),
        }

    @app.get("/login/<int:uid>")
    def login(uid: int) -> Response:
        session["user_id"] = uid
        g.user = {"id": uid}
        return redirect("/")

    @app.get("/whoami")
    def whoami() -> str:
        g.user = session.get("user_id")
        return str(g.user)

    @app.get("/cookie")
    def set_cookie() -> Response:
        resp = Response("set")
        resp.set_cookie("flavour", "oat")
        return resp

    @app.get("/boom")
    def boom() -> str:
        raise ValueError("boom")

    return app


# -- async use -------------------------------------------------------------------------------------


async def test_async_client_basics() -> None:
    app = make_app()
    async with app.test_client() as client:
        assert isinstance(client, httpx.AsyncClient)
        r = await client.get("/")
        assert r.status_code == 200
        assert r.text == "index"
        assert str(r.url) == "http://localhost/"
        assert isinstance(r, TestResponse)
        assert r.data == b"index"
        assert r.status == "200 OK"
        r = await client.get("/json")
        assert r.json() == {"a": 1, "path": "/json"}
        assert r.json["a"] == 1
        assert r.get_json() == {"a": 1, "path": "/json"}


async def test_async_client_keeps_cookies() -> None:
    app = make_app()
    async with app.test_client() as client:
        await client.get("/cookie")
        r = await client.get("/echo")
        assert r.json()["cookies"] == {"flavour": "oat"}
        r = await client.get("/login/3")
        assert r.status_code == 302
        assert r.headers["Location"] == "/"
        assert (await client.get("/whoami")).text == "3"


async def test_async_client_runs_lifespan() -> None:
    app = make_app()
    events: list[str] = []

    @app.before_serving
    async def startup() -> None:
        events.append("startup")

    @app.after_serving
    def shutdown() -> None:
        events.append("shutdown")

    client = app.test_client()
    assert events == []
    async with client:
        assert events == ["startup"]
        await client.get("/")
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


async def test_async_client_lifespan_failure() -> None:
    app = make_app()

    @app.before_serving
    def startup() -> None:
        raise RuntimeError("no database")

    with pytest.raises(RuntimeError, match="no database"):
        async with app.test_client():
            pass


async def test_plain_httpx_client_works_on_the_app() -> None:
    app = make_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        r = await client.post("/echo?a=1", data={"b": "2"})
        assert r.status_code == 200
        assert r.json()["form"] == {"b": ["2"]}
        assert r.json()["host"] == "testserver"


async def test_async_client_flask_keywords() -> None:
    app = make_app()
    async with app.test_client() as client:
        r = await client.post("/echo", data={"a": "1", "b": ["2", "3"]}, query_string={"q": "x"})
        d = r.json()
        assert d["form"] == {"a": ["1"], "b": ["2", "3"]}
        assert d["args"] == {"q": ["x"]}
        r = await client.post("/echo", json={"k": [1, 2]})
        assert r.json()["json"] == {"k": [1, 2]}
        assert r.json()["content_type"] == "application/json"
        r = await client.put("/echo", data="raw text", content_type="text/plain")
        assert r.json()["data"] == "raw text"
        assert r.json()["content_type"] == "text/plain"
        r = await client.delete("/echo", headers={"X-Test": "yes"})
        assert r.json()["x"] == "yes"


async def test_async_client_propagates_exceptions_when_testing() -> None:
    app = make_app()
    async with app.test_client() as client:
        with pytest.raises(ValueError, match="boom"):
            await client.get("/boom")
        assert (await client.get("/")).status_code == 200
    app2 = make_app()
    app2.testing = False
    async with app2.test_client() as client:
        assert (await client.get("/boom")).status_code == 500


# -- sync (Flask-style) use ----------------------------------------------------------------


def test_sync_client_response_surface() -> None:
    app = make_app()
    client = app.test_client()
    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.status == "200 OK"
    assert rv.data == b"index"
    assert rv.text == "index"
    assert rv.get_data() == b"index"
    assert rv.get_data(as_text=True) == "index"
    assert rv.mimetype == "text/html"
    assert rv.content_type == "text/html; charset=utf-8"
    assert rv.get_json() is None
    rv = client.get("/json")
    assert rv.json == {"a": 1, "path": "/json"}  # Flask's property
    assert rv.json() == {"a": 1, "path": "/json"}  # httpx's method
    assert rv.json["a"] == 1
    data = rv.json
    assert data["path"] == "/json"
    assert rv.get_json() == {"a": 1, "path": "/json"}
    assert rv.is_json
    rv = client.get("/missing")
    assert rv.status_code == 404
    assert rv.status == "404 NOT FOUND"


def test_sync_client_redirects() -> None:
    app = make_app()
    client = app.test_client()
    rv = client.get("/login/1")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/"
    assert rv.location == "/"
    rv = client.get("/login/2", follow_redirects=True)
    assert rv.status_code == 200
    assert rv.text == "index"
    assert [h.status_code for h in rv.history] == [302]
    assert rv.request.url.path == "/"


def test_sync_client_form_files_json_and_query() -> None:
    app = make_app()
    client = app.test_client()
    d = client.post("/echo", data={"name": "ann", "tags": ["a", "b"]}).get_json()
    assert d["form"] == {"name": ["ann"], "tags": ["a", "b"]}
    assert d["content_type"] == "application/x-www-form-urlencoded"
    d = client.post(
        "/echo",
        data={
            "field": "v",
            "file": (io.BytesIO(b"x"), "a.txt"),
            "typed": (io.BytesIO(b"<p>"), "b.html", "text/html"),
        },
    ).json
    assert d["form"] == {"field": ["v"]}
    assert d["files"]["file"][:2] == ["a.txt", "x"]
    assert d["files"]["typed"] == ["b.html", "<p>", "text/html"]
    assert d["content_type"].startswith("multipart/form-data; boundary=")
    d = client.post("/echo", json={"x": [1, "é"]}).json
    assert d["json"] == {"x": [1, "é"]}
    d = client.get("/echo", query_string={"a": "1", "b": ["2", "3"]}).json
    assert d["args"] == {"a": ["1"], "b": ["2", "3"]}
    d = client.get("/echo", query_string="z=9").json
    assert d["args"] == {"z": ["9"]}
    d = client.patch("/echo", data=b"\x00\x01", content_type="application/octet-stream").json
    assert d["data"] == "\x00\x01"
    assert client.head("/").data == b""
    assert client.options("/").headers["Allow"]


def test_sync_client_defaults() -> None:
    app = make_app()
    d = app.test_client().get("/echo").json
    assert d["remote_addr"] == "127.0.0.1"
    assert d["host"] == "localhost"


def test_sync_client_cookies() -> None:
    app = make_app()
    client = app.test_client()
    client.get("/cookie")
    cookie = client.get_cookie("flavour")
    assert cookie is not None
    assert cookie.value == "oat"
    assert client.get_cookie("nope") is None
    client.set_cookie("extra", "1")
    assert client.get("/echo").json["cookies"] == {"flavour": "oat", "extra": "1"}
    client.delete_cookie("flavour")
    assert client.get_cookie("flavour") is None
    assert client.get("/echo").json["cookies"] == {"extra": "1"}


def test_sync_client_without_cookies() -> None:
    app = make_app()
    client = app.test_client(use_cookies=False)
    client.get("/cookie")
    assert client.get("/echo").json["cookies"] == {}


def test_sync_client_propagates_exceptions_when_testing() -> None:
    app = make_app()
    client = app.test_client()
    with pytest.raises(ValueError, match="boom"):
        client.get("/boom")
    app.testing = False
    assert client.get("/boom").status_code == 500


def test_sync_client_session_is_kept() -> None:
    app = make_app()
    client = app.test_client()
    client.get("/login/7")
    assert client.get("/whoami").text == "7"


# -- `with client:` ---------------------------------------------------------------------------


def test_with_client_keeps_the_last_request_context() -> None:
    app = make_app()
    torn: list[Any] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(request.path)

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        torn.append(("app", g.get("user")))

    client = app.test_client()
    with client:
        client.get("/login/1")
        assert session["user_id"] == 1
        assert g.user == {"id": 1}
        assert request.path == "/login/1"
        assert torn == []
        client.get("/whoami")
        assert torn == ["/login/1", ("app", {"id": 1})]  # the earlier request ends now
        assert request.path == "/whoami"
        assert g.user == 1
        assert session["user_id"] == 1
        assert has_request_context()
    assert torn == ["/login/1", ("app", {"id": 1}), "/whoami", ("app", 1)]
    assert not has_request_context()


def test_with_client_after_this_request_and_view_state() -> None:
    app = make_app()

    @app.get("/state")
    def state() -> str:
        g.value = "v"

        @after_this_request
        def mark(response: Response) -> Response:
            response.headers["X-Mark"] = "1"
            return response

        return "ok"

    client = app.test_client()
    with client:
        rv = client.get("/state")
        assert rv.headers["X-Mark"] == "1"
        assert g.value == "v"


def test_nested_with_client_raises() -> None:
    client = make_app().test_client()
    with client:
        with pytest.raises(RuntimeError), client:
            pass
    with client:  # usable again afterwards
        client.get("/")
        assert request.path == "/"


def test_with_client_no_request_made() -> None:
    client = make_app().test_client()
    with client:
        pass
    assert not has_request_context()


async def test_async_with_client_preserves_context_in_sync_block() -> None:
    app = make_app()
    client = app.test_client()
    async with client:
        await client.get("/")
    assert not has_request_context()


# -- build_request -----------------------------------------------------------------------------


def test_build_request_body_errors_surface_on_use() -> None:
    app = make_app()
    app.config["MAX_CONTENT_LENGTH"] = 3
    with app.test_request_context("/echo", method="POST", data="too long"):
        with pytest.raises(Exception) as info:
            request.get_data()
        assert getattr(info.value, "code", None) == 413


def test_client_class_attributes() -> None:
    app = make_app()
    client = app.test_client()
    assert isinstance(client, FlaskClient)
    assert client.application is app
    assert str(client.base_url) == "http://localhost"


async def test_sync_call_inside_a_running_loop_returns_a_coroutine() -> None:
    app = make_app()
    client = app.test_client()
    pending = client.get("/")
    assert asyncio.iscoroutine(pending)
    r = await pending
    assert r.text == "index"
    await client.aclose()


# -- session_transaction, headers and request ---------------------------------------------------


def test_session_transaction_round_trip() -> None:
    app = make_app()
    client = app.test_client()
    with client.session_transaction() as sess:
        assert "user_id" not in sess
        sess["user_id"] = 5
    assert client.get("/whoami").text == "5"
    client.get("/login/9")
    with client.session_transaction() as sess:
        assert sess["user_id"] == 9
        sess.clear()
    assert client.get("/whoami").text == "None"


def test_session_transaction_errors() -> None:
    app = make_app()
    with pytest.raises(TypeError, match="Cookies are disabled"):
        with app.test_client(use_cookies=False).session_transaction():
            pass
    app.secret_key = None
    with pytest.raises(RuntimeError, match="did not open a session"):
        with app.test_client().session_transaction():
            pass


def test_response_headers_getlist_and_request_path() -> None:
    app = make_app()

    @app.get("/two-cookies")
    def two() -> Response:
        resp = Response("x", headers={"X-Num": "3"})
        resp.set_cookie("a", "1")
        resp.set_cookie("b", "2")
        return resp

    client = app.test_client()
    rv = client.get("/two-cookies")
    assert rv.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert rv.headers.get("X-Num", type=int) == 3
    assert rv.headers.get("X-Missing", 0, type=int) == 0
    assert rv.headers.get("X-Num") == "3"
    rv = client.get("/login/1", follow_redirects=True)
    assert rv.request.path == "/"
    assert rv.history[0].request.path == "/login/1"


# -- `with client:` edge cases ---------------------------------------------------------------


def test_with_client_keeps_the_context_of_a_propagated_exception() -> None:
    app = make_app()
    torn: list[Any] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(type(exc).__name__ if exc else None)

    @app.get("/fail")
    def fail() -> str:
        g.reached = True
        raise ValueError("view failed")

    client = app.test_client()
    with client:
        with pytest.raises(ValueError, match="view failed"):
            client.get("/fail")
        assert request.path == "/fail"
        assert g.reached is True
        assert torn == []
    assert torn == ["ValueError"]
    assert not has_request_context()


def test_with_client_follow_redirects_keeps_only_the_last_context() -> None:
    app = make_app()
    torn: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(request.path)

    client = app.test_client()
    with client:
        rv = client.get("/login/4", follow_redirects=True)
        assert rv.text == "index"
        assert request.path == "/"
        assert session["user_id"] == 4
        assert torn == ["/login/4"]
    assert torn == ["/login/4", "/"]


def test_with_client_many_requests_release_their_workers() -> None:
    from aioflask._threads import default_pool

    app = make_app()
    client = app.test_client()
    with client:
        for _ in range(default_pool.max_workers + 5):
            client.get("/")
    assert client.get("/").text == "index"


async def test_with_client_in_an_async_test() -> None:
    app = make_app()
    torn: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(request.path)

    client = app.test_client()
    with client:
        await client.get("/login/2")
        assert request.path == "/login/2"
        assert session["user_id"] == 2
        assert torn == []
        await client.get("/whoami")
        assert torn == ["/login/2"]
        assert request.path == "/whoami"
        assert g.user == 2
    assert torn == ["/login/2", "/whoami"]
    assert not has_request_context()
    await client.aclose()


def test_sync_client_headers_and_multidict_data() -> None:
    from aioflask.datastructures import MultiDict

    app = make_app()

    @app.post("/hdrs")
    def hdrs() -> dict[str, Any]:
        return {
            "x": request.headers.getlist("X-Rep"),
            "ct": request.content_type,
            "form": request.form.to_dict(flat=False),
        }

    client = app.test_client()
    d = client.post(
        "/hdrs",
        headers=[("X-Rep", "1"), ("X-Rep", "2"), ("content-type", "text/plain")],
        data="a=1",
    ).json
    assert d["x"] == ["1", "2"]
    assert d["ct"] == "text/plain"
    d = client.post("/hdrs", data=MultiDict([("a", "1"), ("a", "2")])).json
    assert d["form"] == {"a": ["1", "2"]}
    d = client.post(
        "/hdrs", data={"a": "1"}, headers={"content-type": "application/x-www-form-urlencoded"}
    ).json
    assert d["ct"] == "application/x-www-form-urlencoded"
    assert d["form"] == {"a": ["1"]}


async def test_async_client_with_middleware_without_lifespan() -> None:
    app = make_app()
    inner = app.asgi_app

    async def http_only(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise RuntimeError("http only")
        await inner(scope, receive, send)

    app.asgi_app = http_only
    async with app.test_client() as client:
        assert (await client.get("/")).text == "index"


def test_test_response_status_for_unknown_codes() -> None:
    app = make_app()

    @app.get("/odd")
    def odd() -> tuple[str, int]:
        return "odd", 299

    assert app.test_client().get("/odd").status == "299 UNKNOWN"


def test_json_property_and_method_inside_rewritten_asserts() -> None:
    # pytest rewrites these asserts into temporaries; both spellings must still work.
    app = make_app()

    @app.get("/null")
    def null() -> Response:
        return Response("null", mimetype="application/json")

    rv = app.test_client().get("/json")
    assert "a" in rv.json
    assert "a" in rv.json()
    assert rv.json is not None
    assert len(rv.json) == 2
    assert len(rv.json()) == 2
    assert rv.json()["a"] == 1
    assert rv.json.get("a") == 1
    assert rv.json().get("a") == 1
    assert rv.json["a"] == 1 and rv.json()["path"] == "/json"
    assert rv.json == rv.json()
    assert isinstance(rv.json(), dict)
    assert isinstance(rv.json, dict)
    rv = app.test_client().get("/null")
    assert rv.json() is None
    assert rv.json is None
