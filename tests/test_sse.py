"""Server-sent events: encoding, the response, keep-alives, disconnects, the example."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from aioflask import Flask, ServerSentEvent, request, sse_response
from aioflask.sse import KEEPALIVE_COMMENT
from examples.streaming import app as streaming_app
from tests.serving import serve
from tests.test_streaming import Harness, http_scope


def parse_stream(raw: str) -> list[dict[str, str]]:
    """A small parser following the WHATWG event-stream rules (for round trips)."""
    events: list[dict[str, str]] = []
    data: list[str] = []
    fields: dict[str, str] = {}
    for line in re.split(r"\r\n|\r|\n", raw):
        if line == "":
            if data or fields:
                if data:
                    fields["data"] = "\n".join(data)
                events.append(fields)
            data, fields = [], {}
            continue
        if line.startswith(":"):
            fields.setdefault("comments", "")
            fields["comments"] += line[1:].lstrip() + ";"
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        else:
            fields[name] = value
    return events


def asgi_client(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


# -- ServerSentEvent ---------------------------------------------------------------------------


def test_encode_data_only() -> None:
    assert ServerSentEvent("hello").encode() == b"data: hello\n\n"


def test_encode_all_fields_in_order() -> None:
    event = ServerSentEvent("x", event="update", id=7, retry=3000, comment="note")
    assert event.encode() == b": note\nevent: update\nid: 7\nretry: 3000\ndata: x\n\n"


@pytest.mark.parametrize("data", ["a\nb", "a\r\nb", "a\rb", "line\n", "\n\n", "", "ünï ✓"])
def test_multi_line_data_becomes_several_data_lines_and_round_trips(data: str) -> None:
    raw = ServerSentEvent(data).encode()
    expected_lines = len(re.split(r"\r\n|\r|\n", data))
    assert raw.count(b"data: ") == expected_lines
    assert b"\r" not in raw
    [event] = parse_stream(raw.decode("utf-8"))
    assert event["data"] == data.replace("\r\n", "\n").replace("\r", "\n")


def test_data_that_is_not_a_string_is_sent_as_json() -> None:
    assert ServerSentEvent({"n": 1, "s": "é"}).encode() == b'data: {"n": 1, "s": "\\u00e9"}\n\n'
    assert ServerSentEvent([1, 2]).encode() == b"data: [1, 2]\n\n"


def test_json_data_uses_the_app_json_provider() -> None:
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    with app.app_context():
        assert ServerSentEvent({"s": "é"}).encode() == 'data: {"s": "é"}\n\n'.encode()


def test_comment_lines_cannot_inject_fields() -> None:
    raw = ServerSentEvent("ok", comment="one\ndata: injected").encode()
    assert raw == b": one\n: data: injected\ndata: ok\n\n"
    assert parse_stream(raw.decode())[0]["data"] == "ok"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"event": "a\nb"}, ValueError),
        ({"event": "a\rb"}, ValueError),
        ({"id": "1\n2"}, ValueError),
        ({"id": "1\x002"}, ValueError),
        ({"retry": -1}, ValueError),
        ({"retry": 1.5}, TypeError),
        ({"retry": True}, TypeError),
    ],
)
def test_invalid_fields_are_refused(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error, match="server-sent event"):
        ServerSentEvent("x", **kwargs)


def test_repr_names_the_set_fields() -> None:
    assert repr(ServerSentEvent("x", event="e")) == "ServerSentEvent(data='x', event='e')"


# -- sse_response ------------------------------------------------------------------------------


async def test_response_headers_and_events() -> None:
    app = Flask(__name__)

    @app.get("/events")
    async def events() -> Any:
        async def source() -> AsyncIterator[Any]:
            yield ServerSentEvent("first", event="greeting", id=1)
            yield "plain"
            yield {"n": 3}

        return sse_response(source())

    async with asgi_client(app) as client:
        r = await client.get("/events")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream"
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["x-accel-buffering"] == "no"
    assert "content-length" not in r.headers
    assert r.text == 'event: greeting\nid: 1\ndata: first\n\ndata: plain\n\ndata: {"n": 3}\n\n'


async def test_extra_headers_and_status() -> None:
    app = Flask(__name__)

    @app.get("/")
    async def view() -> Any:
        return sse_response(iter(["x"]), status=201, headers={"Cache-Control": "no-store"})

    async with asgi_client(app) as client:
        r = await client.get("/")
    assert r.status_code == 201
    assert r.headers["cache-control"] == "no-store"
    assert r.text == "data: x\n\n"


async def test_keepalive_comments_are_sent_while_idle() -> None:
    app = Flask(__name__)

    @app.get("/")
    async def view() -> Any:
        async def source() -> AsyncIterator[str]:
            yield "a"
            await asyncio.sleep(0.35)
            yield "b"

        return sse_response(source(), keepalive=0.1)

    async with asgi_client(app) as client:
        r = await client.get("/")
    body = r.content
    assert body.startswith(b"data: a\n\n")
    assert body.endswith(b"data: b\n\n")
    assert 2 <= body.count(KEEPALIVE_COMMENT) <= 4
    assert [e.get("data") for e in parse_stream(r.text) if "data" in e] == ["a", "b"]


async def test_no_keepalive_when_disabled() -> None:
    app = Flask(__name__)

    @app.get("/")
    async def view() -> Any:
        async def source() -> AsyncIterator[str]:
            await asyncio.sleep(0.1)
            yield "a"

        return sse_response(source(), keepalive=None)

    async with asgi_client(app) as client:
        r = await client.get("/")
    assert r.content == b"data: a\n\n"


@pytest.mark.parametrize("value", [0, -1.0])
def test_keepalive_must_be_positive(value: float) -> None:
    with pytest.raises(ValueError, match="keepalive"):
        sse_response(iter([]), keepalive=value)


async def test_sync_source_runs_on_the_request_worker_thread() -> None:
    app = Flask(__name__)
    threads: list[int] = []

    @app.get("/")
    def view() -> Any:
        threads.append(threading.get_ident())

        def source() -> Iterator[ServerSentEvent]:
            for i in range(3):
                threads.append(threading.get_ident())
                time.sleep(0.01)
                yield ServerSentEvent(str(i), id=i)

        return sse_response(source(), keepalive=0.005)

    async with asgi_client(app) as client:
        r = await client.get("/")
    assert [e["data"] for e in parse_stream(r.text) if "data" in e] == ["0", "1", "2"]
    assert len(set(threads)) == 1 and threads[0] != threading.main_thread().ident


async def test_source_sees_the_request() -> None:
    app = Flask(__name__)

    @app.get("/")
    async def view() -> Any:
        async def source() -> AsyncIterator[str]:
            yield request.args["who"]

        return sse_response(source())

    async with asgi_client(app) as client:
        r = await client.get("/?who=ann")
    assert r.text == "data: ann\n\n"


async def test_source_error_reaches_the_server() -> None:
    app = Flask(__name__)
    harness = Harness()

    @app.get("/")
    async def view() -> Any:
        async def source() -> AsyncIterator[str]:
            yield "a"
            raise RuntimeError("source broke")

        return sse_response(source())

    with pytest.raises(RuntimeError, match="source broke"):
        await app(http_scope(), harness.receive, harness.send)
    assert [m["type"] for m in harness.sent].count("http.response.start") == 1


@pytest.mark.parametrize("sync", [True, False], ids=["def", "async"])
async def test_disconnect_closes_the_source(sync: bool) -> None:
    app = Flask(__name__)
    harness = Harness()
    events: list[str] = []
    release = threading.Event()

    def sync_source() -> Iterator[str]:
        try:
            yield "first"
            release.wait(2)  # blocks the worker until the test lets go
            yield "second"
        finally:
            events.append("closed")

    async def async_source() -> AsyncIterator[str]:
        try:
            yield "first"
            await asyncio.sleep(30)
            yield "never"
        finally:
            events.append("closed")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.get("/")
    def view() -> Any:
        return sse_response(sync_source() if sync else async_source(), keepalive=0.05)

    call = asyncio.ensure_future(app(http_scope(), harness.receive, harness.send))
    await asyncio.wait_for(harness.first_chunk.wait(), 2)
    await asyncio.sleep(0.12)  # a keep-alive or two
    harness.disconnect.set()
    if sync:
        await asyncio.sleep(0.05)
        release.set()
    await asyncio.wait_for(call, 3)
    assert events == ["closed", "teardown"]
    body = b"".join(m.get("body", b"") for m in harness.sent[1:])
    assert body.startswith(b"data: first\n\n" + KEEPALIVE_COMMENT)
    assert b"second" not in body


# -- the example, on a real server -------------------------------------------------------------


async def test_example_page_opens_an_event_source() -> None:
    async with asgi_client(streaming_app) as client:
        r = await client.get("/")
    assert r.status_code == 200
    assert 'new EventSource("/clock")' in r.text
    assert 'addEventListener("tick"' in r.text


async def test_example_clock_streams_events_from_a_real_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(streaming_app.config, "CLOCK_INTERVAL", 0.05)
    with serve(streaming_app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            raw = ""
            async with client.stream("GET", "/clock", headers={"Last-Event-ID": "41"}) as r:
                assert r.headers["content-type"] == "text/event-stream"
                started = time.monotonic()
                async for text in r.aiter_text():
                    raw += text
                    if raw.count("\n\n") >= 3 or time.monotonic() - started > 3:
                        break
    events = parse_stream(raw)[:3]
    assert [e["event"] for e in events] == ["tick"] * 3
    assert [e["id"] for e in events] == ["42", "43", "44"]  # carries on from Last-Event-ID
    assert all(re.fullmatch(r'\{"time": "\d\d:\d\d:\d\d"\}', e["data"]) for e in events)


async def test_example_count_streams_lines_from_a_def_generator() -> None:
    with serve(streaming_app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            async with client.stream("GET", "/count?to=3") as r:
                lines = [line async for line in r.aiter_lines()]
    assert lines == ["1", "2", "3"]
