"""Request and Response: Flask's attributes on Starlette's classes."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import Message

from aioflask import Flask, Response, redirect, request
from aioflask.exceptions import BadRequestKeyError
from aioflask.wrappers import dump_cookie


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


def describe_request() -> dict[str, Any]:
    """Everything a view can read from `request` without the body."""
    auth = request.authorization
    return {
        "method": request.method,
        "path": request.path,
        "full_path": request.full_path,
        "url": request.url,
        "base_url": request.base_url,
        "url_root": request.url_root,
        "host": request.host,
        "scheme": request.scheme,
        "is_secure": request.is_secure,
        "remote_addr": request.remote_addr,
        "args": request.args.to_dict(flat=False),
        "n": request.args.get("n", -1, type=int),
        "missing": request.args.get("nope", "dflt"),
        "ns": request.args.getlist("n"),
        "values": request.values.to_dict(flat=False),
        "cookies": request.cookies.to_dict(flat=False),
        "x_num": request.headers.get("x-num", type=int),
        "x_num_upper": request.headers["X-NUM"] if "X-Num" in request.headers else None,
        "mimetype": request.mimetype,
        "content_type": request.content_type,
        "content_length": request.content_length,
        "endpoint": request.endpoint,
        "view_args": request.view_args,
        "url_rule": str(request.url_rule),
        "blueprint": request.blueprint,
        "best": request.accept_mimetypes.best_match(["text/html", "application/json"]),
        "auth": None if auth is None else [auth.type, auth.username, auth.password, auth.token],
        "user_agent": str(request.user_agent),
        "referrer": request.referrer,
        "is_json": request.is_json,
    }


def make_attr_app() -> Flask:
    app = Flask(__name__)

    @app.route("/sync/<name>", methods=["GET", "POST"])
    def sync_view(name: str) -> dict[str, Any]:
        return describe_request()

    @app.route("/async/<name>", methods=["GET", "POST"])
    async def async_view(name: str) -> dict[str, Any]:
        return describe_request()

    return app


# -- request attributes ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_request_url_parts_and_headers(kind: str) -> None:
    app = make_attr_app()
    async with client_for(app) as client:
        r = await client.get(
            f"/{kind}/a%20b?n=5&n=7&e=",
            headers={
                "X-Num": "12",
                "Accept": "application/json;q=0.9, text/html;q=0.5",
                "Referer": "http://example.com/from",
                "User-Agent": "agent/1.0",
                "Authorization": "Basic " + base64.b64encode(b"ann:s3cret").decode(),
                "Cookie": 'a=1; a=2; =forged; b="q"',
            },
        )
    assert r.status_code == 200
    d = r.json()
    assert d["method"] == "GET"
    assert d["path"] == "/" + kind + "/a b"
    assert d["full_path"] == f"/{kind}/a b?n=5&n=7&e="
    assert d["url"] == f"http://localhost/{kind}/a%20b?n=5&n=7&e="
    assert d["base_url"] == f"http://localhost/{kind}/a%20b"
    assert d["url_root"] == "http://localhost/"
    assert d["host"] == "localhost"
    assert d["scheme"] == "http"
    assert d["is_secure"] is False
    assert d["remote_addr"] == "127.0.0.1"
    assert d["args"] == {"n": ["5", "7"], "e": [""]}
    assert d["n"] == 5
    assert d["missing"] == "dflt"
    assert d["ns"] == ["5", "7"]
    assert d["values"] == {"n": ["5", "7"], "e": [""]}
    assert d["cookies"] == {"a": ["1", "2"], "b": ["q"]}
    assert d["x_num"] == 12
    assert d["x_num_upper"] == "12"
    assert d["mimetype"] == ""
    assert d["content_type"] is None
    assert d["content_length"] is None
    assert d["endpoint"] == f"{kind}_view"
    assert d["view_args"] == {"name": "a b"}
    assert d["url_rule"] == f"/{kind}/<name>"
    assert d["blueprint"] is None
    assert d["best"] == "application/json"
    assert d["auth"] == ["basic", "ann", "s3cret", None]
    assert d["user_agent"] == "agent/1.0"
    assert d["referrer"] == "http://example.com/from"
    assert d["is_json"] is False


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_request_empty_query_and_bearer(kind: str) -> None:
    app = make_attr_app()
    async with client_for(app) as client:
        r = await client.get(f"/{kind}/x", headers={"Authorization": "Bearer tok.en"})
    d = r.json()
    assert d["full_path"] == f"/{kind}/x?"
    assert d["url"] == f"http://localhost/{kind}/x"
    assert d["args"] == {}
    assert d["n"] == -1
    assert d["cookies"] == {}
    assert d["x_num"] is None
    assert d["auth"] == ["bearer", None, None, "tok.en"]
    assert d["best"] == "text/html"  # no Accept header: everything is acceptable


async def test_request_https_and_custom_host() -> None:
    app = make_attr_app()
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="https://example.com:8443") as c:
        r = await c.get("/sync/x?q=1")
    d = r.json()
    assert d["scheme"] == "https"
    assert d["is_secure"] is True
    assert d["host"] == "example.com:8443"
    assert d["url"] == "https://example.com:8443/sync/x?q=1"
    assert d["url_root"] == "https://example.com:8443/"
    assert d["remote_addr"] == "10.1.2.3"


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_request_form_post_values_and_data(kind: str) -> None:
    app = Flask(__name__)

    def body() -> dict[str, Any]:
        return {
            "form": request.form.to_dict(flat=False),
            "values": request.values.to_dict(flat=False),
            "data": request.data.decode(),
            "get_data": request.get_data(as_text=True),
            "parse_form": request.get_data(parse_form_data=True).decode(),
            "mimetype": request.mimetype,
            "content_type": request.content_type,
            "content_length": request.content_length,
            "files": list(request.files),
        }

    if kind == "sync":

        @app.post("/")
        def sync_view() -> dict[str, Any]:
            return body()
    else:

        @app.post("/")
        async def async_view() -> dict[str, Any]:
            return body()

    async with client_for(app) as client:
        r = await client.post("/?q=1", data={"a": "1", "b": ["2", "3"]})
    d = r.json()
    assert d["form"] == {"a": ["1"], "b": ["2", "3"]}
    assert d["values"] == {"q": ["1"], "a": ["1"], "b": ["2", "3"]}
    assert d["data"] == ""  # consumed as form data, as in Flask
    assert d["get_data"] == "a=1&b=2&b=3"
    assert d["parse_form"] == ""
    assert d["mimetype"] == "application/x-www-form-urlencoded"
    assert d["content_type"] == "application/x-www-form-urlencoded"
    assert d["content_length"] == len("a=1&b=2&b=3")
    assert d["files"] == []


async def test_values_for_get_are_args_only() -> None:
    app = Flask(__name__)

    @app.get("/")
    def view() -> dict[str, Any]:
        return request.values.to_dict(flat=False)

    async with client_for(app) as client:
        r = await client.request(
            "GET",
            "/?a=1",
            content=b"a=2&b=3",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert r.json() == {"a": ["1"]}


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_multipart_upload(kind: str, tmp_path: Path) -> None:
    app = Flask(__name__)

    def handle() -> dict[str, Any]:
        f = request.files["up"]
        content = f.read()
        f.seek(0)
        dest = tmp_path / f"{kind}.bin"
        f.save(dest)
        return {
            "filename": f.filename,
            "content_type": f.content_type,
            "mimetype": f.mimetype,
            "content": content.decode(),
            "saved": dest.read_bytes().decode(),
            "field": request.form["field"],
            "data": request.data.decode(),
            "names": sorted(request.files),
        }

    if kind == "sync":

        @app.post("/up")
        def sync_up() -> dict[str, Any]:
            return handle()
    else:

        @app.post("/up")
        async def async_up() -> dict[str, Any]:
            return handle()

    async with client_for(app) as client:
        r = await client.post(
            "/up",
            data={"field": "value"},
            files={"up": ("../../etc/pass wd.txt", b"hello file", "text/plain; charset=utf-8")},
        )
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["filename"] == "../../etc/pass wd.txt"  # raw, as the client sent it
    assert d["content_type"] == "text/plain; charset=utf-8"
    assert d["mimetype"] == "text/plain"
    assert d["content"] == "hello file"
    assert d["saved"] == "hello file"
    assert d["field"] == "value"
    assert d["data"] == ""
    assert d["names"] == ["up"]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_json_body(kind: str) -> None:
    app = Flask(__name__)

    def body() -> dict[str, Any]:
        return {
            "json": request.json,
            "get_json": request.get_json(),
            "data": request.data.decode(),
            "is_json": request.is_json,
            "form": request.form.to_dict(),
        }

    if kind == "sync":

        @app.post("/")
        def sync_view() -> dict[str, Any]:
            return body()
    else:

        @app.post("/")
        async def async_view() -> dict[str, Any]:
            return body()

    async with client_for(app) as client:
        r = await client.post("/", json={"a": [1, 2]})
        r2 = await client.post(
            "/", content=b'{"b": 1}', headers={"Content-Type": "application/vnd.api+json"}
        )
    assert r.json() == {
        "json": {"a": [1, 2]},
        "get_json": {"a": [1, 2]},
        "data": '{"a":[1,2]}',
        "is_json": True,
        "form": {},
    }
    assert r2.json()["json"] == {"b": 1}
    assert r2.json()["is_json"] is True


async def test_await_and_plain_body_accessors_in_one_async_view() -> None:
    app = Flask(__name__)

    @app.post("/json")
    async def json_view() -> dict[str, Any]:
        return {
            "await_get_data": (await request.get_data()).decode(),
            "get_data": request.get_data().decode(),
            "await_data": (await request.data).decode(),
            "data": request.data.decode(),
            "await_get_json": await request.get_json(),
            "get_json": request.get_json(),
            "await_json": await request.json,
            "json": request.json,
            "await_text": await request.get_data(as_text=True),
        }

    @app.post("/form")
    async def form_view() -> dict[str, Any]:
        awaited = await request.form
        files = await request.files
        return {
            "await_form": awaited.to_dict(),
            "form": request.form.to_dict(),
            "files": [f.filename for f in files.values()],
        }

    async with client_for(app) as client:
        r = await client.post("/json", json={"x": 1})
        r2 = await client.post("/form", data={"k": "v"}, files={"f": ("a.txt", b"x")})
    assert r.status_code == 200, r.text
    raw = '{"x":1}'
    assert r.json() == {
        "await_get_data": raw,
        "get_data": raw,
        "await_data": raw,
        "data": raw,
        "await_get_json": {"x": 1},
        "get_json": {"x": 1},
        "await_json": {"x": 1},
        "json": {"x": 1},
        "await_text": raw,
    }
    assert r2.json() == {"await_form": {"k": "v"}, "form": {"k": "v"}, "files": ["a.txt"]}


async def test_await_on_the_concrete_request_object() -> None:
    app = Flask(__name__)

    @app.post("/")
    async def view() -> dict[str, Any]:
        req = request._get_current_object()  # type: ignore[attr-defined]
        return {"a": await req.json, "b": req.json, "c": (await req.data).decode()}

    async with client_for(app) as client:
        r = await client.post("/", json=[1])
    assert r.json() == {"a": [1], "b": [1], "c": "[1]"}


async def test_body_read_twice_is_cached() -> None:
    app = Flask(__name__)
    seen: list[Any] = []

    @app.before_request
    async def hook() -> None:
        seen.append(await request.get_json())

    @app.post("/")
    def view() -> dict[str, Any]:
        return {"a": request.get_json(), "b": request.get_data(as_text=True)}

    async with client_for(app) as client:
        r = await client.post("/", json={"k": 1})
    assert r.json() == {"a": {"k": 1}, "b": '{"k":1}'}
    assert seen == [{"k": 1}]


async def test_starlette_body_method_still_works() -> None:
    app = Flask(__name__)

    @app.post("/")
    async def view() -> bytes:
        return await request.body()

    async with client_for(app) as client:
        r = await client.post("/", content=b"raw bytes")
    assert r.content == b"raw bytes"


# -- JSON errors ---------------------------------------------------------------------------


def make_json_app() -> Flask:
    app = Flask(__name__)

    @app.post("/json")
    def plain() -> Any:
        return {"v": request.json}

    @app.post("/silent")
    def silent() -> Any:
        return {"v": request.get_json(silent=True)}

    @app.post("/force")
    def force() -> Any:
        return {"v": request.get_json(force=True)}

    @app.post("/force-silent")
    async def force_silent() -> Any:
        return {"v": await request.get_json(force=True, silent=True)}

    return app


async def test_invalid_json_is_400() -> None:
    async with client_for(make_json_app()) as client:
        bad = {"Content-Type": "application/json"}
        r = await client.post("/json", content=b"{bad", headers=bad)
        assert r.status_code == 400
        r = await client.post("/json", content=b'"\xff\xfe"', headers=bad)
        assert r.status_code == 400
        r = await client.post("/silent", content=b"{bad", headers=bad)
        assert r.status_code == 200 and r.json() == {"v": None}
        r = await client.post("/force-silent", content=b"{bad", headers=bad)
        assert r.json() == {"v": None}


async def test_deeply_nested_json_is_400_not_500() -> None:
    async with client_for(make_json_app()) as client:
        r = await client.post(
            "/json", content=b"[" * 100_000, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400
        r = await client.post(
            "/silent", content=b"[" * 100_000, headers={"Content-Type": "application/json"}
        )
        assert r.json() == {"v": None}
        r = await client.post(
            "/json", content=b"1" * 5000, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400


async def test_json_with_wrong_content_type() -> None:
    async with client_for(make_json_app()) as client:
        text = {"Content-Type": "text/plain"}
        r = await client.post("/json", content=b'{"a": 1}', headers=text)
        assert r.status_code == 415
        r = await client.post("/silent", content=b'{"a": 1}', headers=text)
        assert r.json() == {"v": None}
        r = await client.post("/force", content=b'{"a": 1}', headers=text)
        assert r.json() == {"v": {"a": 1}}
        r = await client.post("/json")  # no body, no content type
        assert r.status_code == 415


# -- missing keys and malformed forms -------------------------------------------------------


async def test_missing_form_and_args_keys_are_400_and_keyerrors() -> None:
    app = Flask(__name__)

    @app.post("/form")
    def form() -> str:
        return request.form["missing"]

    @app.get("/args")
    async def args() -> str:
        return request.args["missing"]

    @app.get("/caught")
    def caught() -> str:
        try:
            request.args["missing"]
        except KeyError as e:
            return f"{type(e).__name__} {isinstance(e, BadRequestKeyError)}"
        return "no error"

    async with client_for(app) as client:
        assert (await client.post("/form", data={"a": "1"})).status_code == 400
        assert (await client.get("/args")).status_code == 400
        assert (await client.get("/caught")).text == "BadRequestKeyError True"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--"),
        ("multipart/form-data; boundary=x", b"\x00\xff garbage \x89PNG" * 20),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--x--\r\n",
        ),
        ("multipart/form-data; boundary=" + "b" * 300, b"--" + b"b" * 300 + b"--\r\n"),
    ],
    ids=["no-boundary", "garbage", "no-name", "long-boundary"],
)
async def test_malformed_multipart_is_400(content_type: str, body: bytes) -> None:
    app = Flask(__name__)

    @app.post("/")
    def view() -> str:
        return repr(request.form.to_dict())

    async with client_for(app) as client:
        r = await client.post("/", content=body, headers={"Content-Type": content_type})
    assert r.status_code == 400, r.text


async def test_malformed_multipart_ignored_when_unused() -> None:
    app = Flask(__name__)

    @app.post("/")
    def view() -> str:
        return "ok"

    async with client_for(app) as client:
        r = await client.post("/", content=b"junk", headers={"Content-Type": "multipart/form-data"})
    assert r.status_code == 200


# -- body limits ------------------------------------------------------------------------------


async def asgi_call(
    app: Any,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    receive_messages: Iterator[Message],
) -> tuple[int, dict[bytes, bytes], bytes]:
    """Call the ASGI app by hand; `receive_messages` feeds `receive()`."""
    sent: list[Message] = []

    async def receive() -> Message:
        try:
            return next(receive_messages)
        except StopIteration:
            await asyncio.sleep(0)
            return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), *headers],
        "client": ("127.0.0.1", 1234),
        "server": ("localhost", 80),
    }
    await app(scope, receive, send)
    start = sent[0]
    assert start["type"] == "http.response.start"
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start["headers"]), body


def make_body_app(limit: int | None = 1000) -> Flask:
    app = Flask(__name__)
    if limit is not None:
        app.config["MAX_CONTENT_LENGTH"] = limit

    @app.post("/data")
    def data() -> str:
        return str(len(request.get_data()))

    @app.post("/form")
    def form() -> str:
        return str(len(request.form))

    @app.post("/json")
    async def json_view() -> str:
        return str(len(request.json))

    return app


def test_max_content_length_default_is_16_mib() -> None:
    assert Flask(__name__).config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024


@pytest.mark.parametrize("route", ["/data", "/form", "/json"])
async def test_declared_length_over_limit_is_413_without_reading(route: str) -> None:
    app = make_body_app(limit=1000)
    pulled = 0

    def messages() -> Iterator[Message]:
        nonlocal pulled
        while True:
            pulled += 1
            yield {"type": "http.request", "body": b"x" * 100, "more_body": True}

    status, _, _ = await asgi_call(
        app,
        "POST",
        route,
        [(b"content-length", b"104857600"), (b"content-type", b"application/json")],
        messages(),
    )
    assert status == 413
    assert pulled == 0


async def test_declared_length_over_default_limit_is_413() -> None:
    app = make_body_app(limit=None)
    status, _, _ = await asgi_call(
        app, "POST", "/data", [(b"content-length", str(16 * 1024 * 1024 + 1).encode())], iter([])
    )
    assert status == 413


async def test_chunked_body_over_limit_stops_reading() -> None:
    app = make_body_app(limit=1000)
    pulled = 0

    def messages() -> Iterator[Message]:
        nonlocal pulled
        for _ in range(10_000):
            pulled += 1
            yield {"type": "http.request", "body": b"y" * 100, "more_body": True}

    status, _, _ = await asgi_call(
        app, "POST", "/data", [(b"transfer-encoding", b"chunked")], messages()
    )
    assert status == 413
    assert pulled == 11  # 1100 bytes is the first total past 1000


async def test_chunked_body_under_limit_is_read_completely() -> None:
    app = make_body_app(limit=1000)
    chunks = iter(
        [
            {"type": "http.request", "body": b"a" * 300, "more_body": True},
            {"type": "http.request", "body": b"", "more_body": True},
            {"type": "http.request", "body": b"b" * 300, "more_body": True},
            {"type": "http.request", "body": b"c" * 400, "more_body": False},
        ]
    )
    status, _, body = await asgi_call(
        app, "POST", "/data", [(b"transfer-encoding", b"chunked")], chunks
    )
    assert (status, body) == (200, b"1000")


async def test_body_limit_is_configurable() -> None:
    app = make_body_app(limit=10)
    async with client_for(app) as client:
        assert (await client.post("/data", content=b"x" * 10)).text == "10"
        assert (await client.post("/data", content=b"x" * 11)).status_code == 413
    app2 = make_body_app(limit=None)
    app2.config["MAX_CONTENT_LENGTH"] = None  # unlimited, as Flask's default
    async with client_for(app2) as client:
        assert (await client.post("/data", content=b"x" * 5000)).text == "5000"


async def test_form_memory_limits_are_413() -> None:
    app = make_body_app(limit=None)
    app.config["MAX_FORM_MEMORY_SIZE"] = 100
    app.config["MAX_FORM_PARTS"] = 5  # multipart parts
    app.config["MAX_FORM_FIELDS"] = 5  # urlencoded fields
    async with client_for(app) as client:
        r = await client.post("/form", data={"a": "x" * 101})
        assert r.status_code == 413
        r = await client.post("/form", data={f"k{i}": "1" for i in range(10)})
        assert r.status_code == 413
        r = await client.post("/form", data={"a": "x"}, files={f"f{i}": b"1" for i in range(10)})
        assert r.status_code == 413
        r = await client.post("/form", data={"a": "x" * 90})
        assert r.text == "1"


async def test_client_disconnect_while_reading() -> None:
    app = make_body_app(limit=1000)
    torn: list[Any] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(exc)

    messages: Iterator[Message] = iter(
        [
            {"type": "http.request", "body": b"a", "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/data",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"transfer-encoding", b"chunked")],
        "scheme": "http",
    }
    try:
        await app(scope, receive, send)
    except Exception as e:  # pragma: no cover - the exact outcome is the app's choice
        pytest.fail(f"disconnect raised {e!r}")
    assert len(torn) == 1


# -- Response --------------------------------------------------------------------------------


def test_response_defaults() -> None:
    r = Response("héllo")
    assert r.status_code == 200
    assert r.status == "200 OK"
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.content_type == "text/html; charset=utf-8"
    assert r.mimetype == "text/html"
    assert r.mimetype_params == {"charset": "utf-8"}
    assert r.headers["Content-Length"] == str(len("héllo".encode()))
    assert r.content_length == 6
    assert r.data == "héllo".encode()
    assert r.get_data(as_text=True) == "héllo"
    empty = Response()
    assert empty.data == b""
    assert empty.headers["Content-Length"] == "0"


def test_response_constructor_arguments() -> None:
    r = Response(b"{}", status=201, headers={"X-A": "1"}, mimetype="application/json")
    assert r.status == "201 CREATED"
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["X-A"] == "1"
    assert r.is_json
    assert r.get_json() == {}
    r = Response("x", content_type="text/plain; charset=latin-1")
    assert r.content_type == "text/plain; charset=latin-1"
    r = Response("x", mimetype="text/plain")
    assert r.content_type == "text/plain; charset=utf-8"
    r = Response("x", headers=[("Content-Type", "text/csv"), ("X-B", "2"), ("X-B", "3")])
    assert r.content_type == "text/csv"
    assert r.headers.getlist("X-B") == ["2", "3"]
    r = Response("x", status="418 I'M A TEAPOT")
    assert r.status_code == 418
    assert r.status == "418 I'M A TEAPOT"
    r = Response(["a", b"b"])
    assert r.data == b"ab"


def test_response_status_is_mutable() -> None:
    r = Response("x")
    r.status_code = 404
    assert r.status == "404 NOT FOUND"
    r.status = "201 CREATED"
    assert r.status_code == 201
    r.status = 500
    assert r.status == "500 INTERNAL SERVER ERROR"
    r.status_code = 299
    assert r.status == "299 UNKNOWN"
    r.status = "299 CUSTOM"
    assert (r.status_code, r.status) == (299, "299 CUSTOM")
    with pytest.raises(ValueError):
        r.status = "abc"
    assert Response(status=299).status == "299 UNKNOWN"


def test_response_data_updates_content_length() -> None:
    r = Response("abc")
    r.data = b"hello!"
    assert r.headers["Content-Length"] == "6"
    r.set_data("é")
    assert r.headers["Content-Length"] == "2"
    assert r.get_data() == "é".encode()
    assert r.headers.getlist("Content-Length") == ["2"]


def test_response_mimetype_and_content_type_setters() -> None:
    r = Response("x")
    r.mimetype = "text/plain"
    assert r.content_type == "text/plain; charset=utf-8"
    r.mimetype = "application/json"
    assert r.content_type == "application/json"
    r.content_type = "image/png"
    assert r.mimetype == "image/png"
    assert r.headers.getlist("Content-Type") == ["image/png"]


def test_response_location() -> None:
    r = Response("x", status=302)
    assert r.location is None
    r.location = "/relative"
    assert r.headers["Location"] == "/relative"
    assert r.location == "/relative"


def test_response_get_json() -> None:
    r = Response('{"a": 1}', mimetype="application/json")
    assert r.get_json() == {"a": 1}
    assert r.json == {"a": 1}
    html = Response('{"a": 1}')
    assert html.get_json() is None
    assert html.get_json(force=True) == {"a": 1}
    bad = Response("{", mimetype="application/json")
    assert bad.get_json(silent=True) is None
    with pytest.raises(ValueError):
        bad.get_json()


async def test_response_headers_mutable_and_sent() -> None:
    app = Flask(__name__)

    @app.get("/")
    def index() -> Response:
        resp = Response("body")
        resp.headers["X-Something"] = "A value"
        resp.headers.add("X-Multi", "1")
        resp.headers.add("X-Multi", "2")
        resp.headers.set("X-Set", "a", charset="utf-8")
        resp.status_code = 202
        resp.set_data("changed")
        return resp

    async with client_for(app) as client:
        r = await client.get("/")
    assert r.status_code == 202
    assert r.headers["X-Something"] == "A value"
    assert r.headers.get_list("X-Multi") == ["1", "2"]
    assert r.headers["X-Set"] == "a; charset=utf-8"
    assert r.text == "changed"
    assert r.headers["Content-Length"] == "7"


CRLF_VALUES = ["a\r\nSet-Cookie: evil=1", "a\nb", "a\rb"]


@pytest.mark.parametrize("bad", CRLF_VALUES)
def test_header_injection_raises_value_error_everywhere(bad: str) -> None:
    with pytest.raises(ValueError):
        Response("x", headers={"X-A": bad})
    with pytest.raises(ValueError):
        Response("x", headers=[("X-A", bad)])
    with pytest.raises(ValueError):
        Response("x", mimetype="text/html" + bad)
    with pytest.raises(ValueError):
        Response("x", content_type="text/html" + bad)
    r = Response("x")
    with pytest.raises(ValueError):
        r.headers["X-A"] = bad
    with pytest.raises(ValueError):
        r.headers.add("X-A", bad)
    with pytest.raises(ValueError):
        r.headers.set("X-A", bad)
    with pytest.raises(ValueError):
        r.headers.extend({"X-A": bad})
    with pytest.raises(ValueError):
        r.headers.update({"X-A": bad})
    with pytest.raises(ValueError):
        r.headers.setdefault("X-New", bad)
    with pytest.raises(ValueError):
        r.location = "/x" + bad
    with pytest.raises(ValueError):
        r.mimetype = "text/plain" + bad
    with pytest.raises(ValueError):
        r.content_type = "text/plain" + bad
    # Werkzeug's `Headers` checks values only; a bad name is refused when the
    # headers are encoded for sending.
    named = Response("x")
    named.headers["X-" + bad] = "v"
    with pytest.raises(ValueError):
        named.raw_headers  # noqa: B018
    with pytest.raises(ValueError):
        redirect("/x" + bad)
    with pytest.raises(ValueError):
        r.set_cookie("k", "v", domain="example.com" + bad)
    assert all("evil" not in v and "\n" not in v for _, v in r.headers.items())


def test_cookie_value_with_crlf_is_escaped_not_injected() -> None:
    r = Response("x")
    r.set_cookie("k", "a\r\nSet-Cookie: evil=1")
    r.set_cookie("p", "v", path="/x;\r\nevil")
    for value in r.headers.getlist("Set-Cookie"):
        assert "\r" not in value and "\n" not in value
    assert r.headers.getlist("Set-Cookie")[1] == "p=v; Path=/x%3B%0D%0Aevil"


async def test_injection_from_a_view_is_500_and_never_sent() -> None:
    app = Flask(__name__)

    @app.get("/redirect")
    def bad_redirect() -> Response:
        return redirect("/x\r\nSet-Cookie: a=1")

    @app.get("/header")
    def bad_header() -> Response:
        resp = Response("x")
        resp.headers["X"] = "a\r\nb: c"
        return resp

    @app.get("/tuple")
    def bad_tuple() -> Any:
        return "x", {"X": "a\nSet-Cookie: a=1"}

    async with client_for(app) as client:
        for path in ("/redirect", "/header", "/tuple"):
            r = await client.get(path)
            assert r.status_code == 500
            assert "set-cookie" not in r.headers
            assert "b" not in r.headers


async def test_head_keeps_content_length_without_body() -> None:
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        assert request.method in ("GET", "HEAD")
        return "hello"

    async with client_for(app) as client:
        r = await client.head("/")
    assert r.status_code == 200
    assert r.headers["Content-Length"] == "5"
    assert r.content == b""


async def test_streamed_bodies_arrive_complete_without_content_length() -> None:
    app = Flask(__name__)

    @app.get("/sync")
    def sync_stream() -> Response:
        def gen() -> Iterator[str]:
            yield "a"
            yield "b"
            yield "c"

        return Response(gen(), mimetype="text/plain")

    @app.get("/async")
    async def async_stream() -> Response:
        async def gen() -> AsyncIterator[bytes]:
            for i in range(3):
                await asyncio.sleep(0)
                yield str(i).encode()

        return Response(gen())

    @app.get("/plain-gen")
    def plain_gen() -> Iterator[str]:
        yield "x"
        yield "y"

    async with client_for(app) as client:
        r = await client.get("/sync")
        assert r.text == "abc"
        assert "content-length" not in r.headers
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        r = await client.get("/async")
        assert r.text == "012"
        assert "content-length" not in r.headers
        r = await client.get("/plain-gen")
        assert r.text == "xy"
        assert "content-length" not in r.headers
        r = await client.head("/sync")
        assert r.content == b""


def test_streamed_sync_body_get_data_joins() -> None:
    r = Response(iter(["a", "b"]))
    assert r.is_streamed
    assert r.get_data() == b"ab"
    assert r.headers["Content-Length"] == "2"
    assert not r.is_streamed


# -- cookies ------------------------------------------------------------------------------------


FIXED = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

# Expected strings produced by Werkzeug 3.1's dump_cookie (Flask 3.1.3).
WERKZEUG_COOKIES: list[tuple[dict[str, Any], str]] = [
    ({"key": "a", "value": "b"}, "a=b; Path=/"),
    ({"key": "a", "value": "b c"}, 'a="b c"; Path=/'),
    ({"key": "a", "value": 'x"y;z,w\\'}, 'a="x\\"y\\073z\\054w\\\\"; Path=/'),
    ({"key": "a", "value": "é"}, 'a="\\303\\251"; Path=/'),
    ({"key": "a", "value": "tab\there"}, 'a="tab\\011here"; Path=/'),
    ({"key": "a", "value": "a:b/c?d@e=[x]"}, "a=a:b/c?d@e=[x]; Path=/"),
    (
        {"key": "a", "value": "b", "expires": FIXED},
        "a=b; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Path=/",
    ),
    (
        {"key": "a", "value": "b", "expires": FIXED.replace(tzinfo=None)},
        "a=b; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Path=/",
    ),
    (
        {"key": "a", "value": "b", "expires": 0},
        "a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/",
    ),
    (
        {"key": "a", "value": "b", "expires": "Wed, 01 Jan 2031 00:00:00 GMT"},
        "a=b; Expires=Wed, 01 Jan 2031 00:00:00 GMT; Path=/",
    ),
    (
        {
            "key": "a",
            "value": "b",
            "path": "/x",
            "domain": "example.com",
            "secure": True,
            "httponly": True,
            "samesite": "Lax",
        },
        "a=b; Domain=example.com; Secure; HttpOnly; Path=/x; SameSite=Lax",
    ),
    ({"key": "a", "value": "b", "samesite": "strict"}, "a=b; Path=/; SameSite=Strict"),
    (
        {"key": "a", "value": "b", "samesite": "None", "secure": True},
        "a=b; Secure; Path=/; SameSite=None",
    ),
    ({"key": "a", "value": "b", "partitioned": True}, "a=b; Secure; Path=/; Partitioned"),
    ({"key": "a", "value": "b", "path": None}, "a=b"),
    ({"key": "a", "value": "b", "domain": ".example.com"}, "a=b; Domain=example.com; Path=/"),
    ({"key": "a", "value": "b", "domain": "example.com:8080"}, "a=b; Domain=example.com; Path=/"),
    ({"key": "a", "value": "b", "domain": "exämple.com"}, "a=b; Domain=xn--exmple-cua.com; Path=/"),
    ({"key": "a", "value": "b", "path": "/a b/é"}, "a=b; Path=/a%20b/%C3%A9"),
    (
        {"key": "a", "value": "", "expires": 0, "max_age": 0},
        "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/",
    ),
]


@pytest.mark.parametrize(("kwargs", "expected"), WERKZEUG_COOKIES)
def test_dump_cookie_matches_werkzeug(kwargs: dict[str, Any], expected: str) -> None:
    assert dump_cookie(**kwargs) == expected
    r = Response()
    r.set_cookie(**kwargs)
    assert r.headers.getlist("Set-Cookie") == [expected]


@pytest.mark.parametrize("max_age", [60, timedelta(minutes=1)])
def test_set_cookie_max_age_sets_expires(max_age: int | timedelta) -> None:
    r = Response()
    before = datetime.now(timezone.utc).replace(microsecond=0)
    r.set_cookie("a", "b", max_age=max_age)
    header = r.headers["Set-Cookie"]
    parts = header.split("; ")
    assert parts[0] == "a=b"
    assert parts[1].startswith("Expires=")
    expires = datetime.strptime(parts[1][8:], "%a, %d %b %Y %H:%M:%S GMT").replace(
        tzinfo=timezone.utc
    )
    assert before + timedelta(seconds=59) <= expires <= before + timedelta(seconds=62)
    assert parts[2:] == ["Max-Age=60", "Path=/"]


def test_set_cookie_rejects_bad_samesite() -> None:
    with pytest.raises(ValueError):
        Response().set_cookie("a", "b", samesite="sometimes")


def test_delete_cookie() -> None:
    r = Response()
    r.delete_cookie("sess", path="/p", domain="example.com", secure=True, samesite="Lax")
    assert r.headers["Set-Cookie"] == (
        "sess=; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; "
        "Secure; Path=/p; SameSite=Lax"
    )


async def test_cookies_round_trip_through_client() -> None:
    app = Flask(__name__)
    values = {"plain": "v", "space": "John Doe", "special": 'a;b,"c"\\', "uni": "héllo"}

    @app.get("/set")
    def set_cookies() -> Response:
        resp = Response("ok")
        for k, v in values.items():
            resp.set_cookie(k, v)
        return resp

    @app.get("/forget")
    def forget() -> Response:
        resp = Response("ok")
        resp.delete_cookie("plain")
        return resp

    @app.get("/read")
    def read() -> dict[str, Any]:
        return dict(request.cookies)

    async with client_for(app) as client:
        r = await client.get("/set")
        assert len(r.headers.get_list("set-cookie")) == len(values)
        r = await client.get("/read")
        assert r.json() == values
        await client.get("/forget")
        r = await client.get("/read")
    assert "plain" not in r.json()


async def test_request_cookie_quirks() -> None:
    app = Flask(__name__)

    @app.get("/")
    def view() -> dict[str, Any]:
        return {
            "all": request.cookies.to_dict(flat=False),
            "session": request.cookies.get("session"),
        }

    async with client_for(app) as client:
        cases = {
            "=session=forged": ({}, None),
            "session=a; session=b": ({"session": ["a", "b"]}, "a"),
            ";; c = 3 ;d=4;": ({"c": ["3"], "d": ["4"]}, None),
            'e="a\\073b"': ({"e": ["a;b"]}, None),
        }
        for header, (expected, session) in cases.items():
            r = await client.get("/", headers={"Cookie": header})
            assert r.json() == {"all": expected, "session": session}, header


# -- misc request features ------------------------------------------------------------------


async def test_per_request_max_content_length_attribute() -> None:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 123

    @app.get("/")
    def view() -> dict[str, Any]:
        before = request.max_content_length
        request.max_content_length = 5
        return {
            "before": before,
            "after": request.max_content_length,
            "form_mem": request.max_form_memory_size,
            "parts": request.max_form_parts,
        }

    async with client_for(app) as client:
        r = await client.get("/")
    assert r.json() == {"before": 123, "after": 5, "form_mem": 500_000, "parts": 1000}


async def test_request_json_content_types() -> None:
    app = Flask(__name__)

    @app.post("/")
    def view() -> dict[str, Any]:
        return {"is_json": request.is_json, "mimetype": request.mimetype}

    async with client_for(app) as client:
        for ct, expected in [
            ("application/json", True),
            ("application/JSON; charset=utf-8", True),
            ("application/problem+json", True),
            ("text/json", False),
            ("application/jsonx", False),
        ]:
            r = await client.post("/", content=b"1", headers={"Content-Type": ct})
            assert r.json()["is_json"] is expected, ct


def test_request_outside_app_uses_stdlib_json() -> None:
    from aioflask.testing import build_request

    app = Flask(__name__)
    req = build_request(app, "/", method="POST", json={"a": 1})
    assert req.get_json() == {"a": 1}
    assert json.loads(req.get_data()) == {"a": 1}


async def test_bodiless_statuses_send_no_body() -> None:
    app = Flask(__name__)

    @app.get("/<int:code>")
    def view(code: int) -> Any:
        return "body", code, {"ETag": '"abc"'}

    @app.get("/stream204")
    def stream204() -> Response:
        return Response(iter(["x"]), status=204)

    async with client_for(app) as client:
        r = await client.get("/204")
        assert (r.status_code, r.content) == (204, b"")
        assert "content-length" not in r.headers
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        r = await client.get("/304")
        assert (r.status_code, r.content) == (304, b"")
        assert "content-length" not in r.headers
        assert "content-type" not in r.headers
        assert r.headers["etag"] == '"abc"'
        r = await client.get("/299")
        assert (r.status_code, r.content) == (299, b"body")
        r = await client.get("/stream204")
        assert (r.status_code, r.content) == (204, b"")


async def test_streamed_body_keeps_an_explicit_content_length() -> None:
    app = Flask(__name__)

    @app.get("/")
    def view() -> Response:
        resp = Response(iter([b"ab", b"cd"]), mimetype="application/octet-stream")
        resp.headers["Content-Length"] = "4"
        return resp

    async with client_for(app) as client:
        r = await client.get("/")
        assert (r.content, r.headers["content-length"]) == (b"abcd", "4")
        r = await client.head("/")
        assert (r.content, r.headers["content-length"]) == (b"", "4")


async def test_accept_headers_and_environ() -> None:
    app = Flask(__name__)

    @app.get("/p/<name>")
    def view(name: str) -> dict[str, Any]:
        env = request.environ
        return {
            "lang": request.accept_languages.best_match(["en", "fr", "de"]),
            "charset": request.accept_charsets.best_match(["latin-1", "utf-8"]),
            "gzip": "gzip" in request.accept_encodings,
            "env": {
                k: env[k]
                for k in (
                    "REQUEST_METHOD",
                    "PATH_INFO",
                    "QUERY_STRING",
                    "REMOTE_ADDR",
                    "SERVER_NAME",
                    "SERVER_PORT",
                    "wsgi.url_scheme",
                    "HTTP_X_CUSTOM",
                    "HTTP_COOKIE",
                )
            },
            "has_scope": env["asgi.scope"] is request.scope,
            "content_type": env.get("CONTENT_TYPE"),
        }

    async with client_for(app) as client:
        r = await client.get(
            "/p/x?q=1",
            headers=[
                ("Accept-Language", "fr-CH, fr;q=0.9, en;q=0.8"),
                ("Accept-Charset", "utf-8"),
                ("Accept-Encoding", "gzip, br"),
                ("X-Custom", "a"),
                ("X-Custom", "b"),
                ("Cookie", "a=1"),
            ],
        )
    d = r.json()
    assert d["lang"] == "fr"
    assert d["charset"] == "utf-8"
    assert d["gzip"] is True
    assert d["env"] == {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/p/x",
        "QUERY_STRING": "q=1",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "HTTP_X_CUSTOM": "a,b",
        "HTTP_COOKIE": "a=1",
    }
    assert d["has_scope"] is True
    assert d["content_type"] is None


async def test_body_without_length_headers_is_read_for_post() -> None:
    app = make_body_app(limit=1000)
    messages = iter(
        [
            {"type": "http.request", "body": b"abc", "more_body": True},
            {"type": "http.request", "body": b"de", "more_body": False},
        ]
    )
    status, _, body = await asgi_call(app, "POST", "/data", [], messages)
    assert (status, body) == (200, b"5")


async def test_get_without_length_headers_does_not_wait_for_a_body() -> None:
    app = Flask(__name__)

    @app.get("/")
    def view() -> str:
        return repr(request.get_data())

    def never() -> Iterator[Message]:
        raise AssertionError("receive() must not be called")
        yield {}  # pragma: no cover

    status, _, body = await asgi_call(app, "GET", "/", [], never())
    assert (status, body) == (200, b"b''")


async def test_urlencoded_form_parsing_rules() -> None:
    app = Flask(__name__)

    @app.post("/")
    def view() -> dict[str, Any]:
        return request.form.to_dict(flat=False)

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    async with client_for(app) as client:
        r = await client.post("/", content="nämé=välue&x=%C3%A9".encode(), headers=form)
        assert r.json() == {"nämé": ["välue"], "x": ["é"]}
        r = await client.post("/", content=b"a=1;b=2&c&d=&e=%ff", headers=form)
        assert r.json() == {"a": ["1;b=2"], "c": [""], "d": [""], "e": ["\ufffd"]}
        r = await client.post("/", content=b"a=1+2&a=3%2B4", headers=form)
        assert r.json() == {"a": ["1 2", "3+4"]}


async def test_urlencoded_form_limits() -> None:
    app = Flask(__name__)

    @app.post("/")
    def view() -> str:
        return str(len(request.form))

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    async with client_for(app) as client:
        r = await client.post("/", content=b"&".join([b"field=1"] * 100_000), headers=form)
        assert r.status_code == 413
        r = await client.post("/", content=b"a=" + b"x" * 5_000_000, headers=form)
        assert r.status_code == 413
        r = await client.post("/", content=b"&".join([b"a=1"] * 1000), headers=form)
        assert r.text == "1"


async def test_sync_stream_runs_and_closes_on_the_request_thread() -> None:
    import threading

    app = Flask(__name__)
    threads: list[tuple[str, int]] = []

    @app.get("/")
    def view() -> Response:
        threads.append(("view", threading.get_ident()))

        def gen() -> Iterator[str]:
            try:
                threads.append(("body", threading.get_ident()))
                yield "a"
                yield "b"
            finally:
                threads.append(("finally", threading.get_ident()))

        return Response(gen())

    async with client_for(app) as client:
        r = await client.get("/")
        assert r.text == "ab"
        r = await client.head("/")
        assert r.content == b""
    # HEAD never starts the generator, so its `finally` has nothing to run
    assert [name for name, _ in threads] == ["view", "body", "finally", "view"]
    assert len({ident for _, ident in threads[:3]}) == 1


async def test_body_limit_uses_the_413_error_handler() -> None:
    app = make_body_app(limit=5)

    @app.errorhandler(413)
    def too_big(e: Exception) -> tuple[str, int]:
        return "custom too big", 413

    async with client_for(app) as client:
        r = await client.post("/data", content=b"0123456789")
    assert (r.status_code, r.text) == (413, "custom too big")
