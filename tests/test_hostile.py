"""The hostile and faulty inputs of HOSTILE_INPUTS.md that no other test file pins.

Each test is named after its case (S7, J1, R3, H6, ...). `docs/security.md`
maps all fifty cases to the tests that cover them, here and elsewhere. Tests
where the server matters run a real uvicorn on 127.0.0.1 and talk to it over
raw sockets; the protocol tests run against both of uvicorn's HTTP parsers
(h11, and httptools, which uvicorn picks when it is installed).
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from aioflask import Flask, Request, Response, abort, redirect, request, session, url_for
from aioflask.debug import DebugMiddleware
from aioflask.views import MethodView
from bench import sendfile as sendfile_bench
from bench.run import make_scope
from tests.docsnippets import DOCS, python_blocks, run_block
from tests.serving import serve
from tests.test_request_stream import CHUNKED, call_asgi, chunked, rss_bytes

Message = dict[str, Any]
PARSERS = ["h11", "httptools"]
CLOSE = b"Connection: close\r\n\r\n"


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def exchange(
    port: int,
    pieces: bytes | list[bytes],
    *,
    wait: float = 3.0,
    responses: int | None = None,
    gap: float = 0.0,
) -> tuple[bytes, bool]:
    """Send `pieces` on a new connection (`gap` seconds apart); return what came back.

    Reading stops when the server closes the connection (the flag returned),
    when `responses` status lines have arrived, or after `wait` seconds.
    """
    if isinstance(pieces, bytes):
        pieces = [pieces]
    deadline = time.monotonic() + wait
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        for i, piece in enumerate(pieces):
            if i and gap:
                time.sleep(gap)
            sock.sendall(piece)
        while time.monotonic() < deadline:
            if responses is not None and received.count(b"HTTP/1.1 ") >= responses:
                return received, False
            sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                block = sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:
                return received, True
            if not block:
                return received, True
            received += block
    return received, False


def status_of(received: bytes) -> int:
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", received)
    assert match, received[:200]
    return int(match.group(1))


def health_ok(base: str) -> float:
    """GET /health on a fresh connection; return how long it took."""
    started = time.perf_counter()
    r = httpx.get(f"{base}/health", timeout=2)
    assert (r.status_code, r.text) == (200, "ok")
    return time.perf_counter() - started


# -- S7: no secret key, big cookies --------------------------------------------------------------


async def test_s7_no_secret_key_debug_page_names_the_problem_and_the_app_lives_on() -> None:
    app = Flask(__name__)
    app.config.update(DEBUG=True, TESTING=False)

    @app.get("/set")
    def set_value() -> str:
        session["user"] = "bob"
        return "set"

    @app.get("/health")
    async def health() -> str:
        return "ok"

    async with client_for(DebugMiddleware(app)) as client:
        r = await client.get("/set")
        assert r.status_code == 500
        assert "app.secret_key" in r.text  # debug mode says what is missing
        assert "set-cookie" not in r.headers  # never an unsigned cookie
        assert (await client.get("/health")).text == "ok"


def test_s7_cookie_header_over_16kb_is_parsed_or_refused_and_the_server_lives_on() -> None:
    app = Flask(__name__)
    app.secret_key = "s7"

    @app.get("/count")
    async def count() -> str:
        return f"{len(request.cookies)} {session.get('user')}"

    @app.get("/health")
    async def health() -> str:
        return "ok"

    header = "; ".join(f"cookie{i:04d}={'v' * 12}" for i in range(1000))
    assert len(header) > 16 * 1024
    with serve(app) as base:
        r = httpx.get(f"{base}/count", headers={"cookie": header}, timeout=3)
        assert r.status_code in (200, 400, 431)
        if r.status_code == 200:
            assert r.text == "1000 None"
        assert health_ok(base) < 0.2


# -- J1, J2: malformed JSON ------------------------------------------------------------------------


async def test_j1_on_json_loading_failed_hook_decides_the_outcome() -> None:
    class LenientRequest(Request):
        def on_json_loading_failed(self, e: ValueError | None) -> Any:
            if e is None:  # not JSON at all
                abort(422)
            return {"fallback": type(e).__name__}

    app = Flask(__name__)
    app.request_class = LenientRequest

    @app.post("/")
    def view() -> Any:
        return {"got": request.get_json()}

    async with client_for(app) as client:
        for body in (b"{bad", b'"\xff\xfe"'):
            r = await client.post("/", content=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 200
            assert r.json()["got"]["fallback"] in ("JSONDecodeError", "UnicodeDecodeError")
        r = await client.post("/", content=b"{}", headers={"Content-Type": "text/plain"})
        assert r.status_code == 422


async def test_j1_nan_and_duplicate_keys_follow_python_json() -> None:
    app = Flask(__name__)

    @app.post("/")
    def view() -> Any:
        data = request.get_json()
        return {
            "nan": math.isnan(data["a"]),
            "inf": math.isinf(data["b"]) and data["b"] < 0,
            "k": data["k"],
        }

    async with client_for(app) as client:
        r = await client.post(
            "/",
            content=b'{"a": NaN, "b": -Infinity, "k": 1, "k": 2}',
            headers={"Content-Type": "application/json"},
        )
    assert r.json() == {"nan": True, "inf": True, "k": 2}  # the last duplicate wins


async def test_j2_deep_nesting_and_a_huge_integer_are_400_quickly() -> None:
    app = Flask(__name__)

    @app.post("/")
    def view() -> Any:
        return {"v": request.json}

    bodies = [b"[" * 100_000, b'{"a":' * 100_000, b"1" * 5000, b"[" * 100_000 + b"]" * 100_000]
    async with client_for(app) as client:
        for body in bodies:
            started = time.perf_counter()
            r = await client.post("/", content=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 400, body[:20]
            assert time.perf_counter() - started < 0.5


# -- P7: a big file to several clients -------------------------------------------------------------


def test_p7_200mb_to_5_clients_keeps_memory_and_latency_flat() -> None:
    # The server runs in its own process (`bench/sendfile.py`), so its memory is its own.
    result = sendfile_bench.run(size_mb=200, clients=5, timeout=25)
    assert result.clients_ok == 5
    assert result.rss_growth_mb is not None and result.rss_growth_mb < 50
    assert result.health_requests >= 5
    assert result.latency_ms(0.99) < 100


# -- R2, R3, R4: redirects, odd request targets, URL building --------------------------------------


async def test_r2_redirect_targets_are_passed_through_unchanged() -> None:
    app = Flask(__name__)
    targets = ["//evil.example/", "\\evil.example", "https:evil.example", "/\\evil.example"]

    @app.get("/<int:i>")
    def go(i: int) -> Response:
        return redirect(targets[i])

    for i, target in enumerate(targets):
        status, headers, _ = await call_asgi(app, "GET", f"/{i}", [], chunked([]))
        assert (status, headers[b"location"].decode()) == (302, target)


@pytest.mark.parametrize(("line", "code"), python_blocks("security.md"))
def test_r2_docs_local_url_check(tmp_path: Path, line: int, code: str) -> None:
    run_block("security.md", line, code, tmp_path)


def report_app() -> Flask:
    """An app whose hook reports how it sees every request, matched or not."""
    app = Flask(__name__)

    @app.before_request
    def report() -> Any:
        if request.path == "/health":
            return "ok"
        return {
            "path": request.path,
            "url": request.url,
            "base_url": request.base_url,
            "external": url_for("admin", _external=True),
            "matched": request.url_rule is not None,
        }

    @app.get("/admin")
    async def admin() -> str:
        return "admin"

    return app


@pytest.mark.parametrize("target", ["@evil.com", "evil.com", "http://evil.com/admin", "*"])
async def test_r3_request_target_without_a_leading_slash_keeps_the_authority(target: str) -> None:
    # h11 passes such targets to the app unchanged; they used to be glued to the
    # host in `request.url` (`http://localhostevil.com`).
    status, _, body = await call_asgi(report_app(), "GET", target, [], chunked([]))
    assert status == 200
    seen = httpx.Response(200, content=body).json()
    assert seen["path"] == "/" + target
    for key in ("url", "base_url", "external"):
        assert urlsplit(seen[key]).netloc == "localhost", seen
    assert seen["matched"] is False


@pytest.mark.parametrize("parser", PARSERS)
def test_r3_odd_request_target_and_host_on_a_real_server(parser: str) -> None:
    with serve(report_app(), http=parser) as base:
        port = port_of(base)
        received, _ = exchange(port, b"GET @evil.com HTTP/1.1\r\nHost: good\r\n" + CLOSE, wait=2)
        status = status_of(received)
        assert status in (200, 400)  # 200: the hook's report, with the authority unchanged
        if status == 200:
            seen = httpx.Response(200, content=received.split(b"\r\n\r\n", 1)[1]).json()
            assert seen["path"] == "/@evil.com"
            assert urlsplit(seen["url"]).netloc == "good"
        head = b"GET /admin HTTP/1.1\r\nHost: evil.example/abc?x=\r\nConnection: close\r\n\r\n"
        received, _ = exchange(port, head, wait=2)
        assert status_of(received) == 200
        seen = httpx.Response(200, content=received.split(b"\r\n\r\n", 1)[1]).json()
        assert seen["path"] == "/admin" and seen["matched"] is True
        for key in ("url", "external"):
            assert "evil" not in seen[key] and urlsplit(seen[key]).path == "/admin"
        assert health_ok(base) < 0.2


async def test_r4_url_for_percent_encodes_hostile_values_like_flask() -> None:
    app = Flask(__name__)

    @app.get("/u/<name>")
    def user(name: str) -> str:
        return "user"

    @app.get("/p/<path:rest>")
    def page(rest: str) -> str:
        return "page"

    hostile = "a?b#c\r\n/\u00e9"
    async with app.test_request_context("/"):
        built = url_for("user", name=hostile, next="/a?b#c\r\n")
        built_path = url_for("page", rest=hostile)
        built_dots = url_for("user", name="../x")
    # The same strings as Flask 3.1.3 builds.
    assert built == "/u/a%3Fb%23c%0D%0A/%C3%A9?next=/a?b%23c%0D%0A"
    assert built_path == "/p/a%3Fb%23c%0D%0A/%C3%A9"
    assert built_dots == "/u/../x"
    for url in (built, built_path):
        path, _, query = url.partition("?")
        assert not set(path) & set("#?\r\n") and path.isascii()
        assert not set(query) & set("#\r\n")


async def test_r4_non_ascii_redirect_target_is_sent_as_a_uri() -> None:
    app = Flask(__name__)

    @app.get("/")
    def go() -> Response:
        return redirect("/caf\u00e9?q=\u00fc")

    async with client_for(app) as client:
        r = await client.get("/")
    raw = dict(r.headers.raw)[b"location"]
    assert raw == b"/caf%C3%A9?q=%C3%BC"


# -- R5: odd methods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method",
    ["__INIT__", "__init__", "__CLASS__", "__DICT__", "DISPATCH_REQUEST", "AS_VIEW", "X" * 10_000],
    ids=["__INIT__", "__init__", "__CLASS__", "__DICT__", "DISPATCH_REQUEST", "AS_VIEW", "10kb"],
)
async def test_r5_method_view_never_dispatches_to_python_attributes(method: str) -> None:
    # Even when `methods` lists such a name, it never reaches getattr (Starlette GHSA-x746).
    called: list[str] = []

    class Item(MethodView):
        methods = ["GET", "__INIT__", "__CLASS__", "__DICT__", "DISPATCH_REQUEST", "AS_VIEW"]

        def get(self) -> str:
            called.append("get")
            return "get"

    app = Flask(__name__)
    app.add_url_rule("/", view_func=Item.as_view("item"))
    status, _, _ = await call_asgi(app, method, "/", [], chunked([]))
    assert status in (400, 405)
    assert called == []


async def test_r5_lowercase_options_is_the_automatic_answer_not_a_handler() -> None:
    called: list[str] = []

    class Item(MethodView):
        def get(self) -> str:
            called.append("get")
            return "get"

    app = Flask(__name__)
    app.add_url_rule("/", view_func=Item.as_view("item"))
    status, headers, body = await call_asgi(app, "options", "/", [], chunked([]))
    assert (status, body, called) == (200, b"", [])
    assert set(headers[b"allow"].decode().split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("parser", PARSERS)
def test_r5_odd_methods_on_a_real_server(parser: str) -> None:
    app = Flask(__name__)
    called: list[str] = []

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        called.append(request.method)
        return "index"

    @app.get("/health")
    async def health() -> str:
        return "ok"

    with serve(app, http=parser) as base:
        port = port_of(base)
        for method in (b"FOO", b"__INIT__", b"options", b"X" * 10_000):
            received, _ = exchange(port, method + b" / HTTP/1.1\r\nHost: x\r\n" + CLOSE, wait=2)
            allowed = (200, 400) if method == b"options" else (400, 405)
            assert status_of(received) in allowed, method[:20]
        assert called == []
        assert health_ok(base) < 0.2


# -- H1, H2, H3: huge and slow bodies --------------------------------------------------------------


def never_receive() -> Iterator[Message]:
    raise AssertionError("the body was read")
    yield {}  # pragma: no cover


def body_app() -> Flask:
    app = Flask(__name__)

    @app.post("/form")
    def form() -> Any:
        return request.form.to_dict()

    @app.post("/json")
    def json_view() -> Any:
        return {"v": request.json}

    @app.post("/raw")
    async def raw() -> str:
        return str(len(request.get_data()))

    @app.get("/health")
    async def health() -> str:
        return "ok"

    return app


@pytest.mark.parametrize(
    ("route", "content_type"),
    [
        ("/form", b"application/x-www-form-urlencoded"),
        ("/json", b"application/json"),
        ("/raw", b"application/octet-stream"),
    ],
)
async def test_h1_declared_length_over_the_limit_is_413_before_reading(
    route: str, content_type: bytes
) -> None:
    headers = [(b"content-length", b"104857600"), (b"content-type", content_type)]
    started = time.perf_counter()
    status, _, _ = await call_asgi(body_app(), "POST", route, headers, never_receive())
    assert status == 413
    assert time.perf_counter() - started < 0.1


def test_h1_declared_length_over_the_limit_on_a_real_server() -> None:
    with serve(body_app()) as base:
        port = port_of(base)
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
            started = time.perf_counter()
            sock.sendall(b"POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n")
            answer = sock.recv(65536)
            elapsed = time.perf_counter() - started
        assert answer.startswith(b"HTTP/1.1 413 "), answer[:100]
        assert elapsed < 0.5
        assert health_ok(base) < 0.2


def test_h2_50mb_chunked_on_a_real_server_is_413_with_bounded_memory() -> None:
    app = body_app()  # MAX_CONTENT_LENGTH: the 16 MiB default
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_bytes())
            stop.wait(0.005)

    def body() -> Iterator[bytes]:
        block = b"x" * 65536
        for _ in range(800):  # 50 MiB, chunked: no Content-Length
            yield block

    with serve(app) as base:
        httpx.post(f"{base}/raw", content=b"warm-up")
        baseline = rss_bytes()
        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            r = httpx.post(f"{base}/raw", content=body(), timeout=20)
        finally:
            stop.set()
            sampler.join(5)
        assert r.status_code == 413
        assert health_ok(base) < 0.2
    growth = peak - baseline
    assert growth < 2 * 16 * 1024 * 1024, f"RSS grew by {growth / 2**20:.1f} MiB"


def record_post_teardowns(app: Flask) -> list[BaseException | None]:
    """The exceptions the teardown functions of `app`'s POST requests are called with."""
    torn: list[BaseException | None] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        if request.method == "POST":
            torn.append(exc)

    return torn


