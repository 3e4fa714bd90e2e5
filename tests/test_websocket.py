"""WebSocket handlers: the `websocket` object, hooks, errors, routing and the test client.

Most tests run in-process through `client.websocket_connect`; the last part
serves the app with a real uvicorn on 127.0.0.1 and talks to it with the
`websockets` client library.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

import aioflask
from aioflask import (
    Blueprint,
    Flask,
    Websocket,
    abort,
    copy_current_request_context,
    g,
    has_request_context,
    has_websocket_context,
    request,
    session,
    url_for,
    websocket,
)
from aioflask.routing import WebsocketMismatch
from aioflask.testing import WebSocketRejected, WebsocketSession
from aioflask.websocket import WebsocketContext, WebSocketDisconnect, WebsocketMessageError
from tests.docsnippets import python_blocks

from .serving import serve


def connect_ws(app: Flask, path: str = "/ws", **kwargs: Any) -> WebsocketSession:
    return app.test_client().websocket_connect(path, **kwargs)


def app_errors(app: Flask, caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == app.logger.name and r.levelno >= logging.ERROR]


# -- messages ------------------------------------------------------------------------------------


async def test_echo_text_and_bytes(app: Flask) -> None:
    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.accept()
        while True:
            message = await websocket.receive()
            await websocket.send(message)

    async with connect_ws(app) as ws:
        await ws.send("hello")
        assert await ws.receive() == "hello"
        await ws.send(b"\x00\xff")
        assert await ws.receive() == b"\x00\xff"
        await ws.send_text("again")
        assert await ws.receive_text() == "again"
        await ws.send_bytes(b"raw")
        assert await ws.receive_bytes() == b"raw"


async def test_typed_receive_and_send(app: Flask) -> None:
    @app.websocket("/ws")
    async def typed() -> None:
        text = await websocket.receive_text()
        data = await websocket.receive_bytes()
        obj = await websocket.receive_json()
        await websocket.send_text(text.upper())
        await websocket.send_bytes(data[::-1])
        await websocket.send_json({"got": obj})

    async with connect_ws(app) as ws:
        await ws.send_text("abc")
        await ws.send_bytes(b"123")
        await ws.send_json([1, {"a": None}])
        assert await ws.receive_text() == "ABC"
        assert await ws.receive_bytes() == b"321"
        assert await ws.receive_json() == {"got": [1, {"a": None}]}


async def test_receive_json_accepts_binary_frames(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send_json(await websocket.receive_json())

    async with connect_ws(app) as ws:
        await ws.send_bytes('{"é": 1}'.encode())
        assert await ws.receive_json() == {"é": 1}


async def test_send_json_uses_the_app_json_provider(app: Flask) -> None:
    @dataclass
    class Point:
        x: int

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send_json({"when": date(2024, 5, 1), "p": Point(3)})

    async with connect_ws(app) as ws:
        text = await ws.receive_text()
    assert json.loads(text) == {"when": "Wed, 01 May 2024 00:00:00 GMT", "p": {"x": 3}}


async def test_async_for_ends_quietly_on_disconnect(app: Flask) -> None:
    seen: list[Any] = []
    done = asyncio.Event()

    @app.websocket("/ws")
    async def handler() -> None:
        async for message in websocket:
            seen.append(message)
        done.set()

    async with connect_ws(app) as ws:
        await ws.send("a")
        await ws.send(b"b")
    await asyncio.wait_for(done.wait(), 5)
    assert seen == ["a", b"b"]


async def test_send_rejects_other_types(app: Flask) -> None:
    errors: list[str] = []

    @app.websocket("/ws")
    async def handler() -> None:
        wrong: list[tuple[Any, Any]] = [
            (websocket.send, 42),
            (websocket.send_text, b"x"),
            (websocket.send_bytes, "text"),
        ]
        for method, value in wrong:
            try:
                await method(value)
            except TypeError as e:
                errors.append(str(e))
        await websocket.send("ok")

    async with connect_ws(app) as ws:
        assert await ws.receive() == "ok"
    assert len(errors) == 3
    assert "send_json" in errors[0]


# -- the handshake -------------------------------------------------------------------------------


async def test_first_send_accepts_implicitly(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        assert not websocket.accepted
        await websocket.send("hi")
        assert websocket.accepted

    async with connect_ws(app) as ws:
        assert await ws.receive() == "hi"
        assert ws.subprotocol is None


async def test_first_receive_accepts_implicitly(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send(f"got {await websocket.receive_text()}")

    async with connect_ws(app) as ws:
        await ws.send("x")
        assert await ws.receive() == "got x"


async def test_accept_with_subprotocol_and_headers(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        assert websocket.subprotocols == ["chat.v1", "chat.v2"]
        await websocket.accept(subprotocol="chat.v2", headers={"X-Server": "aioflask"})
        await websocket.send("ok")

    async with connect_ws(app, subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.subprotocol == "chat.v2"
        assert ws.headers["x-server"] == "aioflask"
        assert await ws.receive() == "ok"


async def test_accept_with_unoffered_subprotocol_is_a_500(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept(subprotocol="nope")

    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app, subprotocols=["chat"]):
            pass
    assert info.value.status_code == 500
    [record] = app_errors(app, caplog)
    assert "did not offer the subprotocol 'nope'" in str(record.exc_info[1])  # type: ignore[index]


async def test_accept_header_with_newline_is_refused(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept(headers=[("X-A", "1\r\nSet-Cookie: evil=1")])

    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app):
            pass
    assert info.value.status_code == 500
    assert "set-cookie" not in info.value.response.headers


async def test_accepting_twice_closes_with_1011(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("first")
        await websocket.accept()

    async with connect_ws(app) as ws:
        assert await ws.receive() == "first"
        with pytest.raises(WebSocketDisconnect) as info:
            await ws.receive()
    assert info.value.code == 1011


async def test_handler_returning_without_accepting_refuses(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        return None

    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app, http_response=False):
            pass
    assert (info.value.status_code, info.value.code) == (403, 1000)


async def test_handler_return_value_before_accept_is_the_refusal(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> Any:
        return {"error": "log in first"}, 401, {"WWW-Authenticate": "Bearer"}

    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app):
            pass
    rejected = info.value
    assert rejected.status_code == 401
    assert rejected.code is None
    assert rejected.response.headers["www-authenticate"] == "Bearer"
    assert rejected.response.get_json() == {"error": "log in first"}


async def test_return_value_after_accept_is_ignored(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> str:
        await websocket.send("bye")
        return "ignored"

    async with connect_ws(app) as ws:
        assert await ws.receive() == "bye"
        with pytest.raises(WebSocketDisconnect) as info:
            await ws.receive()
    assert info.value.code == 1000


async def test_close_before_accept_refuses_with_the_code(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.close(4403, "go away")

    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app):
            pass
    assert (info.value.status_code, info.value.code) == (403, 4403)


# -- closing --------------------------------------------------------------------------------------


async def test_close_with_code_and_reason(app: Flask) -> None:
    after_close: list[str] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("hi")
        await websocket.close(4001, "done here")
        await websocket.close()  # closing again does nothing
        assert websocket.closed and websocket.close_code == 4001
        try:
            await websocket.send("late")
        except WebSocketDisconnect as e:
            after_close.append(f"send {e.code}")
        try:
            await websocket.receive()
        except WebSocketDisconnect as e:
            after_close.append(f"receive {e.code}")

    async with connect_ws(app) as ws:
        assert await ws.receive() == "hi"
        with pytest.raises(WebSocketDisconnect) as info:
            await ws.receive()
        assert (info.value.code, info.value.reason) == (4001, "done here")
        assert (ws.close_code, ws.close_reason) == (4001, "done here")
    assert after_close == ["send 4001", "receive 4001"]


@pytest.mark.parametrize(
    ("code", "reason", "match"),
    [(1005, "", "not a close code"), (1006, "", "not a close code"), (999, "", "not a close code"),
     (5000, "", "not a close code"), (1000, "é" * 62, "longer than 123 bytes")],
)  # fmt: skip
async def test_close_checks_code_and_reason(app: Flask, code: int, reason: str, match: str) -> None:
    errors: list[str] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        try:
            await websocket.close(code, reason)
        except ValueError as e:
            errors.append(str(e))

    async with connect_ws(app) as ws:
        with pytest.raises(WebSocketDisconnect) as info:
            await ws.receive()
    assert info.value.code == 1000  # closed normally when the handler returned
    assert len(errors) == 1 and match in errors[0]


async def test_client_disconnect_raises_in_receive_with_the_code(app: Flask) -> None:
    codes: list[tuple[int, str]] = []
    done = asyncio.Event()

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        try:
            await websocket.receive()
        except WebSocketDisconnect as e:
            codes.append((e.code, e.reason))
            assert websocket.closed and websocket.close_code == 4002
            done.set()
            raise

    async with connect_ws(app) as ws:
        await ws.close(4002, "leaving")
    await asyncio.wait_for(done.wait(), 5)
    assert codes == [(4002, "leaving")]


async def test_unhandled_disconnect_is_quiet_and_teardown_runs_once(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    torn: list[BaseException | None] = []
    app_torn: list[BaseException | None] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(exc)

    @app.teardown_appcontext
    async def teardown_app(exc: BaseException | None) -> None:
        app_torn.append(exc)

    @app.websocket("/ws")
    async def handler() -> None:
        while True:
            await websocket.receive()

    async with connect_ws(app) as ws:
        await ws.send("x")
    assert torn == [None]
    assert app_torn == [None]
    assert app_errors(app, caplog) == []


async def test_send_after_client_left_raises_disconnect(app: Flask) -> None:
    outcome: list[int] = []
    left = asyncio.Event()

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("hello")
        await left.wait()
        try:
            await websocket.send("anyone?")
        except WebSocketDisconnect as e:
            outcome.append(e.code)

    async with connect_ws(app) as ws:
        assert await ws.receive() == "hello"
        await ws.close()
        left.set()
    assert outcome == [1006]


async def test_starlette_disconnect_class_also_catches(app: Flask) -> None:
    from starlette.websockets import WebSocketDisconnect as StarletteDisconnect

    caught: list[str] = []

    @app.websocket("/ws")
    async def handler() -> None:
        try:
            await websocket.receive()
        except StarletteDisconnect as e:
            caught.append(str(e))

    async with connect_ws(app) as ws:
        await ws.close(1001)
    assert caught == ["WebSocket closed with code 1001"]


# -- errors ---------------------------------------------------------------------------------------


async def test_error_after_accept_closes_1011_logs_once_and_leaks_nothing(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    torn: list[BaseException | None] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(exc)

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        raise KeyError("secret-value")

    async with connect_ws(app) as ws:
        with pytest.raises(WebSocketDisconnect) as info:
            await ws.receive()
    assert (info.value.code, info.value.reason) == (1011, "")
    [record] = app_errors(app, caplog)
    assert record.getMessage() == "Exception on /ws [GET]"
    assert isinstance(torn[0], KeyError) and len(torn) == 1


async def test_error_before_accept_is_a_500_refusal(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.errorhandler(500)
    def on_500(e: Exception) -> tuple[dict[str, str], int]:
        return {"error": "sorry"}, 500

    @app.websocket("/ws")
    async def handler() -> None:
        raise KeyError("secret-value")

    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app):
            pass
    assert info.value.status_code == 500
    assert info.value.response.get_json() == {"error": "sorry"}
    assert "secret-value" not in info.value.response.text
    assert len(app_errors(app, caplog)) == 1


async def test_error_before_accept_without_extension_closes_1011(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        raise RuntimeError("boom")

    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app, http_response=False):
            pass
    assert (info.value.status_code, info.value.code) == (403, 1011)


async def test_testing_mode_propagates_handler_errors(app: Flask) -> None:
    app.testing = True

    @app.websocket("/after")
    async def after() -> None:
        await websocket.accept()
        raise LookupError("from the handler")

    @app.websocket("/before")
    async def before() -> None:
        raise LookupError("before accepting")

    with pytest.raises(LookupError, match="from the handler"):
        async with connect_ws(app, "/after") as ws:
            with pytest.raises(WebSocketDisconnect) as info:
                await ws.receive()
            assert info.value.code == 1011
    with pytest.raises(LookupError, match="before accepting"):
        async with connect_ws(app, "/before"):
            pass


async def test_http_error_after_accept_closes_1008_unlogged(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("hi")
        abort(403)

    async with connect_ws(app) as ws:
        await ws.receive()
        with pytest.raises(WebSocketDisconnect) as info:
            await ws.receive()
    assert (info.value.code, info.value.reason) == (1008, "403 Forbidden")
    assert app_errors(app, caplog) == []


async def test_abort_500_after_accept_closes_1011(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        abort(503)

    async with connect_ws(app) as ws:
        with pytest.raises(WebSocketDisconnect) as info:
            await ws.receive()
    assert info.value.code == 1011


@pytest.mark.parametrize(
    ("method", "sent", "code"),
    [("receive_text", b"\x01", 1003), ("receive_bytes", "text", 1003),
     ("receive_json", "{bad", 1007), ("receive_json", "[" * 100_000, 1007),
     ("receive_json", b"\xff\xfe", 1007)],
)  # fmt: skip
async def test_unreadable_messages_close_without_logging(
    app: Flask, caplog: pytest.LogCaptureFixture, method: str, sent: str | bytes, code: int
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await getattr(websocket, method)()

    async with connect_ws(app) as ws:
        await ws.send(sent)
        with pytest.raises(WebSocketDisconnect) as info:
            await ws.receive()
    assert info.value.code == code
    assert info.value.reason
    assert app_errors(app, caplog) == []


async def test_unreadable_message_can_be_caught(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        while True:
            try:
                value = await websocket.receive_json()
            except WebsocketMessageError as e:
                await websocket.send_json({"error": e.description})
                continue
            await websocket.send_json({"ok": value})

    async with connect_ws(app) as ws:
        await ws.send("nope")
        assert await ws.receive_json() == {"error": "The message is not valid JSON."}
        await ws.send("[1]")
        assert await ws.receive_json() == {"ok": [1]}


async def test_disconnect_from_another_connection_is_an_error(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    # A broadcast to a connection that has gone raises WebSocketDisconnect in
    # the sender's handler; it must not end the sender's connection quietly.
    peers: dict[str, Websocket] = {}
    first_gone = asyncio.Event()

    @app.websocket("/ws/<name>")
    async def handler(name: str) -> None:
        peers[name] = websocket._get_current_object()
        await websocket.send("joined")
        if name == "second":
            await first_gone.wait()
            await peers["first"].send("hello?")
        else:
            await websocket.receive()

    async with connect_ws(app, "/ws/first") as first:
        assert await first.receive() == "joined"
    async with connect_ws(app, "/ws/second") as second:
        assert await second.receive() == "joined"
        first_gone.set()
        with pytest.raises(WebSocketDisconnect) as info:
            await second.receive()
    assert info.value.code == 1011
    assert len(app_errors(app, caplog)) == 1


async def test_sync_handler_is_refused(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(TypeError, match="async def"):

        @app.websocket("/ws")  # type: ignore[type-var]  # a sync handler is the point
        def handler() -> None:
            pass

    def sync_view() -> str:
        return ""

    app.add_url_rule("/direct", view_func=sync_view, websocket=True)
    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app, "/direct"):
            pass
    assert info.value.status_code == 500
    [record] = app_errors(app, caplog)
    assert "async def" in str(record.exc_info[1])  # type: ignore[index]


# -- the handshake request ------------------------------------------------------------------------


async def test_connection_attributes(app: Flask) -> None:
    seen: dict[str, Any] = {}

    @app.websocket("/rooms/<int:room>")
    async def handler(room: int) -> None:
        seen.update(
            room=room,
            path=websocket.path,
            full_path=websocket.full_path,
            args=websocket.args.to_dict(),
            header=websocket.headers["X-Token"],
            cookie=websocket.cookies.get("flavour"),
            scheme=websocket.scheme,
            host=websocket.host,
            url=websocket.url,
            subprotocols=websocket.subprotocols,
            view_args=websocket.view_args,
            endpoint=websocket.endpoint,
            rule=str(websocket.url_rule),
            remote_addr=websocket.remote_addr,
            request_method=request.method,
            request_scheme=request.scheme,
            request_is_handshake=request._get_current_object() is websocket.request,  # type: ignore[attr-defined]
            form=dict(request.form),
            contexts=(has_request_context(), has_websocket_context()),
            is_websocket=isinstance(websocket, Websocket),
        )
        await websocket.close()

    client = app.test_client()
    client.set_cookie("flavour", "mint")
    with pytest.raises(WebSocketRejected):
        async with client.websocket_connect(
            "/rooms/7?a=1&a=2&b=x", subprotocols=["p"], headers={"X-Token": "t0k"}
        ):
            pass
    assert seen == {
        "room": 7,
        "path": "/rooms/7",
        "full_path": "/rooms/7?a=1&a=2&b=x",
        "args": {"a": "1", "b": "x"},
        "header": "t0k",
        "cookie": "mint",
        "scheme": "ws",
        "host": "localhost",
        "url": "ws://localhost/rooms/7?a=1&a=2&b=x",
        "subprotocols": ["p"],
        "view_args": {"room": 7},
        "endpoint": "handler",
        "rule": "/rooms/<int:room>",
        "remote_addr": "127.0.0.1",
        "request_method": "GET",
        "request_scheme": "http",
        "request_is_handshake": True,
        "form": {},
        "contexts": (True, True),
        "is_websocket": True,
    }


async def test_secure_scheme_from_https_base_url(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send_json(
            [websocket.scheme, websocket.is_secure, request.scheme, url_for("handler")]
        )

    client = app.test_client(base_url="https://example.com")
    async with client.websocket_connect("/ws") as ws:
        assert await ws.receive_json() == ["wss", True, "https", "wss://example.com/ws"]


async def test_session_is_readable_in_a_handler(app: Flask) -> None:
    app.secret_key = "ws-secret"

    @app.post("/login")
    def login() -> str:
        session["user"] = "ada"
        return "ok"

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send(f"hello {session.get('user')}")
        session["ignored"] = True  # no response to carry a cookie: not saved

    async with app.test_client() as client:
        assert (await client.post("/login")).status_code == 200
        async with client.websocket_connect("/ws") as ws:
            assert await ws.receive() == "hello ada"
        client.cookies.set("session", "tampered.value.here", domain="localhost.local")
        async with client.websocket_connect("/ws") as ws:
            assert await ws.receive() == "hello None"


async def test_g_and_copied_context_in_tasks(app: Flask) -> None:
    @app.before_websocket
    def load() -> None:
        g.user = websocket.args["user"]

    @app.websocket("/ws")
    async def handler() -> None:
        @copy_current_request_context
        async def later() -> str:
            return f"{g.user} at {websocket.path}"

        await websocket.send(await asyncio.create_task(later()))

    async with connect_ws(app, "/ws?user=grace") as ws:
        assert await ws.receive() == "grace at /ws"


async def test_connections_are_isolated(app: Flask) -> None:
    # HOSTILE C1, for WebSockets: every connection sees only its own state.
    @app.before_websocket
    async def who() -> None:
        g.id = websocket.args["id"]

    @app.websocket("/ws")
    async def handler() -> None:
        while True:
            message = await websocket.receive_text()
            await asyncio.sleep(random.random() / 100)
            await websocket.send(f"{g.id}:{websocket.args['id']}:{message}")

    async def one(n: int) -> str:
        async with connect_ws(app, f"/ws?id={n}") as ws:
            await ws.send(str(n))
            return str(await ws.receive())

    results = await asyncio.gather(*(one(n) for n in range(40)))
    assert results == [f"{n}:{n}:{n}" for n in range(40)]


# -- hooks ----------------------------------------------------------------------------------------


async def test_before_websocket_return_value_refuses(app: Flask) -> None:
    called: list[str] = []

    @app.before_request
    def not_for_websockets() -> None:
        called.append("before_request")

    @app.before_websocket
    def check() -> Any:
        if websocket.args.get("token") != "ok":
            return "bad token", 401, {"X-Why": "token"}
        return None

    @app.websocket("/ws")
    async def handler() -> None:
        called.append("handler")
        await websocket.send("welcome")

    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app):
            pass
    assert info.value.status_code == 401
    assert info.value.response.text == "bad token"
    assert info.value.response.headers["x-why"] == "token"
    assert called == []
    async with connect_ws(app, "/ws?token=ok") as ws:
        assert await ws.receive() == "welcome"
    assert called == ["handler"]


async def test_before_websocket_abort_uses_error_handlers(app: Flask) -> None:
    @app.errorhandler(403)
    def forbidden(e: Exception) -> tuple[str, int]:
        return "custom forbidden", 403

    @app.before_websocket
    async def deny() -> None:
        abort(403)

    @app.websocket("/ws")
    async def handler() -> None:
        raise AssertionError("not reached")

    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app):
            pass
    assert (info.value.status_code, info.value.response.text) == (403, "custom forbidden")
    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app, http_response=False):
            pass
    assert (info.value.status_code, info.value.code) == (403, 1008)


async def test_sync_hooks_run_on_worker_threads(app: Flask) -> None:
    threads: list[int] = []

    @app.before_websocket
    def before() -> None:
        threads.append(threading.get_ident())

    @app.after_websocket
    def after(response: Any) -> None:
        threads.append(threading.get_ident())

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        threads.append(threading.get_ident())

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("x")

    async with connect_ws(app) as ws:
        await ws.receive()
    assert len(threads) == 3 and threading.get_ident() not in threads
    # The thread is given back while the handler runs: the functions after it
    # share one thread, which may not be the one `before_websocket` ran on.
    assert threads[1] == threads[2]


async def test_open_connections_do_not_hold_worker_threads(app: Flask) -> None:
    # More open connections with a sync hook than the pool has threads (40):
    # sync views must still be served.
    @app.before_websocket
    def sync_hook() -> None:
        g.hooked = True

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("open")
        await websocket.receive()

    @app.get("/sync")
    def sync_view() -> str:
        return "served"

    async with contextlib.AsyncExitStack() as stack:
        for _ in range(45):
            ws = await stack.enter_async_context(connect_ws(app, timeout=2))
            assert await ws.receive() == "open"
        async with app.test_client() as http:
            r = await asyncio.wait_for(http.get("/sync"), 5)
    assert r.text == "served"


async def test_after_websocket_sees_the_refusal_or_none(app: Flask) -> None:
    seen: list[Any] = []

    @app.after_websocket
    async def first(response: Any) -> Any:
        seen.append(None if response is None else response.status_code)
        if response is not None:
            response.headers["X-After"] = "yes"
        return None  # keep it

    @app.after_websocket
    def replace(response: Any) -> Any:  # registered last, so it runs first
        if response is not None:
            return "replaced", 418
        return None

    @app.websocket("/ws")
    async def handler() -> Any:
        if websocket.args.get("refuse"):
            return "no", 400
        await websocket.send("fine")
        return None

    async with connect_ws(app) as ws:
        assert await ws.receive() == "fine"
    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app, "/ws?refuse=1"):
            pass
    assert seen == [None, 418]
    assert info.value.status_code == 418
    assert info.value.response.headers["x-after"] == "yes"


async def test_url_value_preprocessors_run_for_websockets(app: Flask) -> None:
    @app.url_value_preprocessor
    def pull(endpoint: str | None, values: dict[str, Any] | None) -> None:
        assert values is not None
        g.lang = values.pop("lang")

    @app.websocket("/<lang>/ws")
    async def handler() -> None:
        await websocket.send(g.lang)

    async with connect_ws(app, "/fr/ws") as ws:
        assert await ws.receive() == "fr"


async def test_hooks_of_http_requests_do_not_run(app: Flask) -> None:
    calls: list[str] = []
    app.before_request(lambda: calls.append("before_request"))

    @app.after_request
    def after(response: Any) -> Any:
        calls.append("after_request")
        return response

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("x")

    async with connect_ws(app) as ws:
        await ws.receive()
    assert calls == []


# -- routing and URLs -----------------------------------------------------------------------------


async def test_http_requests_to_websocket_routes(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        pass

    @app.errorhandler(400)
    def bad_request(e: Exception) -> tuple[str, int]:
        return f"400 via {type(e).__name__}", 400

    async with app.test_client() as client:
        r = await client.get("/ws")
        assert (r.status_code, r.text) == (400, "400 via WebsocketMismatch")
        r = await client.post("/ws")
        assert r.status_code == 405
        assert r.headers["Allow"] == "GET, HEAD, OPTIONS"
        assert (await client.get("/missing")).status_code == 404


async def test_websocket_to_http_routes_and_unknown_paths(app: Flask) -> None:
    @app.get("/page")
    def page() -> str:
        return "page"

    @app.post("/form")
    def form() -> str:
        return "form"

    @app.websocket("/folder/")
    async def folder() -> None:
        await websocket.send("in folder")

    expected = {"/page": 400, "/form": 405, "/nothing": 404, "/folder?x=1": 308}
    for path, status in expected.items():
        with pytest.raises(WebSocketRejected) as info:
            async with connect_ws(app, path):
                pass
        assert info.value.status_code == status, path
    assert info.value.response.headers["location"] == "ws://localhost/folder/?x=1"
    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app, "/page", http_response=False):
            pass
    assert (info.value.status_code, info.value.code) == (403, 1008)
    async with connect_ws(app, "/folder/") as ws:
        assert await ws.receive() == "in folder"


async def test_converters_reject_with_404(app: Flask) -> None:
    @app.websocket("/rooms/<int:room>")
    async def room(room: int) -> None:
        await websocket.send_json(room)

    async with connect_ws(app, "/rooms/12") as ws:
        assert await ws.receive_json() == 12
    with pytest.raises(WebSocketRejected) as info:
        async with connect_ws(app, "/rooms/twelve"):
            pass
    assert info.value.status_code == 404


def test_map_reports_websocket_mismatch() -> None:
    from aioflask.routing import Map, Rule

    url_map = Map([Rule("/ws", endpoint="ws", websocket=True), Rule("/h", endpoint="h")])
    with pytest.raises(WebsocketMismatch):
        url_map.match("/ws", "GET")
    with pytest.raises(WebsocketMismatch):
        url_map.match("/h", "GET", websocket=True)
    assert url_map.match("/ws", "GET", websocket=True)[0].endpoint == "ws"
    assert url_map.allowed_methods("/ws") == []


def test_url_for_websocket_routes(app: Flask) -> None:
    @app.websocket("/rooms/<int:room>")
    async def room(room: int) -> None:
        pass

    @app.get("/")
    def index() -> str:
        return ""

    with app.test_request_context("/"):
        assert url_for("room", room=3) == "ws://localhost/rooms/3"
        assert url_for("room", room=3, _external=False) == "ws://localhost/rooms/3"
        assert url_for("room", room=3, _scheme="https", _external=True) == "wss://localhost/rooms/3"
        assert url_for("room", room=3, q="a b") == "ws://localhost/rooms/3?q=a+b"
        assert url_for("index") == "/"
    with app.test_request_context("/", base_url="https://example.com/app/"):
        assert url_for("room", room=3) == "wss://example.com/app/rooms/3"
    with app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("room", room=1)
    app.config["SERVER_NAME"] = "example.org"
    with app.app_context():
        assert url_for("room", room=1) == "ws://example.org/rooms/1"
        assert url_for("room", room=1, _external=False) == "ws://example.org/rooms/1"


def test_url_for_matches_flask() -> None:
    flask = pytest.importorskip("flask")
    results = []
    for module in (flask, aioflask):
        app = module.Flask(__name__)
        app.add_url_rule("/ws/<int:room>", "ws", _noop_async, websocket=True)
        with app.test_request_context("/"):
            results.append(
                [module.url_for("ws", room=1), module.url_for("ws", room=2, _scheme="https")]
            )
    assert results[0] == results[1]


async def _noop_async(**kwargs: Any) -> None:
    return None


async def test_url_for_inside_a_handler(app: Flask) -> None:
    @app.get("/page")
    def page() -> str:
        return ""

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send_json(
            [url_for("handler"), url_for("page"), url_for("page", _external=True)]
        )

    async with connect_ws(app) as ws:
        assert await ws.receive_json() == ["ws://localhost/ws", "/page", "http://localhost/page"]


async def test_blueprint_websocket_routes(app: Flask) -> None:
    bp = Blueprint("chat", __name__, url_prefix="/chat")

    @bp.websocket("/<room>")
    async def room(room: str) -> None:
        await websocket.send(
            f"{websocket.endpoint} {websocket.blueprint} {url_for('.room', room=room)}"
        )

    app.register_blueprint(bp)
    async with connect_ws(app, "/chat/lobby") as ws:
        assert await ws.receive() == "chat.room chat ws://localhost/chat/lobby"


async def test_blueprint_websocket_hooks(app: Flask) -> None:
    bp = Blueprint("chat", __name__)
    calls: list[str] = []

    @app.before_websocket
    def app_before() -> None:
        calls.append("app before")

    @bp.before_websocket
    def before() -> None:
        calls.append("bp before")

    @bp.after_websocket
    async def after(response: Any) -> None:
        calls.append("bp after")

    @app.after_websocket
    def app_after(response: Any) -> None:
        calls.append("app after")

    @bp.websocket("/ws")
    async def handler() -> None:
        await websocket.send("x")

    @app.websocket("/plain")
    async def plain() -> None:
        await websocket.send("y")

    app.register_blueprint(bp)
    async with connect_ws(app) as ws:
        await ws.receive()
    assert calls == ["app before", "bp before", "bp after", "app after"]
    calls.clear()
    async with connect_ws(app, "/plain") as ws:  # the blueprint's hooks are its own
        await ws.receive()
    assert calls == ["app before", "app after"]


# -- the globals ----------------------------------------------------------------------------------


def test_websocket_outside_a_connection_says_so(app: Flask) -> None:
    assert not has_websocket_context()
    with pytest.raises(RuntimeError, match="Working outside of WebSocket context"):
        websocket.path  # noqa: B018 - the attribute access is the test
    with app.test_request_context("/"):
        assert not has_websocket_context()
        with pytest.raises(RuntimeError, match="@app.websocket"):
            websocket.send  # noqa: B018
    assert not websocket


def test_module_names_through_the_package_attribute() -> None:
    # `aioflask.websocket` is the proxy, yet the module's names resolve through it.
    assert aioflask.websocket is websocket
    assert aioflask.websocket.WebSocketDisconnect is WebSocketDisconnect
    # mypy types the proxy as a `Websocket`, which lacks the module's other names.
    assert aioflask.websocket.WebsocketContext is WebsocketContext  # type: ignore[attr-defined]
    assert aioflask.websocket.Websocket is Websocket  # type: ignore[attr-defined]
    assert issubclass(WebSocketDisconnect, Exception)


async def test_websocket_context_copy_shares_the_connection(app: Flask) -> None:
    contexts: list[Any] = []

    @app.websocket("/ws")
    async def handler() -> None:
        from aioflask.globals import _cv_request

        ctx = _cv_request.get()
        contexts.extend([ctx, ctx.copy()])
        await websocket.close()

    with pytest.raises(WebSocketRejected):
        async with connect_ws(app):
            pass
    original, copy = contexts
    assert isinstance(copy, WebsocketContext)
    assert copy.websocket is original.websocket and copy is not original
    assert repr(original) == f"<WebsocketContext '/ws' of {app.name!r}>"


# -- the test client ------------------------------------------------------------------------------


async def test_client_receive_timeout(app: Flask) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await websocket.receive()

    async with connect_ws(app) as ws:
        with pytest.raises(TimeoutError, match="within 0.05 s"):
            await ws.receive(timeout=0.05)


async def test_client_cancels_a_handler_that_ignores_the_disconnect(app: Flask) -> None:
    cancelled = asyncio.Event()

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("hi")
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(TimeoutError, match="did not finish within 0.2 s"):
        async with connect_ws(app, timeout=0.2) as ws:
            assert await ws.receive() == "hi"
    assert cancelled.is_set()


async def test_client_raises_when_sending_after_close(app: Flask) -> None:
    @app.websocket("/open")
    async def open_() -> None:
        await websocket.send("x")

    async with connect_ws(app, "/open") as ws:
        assert await ws.receive() == "x"
        with pytest.raises(WebSocketDisconnect):
            await ws.receive()
        with pytest.raises(WebSocketDisconnect):
            await ws.send("late")
        with pytest.raises(TypeError):
            await ws.send(3)  # type: ignore[arg-type]  # the point of the test


async def test_raw_asgi_app_without_handshake_is_reported() -> None:
    async def raw(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "raw"})

    app = Flask(__name__)
    app.asgi_app = raw  # middleware-style replacement
    async with app.test_client().websocket_connect("/") as ws:
        assert await ws.receive() == "raw"
        with pytest.raises(WebSocketDisconnect) as info:
            await ws.receive()
    assert info.value.code == 1006


# -- a real server --------------------------------------------------------------------------------


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    with serve(app) as base:
        yield base.replace("http://", "ws://")


@contextlib.asynccontextmanager
async def client(url: str, **kwargs: Any) -> AsyncIterator[ClientConnection]:
    async with connect(url, proxy=None, open_timeout=5, close_timeout=2, **kwargs) as ws:
        yield ws


class UvicornErrors(logging.Handler):
    """Collects uvicorn's error log (it does not propagate to the root logger)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def uvicorn_errors() -> Iterator[UvicornErrors]:
    handler = UvicornErrors()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def make_served_app() -> Flask:
    app = Flask(__name__)

    @app.websocket("/echo")
    async def echo() -> None:
        async for message in websocket:
            await websocket.send(message)

    @app.websocket("/json")
    async def json_echo() -> None:
        await websocket.accept(subprotocol="json" if "json" in websocket.subprotocols else None)
        while True:
            await websocket.send_json({"echo": await websocket.receive_json()})

    @app.websocket("/bye")
    async def bye() -> None:
        await websocket.send("closing")
        await websocket.close(4001, "bye now")

    @app.websocket("/boom")
    async def boom() -> None:
        await websocket.accept()
        raise KeyError("secret-value")

    @app.before_websocket
    def guard() -> Any:
        if websocket.path == "/guarded" and websocket.args.get("token") != "ok":
            return "token please", 401, {"X-Why": "token"}
        return None

    @app.websocket("/guarded")
    async def guarded() -> None:
        await websocket.send("in")

    return app


