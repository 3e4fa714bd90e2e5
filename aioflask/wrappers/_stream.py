"""Sending a streamed response body, and stopping it when the client goes away.

A streamed body (a generator, an async generator, any iterable) is sent chunk
by chunk as it is produced. While it is sent, a second task waits on the ASGI
`receive()` for `http.disconnect`: ASGI servers such as uvicorn silently drop
what is sent after the client left, so without this watch an endless stream
(server-sent events, a live log) would run forever for nobody. When the
client leaves, the task that drives the body is cancelled and the iterable is
closed, so its `finally` blocks run.

Sync generators run on the request's worker thread (Flask code may keep a
thread-bound handle in them). A thread cannot be interrupted: a sync
generator that is blocked (in `time.sleep`, a socket read) is closed only
after its current step returns, at its next `yield`.

Only streamed responses pay for the watch; a plain body is sent in two
`send()` calls with no extra task.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from starlette.types import Receive, Send

from ..globals import _cv_request

if TYPE_CHECKING:
    from ..ctx import RequestContext

_DONE: Any = object()
#: Non-disconnect messages the watch accepts before it stops listening (a
#: `receive()` that never blocks would otherwise spin the loop).
_MAX_OTHER_MESSAGES = 16


class _ClientGone(Exception):
    """`send()` failed because the connection is closed (servers raise OSError)."""


async def send_stream(
    stream: Iterable[Any] | AsyncIterable[Any],
    encode: Callable[[Any], bytes],
    receive: Receive,
    send: Send,
) -> None:
    """Send every chunk of `stream`, ending the body, and close the iterable afterwards.

    `http.response.start` has been sent by the caller. An error raised by the
    iterable propagates (the server then closes the connection, as the status
    line is already out); a client disconnect ends the body quietly.
    """
    ctx = _cv_request.get(None)
    if not _may_watch(ctx):
        # The body of this request has not been read (a route streaming its
        # request body): `receive()` belongs to the view, so don't listen on it.
        try:
            await _pump(stream, encode, send, ctx)
        except _ClientGone:
            _mark_disconnected(ctx)
        return
    pump = asyncio.ensure_future(_pump(stream, encode, send, ctx))
    watch = asyncio.ensure_future(_wait_for_disconnect(receive))
    try:
        await asyncio.wait((pump, watch), return_when=asyncio.FIRST_COMPLETED)
        if not pump.done() and (watch.cancelled() or watch.exception() or not watch.result()):
            # `receive()` failed or cannot tell: keep streaming without the watch.
            await asyncio.wait((pump,))
        if not pump.done():
            _mark_disconnected(ctx)
            pump.cancel()
            await asyncio.wait((pump,))
            if not pump.cancelled() and not isinstance(pump.exception(), _ClientGone):
                pump.result()  # the iterable's cleanup failed: report it
            return
        error = pump.exception()
        if isinstance(error, _ClientGone):
            _mark_disconnected(ctx)
            return
        pump.result()
    finally:
        # Also reached when this task is cancelled (server shutdown): stop both.
        for task in (watch, pump):
            if not task.done():
                task.cancel()
        await asyncio.wait((watch, pump))
        if not watch.cancelled():
            watch.exception()  # retrieved, so asyncio does not report it


def _may_watch(ctx: RequestContext | None) -> bool:
    if ctx is None:
        return True
    request = ctx.request
    return "_body" in request.__dict__ or bool(getattr(request, "_stream_consumed", True))


def _mark_disconnected(ctx: RequestContext | None) -> None:
    if ctx is not None:
        # `await request.is_disconnected()` answers from this flag.
        ctx.request._is_disconnected = True


async def _wait_for_disconnect(receive: Receive) -> bool:
    """True once `receive()` reports `http.disconnect`; False if it cannot tell."""
    for _ in range(_MAX_OTHER_MESSAGES):
        message = await receive()
        kind = message.get("type")
        if kind == "http.disconnect":
            return True
        if kind != "http.request":
            return False
    return False


async def _send_chunk(send: Send, body: bytes) -> None:
    try:
        await send({"type": "http.response.body", "body": body, "more_body": True})
    except OSError as exc:
        raise _ClientGone() from exc


async def _pump(
    stream: Iterable[Any] | AsyncIterable[Any],
    encode: Callable[[Any], bytes],
    send: Send,
    ctx: RequestContext | None,
) -> None:
    try:
        if isinstance(stream, AsyncIterable):
            async for chunk in stream:
                await _send_chunk(send, encode(chunk))
        else:
            iterator = iter(stream)
            while True:
                if ctx is not None:
                    chunk = await ctx.run_sync(next, iterator, _DONE)
                else:
                    chunk = await _next_in_thread(iterator)
                if chunk is _DONE:
                    break
                await _send_chunk(send, encode(chunk))
        try:
            await send({"type": "http.response.body", "body": b""})
        except OSError as exc:
            raise _ClientGone() from exc
    finally:
        await close_iterable(stream)


async def _next_in_thread(iterator: Iterator[Any]) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(next, iterator, _DONE)


async def close_iterable(obj: Any) -> None:
    """Close a (sync or async) generator or any object with `close`/`aclose`."""
    aclose = getattr(obj, "aclose", None)
    if aclose is not None:
        await aclose()
        return
    close = getattr(obj, "close", None)
    if close is not None:
        # A sync generator's `finally` runs where its body ran: on the request's
        # worker thread (it may close a thread-bound resource such as sqlite).
        # The worker runs jobs in order, so this waits for a step still running.
        ctx = _cv_request.get(None)
        if ctx is not None:
            await ctx.run_sync(close)
        else:
            close()