def test_h3_trickled_body_is_408_once_a_gap_exceeds_body_timeout_on_a_real_server() -> None:
    # BODY_TIMEOUT bounds the wait for each piece of the body, as nginx's
    # client_body_timeout does, not the whole body (a gap: docs/security.md).
    app = body_app()
    app.config["BODY_TIMEOUT"] = 0.25
    torn = record_post_teardowns(app)

    with serve(app) as base:
        head = b"POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
        with socket.create_connection(("127.0.0.1", port_of(base)), timeout=2) as sock:
            sock.sendall(head)
            for i in range(5):  # a byte every 0.1 s: 0.4 s in all, longer than the timeout
                if i:
                    time.sleep(0.1)
                sock.sendall(b"a")
            last_byte = time.perf_counter()
            received = sock.recv(65536)  # then nothing more
            waited = time.perf_counter() - last_byte
        assert received.startswith(b"HTTP/1.1 408 "), received[:100]
        assert 0.15 < waited < 1.5  # cut off after the gap, not while bytes kept coming
        assert health_ok(base) < 0.2
    assert torn == [None]


def trickle(chunk: bytes, count: int, gap: float) -> Iterator[Message | float]:
    """`count` body messages of `chunk`, `gap` seconds apart, the last one ending the body."""
    for i in range(count):
        if i:
            yield gap
        yield {"type": "http.request", "body": chunk, "more_body": i < count - 1}


