"""A chat over WebSockets: everyone in a room sees what anyone in it writes.

    uvicorn examples.chat.app:app --port 5000
    open http://127.0.0.1:5000/ in two browser tabs

`/rooms/<room>` is the page (`templates/chat.html`); its script connects to
`/ws/<room>?name=...`. Each connection's handler keeps its `Websocket` in the
room's set of members and sends every message it receives to all of them.
The rooms live in this process's memory: with several worker processes, each
would have its own (a real app would use a broker such as Redis pub/sub).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import Any

from aioflask import Flask, Response, Websocket, redirect, render_template, url_for, websocket
from aioflask.websocket import WebSocketDisconnect

app = Flask(__name__)

MAX_NAME = 32
MAX_TEXT = 1000
#: Open connections by room name.
rooms: defaultdict[str, set[Websocket]] = defaultdict(set)


@app.get("/")
def index() -> Response:
    return redirect(url_for("room_page", room="lobby"))


@app.get("/rooms/<room>")
def room_page(room: str) -> str:
    return render_template("chat.html", room=room, ws_url=url_for("chat", room=room))


@app.websocket("/ws/<room>")
async def chat(room: str) -> None:
    """Join `room`, relay each text message to every member, and leave on disconnect."""
    name = websocket.args.get("name", "").strip()[:MAX_NAME] or "anonymous"
    me = websocket._get_current_object()  # the proxy would mean each sender's own socket
    await websocket.accept()
    rooms[room].add(me)
    try:
        await broadcast(room, {"event": "joined", "name": name})
        async for message in websocket:
            if isinstance(message, str) and message.strip():
                await broadcast(
                    room, {"event": "message", "name": name, "text": message[:MAX_TEXT]}
                )
    finally:
        members = rooms[room]
        members.discard(me)
        if members:
            await broadcast(room, {"event": "left", "name": name})
        else:
            del rooms[room]


async def broadcast(room: str, event: dict[str, Any]) -> None:
    """Send `event` as JSON to every member of `room`, dropping those that have gone."""
    text = json.dumps(event)
    members = list(rooms.get(room, ()))
    results = await asyncio.gather(
        *(member.send(text) for member in members), return_exceptions=True
    )
    for member, result in zip(members, results, strict=True):
        if isinstance(result, WebSocketDisconnect):
            rooms.get(room, set()).discard(member)  # its own handler finishes cleaning up
        elif isinstance(result, BaseException):
            raise result
