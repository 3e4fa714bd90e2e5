"""Reading the request body: `stream_body` routes, `request.stream`, limits, timeouts, disconnects.

Covers HOSTILE_INPUTS H1, H2, H3, C6 and C7. Most tests call the ASGI app
with a hand-written `receive`; the ones where the server matters run a real
uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aioflask import Flask, request
from aioflask.exceptions import RequestEntityTooLarge
from tests.serving import serve
from tests.test_quickstart import extract_snippets, run_snippet

Message = dict[str, Any]


# -- helpers ---------------------------------------------------------------------------------


def chunked(chunks: Iterable[bytes]) -> Iterator[Message]:
    """`http.request` messages for `chunks`, the last one ending the body."""
    items = list(chunks)
    for i, chunk in enumerate(items):
        yield {"type": "http.request", "body": chunk, "more_body": i < len(items) - 1}
    if not items:
        yield {"type": "http.request", "body": b"", "more_body": False}


async def call_asgi(
    app: Any,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    messages: Iterator[Message | float],
    wait: float = 5.0,
) -> tuple[int, dict[bytes, bytes], bytes]:
    """Call `app` once; `receive()` hands out `messages` (a float: sleep that long first).

    When `messages` runs out, `receive()` waits (like a stalled client) until
    the app answers. Everything is bounded by `wait` seconds.
    """
    sent: list[Message] = []
    answered = asyncio.Event()

    async def receive() -> Message:
        for item in messages:
            if isinstance(item, (int, float)):
                await asyncio.sleep(item)
                continue
            return item
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            answered.set()

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
    await asyncio.wait_for(app(scope, receive, send), wait)
    start = sent[0]
    assert start["type"] == "http.response.start"
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start["headers"]), body


CHUNKED = [(b"transfer-encoding", b"chunked")]


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


# -- the stream_body switch ------------------------------------------------------------------


async def test_stream_yields_chunks_as_they_arrive() -> None:
    app = Flask(__name__)
    seen: list[bytes] = []

    @app.post("/", stream_body=True)
    async def upload() -> str:
        async for chunk in request.stream():
            seen.append(chunk)
        return str(len(seen))

    status, _, body = await call_asgi(app, "POST", "/", CHUNKED, chunked([b"ab", b"", b"cd", b"e"]))
    assert (status, body) == (200, b"3")
    assert seen == [b"ab", b"cd", b"e"]


async def test_stream_is_incremental() -> None:
    # The view sees the first chunk while the client is still "sending" the rest.
    app = Flask(__name__)
    got_first = asyncio.Event()
    order: list[str] = []

    @app.post("/", stream_body=True)
    async def upload() -> str:
        async for chunk in request.stream:  # iterating the object itself works too
            order.append(chunk.decode())
            got_first.set()
        return "".join(order)

    def messages() -> Iterator[Message | float]:
        yield {"type": "http.request", "body": b"1", "more_body": True}
        yield 0.05
        order.append("client-sent-2")
        yield {"type": "http.request", "body": b"2", "more_body": False}

    status, _, body = await call_asgi(app, "POST", "/", CHUNKED, messages())
    assert status == 200
    assert order == ["1", "client-sent-2", "2"]


async def test_stream_body_as_a_view_attribute() -> None:
    app = Flask(__name__)

    async def upload() -> str:
        return str(sum([len(c) async for c in request.stream()]))

    upload.stream_body = True  # type: ignore[attr-defined]
    app.add_url_rule("/", view_func=upload, methods=["POST"])
    assert app.url_map._rules[-1].stream_body is True  # type: ignore[attr-defined]
    status, _, body = await call_asgi(app, "POST", "/", CHUNKED, chunked([b"x" * 10] * 3))
    assert (status, body) == (200, b"30")


async def test_ordinary_routes_read_the_body_before_before_request() -> None:
    app = Flask(__name__)
    read_before: list[bool] = []

    @app.before_request
    def check() -> None:
        read_before.append("_body" in request.__dict__)

    @app.post("/normal")
    def normal() -> str:
        return "ok"

    @app.post("/streamed", stream_body=True)
    async def streamed() -> str:
        return "ok"

    await call_asgi(app, "POST", "/normal", CHUNKED, chunked([b"x"]))
    await call_asgi(app, "POST", "/streamed", CHUNKED, chunked([b"x"]))
    assert read_before == [True, False]


@pytest.mark.parametrize("attribute", ["form", "files", "data", "json", "get_json", "get_data"])
async def test_plain_attributes_in_an_async_stream_view_raise_a_clear_error(
    attribute: str,
) -> None:
    app = Flask(__name__)

    @app.post("/", stream_body=True)
    async def upload() -> str:
        try:
            value = getattr(request, attribute)
            if attribute.startswith("get_"):
                value()
        except RuntimeError as e:
            return str(e)
        return "no error"

    status, _, body = await call_asgi(
        app, "POST", "/", [(b"content-type", b"application/json")], chunked([b"{}"])
    )
    assert status == 200
    assert b"stream_body=True" in body
    assert b"async for chunk in request.stream()" in body
    assert b"await request.get_data()" in body


async def test_unhandled_runtime_error_is_a_500_without_details() -> None:
    app = Flask(__name__)

    @app.post("/", stream_body=True)
    async def upload() -> str:
        return str(request.form)

    status, _, body = await call_asgi(app, "POST", "/", CHUNKED, chunked([b"a=1"]))
    assert status == 500
    assert b"stream_body" not in body


async def test_awaited_accessors_read_the_body_in_a_stream_view() -> None:
    app = Flask(__name__)

    @app.post("/json", stream_body=True)
    async def json_view() -> dict[str, Any]:
        first = await request.get_json()
        return {"first": first, "again": request.get_json(), "json": request.json}

    @app.post("/form", stream_body=True)
    async def form_view() -> dict[str, Any]:
        files = await request.files
        return {
            "form": request.form.to_dict(),
            "files": {k: f.read().decode() for k, f in files.items()},
            "data": request.get_data().decode(),  # parsed as it arrived: not kept
        }

    @app.post("/data", stream_body=True)
    async def data_view() -> dict[str, Any]:
        data: bytes = await request.data  # awaitable when awaited
        return {"data": data.decode(), "form": request.form.to_dict()}

    async with app.test_client() as client:
        r = await client.post("/json", json={"a": 1})
        assert r.json() == {"first": {"a": 1}, "again": {"a": 1}, "json": {"a": 1}}
        r = await client.post("/form", data={"k": "v", "f": (io.BytesIO(b"hello"), "a.txt")})
        assert r.json() == {"form": {"k": "v"}, "files": {"f": "hello"}, "data": ""}
        r = await client.post("/data", content=b"raw", headers={"Content-Type": "text/plain"})
        assert r.json() == {"data": "raw", "form": {}}


async def test_get_data_then_form_and_json_are_cached_and_identical() -> None:
    # HOSTILE C7: reading twice gives the same result from the cache.
    app = Flask(__name__)

    @app.post("/form", stream_body=True)
    async def form_view() -> dict[str, Any]:
        raw = await request.get_data()
        files = request.files
        return {
            "raw_len": len(raw),
            "raw_again": (await request.get_data()) == raw,
            "form": request.form.to_dict(),
            "file": files["f"].read().decode(),
            "replay": b"".join([c async for c in request.stream()]) == raw,
        }

    @app.post("/json", stream_body=True)
    async def json_view() -> dict[str, Any]:
        raw = await request.get_data(as_text=True)
        return {
            "raw": json.loads(raw),
            "json": request.get_json(),
            "same": request.json is request.json,
        }

    async with app.test_client() as client:
        r = await client.post("/form", data={"k": "v", "f": (io.BytesIO(b"hello"), "a.txt")})
        d = r.json()
        assert d["raw_len"] > 0
        assert d["raw_again"] and d["replay"]
        assert (d["form"], d["file"]) == ({"k": "v"}, "hello")
        r = await client.post("/json", json={"a": [1, 2]})
        assert r.json() == {"raw": {"a": [1, 2]}, "json": {"a": [1, 2]}, "same": True}


async def test_before_request_reads_json_and_the_view_reads_it_again() -> None:
    app = Flask(__name__)
    seen: list[Any] = []

    @app.before_request
    def hook() -> None:
        seen.append(request.get_json())

    @app.post("/")
    def view() -> Any:
        return {"hook": seen[0], "view": request.get_json()}

    async with app.test_client() as client:
        r = await client.post("/", json={"x": 1})
    assert r.json() == {"hook": {"x": 1}, "view": {"x": 1}}


async def test_stream_replays_a_body_read_before_the_view() -> None:
    app = Flask(__name__)

    @app.post("/")
    async def view() -> dict[str, Any]:
        first = b"".join([c async for c in request.stream()])
        second = b"".join([c async for c in request.stream()])
        third = request.stream.read(3) + request.stream.read()
        return {"first": first.decode(), "second": second.decode(), "read": third.decode()}

    async with app.test_client() as client:
        r = await client.post("/", content=b"payload", headers={"Content-Type": "text/plain"})
    assert r.json() == {"first": "payload", "second": "payload", "read": "payload"}


async def test_reading_cached_data_after_a_raw_stream_is_a_clear_error() -> None:
    app = Flask(__name__)

    @app.post("/", stream_body=True)
    async def view() -> str:
        async for _ in request.stream():
            pass
        try:
            await request.get_data()
        except RuntimeError as e:
            return str(e)
        return "no error"

    status, _, body = await call_asgi(app, "POST", "/", CHUNKED, chunked([b"a", b"b"]), wait=2)
    assert status == 200
    assert b"already read from request.stream()" in body


async def test_def_view_reads_the_stream_like_flask() -> None:
    app = Flask(__name__)
    threads: list[int] = []

    @app.post("/", stream_body=True)
    def upload() -> dict[str, Any]:
        threads.append(threading.get_ident())
        sizes = []
        while True:
            block = request.stream.read(4)
            if not block:
                break
            sizes.append(len(block))
        return {"sizes": sizes}

    @app.post("/form", stream_body=True)
    def form() -> dict[str, Any]:
        return {"form": request.form.to_dict(), "data": request.get_data().decode()}

    status, _, body = await call_asgi(app, "POST", "/", CHUNKED, chunked([b"abcdef", b"ghij"]))
    assert (status, json.loads(body)) == (200, {"sizes": [4, 4, 2]})
    assert threads[0] != threading.get_ident()
    async with app.test_client() as client:
        r = await client.post("/form", data={"a": "1"})
    assert r.json() == {"form": {"a": "1"}, "data": "a=1"}  # urlencoded bodies are kept


async def test_blocking_read_in_an_async_view_is_refused() -> None:
    app = Flask(__name__)

    @app.post("/", stream_body=True)
    async def upload() -> str:
        try:
            request.stream.read()
        except RuntimeError as e:
            return str(e)
        return "read"

    status, _, body = await call_asgi(app, "POST", "/", CHUNKED, chunked([b"x"]))
    assert b"async for chunk in request.stream()" in body


async def test_is_disconnected_does_not_lose_body_chunks() -> None:
    app = Flask(__name__)

    @app.post("/", stream_body=True)
    async def upload() -> str:
        parts = []
        assert not await request.is_disconnected()
        async for chunk in request.stream():
            parts.append(chunk)
            await request.is_disconnected()
        return b"".join(parts).decode()

    status, _, body = await call_asgi(app, "POST", "/", CHUNKED, chunked([b"a", b"b", b"c"]))
    assert (status, body) == (200, b"abc")


# -- limits ------------------------------------------------------------------------------------


async def test_limit_while_streaming_is_a_413_response() -> None:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 100
    pulled = 0

    @app.post("/", stream_body=True)
    async def upload() -> str:
        async for _ in request.stream():
            pass
        return "read it all"

    def messages() -> Iterator[Message]:
        nonlocal pulled
        for _ in range(1000):
            pulled += 1
            yield {"type": "http.request", "body": b"x" * 30, "more_body": True}

    status, headers, _ = await call_asgi(app, "POST", "/", CHUNKED, messages())
    assert status == 413
    assert pulled == 4
    # the server drops the rest of the body; closing would reset a client still sending
    assert b"connection" not in headers


async def test_declared_length_over_limit_on_a_stream_route_reads_nothing() -> None:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 100

    @app.post("/", stream_body=True)
    async def upload() -> str:
        async for _ in request.stream():
            pass
        return "read"

    def never() -> Iterator[Message]:
        raise AssertionError("receive() must not be called")
        yield {}  # pragma: no cover

    status, _, _ = await call_asgi(app, "POST", "/", [(b"content-length", b"101")], never())
    assert status == 413


async def test_per_request_limit_applies_to_stream_routes_only() -> None:
    app = Flask(__name__)

    @app.before_request
    def shrink() -> None:
        request.max_content_length = 5

    @app.post("/streamed", stream_body=True)
    async def streamed() -> str:
        try:
            return str(len(await request.get_data()))
        except RequestEntityTooLarge:
            return "too large (caught)"

    @app.post("/normal")
    def normal() -> str:
        return str(len(request.get_data()))

    async with app.test_client() as client:
        assert (await client.post("/streamed", content=b"12345")).text == "5"
        assert (await client.post("/streamed", content=b"123456")).text == "too large (caught)"
        # read before the hook ran: the app's limit applies
        assert (await client.post("/normal", content=b"123456")).text == "6"


async def test_chunked_body_over_limit_is_413_without_reading_the_rest() -> None:
    # HOSTILE H2, up-front read: 50 MB chunked with a 16 MiB limit.
    app = Flask(__name__)
    pulled = 0

    @app.post("/")
    def view() -> str:
        return str(len(request.get_data()))

    def messages() -> Iterator[Message]:
        nonlocal pulled
        for _ in range(800):  # 800 * 64 KiB = 50 MiB
            pulled += 1
            yield {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    status, _, _ = await call_asgi(app, "POST", "/", CHUNKED, messages())
    assert status == 413
    assert pulled == 257  # 16 MiB + one chunk


# -- timeouts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["/normal", "/streamed", "/form"])
async def test_stalled_body_is_408_and_teardown_runs_once(route: str) -> None:
    # HOSTILE H3 with a hand-written receive that stalls after 10 bytes.
    app = Flask(__name__)
    app.config["BODY_TIMEOUT"] = 0.2
    torn: list[BaseException | None] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(exc)

    @app.post("/normal")
    def normal() -> str:
        return "view ran"

    @app.post("/form")
    def form() -> str:
        return "view ran"

    @app.post("/streamed", stream_body=True)
    async def streamed() -> str:
        return str(len(await request.get_data()))

    def messages() -> Iterator[Message | float]:
        yield {"type": "http.request", "body": b"--x\r\nConte", "more_body": True}

    headers = [(b"content-length", b"1000")]
    if route == "/form":
        headers.append((b"content-type", b"multipart/form-data; boundary=x"))
    start = time.perf_counter()
    status, response_headers, _ = await call_asgi(app, "POST", route, headers, messages(), wait=3)
    assert status == 408
    assert 0.15 < time.perf_counter() - start < 2
    assert response_headers[b"connection"] == b"close"
    assert torn == [None]


async def test_slow_but_steady_body_is_not_timed_out() -> None:
    app = Flask(__name__)
    app.config["BODY_TIMEOUT"] = 0.2

    @app.post("/")
    def view() -> str:
        return str(len(request.get_data()))

    def messages() -> Iterator[Message | float]:
        for _ in range(5):  # 0.5 s in total, 0.1 s between chunks
            yield 0.1
            yield {"type": "http.request", "body": b"x", "more_body": True}
        yield {"type": "http.request", "body": b"", "more_body": False}

    status, _, body = await call_asgi(app, "POST", "/", CHUNKED, messages())
    assert (status, body) == (200, b"5")


async def test_body_timeout_none_waits() -> None:
    app = Flask(__name__)
    app.config["BODY_TIMEOUT"] = None

    @app.post("/")
    def view() -> str:
        return str(len(request.get_data()))

    messages: list[Message | float] = [
        {"type": "http.request", "body": b"x", "more_body": True},
        0.3,
        {"type": "http.request", "body": b"y", "more_body": False},
    ]
    status, _, body = await call_asgi(app, "POST", "/", CHUNKED, iter(messages))
    assert (status, body) == (200, b"2")


def raw_exchange(port: int, data: bytes, wait: float) -> tuple[float, bytes, bool]:
    """Send `data` on a new connection, then read until the server closes it or `wait` passes."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        start = time.perf_counter()
        received = b""
        closed = False
        try:
            while True:
                block = sock.recv(65536)
                if not block:
                    closed = True
                    break
                received += block
        except (TimeoutError, ConnectionResetError):
            pass
        return time.perf_counter() - start, received, closed