async def test_h3_body_slower_than_the_minimum_rate_is_408_at_the_deadline() -> None:
    app = body_app()
    app.config.update(BODY_DEADLINE=0.3, BODY_MIN_RATE=1000, BODY_TIMEOUT=60)
    headers = [(b"content-type", b"application/octet-stream")]
    started = time.perf_counter()
    status, sent_headers, body = await call_asgi(
        app, "POST", "/raw", headers, trickle(b"a", 100, 0.02), wait=5
    )
    elapsed = time.perf_counter() - started
    assert status == 408 and b"too slowly" in body
    assert sent_headers.get(b"connection") == b"close"
    assert 0.25 < elapsed < 1.0  # at the deadline, though no gap came near BODY_TIMEOUT


async def test_h3_body_faster_than_the_minimum_rate_may_outlast_the_deadline() -> None:
    # Each received byte earns 1 / BODY_MIN_RATE seconds: 0.5 s for 20 kB at 40 kB/s
    # is well inside 0.2 s + 20 s.
    app = body_app()
    app.config.update(BODY_DEADLINE=0.2, BODY_MIN_RATE=1000)
    headers = [(b"content-type", b"application/octet-stream")]
    status, _, body = await call_asgi(
        app, "POST", "/raw", headers, trickle(b"x" * 1000, 20, 0.025), wait=5
    )
    assert (status, body) == (200, b"20000")


