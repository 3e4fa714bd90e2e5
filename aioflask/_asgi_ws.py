"""ASGI glue for `websocket` scopes: one connection through its hooks and handler.

The order, for each connection: route the handshake path (`websocket=True`
rules only), run the URL value preprocessors and `before_websocket` hooks, call
the handler, run `after_websocket` hooks, close, then the `teardown_request`
and `teardown_appcontext` functions, once.

Before the handshake is accepted, anything that ends the connection (a hook's
return value, `abort(403)`, a routing error, an unhandled exception) becomes
an HTTP response, sent through the ASGI `websocket.http.response` extension
when the server offers it (uvicorn does), or else a `websocket.close` that
the server turns into a 403. After the handshake, errors become close codes.
"""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING, Any

from starlette.types import Receive, Scope, Send

from ._convert import exception_response
from ._pipeline import handle_user_exception_step
from .exceptions import HTTPException, InternalServerError, RequestRedirect
from .websocket import (
    Websocket,
    WebsocketContext,
    WebSocketDisconnect,
    WebsocketMessageError,
    _short_reason,
)

if TYPE_CHECKING:
    from .app import Flask
    from .wrappers import Request, Response


async def handle_websocket(app: Flask, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one WebSocket connection: push its context, run it, close, tear down."""
    ws = Websocket(app, scope, receive, send)
    ctx = WebsocketContext(app, ws)
    await ctx.apush()
    error: BaseException | None = None
    try:
        _match(app, ws)
        await _run(app, ctx, ws)
    except BaseException as e:
        error = e
        raise
    finally:
        await ctx.apop(ctx._unhandled or error)


def _match(app: Flask, ws: Websocket) -> None:
    request = ws.request
    try:
        request.url_rule, request.view_args = app.url_map.match(
            request.path, "GET", websocket=True, subdomain=app._request_subdomain(request)
        )
    except RequestRedirect as e:
        qs = request.query_string.decode("latin-1")
        url = f"{ws.scheme}://{request.host}{request.script_root}{e.new_url}"
        request.routing_exception = RequestRedirect(f"{url}?{qs}" if qs else url)
    except HTTPException as e:
        request.routing_exception = e


async def _run(app: Flask, ctx: WebsocketContext, ws: Websocket) -> None:
    app._got_first_request = True
    request = ctx.request
    try:
        interface = app.session_interface
        if not interface.lazy_open and ctx._session is None:
            session = await app.ensure_async_call(interface.open_session, app, request)
            ctx._session = session if session is not None else interface.make_null_session(app)
        rv: Any = None
        try:
            rv = await _dispatch(app, ctx)
        except WebSocketDisconnect:
            if not ws.closed:  # another connection's error: a bug in this handler
                raise
        except WebsocketMessageError as e:
            await ws.close(e.code, _short_reason(e.description))
        except HTTPException as e:
            if not ws.accepted:
                rv = await handle_user_exception_step(app, ctx, e)
            else:
                await ws.close(1008 if (e.code or 500) < 500 else 1011, _reason_of(e))
        except Exception as e:
            if ws.accepted:
                raise
            rv = await handle_user_exception_step(app, ctx, e)  # error handlers, else re-raised
        response: Response | None = None
        if rv is not None and not ws.accepted and not ws.closed:
            response = app.make_response(rv)
        response = await _after_websocket(app, request, response)
        if ws.accepted or response is None:
            await ws.close(1000)
        else:
            await ws._refuse(response, 1008 if response.status_code < 500 else 1011)
    except Exception as e:
        await _handle_exception(app, ctx, ws, e)


async def _dispatch(app: Flask, ctx: WebsocketContext) -> Any:
    request = ctx.request
    if request.routing_exception is not None:
        raise request.routing_exception
    rv = await _before_websocket(app, request)
    if rv is not None:
        return rv
    if ctx._worker is not None:
        # A connection may stay open for hours: keeping the worker thread a sync hook
        # checked out would let a few dozen idle connections starve every sync view.
        ctx.release_worker()
    endpoint = request.url_rule.endpoint  # type: ignore[union-attr]  # routed above
    handler = app.view_functions[endpoint]  # type: ignore[index]
    if not app._is_async(handler):
        raise TypeError(
            f"The WebSocket handler for {endpoint!r} is not a coroutine function; "
            "declare it with 'async def' (receiving and sending are awaited)."
        )
    return await app.ensure_async_call(handler, **(request.view_args or {}))


async def _before_websocket(app: Flask, request: Request) -> Any:
    """URL value preprocessors, then `before_websocket` hooks (app first, then blueprints)."""
    names = (None, *reversed(request.blueprints))
    if app.url_value_preprocessors:
        for name in names:
            for url_func in app.url_value_preprocessors.get(name, ()):
                url_func(request.endpoint, request.view_args)
    if app.before_websocket_funcs:
        for name in names:
            for func in app.before_websocket_funcs.get(name, ()):
                rv = await app.ensure_async_call(func)
                if rv is not None:
                    return rv
    return None


async def _after_websocket(app: Flask, request: Request, response: Response | None) -> Any:
    """`after_websocket` hooks, blueprints first, each list in reverse order."""
    if not app.after_websocket_funcs:
        return response
    for name in chain(request.blueprints, (None,)):
        for func in reversed(app.after_websocket_funcs.get(name, ())):
            rv = await app.ensure_async_call(func, response)
            if rv is not None:
                response = app.make_response(rv)
    return response


async def _handle_exception(app: Flask, ctx: WebsocketContext, ws: Websocket, e: Exception) -> None:
    """An unhandled error: log it once, close (1011) or refuse (500), re-raise when debugging."""
    ctx._unhandled = e
    propagate = app.config["PROPAGATE_EXCEPTIONS"]
    if propagate is None:
        propagate = app.testing or app.debug
    if not propagate:
        app.log_exception((type(e), e, e.__traceback__))
    if ws.accepted:
        await ws.close(1011)  # no reason: the error's text stays on the server
    else:
        server_error = InternalServerError(original_exception=e)
        rv: Any = server_error
        handler = (
            None if propagate else app._find_error_handler(server_error, ctx.request.blueprints)
        )
        if handler is not None:
            try:
                rv = await app.ensure_async_call(handler, server_error)
            except Exception:
                app.logger.exception("The error handler for a 500 raised an error")
        try:
            response = app.make_response(rv)
        except Exception:
            app.logger.exception("Building the 500 response failed")
            response = exception_response(server_error)
        await ws._refuse(response, 1011)
    if propagate:
        raise e


def _reason_of(e: HTTPException) -> str:
    return _short_reason(f"{e.code} {e.name}" if e.code else e.name)
