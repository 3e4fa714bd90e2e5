"""`examples/chat`: the page, and the room broadcast through a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from aioflask import Flask
from examples.chat.app import app as chat_app
from examples.chat.app import rooms

from .serving import serve


@pytest.fixture
def chat() -> Flask:
    return chat_app


@asynccontextmanager
async def member(base: str, room: str, name: str) -> AsyncIterator[ClientConnection]:
    url = f"{base.replace('http://', 'ws://')}/ws/{room}?name={name}"
    async with connect(url, proxy=None, open_timeout=5, close_timeout=2) as ws:
        yield ws


async def next_event(ws: ClientConnection) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return data


async def test_index_redirects_to_the_lobby(chat: Flask) -> None:
    async with chat.test_client() as client:
        r = await client.get("/")
    assert r.status_code == 302
    assert r.headers["location"] == "/rooms/lobby"


async def test_room_page_points_its_script_at_the_room(chat: Flask) -> None:
    async with chat.test_client() as client:
        r = await client.get("/rooms/<b>")
    assert r.status_code == 200
    assert "Room “&lt;b&gt;”" in r.text  # the room name is escaped in HTML
    assert 'const wsUrl = "ws://localhost/ws/%3Cb%3E";' in r.text
    assert "new WebSocket(" in r.text and "textContent" in r.text


async def test_two_members_both_receive_a_message(chat: Flask) -> None:
    with serve(chat) as base:
        async with member(base, "lobby", "alice") as alice:
            assert await next_event(alice) == {"event": "joined", "name": "alice"}
            async with member(base, "lobby", "bob") as bob, member(base, "elsewhere", "eve") as eve:
                assert await next_event(eve) == {"event": "joined", "name": "eve"}
                joined = {"event": "joined", "name": "bob"}
                assert await next_event(alice) == joined
                assert await next_event(bob) == joined

                await alice.send("hello, bob")
                said = {"event": "message", "name": "alice", "text": "hello, bob"}
                assert await next_event(alice) == said
                assert await next_event(bob) == said
                with pytest.raises(asyncio.TimeoutError):  # another room hears nothing
                    await asyncio.wait_for(eve.recv(), 0.2)
            assert await next_event(alice) == {"event": "left", "name": "bob"}
        # Everyone left: no room is kept around.
        for _ in range(100):
            if not rooms:
                break
            await asyncio.sleep(0.02)
    assert rooms == {}


async def test_in_process_through_the_test_client(chat: Flask) -> None:
    client = chat.test_client()
    async with client.websocket_connect("/ws/tests?name=" + "x" * 50) as ws:
        assert await ws.receive_json() == {"event": "joined", "name": "x" * 32}
        await ws.send_text("   ")  # blank messages are dropped
        await ws.send_bytes(b"binary is ignored")
        await ws.send_text("y" * 2000)
        event = await ws.receive_json()
    assert event == {"event": "message", "name": "x" * 32, "text": "y" * 1000}
    assert "tests" not in rooms
