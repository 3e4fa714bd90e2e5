"""Application and request contexts, held in context variables.

Each context is one mutable object placed in a `ContextVar` (see
`globals.py`). Both work with plain `with` (as in Flask's quickstart and test
suites) and with `async with`; the async form also awaits `async def`
teardown functions.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextvars import Token
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ._threads import Worker
from .globals import _cv_app, _cv_request, _get_req_ctx
from .signals import (
    _send_async,
    _send_sync,
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
)

if TYPE_CHECKING:
    from .app import Flask
    from .sessions import SessionMixin
    from .wrappers import Request, Response

F = TypeVar("F", bound=Callable[..., Any])
_sentinel: Any = object()


class _AppCtxGlobals:
    """The `g` namespace: a plain object that holds attributes for one context.

    Besides attribute access it offers `get`, `pop`, `setdefault`, `in` and
    iteration over the names set.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        """Return the attribute `name`, or `default` when it is not set."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: Any = _sentinel) -> Any:
        """Remove and return `name`; without a default a missing name raises KeyError."""
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        """Return `name`, setting it to `default` first when it is missing."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        try:
            from .globals import _cv_app as cv

            return f"<aioflask.g of {cv.get().app.name!r}>"
        except LookupError:
            return object.__repr__(self)


class AppContext:
    """Binds `current_app` and a fresh `g` while it is pushed.

    ```python
    with app.app_context():
        init_db()
    ```
    Popping the outermost push runs the `teardown_appcontext` functions.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.g: _AppCtxGlobals = app.app_ctx_globals_class()
        self._tokens: list[Token[AppContext]] = []

    def push(self) -> None:
        """Make this the current application context, then send `appcontext_pushed`."""
        self._tokens.append(_cv_app.set(self))
        if appcontext_pushed.receivers:
            _send_sync(appcontext_pushed, self.app)

    async def apush(self) -> None:
        """Like `push`, awaiting `async def` receivers of `appcontext_pushed`."""
        self._tokens.append(_cv_app.set(self))
        if appcontext_pushed.receivers:
            await _send_async(appcontext_pushed, self.app)

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        """Undo `push`; the last pop runs the teardown functions (sync ones directly).

        `appcontext_popped` is sent once the context is unbound.
        """
        try:
            if len(self._tokens) == 1:
                if exc is _sentinel:
                    exc = None
                self.app.do_teardown_appcontext_sync(exc)
        finally:
            _cv_app.reset(self._tokens.pop())
        if appcontext_popped.receivers:
            _send_sync(appcontext_popped, self.app)

    async def apop(self, exc: BaseException | None = None) -> None:
        """Undo `push`, awaiting async teardown functions and receivers too."""
        try:
            if len(self._tokens) == 1:
                await self.app.do_teardown_appcontext(exc)
        finally:
            _cv_app.reset(self._tokens.pop())
        if appcontext_popped.receivers:
            await _send_async(appcontext_popped, self.app)

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.pop(ev)

    async def __aenter__(self) -> AppContext:
        await self.apush()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.apop(ev)


class RequestContext:
    """Everything bound to one HTTP request: the request, its session and callbacks.

    The server pushes one per request. Tests push one with
    `app.test_request_context(...)`. Pushing also pushes a new application
    context when none for this app is active.
    """

    #: Background tasks waiting for the response (`aioflask.background`): `()` or a
    #: list while the server handles the request, None otherwise (they start at once).
    _background: tuple[()] | list[Any] | None = None

    def __init__(self, app: Flask, request: Request) -> None:
        self.app = app
        self.request = request
        self._session: SessionMixin | None = None
        self._after_request_functions: list[Callable[[Response], Any]] = []
        self._worker: Worker | None = None
        self._app_ctx: AppContext | None = None
        self._tokens: list[tuple[Token[RequestContext], AppContext | None]] = []
        self._detached_app_ctx: AppContext | None = None
        #: The exception that escaped the handlers (teardown functions receive it).
        self._unhandled: BaseException | None = None

    def match_request(self) -> None:
        """Match the request's URL against the app's rules (again), as Flask's method does.

        aioflask matches before the session is opened, so a session interface
        may read `request.endpoint` without calling this; calling it is harmless.
        """
        self.app.match_request(self.request)

    # -- session ---------------------------------------------------------
    @property
    def session(self) -> SessionMixin:
        """The session, opened from the request on first use; using it sets `accessed`."""
        session = self._session
        if session is None:
            session = self._session = self.app._open_session_now(self.request)
        session.accessed = True  # as in Flask 3.1.3: any use adds `Vary: Cookie`
        return session

    @session.setter
    def session(self, value: SessionMixin) -> None:
        self._session = value

    # -- sync callables on this request's thread ---------------------------
    async def run_sync(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run a sync callable on this request's worker thread (checked out on first use)."""
        worker = self._worker
        if worker is None:
            pool = self.app.worker_pool
            worker = await pool.acquire()
            if not self._tokens:
                # The request has ended (a task it spawned runs on), maybe while this
                # call waited for a worker: borrow one for this call only, so none is
                # kept checked out forever.
                try:
                    return await worker.run(func, *args, **kwargs)
                finally:
                    pool.release(worker)
            if self._worker is not None:  # another task of this request got one meanwhile
                pool.release(worker)
                worker = self._worker
            else:
                self._worker = worker
        return await worker.run(func, *args, **kwargs)

    def release_worker(self) -> None:
        if self._worker is not None:
            self.app.worker_pool.release(self._worker)
            self._worker = None

    # -- push / pop ----------------------------------------------------------
    def push(self) -> None:
        """Bind this request (and an app context if needed) to the current context."""
        app_ctx = _cv_app.get(None)
        pushed: AppContext | None = None
        if app_ctx is None or app_ctx.app is not self.app:
            pushed = self.app.app_context()
            pushed.push()
        self._tokens.append((_cv_request.set(self), pushed))

    async def apush(self) -> None:
        """Like `push`, awaiting `async def` receivers of `appcontext_pushed` (the server's way)."""
        app_ctx = _cv_app.get(None)
        pushed: AppContext | None = None
        if app_ctx is None or app_ctx.app is not self.app:
            pushed = self.app.app_context()
            await pushed.apush()
        self._tokens.append((_cv_request.set(self), pushed))

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        """Undo `push`, running sync teardown functions (the `with` form)."""
        if exc is _sentinel:
            exc = None
        last = len(self._tokens) == 1
        token, app_ctx = self._tokens[-1]
        try:
            if last:
                try:
                    self.app.do_teardown_request_sync(exc)
                finally:
                    if app_ctx is not None and len(app_ctx._tokens) == 1:
                        self.app.do_teardown_appcontext_sync(exc)
        finally:
            self._tokens.pop()
            _cv_request.reset(token)
            if app_ctx is not None:
                _cv_app.reset(app_ctx._tokens.pop())
            if last:
                self.request._close_sync()
                self.release_worker()
        if app_ctx is not None and appcontext_popped.receivers:
            _send_sync(appcontext_popped, self.app)

    async def apop(self, exc: BaseException | None = None) -> None:
        """Undo `push`, awaiting the teardown functions (the `async with` form).

        The request's teardown functions run first, then the app context's,
        all while this context is still bound, so sync ones share the
        request's worker thread.
        """
        last = len(self._tokens) == 1
        token, app_ctx = self._tokens[-1]
        try:
            if last:
                try:
                    await self.app.do_teardown_request(exc, self)
                finally:
                    if (
                        app_ctx is not None
                        and len(app_ctx._tokens) == 1
                        and (
                            self.app.teardown_appcontext_funcs or appcontext_tearing_down.receivers
                        )
                    ):
                        await self.app.do_teardown_appcontext(exc)
        finally:
            self._tokens.pop()
            _cv_request.reset(token)
            if app_ctx is not None:
                _cv_app.reset(app_ctx._tokens.pop())
            if last:
                self.request._close_sync()
                if self._worker is not None:
                    self.release_worker()
        if app_ctx is not None and appcontext_popped.receivers:
            await _send_async(appcontext_popped, self.app)

    def detach(self) -> None:
        """Unbind this context without tearing it down (the test client's `with client:`)."""
        token, app_ctx = self._tokens.pop()
        _cv_request.reset(token)
        if app_ctx is not None:
            _cv_app.reset(app_ctx._tokens.pop())
        self._detached_app_ctx = app_ctx

    def reattach(self) -> None:
        """Bind a detached context again, in the caller's context."""
        app_ctx = self._detached_app_ctx
        if app_ctx is not None:
            app_ctx._tokens.append(_cv_app.set(app_ctx))  # not a new push: no signal
        self._tokens.append((_cv_request.set(self), app_ctx))

    def copy(self) -> RequestContext:
        """A new context sharing this one's request and session (for other tasks/threads)."""
        new = RequestContext(self.app, self.request)
        new._session = self.session  # opened now if needed, so both share one object
        return new

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.pop(ev)

    async def __aenter__(self) -> RequestContext:
        await self.apush()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.apop(ev)

    def __repr__(self) -> str:
        return f"<RequestContext {self.request.method} {self.request.path!r} of {self.app.name!r}>"


