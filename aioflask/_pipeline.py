"""The request pipeline of `Flask`: hooks, view dispatch, errors and teardown.

These functions are `Flask` methods (the class binds them by name, so
subclasses override them as in Flask); they live here to keep `app.py` to the
application object itself. Their order follows Flask 3.1's request lifecycle.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Coroutine
from itertools import chain
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ._convert import exception_response
from ._convert import make_response as _make_response
from ._threads import _run_coro_blocking
from .ctx import RequestContext, _is_async_callable
from .exceptions import (
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
    RequestRedirect,
    RoutingException,
)
from .globals import _cv_request
from .routing import Rule
from .signals import (
    _send_async,
    _send_sync,
    appcontext_tearing_down,
    got_request_exception,
    request_finished,
    request_started,
    request_tearing_down,
)
from .wrappers import Request, Response

if TYPE_CHECKING:
    from .app import Flask

T = TypeVar("T")


async def _aio_full_dispatch_request(self: Flask, ctx: RequestContext | None = None) -> Response:
    """Read the body, run the hooks and the view, and turn the result into a response.

    Here and in the other pipeline methods `ctx` is the current request
    context; the server passes it to save a lookup.
    """
    if ctx is None:
        ctx = _cv_request.get()
    if not self._got_first_request:
        self._got_first_request = True
    request = ctx.request
    try:
        if not self.session_interface.lazy_open and ctx._session is None:
            await self._open_session(ctx)
        try:
            if request_started.receivers:
                await _send_async(request_started, self)
            if request.routing_exception is None:
                if getattr(request.url_rule, "stream_body", False):
                    request._defer_body()  # the view reads it (see `stream_body`)
                else:
                    await request._load_body()
            if self._aio_custom_pipeline:
                rv = await _custom_step(self, ctx, "preprocess_request")
                if rv is None:
                    rv = await _custom_step(self, ctx, "dispatch_request")
            else:
                rv = await _aio_preprocess_request(self, ctx)
                if rv is None:
                    rv = await _aio_dispatch_request(self, ctx)
        except Exception as e:
            rv = await handle_user_exception_step(self, ctx, e)
        if self._aio_custom_pipeline:
            response = cast(Response, await _custom_step(self, ctx, "finalize_request", rv))
        else:
            response = await _aio_finalize_request(self, rv, ctx)
    except Exception as e:
        if self._aio_custom_pipeline:
            response = cast(Response, await _custom_step(self, ctx, "handle_exception", e))
        else:
            response = await _aio_handle_exception(self, e, ctx)
    if request._aio_close_connection:  # the client stalled while sending its body
        request._close_connection(response)
    return response


async def _aio_preprocess_request(self: Flask, ctx: RequestContext | None = None) -> Any:
    """Run the URL value preprocessors and `before_request` hooks (app, then blueprints)."""
    if ctx is None:
        ctx = _cv_request.get()
    if not (self.url_value_preprocessors or self.before_request_funcs):
        return None  # nothing registered: the common fast path
    request = ctx.request
    names: tuple[str | None, ...] = (None, *reversed(request.blueprints))
    for name in names:
        for url_func in self.url_value_preprocessors.get(name, ()):
            url_func(request.endpoint, request.view_args)
    for name in names:
        for before_func in self.before_request_funcs.get(name, ()):
            rv = await self.ensure_async_call(before_func)
            if rv is not None:
                return rv
    return None


def _raise_routing_exception(self: Flask, request: Request) -> None:
    exc = request.routing_exception
    assert exc is not None
    code = getattr(exc, "code", None)
    if (
        self.debug
        and isinstance(exc, RequestRedirect)
        and code not in (307, 308)
        and request.method not in ("GET", "HEAD", "OPTIONS")
    ):
        from .debughelpers import FormDataRoutingRedirect

        raise FormDataRoutingRedirect(request.method, request.url, exc.new_url, int(code or 0))
    raise exc


async def _aio_dispatch_request(self: Flask, ctx: RequestContext | None = None) -> Any:
    """Raise a stored routing error, answer automatic OPTIONS, or call the view."""
    if ctx is None:
        ctx = _cv_request.get()
    request = ctx.request
    if request.routing_exception is not None:
        _raise_routing_exception(self, request)
    rule = cast(Rule, request.url_rule)
    if request.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
        return self.make_default_options_response()
    view = self.view_functions[rule.endpoint]  # type: ignore[index]  # rules have endpoints
    return await self.ensure_async_call(view, **(request.view_args or {}))


def make_default_options_response(self: Flask, ctx: RequestContext | None = None) -> Response:
    """The automatic answer to OPTIONS: an empty 200 with an `Allow` header."""
    if ctx is None:
        ctx = _cv_request.get()
    methods = self.url_map.allowed_methods(ctx.request.path, self._request_subdomain(ctx.request))
    rv = self.response_class()
    rv.headers["Allow"] = ", ".join(methods)
    return rv


async def _aio_finalize_request(
    self: Flask, rv: Any, ctx: RequestContext | None = None, from_error_handler: bool = False
) -> Response:
    """`make_response`, the after-request hooks and the session save, then `request_finished`."""
    if ctx is None:
        ctx = _cv_request.get()
    response = self.make_response(rv)
    try:
        if self._aio_custom_pipeline:
            response = await _custom_step(self, ctx, "process_response", response)
        else:
            response = await _aio_process_response(self, response, ctx)
        if request_finished.receivers:
            await _send_async(request_finished, self, response=response)
    except Exception:
        if not from_error_handler:
            raise
        self.logger.exception("Request finalizing failed with an error while handling an error")
    return response


async def _aio_process_response(
    self: Flask, response: Response, ctx: RequestContext | None = None
) -> Response:
    """Run `after_this_request` callbacks, `after_request` hooks, then save the session."""
    if ctx is None:
        ctx = _cv_request.get()
    for func in ctx._after_request_functions:
        # Usually a closure made for this request only: keep it out of `_async_cache`,
        # which would otherwise grow (and keep each closure alive) with every request.
        if _is_async_callable(func):
            response = await func(response)
        else:
            response = await self._call_sync(func, response)
    if self.after_request_funcs:
        for name in chain(ctx.request.blueprints, (None,)):
            for after in reversed(self.after_request_funcs.get(name, ())):
                response = await self.ensure_async_call(after, response)
    await self._save_session(ctx, response)
    return response


async def _save_session(self: Flask, ctx: RequestContext, response: Response) -> None:
    interface = self.session_interface
    session = ctx._session
    if session is None:
        if not interface.lazy_open:
            return  # opening it failed (see `full_dispatch_request`): nothing to save
        if ctx.request._has_header(b"cookie") and (
            interface.get_cookie_name(self) in ctx.request.cookies
        ):
            # Untouched, but a permanent session may need its expiry refreshed.
            session = self._open_session_now(ctx.request)
            session.accessed = False
        else:
            return
    if not interface.is_null_session(session):
        await self.ensure_async_call(interface.save_session, self, session, response)


def make_response(self: Flask, rv: Any) -> Response:
    """Turn a view's return value into a `Response` (Flask's rules).

    Accepted: a Response; str/bytes (HTML); dict or list (JSON); a sync or
    async iterator/generator (streamed); an HTTPException; any other ASGI
    app (called as the response); or a tuple `(body, status)`,
    `(body, headers)` or `(body, status, headers)`. A plain method, as in
    Flask: it does no I/O, so sync code can call it too.
    """
    return _make_response(self, rv)


# -- errors ------------------------------------------------------------------------------------
def trap_http_exception(self: Flask, e: Exception) -> bool:
    """True when an HTTP exception should be raised instead of handled (debug aids)."""
    if self.config["TRAP_HTTP_EXCEPTIONS"]:
        return True
    trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
    if trap_bad_request is None and self.debug and isinstance(e, BadRequestKeyError):
        return True
    if trap_bad_request:
        return isinstance(e, BadRequest)
    return False


def _find_error_handler(
    self: Flask, e: BaseException, blueprints: list[str]
) -> Callable[..., Any] | None:
    exc_class = type(e)
    code = e.code if isinstance(e, HTTPException) else None
    names = (*blueprints, None)
    for c in (code, None) if code is not None else (None,):
        for name in names:
            handler_map = self.error_handler_spec.get(name)
            if not handler_map:
                continue
            by_class = handler_map.get(c)
            if not by_class:
                continue
            for cls in exc_class.__mro__:
                handler = by_class.get(cls)
                if handler is not None:
                    return handler
    return None


async def _aio_handle_http_exception(
    self: Flask, e: HTTPException, ctx: RequestContext | None = None
) -> Any:
    """Use the registered handler for an HTTP error, or the error's own response."""
    if e.code is None or isinstance(e, RoutingException):
        return e
    if ctx is None:
        ctx = _cv_request.get()
    handler = self._find_error_handler(e, ctx.request.blueprints)
    if handler is None:
        return e
    return await self.ensure_async_call(handler, e)