async def test_uvicorn_echo_json_and_subprotocol() -> None:
    with served(make_served_app()) as base:
        async with client(f"{base}/echo") as ws:
            await ws.send("hello")
            assert await ws.recv() == "hello"
            await ws.send(b"\x00\x01")
            assert await ws.recv() == b"\x00\x01"
        async with client(f"{base}/json", subprotocols=["json"]) as ws:
            assert ws.subprotocol == "json"
            await ws.send(json.dumps({"a": [1, 2]}))
            assert json.loads(await ws.recv()) == {"echo": {"a": [1, 2]}}


async def test_uvicorn_close_code_and_reason() -> None:
    with served(make_served_app()) as base:
        async with client(f"{base}/bye") as ws:
            assert await ws.recv() == "closing"
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (4001, "bye now")


async def test_uvicorn_refusal_with_http_response(uvicorn_errors: UvicornErrors) -> None:
    with served(make_served_app()) as base:
        with pytest.raises(InvalidStatus) as info:
            async with client(f"{base}/guarded"):
                pass
        async with client(f"{base}/guarded?token=ok") as ws:
            assert await ws.recv() == "in"
    response = info.value.response
    assert response.status_code == 401
    assert response.headers["X-Why"] == "token"
    assert bytes(response.body or b"") == b"token please"
    assert uvicorn_errors.records == []  # no spurious "returned without completing handshake"


