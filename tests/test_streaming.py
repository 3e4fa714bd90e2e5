"""Streamed responses: chunks as produced, the request context inside, disconnects, errors."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import Message

from aioflask import Flask, Response, current_app, g, request, session, stream_with_context
from aioflask.globals import _cv_request
from tests.serving import serve
from tests.test_quickstart import Snippet, extract_snippets, run_snippet

# -- helpers -----------------------------------------------------------------------------------


class Harness:
    """A hand-made ASGI server side: records what is sent; the test decides on disconnects."""

    def __init__(self, body: bytes = b"") -> None:
        self.sent: list[Any] = []
        self.body = body
        self.given = False
        self.disconnect = asyncio.Event()
        self.first_chunk = asyncio.Event()

    async def receive(self) -> Message:
        if not self.given:
            self.given = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        if message["type"] == "http.response.body" and message.get("body"):
            self.first_chunk.set()

    def kinds(self) -> list[str]:
        out = []
        for m in self.sent:
            if isinstance(m, str):
                out.append(m)
            elif m["type"] == "http.response.start":
                out.append("start")
            elif m.get("more_body"):
                out.append(f"chunk:{m['body'].decode()}")
            else:
                out.append(f"end:{m['body'].decode()}")
        return out


def http_scope(path: str = "/", method: str = "GET", query: bytes = b"") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1234),
        "server": ("localhost", 80),
    }


def asgi_client(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


async def wait_until(predicate: Any, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.01)
    return bool(predicate())


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- chunks reach the client as produced -------------------------------------------------------


@pytest.mark.parametrize("kind", ["async", "sync", "response"])
async def test_first_chunk_arrives_before_the_generator_finishes(kind: str) -> None:
    release = threading.Event()
    app = Flask(__name__)

    async def async_gen() -> AsyncIterator[str]:
        yield "first\n"
        for _ in range(500):  # bounded: 5 s
            if release.is_set():
                break
            await asyncio.sleep(0.01)
        yield "second\n"

    def sync_gen() -> Iterator[bytes]:
        yield b"first\n"
        release.wait(5)
        yield b"second\n"

    @app.get("/")
    def view() -> Any:
        if kind == "async":
            return async_gen()
        if kind == "sync":
            return sync_gen()
        return Response(sync_gen(), mimetype="text/plain")

    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            async with client.stream("GET", "/") as r:
                assert r.status_code == 200
                assert "content-length" not in r.headers
                chunks = r.aiter_raw()
                first = await asyncio.wait_for(chunks.__anext__(), 3)
                assert first == b"first\n"  # while the generator still waits
                assert not release.is_set()
                release.set()
                rest = b"".join([c async for c in chunks])
            assert rest == b"second\n"


# -- the request context inside the generator --------------------------------------------------


@pytest.mark.parametrize("sync", [True, False], ids=["def", "async"])
async def test_generator_sees_the_request_context_without_stream_with_context(
    sync: bool,
) -> None:
    app = Flask(__name__)
    app.secret_key = "dev"

    def values() -> str:
        return f"{request.args['q']} {g.user} {session['n']} {current_app.name}\n"

    @app.get("/")
    def view() -> Any:
        g.user = "ann"
        session["n"] = 7

        def gen() -> Iterator[str]:
            yield "sync: "
            yield values()

        async def agen() -> AsyncIterator[str]:
            yield "async: "
            await asyncio.sleep(0)
            yield values()

        return gen() if sync else agen()

    async with asgi_client(app) as client:
        r = await client.get("/?q=x")
    prefix = "sync" if sync else "async"
    assert r.text == f"{prefix}: x ann 7 {app.name}\n"
    assert "session=" in r.headers["set-cookie"]


async def test_stream_with_context_still_works_for_flask_code() -> None:
    app = Flask(__name__)

    @app.get("/wrapped")
    def wrapped() -> Response:
        def gen() -> Iterator[str]:
            yield "hello "
            yield request.args["name"]

        return Response(stream_with_context(gen()))

    @app.get("/decorated")
    def decorated() -> Response:
        @stream_with_context
        def gen() -> Iterator[str]:
            yield "hi "
            yield request.args["name"]

        return Response(gen())

    async with asgi_client(app) as client:
        assert (await client.get("/wrapped?name=ann")).text == "hello ann"
        assert (await client.get("/decorated?name=bob")).text == "hi bob"


@pytest.mark.parametrize("sync", [True, False], ids=["def", "async"])
async def test_teardown_runs_after_the_body_is_sent(sync: bool) -> None:
    app = Flask(__name__)
    harness = Harness()

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        harness.sent.append(f"teardown:{exc!r}")

    def gen() -> Iterator[str]:
        yield "a"
        yield "b"

    async def agen() -> AsyncIterator[str]:
        yield "a"
        yield "b"

    @app.get("/")
    def view() -> Any:
        return gen() if sync else agen()

    await app(http_scope(), harness.receive, harness.send)
    assert harness.kinds() == ["start", "chunk:a", "chunk:b", "end:", "teardown:None"]
    assert _cv_request.get(None) is None


# -- client disconnects ------------------------------------------------------------------------


async def test_disconnect_closes_an_idle_async_generator() -> None:
    app = Flask(__name__)
    harness = Harness()
    closed: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        closed.append(f"teardown:{exc!r}")

    @app.get("/")
    async def view() -> Any:
        async def gen() -> AsyncIterator[str]:
            try:
                yield "first"
                await asyncio.sleep(30)  # waits for an event that never comes
                yield "never"
            finally:
                closed.append("finally")

        return gen()

    call = asyncio.ensure_future(app(http_scope(), harness.receive, harness.send))
    await asyncio.wait_for(harness.first_chunk.wait(), 2)
    harness.disconnect.set()
    started = time.monotonic()
    await asyncio.wait_for(call, 2)  # returns quietly: nothing to report to the server
    assert time.monotonic() - started < 1
    assert closed == ["finally", "teardown:None"]
    assert harness.kinds() == ["start", "chunk:first"]  # no end, no second start


async def test_disconnect_closes_a_sync_generator_after_its_current_step() -> None:
    app = Flask(__name__)
    harness = Harness()
    events: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.get("/")
    def view() -> Any:
        def gen() -> Iterator[str]:
            try:
                yield "first"
                time.sleep(0.3)  # cannot be interrupted
                events.append("step done")
                yield "second"
                events.append("resumed")  # never: closed at the yield above
            finally:
                events.append("finally")

        return gen()

    call = asyncio.ensure_future(app(http_scope(), harness.receive, harness.send))
    await asyncio.wait_for(harness.first_chunk.wait(), 2)
    harness.disconnect.set()
    started = time.monotonic()
    await asyncio.wait_for(call, 3)
    assert time.monotonic() - started < 1.5
    assert events == ["step done", "finally", "teardown"]
    assert harness.kinds() == ["start", "chunk:first"]


@pytest.mark.parametrize("sync", [True, False], ids=["def", "async"])
async def test_real_client_disconnect_closes_the_generator(
    sync: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    closed = threading.Event()
    teardowns: list[BaseException | None] = []
    app = Flask(__name__)

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        teardowns.append(exc)

    def gen() -> Iterator[str]:
        try:
            for i in range(500):  # bounded: about 10 s
                yield f"tick {i}\n"
                time.sleep(0.02)
        finally:
            closed.set()

    async def agen() -> AsyncIterator[str]:
        try:
            yield "tick 0\n"
            await asyncio.sleep(30)
        finally:
            closed.set()

    @app.get("/")
    def view() -> Any:
        return gen() if sync else agen()

    with serve(app, log_config=None) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            async with client.stream("GET", "/") as r:
                first = await asyncio.wait_for(r.aiter_raw().__anext__(), 3)
                assert first.startswith(b"tick 0\n")
            # Leaving the block unread closes the connection.
            started = time.monotonic()
            assert await asyncio.to_thread(closed.wait, 2)
            assert time.monotonic() - started < 1
            assert await wait_until(lambda: len(teardowns) == 1)
            await asyncio.sleep(0.1)
            assert teardowns == [None]  # exactly once, and not as an error
            # The server is fine afterwards.
            async with client.stream("GET", "/") as again:
                assert (await again.aiter_raw().__anext__()).startswith(b"tick 0\n")
    assert errors(caplog) == []


async def test_is_disconnected_in_a_generator() -> None:
    app = Flask(__name__)
    harness = Harness()
    seen: list[bool] = []

    @app.get("/")
    async def view() -> Any:
        async def gen() -> AsyncIterator[str]:
            seen.append(await request.is_disconnected())
            yield "x"
            for _ in range(200):  # bounded: 2 s
                await asyncio.sleep(0.01)
                if await request.is_disconnected():
                    seen.append(True)
                    break
            # The watch also cancels this generator; whichever comes first.

        return gen()

    call = asyncio.ensure_future(app(http_scope(), harness.receive, harness.send))
    await asyncio.wait_for(harness.first_chunk.wait(), 2)
    harness.disconnect.set()
    await asyncio.wait_for(call, 2)
    # Either the generator saw the flag, or the watch cancelled it first.
    assert seen in ([False], [False, True])


async def test_is_disconnected_leaves_the_read_body_alone() -> None:
    app = Flask(__name__)

    @app.post("/")
    async def view() -> dict[str, Any]:
        gone = await request.is_disconnected()
        return {"gone": gone, "a": request.form["a"], "data": len(request.get_data())}

    async with asgi_client(app) as client:
        r = await client.post("/", data={"a": "1"})
    assert r.json() == {"gone": False, "a": "1", "data": 3}


async def test_is_disconnected_in_a_long_poll_view_on_a_real_server() -> None:
    app = Flask(__name__)
    noticed = threading.Event()

    @app.get("/poll")
    async def poll() -> str:
        for _ in range(500):  # bounded: 5 s
            if await request.is_disconnected():
                noticed.set()
                return "gone"
            await asyncio.sleep(0.01)
        return "timeout"

    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=0.3) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.get("/poll")
        assert await asyncio.to_thread(noticed.wait, 2)


async def test_outer_cancellation_closes_the_generator() -> None:
    # A server that cancels the request task (graceful-shutdown timeout).
    app = Flask(__name__)
    harness = Harness()
    events: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.get("/")
    async def view() -> Any:
        async def gen() -> AsyncIterator[str]:
            try:
                yield "first"
                await asyncio.sleep(30)
            finally:
                events.append("finally")

        return gen()

    call = asyncio.ensure_future(app(http_scope(), harness.receive, harness.send))
    await asyncio.wait_for(harness.first_chunk.wait(), 2)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(call, 2)
    assert events == ["finally", "teardown"]


async def test_send_raising_oserror_counts_as_a_disconnect() -> None:
    app = Flask(__name__)
    events: list[str] = []
    sent: list[Message] = []

    @app.get("/")
    async def view() -> Any:
        async def gen() -> AsyncIterator[str]:
            try:
                for i in range(100):
                    yield str(i)
            finally:
                events.append("finally")

        return gen()

    given = False

    async def receive() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(30)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body" and len(sent) >= 3:
            raise OSError("connection reset")
        sent.append(message)

    await asyncio.wait_for(app(http_scope(), receive, send), 2)
    assert events == ["finally"]
    assert len(sent) == 3


@pytest.mark.parametrize("mode", ["raises", "never-blocks"])
async def test_a_receive_that_cannot_tell_does_not_stop_the_stream(mode: str) -> None:
    app = Flask(__name__)
    sent: list[Message] = []

    @app.get("/")
    async def view() -> Any:
        async def gen() -> AsyncIterator[str]:
            for i in range(3):
                await asyncio.sleep(0.01)
                yield str(i)

        return gen()

    async def receive() -> Message:
        if mode == "raises":
            raise RuntimeError("receive is not available here")
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await asyncio.wait_for(app(http_scope(), receive, send), 2)
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"012"
    assert sent[-1].get("more_body", False) is False


# -- an error after the response started (HOSTILE E3) ------------------------------------------


@pytest.mark.parametrize("sync", [True, False], ids=["def", "async"])
async def test_error_mid_stream_never_sends_a_second_start(sync: bool) -> None:
    app = Flask(__name__)
    harness = Harness()
    seen: list[BaseException | None] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    def gen() -> Iterator[str]:
        yield "a"
        raise ValueError("mid-stream")

    async def agen() -> AsyncIterator[str]:
        yield "a"
        raise ValueError("mid-stream")

    @app.get("/")
    def view() -> Any:
        return gen() if sync else agen()

    # The status line is out: the error goes to the server, which closes the connection.
    with pytest.raises(ValueError, match="mid-stream"):
        await app(http_scope(), harness.receive, harness.send)
    assert harness.kinds() == ["start", "chunk:a"]
    assert len(seen) == 1 and isinstance(seen[0], ValueError)


async def test_error_mid_stream_on_a_real_server_truncates_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    app = Flask(__name__)
    seen: list[BaseException | None] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.get("/")
    async def view() -> Any:
        async def gen() -> AsyncIterator[str]:
            yield "partial"
            raise ValueError("mid-stream")

        return gen()

    with serve(app, log_config=None) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            received = b""
            with pytest.raises(httpx.RemoteProtocolError):
                async with client.stream("GET", "/") as r:
                    assert r.status_code == 200
                    async for chunk in r.aiter_raw():
                        received += chunk
            assert received == b"partial"
            assert await wait_until(lambda: len(seen) == 1)
        logged = errors(caplog)
    assert len(logged) == 1, [r.getMessage() for r in logged]
    assert logged[0].exc_info is not None and isinstance(logged[0].exc_info[1], ValueError)
    assert isinstance(seen[0], ValueError)


async def test_head_of_a_streamed_response_does_not_run_the_generator() -> None:
    app = Flask(__name__)
    ran: list[str] = []

    @app.get("/")
    async def view() -> Any:
        async def gen() -> AsyncIterator[str]:
            ran.append("body")
            yield "x"

        return gen()

    async with asgi_client(app) as client:
        r = await client.head("/")
    assert r.status_code == 200 and r.content == b""
    assert ran == []


# -- docs/async.md -----------------------------------------------------------------------------

ASYNC_DOC = Path(__file__).resolve().parent.parent / "docs" / "async.md"
DOC_SNIPPETS = extract_snippets(ASYNC_DOC.read_text(encoding="utf-8"))


async def _check_doc_snippet(index: int, app: Flask, namespace: dict[str, Any]) -> None:
    async with app.test_client() as client:
        if index == 0:
            assert (await client.get("/users")).json() == {"users": ["ada", "grace"]}
            assert (await client.get("/report")).text == "report ready"
        elif index == 1:
            r = await client.post("/hash", data={"password": "secret"})
            assert r.status_code == 200 and len(r.json()["digest"]) == 16
        elif index == 2:
            assert (await client.get("/count?to=3")).text == "0\n1\n2\n"
            assert (await client.get("/countdown")).text == "3...\n2...\n1...\nliftoff\n"
        elif index == 4:
            r = await client.get("/events", headers={"Last-Event-ID": "7"})
            assert r.headers["content-type"] == "text/event-stream"
            assert r.text.startswith('event: update\nid: 8\ndata: {"n": 8}\n\n')
            assert r.text.count("event: update") == 3
        elif index == 5:
            r = await client.post("/signup", data={"email": "ada@example.com"})
            assert (r.status_code, r.text) == (201, "welcome")
        elif index == 6:
            assert (await client.get("/pool")).json() == {"connections": 4}
        else:  # pragma: no cover - a new snippet needs a check here
            raise AssertionError(f"docs/async.md snippet {index} has no check")
    if index == 5:  # the test client waited for the tasks
        assert namespace["sent"] == [("ada@example.com", "docs_snippet"), ("audit", "/signup")]
    if index == 6:
        assert "POOL" not in app.config  # after_serving ran


def test_async_doc_has_the_expected_snippets() -> None:
    assert [s.index for s in DOC_SNIPPETS] == [0, 1, 2, 4, 5, 6]


@pytest.mark.parametrize(
    "snippet", DOC_SNIPPETS, ids=[f"snippet{s.index}-line{s.line}" for s in DOC_SNIPPETS]
)
async def test_async_doc_snippet(snippet: Snippet) -> None:
    namespace = run_snippet(snippet, ASYNC_DOC)
    app = namespace["app"]
    assert isinstance(app, Flask)
    await _check_doc_snippet(snippet.index, app, namespace)
