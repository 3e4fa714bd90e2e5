"""Server-sent events: `ServerSentEvent` and `sse_response()`.

```python
from aioflask import ServerSentEvent, sse_response

@app.get("/events")
async def events():
    async def ticks():
        n = 0
        while True:
            n += 1
            yield ServerSentEvent(f"tick {n}", event="tick", id=str(n))
            await asyncio.sleep(1)
    return sse_response(ticks())
```

In the browser, `new EventSource("/events")` receives them. The response
has `Content-Type: text/event-stream`, `Cache-Control: no-cache` and
`X-Accel-Buffering: no` (so nginx does not hold events back). When the
source is idle for `keepalive` seconds a comment line (`: keep-alive`) is
sent, which keeps proxies from closing the connection and lets the server
notice a client that is gone. When the client disconnects the source
iterator is closed, so its `finally` blocks run.

A client that reconnects sends the last id it saw in the `Last-Event-ID`
header: `request.headers.get("Last-Event-ID")`.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

from .globals import _cv_app, _cv_request
from .wrappers import Response
from .wrappers._stream import close_iterable

#: The comment sent when the source has been idle for `keepalive` seconds.
KEEPALIVE_COMMENT = b": keep-alive\n\n"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DONE: Any = object()


class ServerSentEvent:
    """One event of an event stream; `encode()` gives its bytes on the wire.

    `data` is a string, or any other value sent as JSON (with the app's JSON
    provider inside an app context). A multi-line string becomes several
    `data:` lines, which the browser joins back with `\\n`. `event` sets the
    event type (listen with `source.addEventListener(type, ...)`; without
    it, `onmessage` gets the event), `id` the id the browser sends back in
    `Last-Event-ID` when it reconnects, `retry` the reconnection delay in
    milliseconds, and `comment` a comment line that browsers ignore.

    `event` and `id` may not contain line breaks (they would start new
    fields), nor may `id` contain NUL: such values raise `ValueError`.
    """

    __slots__ = ("comment", "data", "event", "id", "retry")

    def __init__(
        self,
        data: Any = "",
        event: str | None = None,
        id: str | int | None = None,
        retry: int | None = None,
        comment: str | None = None,
    ) -> None:
        if event is not None and _LINE_BREAK.search(event):
            raise ValueError("A server-sent event's 'event' may not contain CR or LF.")
        if id is not None:
            id = str(id)
            if _LINE_BREAK.search(id) or "\0" in id:
                raise ValueError("A server-sent event's 'id' may not contain CR, LF or NUL.")
        if retry is not None and (isinstance(retry, bool) or not isinstance(retry, int)):
            raise TypeError("A server-sent event's 'retry' must be an int (milliseconds).")
        if retry is not None and retry < 0:
            raise ValueError("A server-sent event's 'retry' must not be negative.")
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry
        self.comment = comment

    def encode(self) -> bytes:
        """The event in the `text/event-stream` format, ending with a blank line."""
        lines: list[str] = []
        if self.comment is not None:
            lines.extend(f": {line}" for line in _LINE_BREAK.split(self.comment))
        if self.event is not None:
            lines.append(f"event: {self.event}")
        if self.id is not None:
            lines.append(f"id: {self.id}")
        if self.retry is not None:
            lines.append(f"retry: {self.retry}")
        data = self.data if isinstance(self.data, str) else _dumps(self.data)
        lines.extend(f"data: {line}" for line in _LINE_BREAK.split(data))
        lines.append("\n")
        return "\n".join(lines).encode("utf-8")

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in ("data", "event", "id", "retry", "comment")
            if getattr(self, name) is not None
        )
        return f"ServerSentEvent({fields})"


def _dumps(value: Any) -> str:
    app_ctx = _cv_app.get(None)
    if app_ctx is not None:
        return app_ctx.app.json.dumps(value)
    return json.dumps(value)


def sse_response(
    source: AsyncIterable[Any] | Iterable[Any],
    *,
    keepalive: float | None = 15.0,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A streamed `text/event-stream` response sending the events `source` yields.

    `source` is an async iterable (an `async def` generator) or a plain
    iterable (a `def` generator, run on the request's worker thread). Each
    item is a `ServerSentEvent`; anything else is sent as the data of a
    plain event (`yield "hello"`, `yield {"n": 1}`). Every `keepalive`
    seconds without an event a `: keep-alive` comment is sent (`None`
    turns this off). `headers` are added to (or replace) the defaults.
    """
    if keepalive is not None and not keepalive > 0:
        raise ValueError("'keepalive' must be a number of seconds above 0, or None.")
    app_ctx = _cv_app.get(None)
    response_class = app_ctx.app.response_class if app_ctx is not None else Response
    response = response_class(
        _event_stream(source, keepalive), status=status, content_type="text/event-stream"
    )
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    if headers:
        for key, value in headers.items():
            response.headers[key] = value
    return response


async def _next_async(iterator: AsyncIterator[Any]) -> Any:
    try:
        return await iterator.__anext__()
    except StopAsyncIteration:
        return _DONE


async def _next_sync(iterator: Iterator[Any]) -> Any:
    ctx = _cv_request.get(None)
    if ctx is not None:
        return await ctx.run_sync(next, iterator, _DONE)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(next, iterator, _DONE)


async def _event_stream(
    source: AsyncIterable[Any] | Iterable[Any], keepalive: float | None
) -> AsyncIterator[bytes]:
    # Each step of the source runs as its own task, so that waiting for it can
    # time out (to send a keep-alive) without cancelling the step itself.
    iterator: AsyncIterator[Any] | Iterator[Any]
    if isinstance(source, AsyncIterable):
        iterator = source.__aiter__()
    else:
        iterator = iter(source)
    step: asyncio.Task[Any] | None = None
    try:
        while True:
            if step is None:
                if isinstance(iterator, AsyncIterator):
                    step = asyncio.ensure_future(_next_async(iterator))
                else:
                    step = asyncio.ensure_future(_next_sync(iterator))
            done, _ = await asyncio.wait((step,), timeout=keepalive)
            if not done:
                yield KEEPALIVE_COMMENT
                continue
            item = step.result()
            step = None
            if item is _DONE:
                return
            event = item if isinstance(item, ServerSentEvent) else ServerSentEvent(item)
            yield event.encode()
    finally:
        # Reached on disconnect too (the response cancels this generator).
        if step is not None:
            step.cancel()
            await asyncio.wait((step,))
            if not step.cancelled():
                step.exception()  # retrieved; the source failed while closing
        await close_iterable(iterator)


__all__ = ["KEEPALIVE_COMMENT", "ServerSentEvent", "sse_response"]
