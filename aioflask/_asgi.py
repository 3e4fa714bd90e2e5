"""ASGI glue: one HTTP request through the app, and the lifespan protocol."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.types import Receive, Scope, Send

from .background import start_pending, wait_for_background_tasks
from .ctx import RequestContext
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
            response = await app.full_dispatch_request(ctx)
            # The context stays up while the body is sent (Flask's stream_with_context),
            # so an error raised by a streamed body reaches the teardown functions too.
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