async def test_uvicorn_refusal_without_the_extension_is_a_403() -> None:
    app = make_served_app()

    async def without_extension(scope: Scope, receive: Receive, send: Send) -> None:
        scope = {key: value for key, value in scope.items() if key != "extensions"}
        await app(scope, receive, send)

    with served(without_extension) as base:
        with pytest.raises(InvalidStatus) as info:
            async with client(f"{base}/guarded"):
                pass
    assert info.value.response.status_code == 403
    assert not info.value.response.body


async def test_uvicorn_handler_error_closes_1011_logged_once(
    caplog: pytest.LogCaptureFixture, uvicorn_errors: UvicornErrors
) -> None:
    app = make_served_app()
    with served(app) as base:
        async with client(f"{base}/boom") as ws:
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
        async with client(f"{base}/echo") as ws:  # still serving
            await ws.send("alive")
            assert await ws.recv() == "alive"
    assert info.value.rcvd is not None and info.value.rcvd.code == 1011
    assert "secret" not in info.value.rcvd.reason
    assert len(app_errors(app, caplog)) == 1
    assert uvicorn_errors.records == []


async def test_uvicorn_client_disconnect_tears_down_once() -> None:
    app = Flask(__name__)
    events: list[Any] = []
    finished = threading.Event()

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append(("teardown", exc))
        finished.set()

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("ready")
        try:
            await websocket.receive()
        except WebSocketDisconnect as e:
            events.append(("disconnect", e.code))
            raise

    with served(app) as base:
        async with client(f"{base}/ws") as ws:
            assert await ws.recv() == "ready"
            await ws.close(4002)
        assert await asyncio.to_thread(finished.wait, 5)
    assert events == [("disconnect", 4002), ("teardown", None)]