def test_stalled_body_on_a_real_server_is_408_and_closed() -> None:
    app = Flask(__name__)
    app.config["BODY_TIMEOUT"] = 0.2
    torn: list[BaseException | None] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        if request.method == "POST":
            torn.append(exc)

    @app.post("/")
    def view() -> str:
        return "view ran"

    @app.get("/health")
    async def health() -> str:
        return "ok"

    with serve(app) as base:
        port = int(base.rsplit(":", 1)[1])
        head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
        elapsed, received, closed = raw_exchange(port, head + b"0123456789", wait=3)
        assert received.startswith(b"HTTP/1.1 408 ")
        assert closed
        assert elapsed < 1.5
        assert httpx.get(f"{base}/health").text == "ok"
    assert torn == [None]


# -- disconnects -------------------------------------------------------------------------------


async def test_disconnect_during_up_front_read_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    # HOSTILE C6: ClientDisconnected is handled without ERROR logs; teardown runs once.
    app = Flask(__name__)
    torn: list[BaseException | None] = []
    views: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(exc)

    @app.post("/")
    def view() -> str:
        views.append("ran")
        return "ok"

    messages: Iterator[Message | float] = iter(
        [
            {"type": "http.request", "body": b"a" * 1000, "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    with caplog.at_level(logging.DEBUG):
        status, _, _ = await call_asgi(app, "POST", "/", CHUNKED, messages)
    assert status == 400
    assert views == []
    assert torn == [None]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_disconnect_while_streaming_reaches_the_view() -> None:
    app = Flask(__name__)
    caught: list[str] = []

    @app.post("/", stream_body=True)
    async def upload() -> str:
        try:
            async for _ in request.stream():
                pass
        except Exception as e:
            caught.append(type(e).__name__)
            raise
        return "done"

    messages: Iterator[Message | float] = iter(
        [{"type": "http.request", "body": b"a", "more_body": True}, {"type": "http.disconnect"}]
    )
    status, _, _ = await call_asgi(app, "POST", "/", CHUNKED, messages)
    assert caught == ["ClientDisconnected"]
    assert status == 400


def test_disconnect_mid_upload_on_a_real_server(caplog: pytest.LogCaptureFixture) -> None:
    # HOSTILE C6: 1 MB of a 20 MB multipart upload, then the client goes away.
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024
    torn: list[BaseException | None] = []
    closed_files: list[bool] = []
    done = threading.Event()

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        if request.method != "POST":
            return
        spools = request._aio_spools or []
        closed_files.extend(f.closed for f in spools)
        torn.append(exc)
        done.set()

    @app.post("/")
    def view() -> str:
        return "view ran"

    @app.get("/health")
    async def health() -> str:
        return "ok"

    head = (
        b'--b\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\n\r\n'
        + b"x" * 1_500_000
    )
    with caplog.at_level(logging.INFO), serve(app) as base:
        port = int(base.rsplit(":", 1)[1])
        request_head = (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            b"Content-Length: 20000000\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
            sock.sendall(request_head + head)
            time.sleep(0.2)
        assert done.wait(3)
        assert httpx.get(f"{base}/health").text == "ok"
    assert torn == [None]
    assert closed_files and all(closed_files)  # the parser closed its file at once
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- memory ------------------------------------------------------------------------------------


def test_streamed_upload_to_disk_keeps_memory_flat(tmp_path: Any) -> None:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = None
    size = 48 * 1024 * 1024
    dest = tmp_path / "upload.bin"

    @app.post("/", stream_body=True)
    async def upload() -> str:
        with open(dest, "wb") as f:
            async for chunk in request.stream():
                await asyncio.to_thread(f.write, chunk)
        return str(dest.stat().st_size)

    block = os.urandom(64 * 1024)

    def body() -> Iterator[bytes]:
        for _ in range(size // len(block)):
            yield block

    with serve(app) as base:
        httpx.post(f"{base}/", content=b"warm-up")
        before = rss_bytes()
        r = httpx.post(f"{base}/", content=body(), timeout=30)
        growth = rss_bytes() - before
    assert r.text == str(size)
    assert growth < 16 * 1024 * 1024, f"RSS grew by {growth / 2**20:.1f} MiB"


# -- the documentation -------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs"
BODY_SNIPPETS = extract_snippets((DOCS / "request-body.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "snippet", BODY_SNIPPETS, ids=[f"snippet{s.index}-line{s.line}" for s in BODY_SNIPPETS]
)
def test_request_body_doc_snippet(snippet: Any) -> None:
    namespace = run_snippet(snippet, DOCS / "request-body.md")
    assert any(name.startswith("test_") for name in namespace), "an example without a test"


async def test_body_of_an_unmatched_request_can_be_awaited_in_an_error_handler() -> None:
    app = Flask(__name__)

    @app.errorhandler(404)
    async def not_found(e: Exception) -> tuple[dict[str, Any], int]:
        try:
            request.form.to_dict()
        except RuntimeError as exc:
            message = str(exc)
        data = await request.get_data()
        return {"message": message, "data": data.decode(), "form": request.form.to_dict()}, 404

    async with app.test_client() as client:
        r = await client.post("/nowhere", data={"a": "1"})
    assert r.status_code == 404
    assert r.json()["data"] == "a=1"
    assert r.json()["form"] == {"a": "1"}
    assert "match a route" in r.json()["message"]


def test_413_while_the_client_is_still_sending_reaches_it_on_a_real_server() -> None:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024

    @app.post("/", stream_body=True)
    async def upload() -> str:
        return str(len(await request.get_data()))

    @app.post("/form")
    def form() -> str:
        return str(len(request.files["f"].read()))

    def body() -> Iterator[bytes]:
        for _ in range(200):  # 12.5 MB, chunked
            yield b"x" * 65536

    with serve(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        assert client.post("/", content=body()).status_code == 413
        data = {"f": ("a.bin", b"y" * 5_000_000)}
        assert client.post("/form", files=data).status_code == 413
        assert client.post("/", content=b"small").text == "5"  # the connection still works


async def test_def_view_small_reads_of_a_large_body_are_fast() -> None:
    app = Flask(__name__)
    data = os.urandom(2 * 1024 * 1024)

    @app.post("/small", stream_body=True)
    def small() -> str:
        digest = hashlib.sha256()
        first = request.stream.read(10)
        digest.update(first)
        while block := request.stream.read(1000):
            digest.update(block)
        return digest.hexdigest()

    @app.post("/all", stream_body=True)
    def whole() -> str:
        return str(len(request.stream.read()))

    chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]
    start = time.perf_counter()
    status, _, body = await call_asgi(app, "POST", "/small", CHUNKED, chunked(chunks))
    assert (status, body.decode()) == (200, hashlib.sha256(data).hexdigest())
    status, _, body = await call_asgi(app, "POST", "/all", CHUNKED, chunked(chunks))
    assert (status, body) == (200, str(len(data)).encode())
    assert time.perf_counter() - start < 2