def has_request_context() -> bool:
    """True inside a request (or a pushed test request context)."""
    return _cv_request.get(None) is not None


def has_app_context() -> bool:
    """True when an application context is active."""
    return _cv_app.get(None) is not None


def after_this_request(f: F) -> F:
    """Register `f(response)` to run after the current request's view.

    Unlike `app.after_request`, it applies to this request only, and runs
    before the app-wide after-request hooks. It must return a response.

    ```python
    @app.get("/")
    def index():
        @after_this_request
        def remember(response):
            response.set_cookie("seen", "yes")
            return response
        return "hello"
    ```
    """
    try:
        ctx = _cv_request.get()
    except LookupError:
        raise RuntimeError(
            "'after_this_request' can only be used while a request is being handled; "
            "call it from a view or a before_request function."
        ) from None
    ctx._after_request_functions.append(f)
    return f


def copy_current_request_context(f: F) -> F:
    """Bind the current request context to `f`, for use from another task or thread.

    The wrapped function pushes a copy of the context (same request and
    session) while it runs. Works for `def` and `async def` functions.
    """
    try:
        ctx = _get_req_ctx().copy()
    except RuntimeError:
        raise RuntimeError(
            "'copy_current_request_context' needs an active request; call it inside a view."
        ) from None

    # As in Flask, each call pushes the copy (with a new app context when none
    # for this app is active, as in a new thread) and pops it afterwards, which
    # runs the teardown functions: a database handle the function opened in
    # its `g` is closed by `teardown_appcontext`.
    if _is_async_callable(f):

        @functools.wraps(f)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            ctx.push()
            try:
                rv = await f(*args, **kwargs)
            except BaseException as e:
                await ctx.apop(e)
                raise
            await ctx.apop(None)
            return rv

        return cast(F, async_wrapper)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx.push()
        try:
            rv = f(*args, **kwargs)
        except BaseException as e:
            ctx.pop(e)
            raise
        ctx.pop(None)
        return rv

    return cast(F, wrapper)


def _is_async_callable(f: Any) -> bool:
    """True for coroutine functions, including partials and objects with async `__call__`."""
    while isinstance(f, functools.partial):
        f = f.func
    return inspect.iscoroutinefunction(f) or inspect.iscoroutinefunction(
        getattr(f, "__call__", None)  # noqa: B004 - looking for an async __call__
    )


__all__ = [
    "AppContext",
    "RequestContext",
    "after_this_request",
    "copy_current_request_context",
    "has_app_context",
    "has_request_context",
]
