"""The test client's WebSocket session: the app runs in-process, fed by two queues.

```python
async with client.websocket_connect("/ws") as ws:
    await ws.send_text("hi")
    assert await ws.receive_text() == "echo: hi"
```
The app is called with a `websocket` scope in a task of the test's event
loop. What the test sends goes to the app as `websocket.receive` messages;
what the app sends comes back through a queue. Every wait is bounded by
`timeout` (5 s by default), so a test never hangs on a silent handler.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import httpx

from .websocket import HTTP_RESPONSE_EXTENSION, WebSocketDisconnect

if TYPE_CHECKING:
    from starlette.types import Message

    from .testing import FlaskClient, TestResponse

_APP_DONE = "aioflask.test.app_done"  # queued when the app's task ends


class WebSocketRejected(Exception):
    """The app refused the handshake instead of accepting it.

    `response` is the HTTP answer (a `TestResponse`, so `.status_code`,
    `.headers`, `.data` and `.get_json()` work). When the app refused with a
    close message (or the server lacks the `websocket.http.response`
    extension), `response` is the empty 403 that servers send and `code`
    holds the close code; otherwise `code` is None.
    """

    def __init__(self, response: TestResponse, code: int | None = None) -> None:
        self.response = response
        self.code = code
        super().__init__(
            f"The WebSocket handshake was refused with HTTP {response.status_code}"
            + (f" (close code {code})" if code is not None else "")
        )

    @property
    def status_code(self) -> int:
        return self.response.status_code


class _ClientGone(OSError):
    """Raised to the app when it sends after the test side disconnected (as servers do)."""


class WebsocketSession:
    """One in-process WebSocket connection to the app, opened by `client.websocket_connect`.

    Use it as an async context manager: entering runs the handshake (raising
    `WebSocketRejected` if the app refuses), leaving closes the connection
    with code 1000 if still open and waits for the handler to finish. If the
    handler raised (with `TESTING` on, errors propagate), leaving re-raises
    its exception.
    """

    def __init__(
        self,
        client: FlaskClient,
        path: str,
        subprotocols: Iterable[str] | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        *,
        http_response: bool = True,
        timeout: float = 5.0,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.scope = self._build_scope(path, list(subprotocols or ()), headers, http_response)
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._app_error: BaseException | None = None
        self._app_done = False
        self._client_closed = False  # the test side sent a disconnect
        self._server_closed = False  # the app sent a close
        #: The subprotocol the app chose in `accept()`, or None.
        self.subprotocol: str | None = None
        #: Headers the app added when accepting.
        self.headers: httpx.Headers = httpx.Headers()
        #: The close code once the connection is closed.
        self.close_code: int | None = None
        self.close_reason = ""

    def _build_scope(
        self,
        path: str,
        subprotocols: list[str],
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
        http_response: bool,
    ) -> dict[str, Any]:
        client = self.client
        url = httpx.URL(str(client.base_url)).join(path)
        merged = httpx.Headers(client.headers)
        if headers:
            pairs = headers.items() if isinstance(headers, Mapping) else headers
            for name, value in pairs:
                merged[name] = value
        for name in ("connection", "accept-encoding", "upgrade", "content-length"):
            merged.pop(name, None)
        merged["host"] = url.netloc.decode("ascii")
        merged["connection"] = "Upgrade"
        merged["upgrade"] = "websocket"
        merged["sec-websocket-version"] = "13"
        merged["sec-websocket-key"] = base64.b64encode(os.urandom(16)).decode("ascii")
        if subprotocols:
            merged["sec-websocket-protocol"] = ", ".join(subprotocols)
        if client.use_cookies:
            probe = httpx.Request("GET", url)
            client.cookies.set_cookie_header(probe)
            cookie = probe.headers.get("cookie")
            if cookie:
                merged["cookie"] = cookie
        raw_path = url.raw_path.split(b"?", 1)[0]
        secure = url.scheme in ("https", "wss")
        return {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if secure else "ws",
            "path": unquote(raw_path.decode("ascii")),
            "raw_path": raw_path,
            "root_path": "",
            "query_string": url.query,
            "headers": [(k.lower(), v) for k, v in merged.raw],
            "client": ("127.0.0.1", 123),
            "server": (url.host, url.port or (443 if secure else 80)),
            "subprotocols": subprotocols,
            "state": {},
            "extensions": {HTTP_RESPONSE_EXTENSION: {}} if http_response else {},
        }

    # -- the app's side ------------------------------------------------------------
    async def _app_receive(self) -> Message:
        return await self._to_app.get()

    async def _app_send(self, message: Message) -> None:
        if self._client_closed or self._server_closed:
            raise _ClientGone("The test client has closed this WebSocket.")
        kind = message["type"]
        if kind == "websocket.close":
            self._server_closed = True
            # As a server does: the app's own later receive() sees the disconnect.
            self._to_app.put_nowait(
                {
                    "type": "websocket.disconnect",
                    "code": message.get("code", 1000),
                    "reason": message.get("reason") or "",
                }
            )
        elif kind == "websocket.http.response.body" and not message.get("more_body", False):
            self._server_closed = True
            self._to_app.put_nowait({"type": "websocket.disconnect", "code": 1006})
        await self._from_app.put(message)

    async def _run_app(self) -> None:
        try:
            await self.client.application(self.scope, self._app_receive, self._app_send)
        except BaseException as e:  # handed to the test when it next waits
            self._app_error = e
        finally:
            self._from_app.put_nowait({"type": _APP_DONE})

    async def _next(self, timeout: float | None) -> Message:
        if self._app_done:
            return {"type": _APP_DONE}
        wait = self.timeout if timeout is None else timeout
        try:
            message = await asyncio.wait_for(self._from_app.get(), wait)
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"The WebSocket handler sent nothing within {wait} s; pass a longer "
                "'timeout' if it is expected to be slow."
            ) from None
        if message["type"] == _APP_DONE:
            self._app_done = True
        return message

    def _raise_app_error(self) -> None:
        error, self._app_error = self._app_error, None
        if error is not None:
            raise error

    # -- handshake -------------------------------------------------------------------
    async def __aenter__(self) -> WebsocketSession:
        self._task = asyncio.ensure_future(self._run_app())
        self._to_app.put_nowait({"type": "websocket.connect"})
        try:
            message = await self._next(None)
            kind = message["type"]
            if kind == "websocket.accept":
                self.subprotocol = message.get("subprotocol")
                self.headers = httpx.Headers(
                    [
                        (k.decode("latin-1"), v.decode("latin-1"))
                        for k, v in message.get("headers") or []
                    ]
                )
                return self
            if kind == "websocket.close":
                self.close_code = int(message.get("code", 1000))
                raise WebSocketRejected(_response(403, [], b""), self.close_code)
            if kind == "websocket.http.response.start":
                raise WebSocketRejected(await self._read_denial(message))
            self._raise_app_error()
            raise RuntimeError(
                f"The app ended the WebSocket handshake with {kind!r} instead of accepting, "
                "closing or sending an HTTP response."
            )
        except BaseException as refused:
            await self._finish()
            error, self._app_error = self._app_error, None
            if error is not None:  # TESTING: the handler's own error, not its consequence
                raise error from refused
            raise

    async def _read_denial(self, start: Message) -> TestResponse:
        body = b""
        while True:
            message = await self._next(None)
            if message["type"] != "websocket.http.response.body":
                self._raise_app_error()
                raise RuntimeError(f"Expected the refusal's body, got {message['type']!r}.")
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
        return _response(int(start["status"]), headers, body)

    # -- messages ----------------------------------------------------------------------
    async def receive(self, timeout: float | None = None) -> str | bytes:
        """The app's next message: `str` for text, `bytes` for binary.

        Raises `WebSocketDisconnect` once the app has closed the connection,
        and `TimeoutError` when nothing arrives within `timeout` seconds.
        """
        if self.close_code is not None:
            raise WebSocketDisconnect(self.close_code, self.close_reason)
        message = await self._next(timeout)
        kind = message["type"]
        if kind == "websocket.send":
            text = message.get("text")
            return text if text is not None else bytes(message.get("bytes") or b"")
        if kind == "websocket.close":
            self.close_code = int(message.get("code", 1000))
            self.close_reason = str(message.get("reason") or "")
            raise WebSocketDisconnect(self.close_code, self.close_reason)
        self._raise_app_error()
        self.close_code = 1006
        raise WebSocketDisconnect(1006, "The handler ended without closing the connection.")

    async def receive_text(self, timeout: float | None = None) -> str:
        """The next message, which must be text."""
        data = await self.receive(timeout)
        if not isinstance(data, str):
            raise TypeError(f"Expected a text message from the app, got bytes: {data!r}")
        return data

    async def receive_bytes(self, timeout: float | None = None) -> bytes:
        """The next message, which must be binary."""
        data = await self.receive(timeout)
        if not isinstance(data, bytes):
            raise TypeError(f"Expected a binary message from the app, got text: {data!r}")
        return data

    async def receive_json(self, timeout: float | None = None) -> Any:
        """The next message, decoded as JSON with the app's JSON provider."""
        return self.client.application.json.loads(await self.receive(timeout))

    async def send(self, data: str | bytes) -> None:
        """Send a text (`str`) or binary (`bytes`) message to the app."""
        if isinstance(data, str):
            message: Message = {"type": "websocket.receive", "text": data}
        elif isinstance(data, (bytes, bytearray, memoryview)):
            message = {"type": "websocket.receive", "bytes": bytes(data)}
        else:
            raise TypeError(f"send() takes str or bytes, not {type(data).__name__}.")
        if self._client_closed or self.close_code is not None:
            raise WebSocketDisconnect(self.close_code or 1000, "The connection is closed.")
        await self._to_app.put(message)

    async def send_text(self, data: str) -> None:
        """Send a text message."""
        await self.send(data)

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary message."""
        await self.send(data)

    async def send_json(self, obj: Any) -> None:
        """Send `obj` as a JSON text message, serialised with the app's JSON provider."""
        await self.send(self.client.application.json.dumps(obj))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection from the client's side (the app's `receive` raises)."""
        if self._client_closed:
            return
        self._client_closed = True
        if self.close_code is None:
            self.close_code = code
            self.close_reason = reason
        self._to_app.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})

    # -- leaving ---------------------------------------------------------------------
    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
        await self._finish()
        consequence = et is None or issubclass(et, (WebSocketDisconnect, TimeoutError))
        if consequence:
            self._raise_app_error()

    async def _finish(self) -> None:
        """Let the app's task end (bounded by `timeout`), cancelling it if it hangs."""
        task = self._task
        if task is None or task.done():
            return
        if not self._client_closed:
            self._client_closed = True
            self._to_app.put_nowait({"type": "websocket.disconnect", "code": 1006})
        done, _ = await asyncio.wait({task}, timeout=self.timeout)
        if not done:
            task.cancel()
            await asyncio.wait({task}, timeout=self.timeout)
            raise TimeoutError(
                f"The WebSocket handler did not finish within {self.timeout} s after the "
                "client disconnected; it was cancelled. Does it wait on something other "
                "than websocket.receive()?"
            )


def _response(status: int, headers: list[tuple[str, str]], body: bytes) -> TestResponse:
    from .testing import TestResponse

    return TestResponse(status, headers=headers, content=body)
