"""WebSocket connections: the `Websocket` object, its context and its disconnect error.

A handler registered with `@app.websocket("/ws")` runs in a `WebsocketContext`,
a request context whose request is the opening handshake (a GET). Inside it the
`websocket` global is the connection, and `request`, `session`, `g` and
`url_for` work as in a view. See `docs/websockets.md`.

Note that `aioflask.websocket` as an attribute is the `websocket` proxy (as in
`from aioflask import websocket`); this module's names are imported from it
with `from aioflask.websocket import WebSocketDisconnect`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect as _StarletteDisconnect

from .ctx import RequestContext
from .globals import _cv_request

if TYPE_CHECKING:
    from .app import Flask
    from .datastructures import ImmutableMultiDict, RequestHeaders
    from .routing import Rule
    from .wrappers import Request, Response

#: The scope key under which a server offers to send an HTTP response instead of accepting.
HTTP_RESPONSE_EXTENSION = "websocket.http.response"
_HTTP_SCHEMES = {"ws": "http", "wss": "https"}
_MAX_REASON = 123  # bytes: a close frame's payload is at most 125, two of them for the code


class WebSocketDisconnect(_StarletteDisconnect):
    """The connection is over: the client closed it, went away, or the handler closed it.

    Raised by `receive*()` and `send*()`. `code` is the close code (1000 for a
    normal close, 1001 when the client navigated away, 1006 when the
    connection dropped without a close frame) and `reason` the close reason.
    A disconnect of the handler's own connection that the handler does not
    catch ends the handler quietly. It subclasses Starlette's exception of the
    same name, so `except starlette.websockets.WebSocketDisconnect` works too.
    """

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        super().__init__(code, reason)
        self.args = (code, self.reason)

    def __str__(self) -> str:
        return f"WebSocket closed with code {self.code}" + (
            f": {self.reason}" if self.reason else ""
        )


class Websocket:
    """One WebSocket connection, as the `websocket` global inside a handler.

    ```python
    @app.websocket("/echo")
    async def echo():
        await websocket.accept()
        async for message in websocket:
            await websocket.send(message)
    ```
    The first `send` or `receive` accepts the connection when `accept()` was
    not called; call it yourself to pick a subprotocol or add headers. URL and
    header attributes (`path`, `args`, `headers`, `cookies`, `host`,
    `view_args`, ...) come from the handshake request, which is also
    available as `websocket.request` (and as the `request` global).
    """

    #: The disconnect error, also reachable as `websocket.WebSocketDisconnect`.
    WebSocketDisconnect = WebSocketDisconnect

    def __init__(self, app: Flask, scope: Scope, receive: Receive, send: Send) -> None:
        self.app = app
        self.scope = scope
        self._receive = receive
        self._send = send
        # The handshake as a GET request; its scheme is http(s), so `request.url`
        # and `url_for(..., _external=True)` give the URLs a browser uses.
        scheme = str(scope.get("scheme", "ws"))
        http_scope = dict(scope, method="GET", scheme=_HTTP_SCHEMES.get(scheme, scheme))
        self.request: Request = app.request_class(http_scope)
        self.request._body = b""  # a handshake has no body: `form` and `data` are empty
        self._connected = False  # the server's `websocket.connect` has been read
        self._accepted = False
        self._closed = False  # the handler closed or refused the connection
        self._gone = False  # the client disconnected (or a send failed)
        self._code: int | None = None
        self._reason = ""
        self._lock: asyncio.Lock | None = None

    # -- the handshake request -------------------------------------------------
    @property
    def path(self) -> str:
        """The decoded path below the app's root, e.g. `/chat/lobby`."""
        return self.request.path

    @property
    def full_path(self) -> str:
        """`path` plus `?` plus the query string."""
        return self.request.full_path

    @property
    def query_string(self) -> bytes:
        return self.request.query_string

    @property
    def args(self) -> ImmutableMultiDict[str, str]:
        """The query string as a multi-dict."""
        return self.request.args

    @property
    def headers(self) -> RequestHeaders:
        """The handshake's request headers."""
        return self.request.headers

    @property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """The cookies sent with the handshake."""
        return self.request.cookies

    @property
    def scheme(self) -> str:
        """`ws` or `wss`."""
        return str(self.scope.get("scheme", "ws"))

    @property
    def is_secure(self) -> bool:
        return self.scheme == "wss"

    @property
    def host(self) -> str:
        """The `Host` header (or the server address)."""
        return self.request.host

    @property
    def url(self) -> str:
        """The full `ws://` or `wss://` URL, query string included."""
        rest = self.request.url.partition("://")[2]
        return f"{self.scheme}://{rest}"

    @property
    def remote_addr(self) -> str | None:
        return self.request.remote_addr

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered, in its order of preference."""
        return list(self.scope.get("subprotocols") or ())

    @property
    def url_rule(self) -> Rule | None:
        return self.request.url_rule

    @property
    def view_args(self) -> dict[str, Any] | None:
        """The values of the rule's variables, e.g. `{"room": 3}` for `/ws/<int:room>`."""
        return self.request.view_args

    @property
    def endpoint(self) -> str | None:
        return self.request.endpoint

    @property
    def blueprint(self) -> str | None:
        return self.request.blueprint

    def _get_current_object(self) -> Websocket:
        """The connection itself (on the `websocket` proxy: the connection behind it).

        Keep this, not the proxy, when the connection must be reached from
        elsewhere, such as a chat room's set of members: the proxy always
        means the connection of whoever uses it.
        """
        return self

    # -- state -------------------------------------------------------------------
    @property
    def accepted(self) -> bool:
        """True once the handshake was accepted."""
        return self._accepted

    @property
    def closed(self) -> bool:
        """True once the connection is over: closed by either side, or refused."""
        return self._closed or self._gone

    @property
    def close_code(self) -> int | None:
        """The close code once the connection is over (whichever side closed it)."""
        return self._code

    # -- handshake ---------------------------------------------------------------
    async def accept(
        self,
        subprotocol: str | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> None:
        """Accept the connection, optionally choosing a subprotocol and adding headers.

        `subprotocol` must be one of `websocket.subprotocols`. Accepting twice
        is an error: `send` and `receive` accept on their own, so call this
        before them.
        """
        if self._accepted:
            raise RuntimeError(
                "The WebSocket is already accepted (the first send or receive accepts it). "
                "Call 'websocket.accept()' before sending or receiving to choose a "
                "subprotocol or add headers."
            )
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise ValueError(
                f"The client did not offer the subprotocol {subprotocol!r}; choose one of "
                f"websocket.subprotocols ({self.subprotocols!r}) or pass None."
            )
        raw = _encode_headers(headers)
        await self._accept(subprotocol, raw)

    async def _accept(
        self, subprotocol: str | None = None, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        # A lock, because two tasks may send at once and both accept implicitly.
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._accepted:
                return
            self._check_open()
            if not self._connected:
                message = await self._receive()
                self._connected = True
                if message["type"] == "websocket.disconnect":
                    self._mark_gone(message)
                if message["type"] != "websocket.connect":
                    raise RuntimeError(
                        f"Expected the ASGI message 'websocket.connect', got {message['type']!r}."
                    )
            try:
                await self._send(
                    {
                        "type": "websocket.accept",
                        "subprotocol": subprotocol,
                        "headers": headers or [],
                    }
                )
            except OSError:  # the client went away during the handshake
                self._gone = True
                self._code = 1006
                raise WebSocketDisconnect(1006) from None
            self._accepted = True

    def _check_open(self) -> None:
        if self._gone or self._closed:
            raise WebSocketDisconnect(self._code or 1006, self._reason)

    def _mark_gone(self, message: Any) -> NoReturn:
        self._gone = True
        self._code = int(message.get("code", 1005))
        self._reason = str(message.get("reason") or "")
        raise WebSocketDisconnect(self._code, self._reason)

    # -- receiving ---------------------------------------------------------------
    async def receive(self) -> str | bytes:
        """The next message: `str` for a text frame, `bytes` for a binary one.

        Raises `WebSocketDisconnect` when the client has closed the connection.
        """
        if not self._accepted:
            await self._accept()
        self._check_open()
        message = await self._receive()
        kind = message["type"]
        if kind == "websocket.receive":
            text = message.get("text")
            if text is not None:
                return str(text)
            return bytes(message.get("bytes") or b"")
        if kind == "websocket.disconnect":
            self._mark_gone(message)
        raise RuntimeError(f"Unexpected ASGI message {kind!r} on a WebSocket connection.")

    async def receive_text(self) -> str:
        """The next message, which must be text; a binary one closes the connection (1003)."""
        data = await self.receive()
        if not isinstance(data, str):
            raise WebsocketMessageError("Expected a text message but received binary data.")
        return data

    async def receive_bytes(self) -> bytes:
        """The next message, which must be binary; a text one closes the connection (1003)."""
        data = await self.receive()
        if not isinstance(data, bytes):
            raise WebsocketMessageError("Expected a binary message but received text.")
        return data

    async def receive_json(self) -> Any:
        """The next message (text or UTF-8 bytes) decoded with `app.json.loads`.

        Invalid JSON closes the connection with code 1007 unless the handler
        catches `WebsocketMessageError`.
        """
        data = await self.receive()
        try:
            return self.app.json.loads(data)
        except (ValueError, RecursionError):
            raise WebsocketMessageError("The message is not valid JSON.", 1007) from None

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[str | bytes]:
        """Yield messages until the client disconnects (`async for message in websocket`)."""
        while True:
            try:
                message = await self.receive()
            except WebSocketDisconnect:
                return
            yield message

    # -- sending -----------------------------------------------------------------
    async def send(self, data: str | bytes | bytearray | memoryview) -> None:
        """Send a text frame for `str`, a binary frame for bytes-like data.

        Raises `WebSocketDisconnect` when the connection is already over.
        """
        if isinstance(data, str):
            message: dict[str, Any] = {"type": "websocket.send", "text": data}
        elif isinstance(data, (bytes, bytearray, memoryview)):
            message = {"type": "websocket.send", "bytes": bytes(data)}
        else:
            raise TypeError(
                f"websocket.send() takes str or bytes, not {type(data).__name__}; "
                "use websocket.send_json() for other values."
            )
        if not self._accepted:
            await self._accept()
        self._check_open()
        try:
            await self._send(message)
        except OSError:  # ASGI servers raise an OSError subclass once the client is gone
            self._gone = True
            self._code = self._code or 1006
            raise WebSocketDisconnect(self._code) from None

    async def send_text(self, data: str) -> None:
        """Send a text frame."""
        if not isinstance(data, str):
            raise TypeError(f"send_text() takes str, not {type(data).__name__}.")
        await self.send(data)

    async def send_bytes(self, data: bytes | bytearray | memoryview) -> None:
        """Send a binary frame."""
        if isinstance(data, str):
            raise TypeError("send_bytes() takes bytes; use send_text() for str.")
        await self.send(data)

    async def send_json(self, obj: Any) -> None:
        """Send `obj` as JSON text, serialised with `app.json.dumps`."""
        await self.send(self.app.json.dumps(obj))

    # -- closing -----------------------------------------------------------------
    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection with a close code and a short reason (at most 123 bytes).

        Before `accept()`, this refuses the handshake (servers answer HTTP 403).
        Closing a connection that is already over does nothing.
        """
        _check_close(code, reason)
        if self._closed or self._gone:
            return
        self._closed = True
        self._code = code
        self._reason = reason
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except OSError:
            self._gone = True

    async def _refuse(self, response: Response | Any, code: int = 1008) -> None:
        """Refuse the handshake: send `response` over HTTP when the server can, else close."""
        if self._closed or self._gone:
            return
        extensions = self.scope.get("extensions") or {}
        if HTTP_RESPONSE_EXTENSION not in extensions:
            await self.close(code)
            return
        self._closed = True
        self._code = code
        send = self._send

        async def send_as_denial(message: Any) -> None:
            kind = message["type"]
            if kind.startswith("http.response."):
                message = {**message, "type": "websocket." + kind}
            await send(message)

        try:
            await response(self.scope, self._receive, send_as_denial)
        except OSError:
            self._gone = True
            return
        # uvicorn's default WebSocket protocol marks the handshake done only once the
        # connection is lost; returning before that logs a spurious "ASGI callable
        # returned without completing handshake" (uvicorn PR #3138). One loop turn lets
        # the close it scheduled run first.
        await asyncio.sleep(0)

    def __repr__(self) -> str:
        return f"<Websocket {self.path!r}>"


class WebsocketMessageError(Exception):
    """A message the handler asked for cannot be read as asked (wrong frame type, bad JSON).

    Unless the handler catches it, the connection is closed with `code`:
    1003 for a frame of the wrong type, 1007 for invalid JSON. The error is
    the client's, so it is not logged.
    """

    def __init__(self, description: str, code: int = 1003) -> None:
        super().__init__(description)
        self.description = description
        self.code = code


class WebsocketContext(RequestContext):
    """The context of one WebSocket connection: a request context plus the connection.

    Its `request` is the handshake request, so `request`, `session`, `g`,
    `url_for` and `teardown_request` functions work as for a view; the
    `websocket` global gives `websocket` (the `Websocket`).
    """

    def __init__(self, app: Flask, websocket: Websocket) -> None:
        super().__init__(app, websocket.request)
        self.websocket = websocket

    def copy(self) -> WebsocketContext:
        """A new context for the same connection and session (for other tasks)."""
        new = WebsocketContext(self.app, self.websocket)
        new._session = self.session
        return new

    def __repr__(self) -> str:
        return f"<WebsocketContext {self.request.path!r} of {self.app.name!r}>"


def has_websocket_context() -> bool:
    """True inside a WebSocket handler (or its hooks)."""
    return getattr(_cv_request.get(None), "websocket", None) is not None


def _encode_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> list[tuple[bytes, bytes]]:
    if not headers:
        return []
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    raw: list[tuple[bytes, bytes]] = []
    for name, value in pairs:
        name, value = str(name), str(value)
        if any(c in name or c in value for c in "\r\n\0"):
            raise ValueError(
                f"The header {name!r} contains a CR, LF or NUL character; remove it "
                "(it would let the value inject other headers)."
            )
        raw.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    return raw


def _check_close(code: int, reason: str) -> None:
    if not (code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999):
        raise ValueError(
            f"{code} is not a close code an endpoint may send; use 1000 (normal), 1001, "
            "1002, 1003, 1007-1014, or an application code in 3000-4999."
        )
    if len(reason.encode("utf-8")) > _MAX_REASON:
        raise ValueError(f"The close reason is longer than {_MAX_REASON} bytes; shorten it.")


def _short_reason(text: str) -> str:
    """`text` cut to fit a close frame, on a character boundary."""
    data = text.encode("utf-8")[:_MAX_REASON]
    return data.decode("utf-8", "ignore")


__all__ = [
    "WebSocketDisconnect",
    "Websocket",
    "WebsocketContext",
    "WebsocketMessageError",
    "has_websocket_context",
]