async def test_h3_body_deadline_can_be_turned_off() -> None:
    app = body_app()
    app.config.update(BODY_DEADLINE=None, BODY_TIMEOUT=60)
    headers = [(b"content-type", b"application/octet-stream")]
    status, _, body = await call_asgi(app, "POST", "/raw", headers, trickle(b"a", 20, 0.02), wait=5)
    assert (status, body) == (200, b"20")


def test_h3_steady_trickle_is_408_soon_after_the_deadline_on_a_real_server() -> None:
    # One byte every 0.1 s never leaves a gap near BODY_TIMEOUT (60 s); the body
    # as a whole must keep up BODY_MIN_RATE after BODY_DEADLINE seconds.
    app = body_app()
    app.config.update(BODY_DEADLINE=1.0, BODY_MIN_RATE=1000)
    torn = record_post_teardowns(app)

    with serve(app) as base:
        head = b"POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
        received = b""
        with socket.create_connection(("127.0.0.1", port_of(base)), timeout=2) as sock:
            sock.sendall(head)
            started = time.perf_counter()
            sock.settimeout(0.1)
            for _ in range(50):  # at most 5 s
                try:
                    sock.sendall(b"a")
                    received = sock.recv(65536)
                except TimeoutError:
                    continue
                except OSError:  # the server closed the connection meanwhile
                    break
                break
            elapsed = time.perf_counter() - started
            if not received:
                sock.settimeout(1)
                received = sock.recv(65536)
        assert received.startswith(b"HTTP/1.1 408 "), received[:100]
        assert b"connection: close" in received.lower()
        assert 0.9 < elapsed < 2.5
        assert health_ok(base) < 0.2
    assert torn == [None]