async def _aio_handle_user_exception(
    self: Flask, e: Exception, ctx: RequestContext | None = None
) -> Any:
    """Handle an exception from a hook or view, or re-raise it when nothing handles it."""
    if ctx is None:
        ctx = _cv_request.get()
    if isinstance(e, BadRequestKeyError) and (self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]):
        e.show_exception = True
    if isinstance(e, HTTPException) and not self.trap_http_exception(e):
        if self._aio_custom_pipeline:
            return await _custom_step(self, ctx, "handle_http_exception", e)
        return await _aio_handle_http_exception(self, e, ctx)
    handler = self._find_error_handler(e, ctx.request.blueprints)
    if handler is None:
        raise e
    return await self.ensure_async_call(handler, e)


async def _aio_handle_exception(
    self: Flask, e: Exception, ctx: RequestContext | None = None
) -> Response:
    """An unhandled exception: re-raise it (testing/debug) or answer 500."""
    if ctx is None:
        ctx = _cv_request.get()
    ctx._unhandled = e
    if got_request_exception.receivers:
        await _send_async(got_request_exception, self, exception=e)
    propagate = self.config["PROPAGATE_EXCEPTIONS"]
    if propagate is None:
        propagate = self.testing or self.debug
    if propagate:
        raise e
    self.log_exception((type(e), e, e.__traceback__))
    server_error = InternalServerError(original_exception=e)
    handler = self._find_error_handler(server_error, ctx.request.blueprints)
    rv: Any = server_error
    if handler is not None:
        try:
            rv = await self.ensure_async_call(handler, server_error)
        except Exception:
            self.logger.exception("The error handler for a 500 raised an error")
            rv = server_error
    try:
        if self._aio_custom_pipeline:
            return cast(Response, await _custom_step(self, ctx, "finalize_request", rv, True))
        return await _aio_finalize_request(self, rv, ctx, from_error_handler=True)
    except Exception:
        self.logger.exception("Building the 500 response failed")
        return exception_response(server_error)


