"""The `static` endpoint: routing, caching, ranges and hostile URLs (FLASK_API S13, P2-P4)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from starlette.types import Message

from aioflask import Blueprint, Flask, Response, url_for
from aioflask.routing import BuildError
from tests.serving import serve
from tests.test_quickstart import extract_snippets, run_snippet

TESTS = Path(__file__).parent
STYLE = (TESTS / "static" / "style.css").read_bytes()


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


@pytest.fixture
def app() -> Flask:
    """The app of this test module: its static folder is `tests/static`."""
    app = Flask(__name__)
    app.config.update(DEBUG=False, TESTING=False)
    return app


@pytest.fixture
async def client(app: Flask) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A root with `static/`, a sibling `static_secret/` and a secret file beside them."""
    (tmp_path / "static" / "sub").mkdir(parents=True)
    (tmp_path / "static" / "hello.txt").write_bytes(b"hello")
    (tmp_path / "static" / "sub" / "x.js").write_bytes(b"x()")
    (tmp_path / "static" / "%2e.txt").write_bytes(b"literal percent name")
    (tmp_path / "static_secret").mkdir()
    (tmp_path / "static_secret" / "x.txt").write_bytes(b"SIBLING SECRET")
    (tmp_path / "secret.txt").write_bytes(b"TOP SECRET")
    (tmp_path / "static" / "link.txt").symlink_to(tmp_path / "secret.txt")
    return tmp_path


# -- routing ------------------------------------------------------------------------------


async def test_static_file_is_served(client: httpx.AsyncClient) -> None:
    r = await client.get("/static/style.css")
    assert r.status_code == 200
    assert r.content == STYLE
    assert r.headers["content-type"] == "text/css; charset=utf-8"
    assert r.headers["content-length"] == str(len(STYLE))
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["accept-ranges"] == "bytes"
    assert "etag" in r.headers and "last-modified" in r.headers
    nested = await client.get("/static/js/app.js")
    assert nested.status_code == 200
    assert nested.content == (TESTS / "static" / "js" / "app.js").read_bytes()


def test_url_for_static(app: Flask) -> None:
    with app.test_request_context("/"):
        assert url_for("static", filename="style.css") == "/static/style.css"
        assert url_for("static", filename="js/app.js") == "/static/js/app.js"
        assert url_for("static", filename="a b.css") == "/static/a%20b.css"
        assert url_for("static", filename="style.css", _external=True) == (
            "http://localhost/static/style.css"
        )


async def test_static_route_exists_without_the_folder(tmp_path: Path) -> None:
    app = Flask(__name__, root_path=str(tmp_path))
    with app.test_request_context("/"):
        assert url_for("static", filename="x.css") == "/static/x.css"
    async with client_for(app) as c:
        assert (await c.get("/static/x.css")).status_code == 404


async def test_custom_folder_and_url_path(site: Path) -> None:
    (site / "public").mkdir()
    (site / "public" / "a.txt").write_bytes(b"public a")
    app = Flask(__name__, root_path=str(site), static_folder="public")
    assert app.static_url_path == "/public"
    other = Flask(__name__, root_path=str(site), static_folder="public", static_url_path="/assets")
    with other.test_request_context("/"):
        assert url_for("static", filename="a.txt") == "/assets/a.txt"
    async with client_for(app) as c:
        assert (await c.get("/public/a.txt")).content == b"public a"
    async with client_for(other) as c:
        assert (await c.get("/assets/a.txt")).content == b"public a"
        assert (await c.get("/public/a.txt")).status_code == 404


async def test_static_url_path_empty_serves_from_the_root(site: Path) -> None:
    app = Flask(__name__, root_path=str(site), static_url_path="")

    @app.get("/")
    def index() -> str:
        return "index"

    @app.get("/api/items")
    def items() -> list[int]:
        return [1]

    with app.test_request_context("/"):
        assert url_for("static", filename="hello.txt") == "/hello.txt"
    async with client_for(app) as c:
        assert (await c.get("/hello.txt")).content == b"hello"
        assert (await c.get("/sub/x.js")).content == b"x()"
        assert (await c.get("/")).text == "index"
        assert (await c.get("/api/items")).json() == [1]
        assert (await c.get("/nothing.txt")).status_code == 404


def test_no_static_folder_no_static_endpoint(tmp_path: Path) -> None:
    app = Flask(__name__, root_path=str(tmp_path), static_folder=None)
    assert not app.has_static_folder
    assert "static" not in app.view_functions
    with app.test_request_context("/"), pytest.raises(BuildError):
        url_for("static", filename="x.css")
    with app.test_request_context("/"), pytest.raises(RuntimeError, match="static_folder"):
        app.send_static_file("x.css")


