"""ASGI glue: one HTTP request through the app, and the lifespan protocol."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

from starlette.types import Message, Receive, Scope, Send

from ._pipeline import full_dispatch_step
from .background import start_pending, wait_for_background_tasks
from .ctx import RequestContext
from .logging import escape_log_text
from .signals import appcontext_pushed

if TYPE_CHECKING:
    from .app import Flask

#: Scope key the test client sets to keep a request's context after it ends.
PRESERVE_KEY = "aioflask.preserve_context"


async def handle_http(app: Flask, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one HTTP request: push contexts, dispatch, send, tear down.

    The contexts stay pushed while the response is sent, so a streamed body
    sees `request`, `g` and `session`; the teardown functions run once the
    body is fully sent (or the client has gone). Background tasks the request
    added start after that.
    """
    if _has_ambiguous_framing(scope):
        await _refuse_ambiguous_framing(scope, receive, send)
        return
    request = app.request_class(scope, receive, send)
    ctx = RequestContext(app, request)
    ctx._background = ()  # `add_background_task` defers to the end of this request
    if appcontext_pushed.receivers:
        await ctx.apush()  # awaits `async def` receivers on this loop
    else:
        ctx.push()  # the same, without a coroutine on the hot path
    error: BaseException | None = None
    try:
        app.match_request(request)
        try:
            response = await full_dispatch_step(app, ctx)
            # The context stays up while the body is sent (Flask's stream_with_context),
            # so an error raised by a streamed body reaches the teardown functions too.
            if _may_block(response) and (timeout := app.config.get("RESPONSE_TIMEOUT")):
                await _send_with_deadline(app, response, timeout, scope, receive, send)
            else:
                await response(scope, receive, send)
        except BaseException as e:
            error = e
            raise
    finally:
        exc = ctx._unhandled or error
        preserve = scope.get(PRESERVE_KEY)
        try:
            if preserve is not None:
                # The test client's `with client:` block tears this context down later.
                ctx.detach()
                preserve(ctx, exc)
            else:
                await ctx.apop(exc)
        finally:
            pending = ctx._background
            ctx._background = None  # tasks added from now on start at once
            if isinstance(pending, list):
                # The contexts are popped here, so the tasks do not inherit them.
                start_pending(app, pending)


#: A body up to this size fits the server's write buffer, so sending it never waits
#: for the client (asyncio's default high-water mark is 64 KiB).
_BUFFERED = 64 * 1024
#: The size of the messages a large body is split into when `RESPONSE_TIMEOUT` is on.
_PIECE = 256 * 1024


def _may_block(response: Any) -> bool:
    """Whether sending `response` can wait on the client: a stream or a large body."""
    try:
        return response._stream is not None or len(response.body) > _BUFFERED
    except (AttributeError, TypeError):  # another kind of ASGI response
        return True


class SendTimeout(OSError):
    """One `send` of a response waited longer than `RESPONSE_TIMEOUT` for the client."""


async def _send_with_deadline(
    app: Flask, response: Any, timeout: float, scope: Scope, receive: Receive, send: Send
) -> None:
    """Send `response`, giving up on a client that stops reading (`RESPONSE_TIMEOUT`).

    Each `send` may wait `timeout` seconds for the server's write buffer to
    drain. Past that the send fails as it does for a vanished client (a
    streamed body is closed, teardown runs) and the connection is dropped: on
    uvicorn it is aborted, which frees the unsent data at once; elsewhere the
    app returns with the response unfinished, and the server closes it.

    A server takes a whole message into its buffer before it waits, so a
    large body is handed over in `_PIECE`-sized messages: the wait then
    comes before each piece, and the server never holds more than about one.
    """
    timed_out = False

    async def timed_send(message: Message) -> None:
        body = message.get("body", b"")
        if len(body) > _PIECE and message["type"] == "http.response.body":
            more = message.get("more_body", False)
            view = memoryview(body)
            for start in range(0, len(body), _PIECE):
                end = start + _PIECE
                last = not more and end >= len(body)
                chunk = bytes(view[start:end])
                await send_one({"type": "http.response.body", "body": chunk, "more_body": not last})
        else:
            await send_one(message)

    async def send_one(message: Message) -> None:
        nonlocal timed_out
        try:
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(timeout):
                    await send(message)
            else:  # pragma: no cover - Python 3.10
                await asyncio.wait_for(send(message), timeout)
        except asyncio.TimeoutError:
            timed_out = True
            raise SendTimeout(f"the client read nothing for {timeout} s") from None

    try:
        await response(scope, receive, timed_send)
    except SendTimeout:
        pass  # a plain body; a streamed one ends as for a vanished client
    if not timed_out:
        return
    app.logger.warning(
        "Dropped the connection of %s %s: the client read nothing for %s s (RESPONSE_TIMEOUT).",
        scope.get("method", "?"),
        escape_log_text(scope.get("path", "")),
        timeout,
    )
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    abort = getattr(transport, "abort", None)
    if callable(abort):
        abort()
        await asyncio.sleep(0)  # let the server see the connection go


def _has_ambiguous_framing(scope: Scope) -> bool:
    """True when the request has both `Content-Length` and `Transfer-Encoding`."""
    length = encoding = False
    for name, _ in scope["headers"]:
        if name == b"content-length":
            length = True
        elif name == b"transfer-encoding":
            encoding = True
    return length and encoding


async def _refuse_ambiguous_framing(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer 400 and close the connection, before any app code runs.

    A body framed by both headers is how requests are smuggled past a proxy
    that reads the other one (RFC 9112, section 6.1: reject it or close the
    connection). httptools refuses such requests itself; h11 follows
    `Transfer-Encoding` and keeps the connection open, so whatever followed
    the body would be served as a request of its own.
    """
    from ._convert import exception_response
    from .exceptions import BadRequest

    error = BadRequest(
        description="The request has both a Content-Length and a Transfer-Encoding header."
    )
    response = exception_response(error)
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


async def handle_lifespan(app: Flask, scope: Scope, receive: Receive, send: Send) -> None:
    """Run `before_serving` on startup and `after_serving` on shutdown, in an app context.

    A failing `before_serving` function answers `lifespan.startup.failed`,
    which makes the server refuse to start and show the message. At shutdown,
    running background tasks are waited for (`BACKGROUND_TASK_SHUTDOWN_TIMEOUT`)
    before the `after_serving` functions run, as those usually close what the
    tasks use.
    """
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "lifespan.startup":
            try:
                await run_serving_funcs(app, app.before_serving_funcs)
            except Exception as exc:
                app.logger.exception("A before_serving function failed; the server will not start")
                await send({"type": "lifespan.startup.failed", "message": _describe(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif kind == "lifespan.shutdown":
            try:
                await wait_for_background_tasks(app)
                await run_serving_funcs(app, app.after_serving_funcs)
            except Exception as exc:
                app.logger.exception("An after_serving function failed")
                await send({"type": "lifespan.shutdown.failed", "message": _describe(exc)})
                return
            await send({"type": "lifespan.shutdown.complete"})
            return


async def run_serving_funcs(app: Flask, funcs: list[Any]) -> None:
    """Call each function (sync or async) in one application context."""
    async with app.app_context():
        for func in funcs:
            await app.ensure_async_call(func)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