def log_exception(
    self: Flask, exc_info: tuple[type[BaseException], BaseException, TracebackType | None]
) -> None:
    """Log an unhandled exception with its traceback on `app.logger` (Flask's signature)."""
    from .logging import escape_log_text

    request = _cv_request.get().request
    self.logger.error(
        "Exception on %s [%s]",
        escape_log_text(request.path),
        escape_log_text(request.method),
        exc_info=exc_info,
    )


# -- teardown ----------------------------------------------------------------------------------
async def do_teardown_request(
    self: Flask, exc: BaseException | None, ctx: RequestContext | None = None
) -> None:
    """Run `teardown_request` functions (blueprints first, each list reversed).

    Then send `request_tearing_down`. As with the functions, an error in a
    receiver is logged, so the rest of the teardown still runs.
    """
    if self.teardown_request_funcs:
        if ctx is None:
            ctx = _cv_request.get()
        for name in chain(ctx.request.blueprints, (None,)):
            for func in reversed(self.teardown_request_funcs.get(name, ())):
                try:
                    await self.ensure_async_call(func, exc)
                except Exception:
                    self.logger.exception("A teardown_request function raised an error")
    if request_tearing_down.receivers:
        try:
            await _send_async(request_tearing_down, self, exc=exc)
        except Exception:
            self.logger.exception("A request_tearing_down receiver raised an error")


def do_teardown_request_sync(self: Flask, exc: BaseException | None) -> None:
    ctx = _cv_request.get()
    for name in chain(ctx.request.blueprints, (None,)):
        for func in reversed(self.teardown_request_funcs.get(name, ())):
            self.ensure_sync(func)(exc)
    if request_tearing_down.receivers:
        _send_sync(request_tearing_down, self, exc=exc)


async def do_teardown_appcontext(self: Flask, exc: BaseException | None = None) -> None:
    """Run `teardown_appcontext` functions in reverse order, then send `appcontext_tearing_down`."""
    for func in reversed(self.teardown_appcontext_funcs):
        try:
            await self.ensure_async_call(func, exc)
        except Exception:
            self.logger.exception("A teardown_appcontext function raised an error")
    if appcontext_tearing_down.receivers:
        try:
            await _send_async(appcontext_tearing_down, self, exc=exc)
        except Exception:
            self.logger.exception("An appcontext_tearing_down receiver raised an error")


def do_teardown_appcontext_sync(self: Flask, exc: BaseException | None = None) -> None:
    for func in reversed(self.teardown_appcontext_funcs):
        self.ensure_sync(func)(exc)
    if appcontext_tearing_down.receivers:
        _send_sync(appcontext_tearing_down, self, exc=exc)


# -- Flask's sync method contract ----------------------------------------------------------
# Flask's pipeline methods are plain methods, and extensions wrap and override them
# with plain functions (`app.handle_exception = wrap(app.handle_exception)`). The
# public methods below keep that contract on top of the async steps above: called
# from sync code (a worker thread, or no event loop) they return the result; called
# on the event loop they return the coroutine, so `await app.handle_exception(e)`
# works in async code. The pipeline runs the `_aio_*` steps directly unless the app
# has a wrapped or overridden step (`Flask._aio_custom_pipeline`): then it calls the
# app's own method, on the request's worker thread when it is a plain function.