async def test_static_methods(client: httpx.AsyncClient) -> None:
    head = await client.head("/static/style.css")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(STYLE))
    post = await client.post("/static/style.css")
    assert post.status_code == 405
    assert "GET" in post.headers["allow"]


# -- caching and ranges -----------------------------------------------------------------


async def test_static_conditional_requests(client: httpx.AsyncClient) -> None:
    first = await client.get("/static/style.css")
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    r = await client.get("/static/style.css", headers={"If-None-Match": etag})
    assert r.status_code == 304
    assert r.content == b""
    r = await client.get("/static/style.css", headers={"If-Modified-Since": last_modified})
    assert r.status_code == 304
    r = await client.get("/static/style.css", headers={"If-None-Match": '"old"'})
    assert r.status_code == 200
    assert r.content == STYLE


async def test_static_range(client: httpx.AsyncClient) -> None:
    r = await client.get("/static/style.css", headers={"Range": "bytes=0-3"})
    assert r.status_code == 206
    assert r.content == STYLE[:4]
    assert r.headers["content-range"] == f"bytes 0-3/{len(STYLE)}"
    r = await client.get("/static/style.css", headers={"Range": "bytes=9999-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(STYLE)}"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, "no-cache"),
        (3600, "public, max-age=3600"),
        (timedelta(days=1), "public, max-age=86400"),
    ],
)
async def test_send_file_max_age_default(app: Flask, setting: Any, expected: str) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = setting
    async with client_for(app) as c:
        r = await c.get("/static/style.css")
    assert r.headers["cache-control"] == expected
    assert ("expires" in r.headers) == (setting is not None)


async def test_get_send_file_max_age_override_sees_the_filename() -> None:
    seen: list[str | None] = []

    class App(Flask):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            seen.append(filename)
            return 60 if filename and filename.endswith(".css") else None

    app = App(__name__)
    async with client_for(app) as c:
        assert (await c.get("/static/style.css")).headers["cache-control"] == "public, max-age=60"
        assert (await c.get("/static/hello.txt")).headers["cache-control"] == "no-cache"
    assert seen[0] == "style.css"


# -- how the view runs --------------------------------------------------------------------


async def test_send_static_file_runs_off_the_loop_and_can_be_overridden() -> None:
    threads: list[int] = []

    class App(Flask):
        def send_static_file(self, filename: str) -> Response:
            threads.append(threading.get_ident())
            response = super().send_static_file(filename)
            response.headers["X-Static"] = filename
            return response

    app = App(__name__)
    async with client_for(app) as c:
        r = await c.get("/static/style.css")
    assert r.content == STYLE
    assert r.headers["x-static"] == "style.css"
    assert threads and threads[0] != threading.get_ident()


async def test_async_send_static_file_override() -> None:
    class App(Flask):
        async def send_static_file(self, filename: str) -> Response:  # type: ignore[override]
            return Response(f"async {filename}")

    async with client_for(App(__name__)) as c:
        assert (await c.get("/static/x.css")).text == "async x.css"


async def test_send_static_file_from_a_view(app: Flask) -> None:
    @app.get("/")
    def index() -> Response:
        return app.send_static_file("hello.txt")

    @app.get("/async")
    async def index_async() -> Response:
        # Quart's awaited form works at run time; the method is typed as Flask's.
        return await app.send_static_file("style.css")  # type: ignore[misc, no-any-return]

    async with client_for(app) as c:
        assert (await c.get("/")).content == (TESTS / "static" / "hello.txt").read_bytes()
        assert (await c.get("/async")).content == STYLE


async def test_blueprint_static_folder(site: Path) -> None:
    (site / "bp_static").mkdir()
    (site / "bp_static" / "bp.css").write_bytes(b".bp{}")
    app = Flask(__name__, root_path=str(site))
    bp = Blueprint(
        "admin", __name__, static_folder="bp_static", url_prefix="/admin", root_path=str(site)
    )
    app.register_blueprint(bp)
    with app.test_request_context("/"):
        assert url_for("admin.static", filename="bp.css") == "/admin/bp_static/bp.css"
    async with client_for(app) as c:
        r = await c.get("/admin/bp_static/bp.css")
        assert r.status_code == 200
        assert r.content == b".bp{}"
        assert r.headers["content-type"] == "text/css; charset=utf-8"
        assert (await c.get("/admin/bp_static/../static/hello.txt")).status_code == 404
    with app.test_request_context("/"):
        assert bp.send_static_file("bp.css").status_code == 200


# -- hostile URLs ---------------------------------------------------------------------------