async def test_uvicorn_oversized_message_closes_1009() -> None:
    with serve(make_served_app(), ws_max_size=1024) as base:
        url = base.replace("http://", "ws://")
        async with client(f"{url}/echo") as ws:
            await ws.send("x" * 2048)
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
        async with client(f"{url}/echo") as ws:
            await ws.send("small")
            assert await ws.recv() == "small"
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009


async def test_uvicorn_http_get_on_a_websocket_route_is_400() -> None:
    with serve(make_served_app()) as base:
        async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
            r = await http.get("/echo")
    assert r.status_code == 400


def test_websocket_scope_without_route_table_entry_closes(app: Flask) -> None:
    # A bare ASGI call: the first message the app sends is the refusal.
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app({"type": "websocket", "path": "/x", "headers": []}, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]


# -- docs/websockets.md ---------------------------------------------------------------------------

DOC = Path(__file__).resolve().parent.parent / "docs" / "websockets.md"


def _doc_snippets() -> list[tuple[int, str]]:
    """The `python` blocks of docs/websockets.md with their line numbers (`no-test` skipped)."""
    return python_blocks("websockets.md")


def _run_snippet(index: int) -> dict[str, Any]:
    line, code = _doc_snippets()[index]
    namespace: dict[str, Any] = {"__name__": f"docs_websockets_{index}"}
    exec(compile(code, f"{DOC}:{line}", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("index", range(len(_doc_snippets())))
async def test_docs_snippet_runs(index: int) -> None:
    namespace = _run_snippet(index)
    assert isinstance(namespace["app"], Flask)
    for name, value in namespace.items():
        if name.startswith("test_") and asyncio.iscoroutinefunction(value):
            await value()


async def test_docs_echo_and_versioned_examples() -> None:
    echo = _run_snippet(0)["app"]
    async with echo.test_client().websocket_connect("/echo") as ws:
        await ws.send("one")
        assert await ws.receive() == "one"
    versioned = _run_snippet(1)["app"]
    with pytest.raises(WebSocketRejected) as info:
        async with versioned.test_client().websocket_connect("/v2", subprotocols=["chat.v1"]):
            pass
    assert info.value.code == 1002
    async with versioned.test_client().websocket_connect("/v2", ["chat.v2"]) as ws:
        assert (ws.subprotocol, ws.headers["x-server"]) == ("chat.v2", "aioflask")
        await ws.send_json({"do": "x"})
        assert await ws.receive_json() == {"ok": True, "echo": {"do": "x"}}


async def test_docs_feed_example_ends_when_the_client_goes() -> None:
    namespace = _run_snippet(2)
    async with namespace["app"].test_client().websocket_connect("/feed", timeout=2) as ws:
        await namespace["updates"].put("news")
        assert await ws.receive() == "news"
    # Leaving waited for the handler: it noticed the disconnect and stopped its task.


async def test_docs_refusal_example() -> None:
    client = _run_snippet(3)["app"].test_client()
    with pytest.raises(WebSocketRejected) as info:
        async with client.websocket_connect("/private"):
            pass
    assert (info.value.status_code, info.value.response.get_json()) == (401, {"error": "bad token"})
    with pytest.raises(WebSocketRejected) as info:
        async with client.websocket_connect("/private?token=s3cret&room=closed"):
            pass
    assert info.value.status_code == 403
    async with client.websocket_connect("/private?token=s3cret") as ws:
        assert await ws.receive() == "welcome"


def test_docs_have_snippets() -> None:
    assert len(_doc_snippets()) == 5


@pytest.mark.parametrize("failure", ["gone before connect", "send raises"])
async def test_client_gone_during_the_handshake_is_quiet(
    app: Flask, caplog: pytest.LogCaptureFixture, failure: str
) -> None:
    torn: list[BaseException | None] = []
    app.teardown_request(torn.append)

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("never delivered")

    async def receive() -> Message:
        if failure == "gone before connect":
            return {"type": "websocket.disconnect", "code": 1006}
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        raise OSError("the client went away")

    await app({"type": "websocket", "path": "/ws", "headers": []}, receive, send)
    assert torn == [None]
    assert app_errors(app, caplog) == []