#: The pipeline methods an app or subclass may replace, with Flask's signatures.
PIPELINE_METHODS = frozenset(
    {
        "full_dispatch_request",
        "preprocess_request",
        "dispatch_request",
        "finalize_request",
        "process_response",
        "handle_http_exception",
        "handle_user_exception",
        "handle_exception",
    }
)


def _sync_or_awaitable(coro: Coroutine[Any, Any, T]) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_coro_blocking(coro)
    return coro


def full_dispatch_request(self: Flask) -> Any:
    """Read the body, run the hooks and the view, and make the response (Flask's method)."""
    return _sync_or_awaitable(_aio_full_dispatch_request(self, _cv_request.get()))


def preprocess_request(self: Flask) -> Any:
    """Run the URL value preprocessors and `before_request` hooks (Flask's method)."""
    return _sync_or_awaitable(_aio_preprocess_request(self, _cv_request.get()))


def dispatch_request(self: Flask) -> Any:
    """Call the view for the current request, or raise its routing error (Flask's method)."""
    return _sync_or_awaitable(_aio_dispatch_request(self, _cv_request.get()))


def finalize_request(self: Flask, rv: Any, from_error_handler: bool = False) -> Any:
    """Make the response, run the after-request hooks, save the session (Flask's method)."""
    ctx = _cv_request.get()
    return _sync_or_awaitable(_aio_finalize_request(self, rv, ctx, from_error_handler))


def process_response(self: Flask, response: Response) -> Any:
    """Run `after_this_request` callbacks and `after_request` hooks (Flask's method)."""
    return _sync_or_awaitable(_aio_process_response(self, response, _cv_request.get()))


def handle_http_exception(self: Flask, e: HTTPException) -> Any:
    """Call the error handler for an HTTP error, or return the error (Flask's method)."""
    return _sync_or_awaitable(_aio_handle_http_exception(self, e, _cv_request.get()))


def handle_user_exception(self: Flask, e: Exception) -> Any:
    """Call the error handler for `e`, or re-raise it (Flask's method)."""
    return _sync_or_awaitable(_aio_handle_user_exception(self, e, _cv_request.get()))


def handle_exception(self: Flask, e: Exception) -> Any:
    """Answer an unhandled exception with a 500, or re-raise it (Flask's method)."""
    return _sync_or_awaitable(_aio_handle_exception(self, e, _cv_request.get()))


_STOCK: dict[str, Callable[..., Any]] = {
    "full_dispatch_request": full_dispatch_request,
    "preprocess_request": preprocess_request,
    "dispatch_request": dispatch_request,
    "finalize_request": finalize_request,
    "process_response": process_response,
    "handle_http_exception": handle_http_exception,
    "handle_user_exception": handle_user_exception,
    "handle_exception": handle_exception,
}


async def _custom_step(self: Flask, ctx: RequestContext, name: str, *args: Any) -> Any:
    """Run pipeline step `name` through the app's own method (it may be wrapped)."""
    method = getattr(self, name)
    if getattr(method, "__func__", None) is _STOCK[name]:  # this step is not replaced
        return await _ASYNC[name](self, *args[:1], ctx, *args[1:])
    if _is_async_callable(method):
        rv = await method(*args)
    else:
        # Flask code: runs on the request's thread; what it calls of the async
        # pipeline runs on the loop meanwhile and hands back the result.
        rv = await ctx.run_sync(method, *args)
    if inspect.isawaitable(rv):
        rv = await rv
    return rv


async def handle_user_exception_step(self: Flask, ctx: RequestContext, e: Exception) -> Any:
    """The `handle_user_exception` step, as the server and the websocket code call it."""
    if self._aio_custom_pipeline:
        return await _custom_step(self, ctx, "handle_user_exception", e)
    return await _aio_handle_user_exception(self, e, ctx)


async def full_dispatch_step(self: Flask, ctx: RequestContext) -> Response:
    """The `full_dispatch_request` step, as the server calls it."""
    if self._aio_custom_pipeline:
        return cast(Response, await _custom_step(self, ctx, "full_dispatch_request"))
    return await _aio_full_dispatch_request(self, ctx)


_ASYNC: dict[str, Callable[..., Any]] = {
    "full_dispatch_request": _aio_full_dispatch_request,
    "preprocess_request": _aio_preprocess_request,
    "dispatch_request": _aio_dispatch_request,
    "finalize_request": _aio_finalize_request,
    "process_response": _aio_process_response,
    "handle_http_exception": _aio_handle_http_exception,
    "handle_user_exception": _aio_handle_user_exception,
    "handle_exception": _aio_handle_exception,
}