# -- H5: a streamed response nobody reads ----------------------------------------------------------


def test_h5_unread_streamed_response_is_held_back_by_flow_control() -> None:
    app = body_app()
    produced: list[int] = []
    finished = threading.Event()

    @app.get("/big")
    def big() -> Any:
        def generate() -> Iterator[bytes]:
            try:
                for i in range(200):  # 200 MiB if nothing held it back
                    produced.append(i)
                    yield b"x" * (1024 * 1024)
            finally:
                finished.set()

        return generate()

    with serve(app) as base:
        sock = socket.create_connection(("127.0.0.1", port_of(base)), timeout=3)
        try:
            sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.5)  # the client reads nothing
            assert health_ok(base) < 0.2
            assert len(produced) <= 16, f"{len(produced)} MiB made for a client reading nothing"
        finally:
            sock.close()
        assert finished.wait(2), "the generator was not closed after the client left"
        assert health_ok(base) < 0.2
    assert len(produced) < 200


def drain(sock: socket.socket, wait: float) -> tuple[int, bool]:
    """Read what `sock` has for at most `wait` seconds; return (bytes read, closed by peer)."""
    deadline = time.monotonic() + wait
    total = 0
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            block = sock.recv(1024 * 1024)
        except TimeoutError:
            return total, False
        except ConnectionResetError:
            return total, True
        if not block:
            return total, True
        total += len(block)
    return total, False


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_h5_unread_streamed_response_is_dropped_after_response_timeout() -> None:
    app = body_app()
    app.config["RESPONSE_TIMEOUT"] = 0.5
    finished = threading.Event()
    torn: list[str] = []
    log = Collect()
    app.logger.addHandler(log)

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(request.path)

    @app.get("/big")
    def big() -> Any:
        def generate() -> Iterator[bytes]:
            try:
                for _ in range(200):
                    yield b"x" * (1024 * 1024)
            finally:
                finished.set()

        return generate()

    with serve(app) as base:
        with socket.create_connection(("127.0.0.1", port_of(base)), timeout=3) as sock:
            sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            # The client reads nothing and stays connected.
            assert finished.wait(3), "the generator still waits on a client that reads nothing"
            for _ in range(100):  # teardown follows the generator's close
                if torn:
                    break
                time.sleep(0.02)
            assert torn == ["/big"]
            assert health_ok(base) < 0.2
            total, closed = drain(sock, 3)
        assert closed, "the connection was kept open"
        assert total < 100 * 1024 * 1024
    assert any("RESPONSE_TIMEOUT" in m and "/big" in m for m in log.messages), log.messages


