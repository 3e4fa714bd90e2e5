"""The request pipeline of `Flask`: hooks, view dispatch, errors and teardown.

These functions are `Flask` methods (the class binds them by name, so
subclasses override them as in Flask); they live here to keep `app.py` to the
application object itself. Their order follows Flask 3.1's request lifecycle.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from ._convert import exception_response
from ._convert import make_response as _make_response
from .ctx import RequestContext, _is_async_callable
from .exceptions import (
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
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
from .wrappers import Response

if TYPE_CHECKING:
    from .app import Flask


async def full_dispatch_request(self: Flask, ctx: RequestContext | None = None) -> Response:
    """Read the body, run the hooks and the view, and turn the result into a response.

    Here and in the other pipeline methods `ctx` is the current request
    context; the server passes it to save a lookup.
    """
    if ctx is None:
        ctx = _cv_request.get()
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
            rv = await self.preprocess_request(ctx)
            if rv is None:
                rv = await self.dispatch_request(ctx)
        except Exception as e:
            rv = await self.handle_user_exception(e, ctx)
        response = await self.finalize_request(rv, ctx)
    except Exception as e:
        response = await self.handle_exception(e, ctx)
    if request._aio_close_connection:  # the client stalled while sending its body
        request._close_connection(response)
    return response


async def preprocess_request(self: Flask, ctx: RequestContext | None = None) -> Any:
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


async def dispatch_request(self: Flask, ctx: RequestContext | None = None) -> Any:
    """Raise a stored routing error, answer automatic OPTIONS, or call the view."""
    if ctx is None:
        ctx = _cv_request.get()
    request = ctx.request
    if request.routing_exception is not None:
        raise request.routing_exception
    rule = cast(Rule, request.url_rule)
    if request.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
        return self.make_default_options_response(ctx)
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


async def finalize_request(
    self: Flask, rv: Any, ctx: RequestContext | None = None, from_error_handler: bool = False
) -> Response:
    """`make_response`, the after-request hooks and the session save, then `request_finished`."""
    response = self.make_response(rv)
    try:
        response = await self.process_response(response, ctx)
        if request_finished.receivers:
            await _send_async(request_finished, self, response=response)
    except Exception:
        if not from_error_handler:
            raise
        self.logger.exception("Request finalizing failed with an error while handling an error")
    return response


async def process_response(
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
        await interface.save_session(self, session, response)


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


async def handle_http_exception(
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


async def handle_user_exception(
    self: Flask, e: Exception, ctx: RequestContext | None = None
) -> Any:
    """Handle an exception from a hook or view, or re-raise it when nothing handles it."""
    if ctx is None:
        ctx = _cv_request.get()
    if isinstance(e, BadRequestKeyError) and (self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]):
        e.show_exception = True
    if isinstance(e, HTTPException) and not self.trap_http_exception(e):
        return await self.handle_http_exception(e, ctx)
    handler = self._find_error_handler(e, ctx.request.blueprints)
    if handler is None:
        raise e
    return await self.ensure_async_call(handler, e)


async def handle_exception(
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
        return await self.finalize_request(rv, ctx, from_error_handler=True)
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
