"""WebSocket handlers, the `websocket` global and the test client's sessions.

Checked by `mypy --strict tests/type_check`; never run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from typing_extensions import assert_type

import aioflask
from aioflask import Blueprint, Flask, Response, Websocket, has_websocket_context, websocket
from aioflask.testing import TestResponse, WebSocketRejected, WebsocketSession
from aioflask.websocket import WebSocketDisconnect, WebsocketMessageError

app = Flask(__name__)
bp = Blueprint("live", __name__, url_prefix="/live")


@app.websocket("/echo")
async def echo() -> None:
    assert_type(websocket, Websocket)
    async for message in websocket:
        assert_type(message, str | bytes)
        await websocket.send(message)


@app.websocket("/rooms/<int:room>")
async def room(room: int) -> None:
    if "chat" in websocket.subprotocols:
        await websocket.accept(subprotocol="chat", headers={"X-Room": str(room)})
    path: str = websocket.path
    name: str | None = websocket.args.get("name")
    token: str | None = websocket.headers.get("Authorization")
    host: str = websocket.host
    assert has_websocket_context()
    try:
        while True:
            text: str = await websocket.receive_text()
            data: bytes = await websocket.receive_bytes()
            obj: Any = await websocket.receive_json()
            await websocket.send_text(f"{path} {name} {token} {host} {text}")
            await websocket.send_bytes(data)
            await websocket.send_json({"room": room, "obj": obj})
    except WebSocketDisconnect as closed:
        code: int = closed.code
        reason: str | None = closed.reason
        print(code, reason)
    except asyncio.CancelledError:
        raise
    finally:
        if not websocket.closed:
            await websocket.close(1000, "bye")


@bp.websocket("/feed")
async def feed() -> None:
    raise WebsocketMessageError("binary only", code=1003)


# A WebSocket handler must be `async def`: a `def` one is refused by the type checker.
@app.websocket("/sync")  # type: ignore[type-var]
def not_async() -> None:
    pass


@app.before_websocket
def check_token() -> tuple[str, int] | None:
    return None if websocket.headers.get("Authorization") else ("no token", 401)


@app.after_websocket
async def log_close(response: Response | None) -> Response | None:
    return response


# The module's names are reachable from the package's `websocket` global too.
disconnect_class: type[WebSocketDisconnect] = aioflask.websocket.WebSocketDisconnect


# -- tests ---------------------------------------------------------------------------------------
async def test_echo() -> None:
    async with app.test_client() as client:
        session = client.websocket_connect("/echo", subprotocols=["chat"])
        assert_type(session, WebsocketSession)
        async with session as ws:
            await ws.send_text("hi")
            reply: str = await ws.receive_text()
            await ws.send_bytes(b"x")
            raw: bytes = await ws.receive_bytes()
            await ws.send_json({"a": 1})
            decoded: Any = await ws.receive_json(timeout=1.0)
            message: str | bytes = await ws.receive()
            await ws.close(1000)
            print(reply, raw, decoded, message)
        try:
            async with client.websocket_connect("/rooms/1", headers={"X": "1"}):
                pass
        except WebSocketRejected as refused:
            status: int = refused.status_code
            response: TestResponse = refused.response
            close_code: int | None = refused.code
            print(status, response.get_json(), close_code)