def test_h5_unread_large_body_is_dropped_after_response_timeout() -> None:
    app = body_app()
    app.config["RESPONSE_TIMEOUT"] = 0.3
    size = 64 * 1024 * 1024

    @app.get("/large")
    def large() -> bytes:
        return b"x" * size

    with serve(app) as base:
        with socket.create_connection(("127.0.0.1", port_of(base)), timeout=3) as sock:
            sock.sendall(b"GET /large HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(1.0)  # well past RESPONSE_TIMEOUT, reading nothing
            total, closed = drain(sock, 5)
        assert closed and total < size  # only what was already in the socket buffers
        assert health_ok(base) < 0.2


def test_h5_a_slow_reader_that_keeps_reading_gets_the_whole_response() -> None:
    # The deadline is per send: a client that reads, however slowly, is served.
    app = body_app()
    app.config["RESPONSE_TIMEOUT"] = 0.5

    @app.get("/stream")
    def stream() -> Any:
        return (b"y" * (256 * 1024) for _ in range(64))  # 16 MiB

    with serve(app) as base:
        with socket.create_connection(("127.0.0.1", port_of(base)), timeout=3) as sock:
            sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            total = 0
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                block = sock.recv(256 * 1024)
                if not block:
                    break
                total += len(block)
                time.sleep(0.002)
        assert total > 16 * 1024 * 1024  # the headers and chunk framing come on top


async def test_response_timeout_is_not_armed_for_small_bodies() -> None:
    app = body_app()
    app.config["RESPONSE_TIMEOUT"] = 0.05
    seen: list[Any] = []

    async def slow_send(message: Message) -> None:
        seen.append(message["type"])
        await asyncio.sleep(0.1)  # slower than the timeout: only a small body may pass

    scope = make_scope("/health")

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    await app(scope, receive, slow_send)
    assert seen == ["http.response.start", "http.response.body"]


# -- H6: protocol abuse ---------------------------------------------------------------------------


@dataclass
class Server:
    base: str
    parser: str
    hits: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return port_of(self.base)


def protocol_app(hits: list[str]) -> Flask:
    app = Flask(__name__)

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        hits.append(f"{request.method} {request.args.get('i')} {len(request.get_data())}")
        return f"<{request.args.get('i')}>"

    @app.get("/health")
    async def health() -> str:
        hits.append("health")
        return "ok"

    return app


@pytest.fixture(scope="module", params=PARSERS)
def protocol_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    hits: list[str] = []
    with serve(protocol_app(hits), http=request.param) as base:
        yield Server(base, request.param, hits)


@pytest.fixture
def server(protocol_server: Server) -> Server:
    protocol_server.hits.clear()
    return protocol_server


SMUGGLED = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"


def test_h6_content_length_with_chunked_is_400_and_nothing_is_smuggled(server: Server) -> None:
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
    received, closed = exchange(server.port, head + b"0\r\n\r\n" + SMUGGLED, wait=2)
    assert status_of(received) == 400
    assert received.count(b"HTTP/1.1 ") == 1
    assert closed
    assert server.hits == []


async def test_h6_content_length_with_chunked_never_reaches_the_app() -> None:
    # The ASGI-level guard behind the test above (h11 lets such requests through).
    app = body_app()
    ran: list[str] = []

    @app.before_request
    def hook() -> None:
        ran.append("before_request")

    headers = [(b"content-length", b"5"), *CHUNKED]
    messages = iter([{"type": "http.request", "body": b"hello", "more_body": False}])
    status, response_headers, body = await call_asgi(app, "POST", "/raw", headers, messages)
    assert status == 400
    assert response_headers[b"connection"] == b"close"
    assert b"Content-Length and a Transfer-Encoding" in body
    assert ran == []


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n",
    ],
    ids=["negative-length", "bad-chunk-size", "bare-lf-after-chunk", "junk-after-chunk"],
)
def test_h6_malformed_framing_is_400_before_the_app(server: Server, request_bytes: bytes) -> None:
    received, closed = exchange(server.port, request_bytes + SMUGGLED, wait=2)
    assert status_of(received) == 400
    assert received.count(b"HTTP/1.1 ") == 1
    assert closed
    assert server.hits == []