HOSTILE_URLS = [
    "/static/../secret.txt",
    "/static/../static_secret/x.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/..%2fsecret.txt",
    "/static/..%2f..%2fsecret.txt",
    "/static/%252e%252e%252fsecret.txt",
    "/static/%c0%ae%c0%ae/secret.txt",
    "/static/%c0%ae%c0%ae%c0%afsecret.txt",
    "/static/..%5csecret.txt",
    "/static/%5c%5chost%5cshare%5cx",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/C:%5cWindows%5cwin.ini",
    "/static/c:secret.txt",
    "/static/a%00.txt",
    "/static/hello.txt%00.png",
    "/static/sub",
    "/static/sub/",
    "/static/",
    "/static",
    "/static/link.txt",
    "/static/missing.txt",
]


def expected_statuses(raw_path: str) -> tuple[int, ...]:
    if "%00" in raw_path:
        return (404, 400)
    if "//" in raw_path or "%2f%2f" in raw_path.lower() or "/%2f" in raw_path.lower():
        # Empty segments are merged by the router with a 308, as in Flask; the
        # target is checked to stay below /static/ and then followed.
        return (404, 308)
    return (404,)


def redirect_target(location: str) -> str:
    path = urlsplit(location).path
    assert path.startswith("/static/") and ".." not in path and "//" not in path, location
    return path


async def asgi_get(app: Flask, raw_path: str) -> tuple[int, bytes]:
    """GET `raw_path` the way uvicorn presents it: `path` is percent-decoded once."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("ascii"),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }
    status = 0
    body = b""

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            body += message.get("body", b"")

    await app(scope, receive, send)
    return status, body


async def asgi_get_following(app: Flask, raw_path: str) -> tuple[int, bytes]:
    """`asgi_get`, following one merge-slashes redirect after checking its target."""
    status, body = await asgi_get(app, raw_path)
    if status == 308:
        location = body.split(b'href="', 1)[1].split(b'"', 1)[0].decode()
        return await asgi_get(app, redirect_target(location))
    return status, body


@pytest.mark.parametrize("raw_path", HOSTILE_URLS)
async def test_hostile_urls_in_process(site: Path, raw_path: str) -> None:
    app = Flask(__name__, root_path=str(site))
    status, body = await asgi_get(app, raw_path)
    assert status in expected_statuses(raw_path)
    assert b"SECRET" not in body
    status, body = await asgi_get_following(app, raw_path)
    assert status in (404, 400)
    assert b"SECRET" not in body


async def test_url_is_decoded_exactly_once(site: Path) -> None:
    app = Flask(__name__, root_path=str(site))
    # `%252e` arrives as the literal name `%2e.txt`, which exists; decoding it
    # a second time would look for `..txt` instead.
    status, body = await asgi_get(app, "/static/%252e.txt")
    assert (status, body) == (200, b"literal percent name")


def test_hostile_urls_on_a_real_server(site: Path) -> None:
    app = Flask(__name__, root_path=str(site))
    with serve(app) as url:
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            for raw_path in HOSTILE_URLS:
                conn.request("GET", raw_path)
                response = conn.getresponse()
                body = response.read()
                assert response.status in expected_statuses(raw_path), raw_path
                assert b"SECRET" not in body, raw_path
                if response.status == 308:
                    conn.request("GET", redirect_target(response.getheader("location", "")))
                    response = conn.getresponse()
                    assert response.status == 404, raw_path
                    assert b"SECRET" not in response.read(), raw_path
                if response.getheader("connection") == "close":
                    conn.close()
            conn.request("GET", "/static/hello.txt")
            assert conn.getresponse().read() == b"hello"
        finally:
            conn.close()


# -- docs/static-files.md -----------------------------------------------------------------

DOC = TESTS.parent / "docs" / "static-files.md"
DOC_SNIPPETS = extract_snippets(DOC.read_text(encoding="utf-8"))


@pytest.fixture
def doc_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder the documented apps run in (their root path is the working directory)."""
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "style.css").write_bytes(STYLE)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "summary.txt").write_text("all good\n")
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "notes.txt").write_text("notes\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_doc_has_snippets() -> None:
    assert len(DOC_SNIPPETS) >= 8
    assert any(snippet.output is not None for snippet in DOC_SNIPPETS)


@pytest.mark.usefixtures("doc_folder")
@pytest.mark.parametrize(
    "snippet", DOC_SNIPPETS, ids=[f"snippet{s.index}-line{s.line}" for s in DOC_SNIPPETS]
)
def test_doc_snippet(snippet: Any) -> None:
    namespace = run_snippet(snippet, DOC)
    tested = any(name.startswith("test_") for name in namespace)
    assert tested or snippet.output is not None, "an example without a check"