def test_h6_header_block_over_16kb(server: Server) -> None:
    head = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: " + b"a" * 40_000
    if server.parser == "h11":
        # h11 refuses an incomplete header block over 16 KiB before the app runs.
        received, closed = exchange(server.port, [head[:8000], head[8000:]], wait=2, gap=0.05)
        assert status_of(received) == 400
        assert closed
        assert server.hits == []
    else:
        # httptools has no such limit (a gap, see docs/security.md).
        received, _ = exchange(server.port, head + b"\r\n\r\n", wait=2)
        assert status_of(received) in (200, 400, 431)
    assert health_ok(server.base) < 0.2


def test_h6_a_thousand_headers_are_answered_and_the_server_lives_on(server: Server) -> None:
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(1000))
    received, _ = exchange(
        server.port, b"GET /?i=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + many + b"\r\n"
    )
    assert status_of(received) in (200, 400, 431)
    assert health_ok(server.base) < 0.2


def test_h6_pipelined_requests_are_answered_in_order(server: Server) -> None:
    requests = b"".join(b"GET /?i=%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(1000))
    truncated = b"GET /?i=1000 HTTP/1.1\r\nHo"
    received, _ = exchange(server.port, requests + truncated, wait=10, responses=1000)
    assert received.count(b"HTTP/1.1 200 ") == 1000
    assert re.findall(rb"<(\d+)>", received) == [str(i).encode() for i in range(1000)]
    assert server.hits == [f"GET {i} 0" for i in range(1000)]  # not the truncated one
    assert health_ok(server.base) < 0.2


# -- C5: the loop recovers from a view that blocks it ---------------------------------------------


async def test_c5_server_recovers_after_async_views_block_the_loop() -> None:
    app = Flask(__name__)

    @app.get("/block")
    async def block() -> str:
        time.sleep(0.25)  # the user's bug: blocking call in an async view
        return "blocked"

    @app.get("/health")
    async def health() -> str:
        return "ok"

    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            responses = await asyncio.gather(*(client.get("/block") for _ in range(4)))
            assert [r.text for r in responses] == ["blocked"] * 4
            latencies = []
            for _ in range(5):
                started = time.perf_counter()
                assert (await client.get("/health")).text == "ok"
                latencies.append(time.perf_counter() - started)
    assert max(latencies) < 0.2, latencies


# -- E1: an unhandled KeyError in production -------------------------------------------------------


async def test_e1_key_error_in_production_is_a_generic_500_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask(__name__)
    app.config.update(DEBUG=False, TESTING=False, SECRET_KEY="config-secret-value")

    @app.get("/")
    def view() -> str:
        raise KeyError("secret-value")

    caplog.set_level(logging.INFO)
    async with client_for(app) as client:
        for accept in ("text/html", "application/json"):
            r = await client.get("/", headers={"Accept": accept})
            assert r.status_code == 500
            for leak in ("secret-value", "KeyError", "Traceback", "config-secret", __file__):
                assert leak not in r.text, leak
    records = [rec for rec in caplog.records if rec.name == app.logger.name]
    assert [rec.levelno for rec in records] == [logging.ERROR, logging.ERROR]  # one per request
    assert all(rec.exc_info and rec.exc_info[0] is KeyError for rec in records)


# -- docs/security.md ---------------------------------------------------------------------------


def test_security_doc_lists_every_case_with_existing_tests() -> None:
    text = (DOCS / "security.md").read_text(encoding="utf-8")
    cases = re.findall(r"^\| ([SMJPRHCE]\d) \|", text, flags=re.MULTILINE)
    expected = [f"S{i}" for i in range(1, 8)] + [f"M{i}" for i in range(1, 9)]
    expected += [f"J{i}" for i in range(1, 4)] + [f"P{i}" for i in range(1, 8)]
    expected += [f"R{i}" for i in range(1, 7)] + [f"H{i}" for i in range(1, 7)]
    expected += [f"C{i}" for i in range(1, 9)] + [f"E{i}" for i in range(1, 6)]
    assert cases == expected
    tests = Path(__file__).resolve().parent
    node_ids = re.findall(r"`(test_\w+\.py)::(test_\w+)`", text)
    assert len(node_ids) > 100
    for filename, name in node_ids:
        source = (tests / filename).read_text(encoding="utf-8")
        assert re.search(rf"^(async )?def {name}\(", source, flags=re.MULTILINE), (filename, name)
