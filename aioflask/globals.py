"""The context variables and the typed proxies bound to them.

`current_app` and `g` live on the application context; `request` and `session`
on the request context, and `websocket` on a WebSocket connection's context
(a request context too). Each context is one mutable object stored in a
`ContextVar` before a request is dispatched, so code running in a worker thread
(sync views) or in a task a view spawns sees the same objects.
"""

from __future__ import annotations

import importlib
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

from ._proxy import LocalProxy

if TYPE_CHECKING:
    from .app import Flask
    from .ctx import AppContext, RequestContext, _AppCtxGlobals
    from .sessions import SessionMixin
    from .websocket import Websocket
    from .wrappers import Request

_cv_app: ContextVar[AppContext] = ContextVar("aioflask.app_ctx")
_cv_request: ContextVar[RequestContext] = ContextVar("aioflask.request_ctx")

_no_app_msg = (
    "Working outside of application context. This code needs the current application "
    "(current_app or g). Push a context with 'with app.app_context():' (or "
    "'async with app.app_context():') around it, or run it inside a request."
)
_no_req_msg = (
    "Working outside of request context. This code needs an active HTTP request "
    "(request or session). Run it inside a view, or push one for tests with "
    "'with app.test_request_context(\"/\"):'."
)


def _get_app_ctx() -> AppContext:
    try:
        return _cv_app.get()
    except LookupError:
        raise RuntimeError(_no_app_msg) from None


def _get_req_ctx() -> RequestContext:
    try:
        return _cv_request.get()
    except LookupError:
        raise RuntimeError(_no_req_msg) from None


def _get_app() -> Flask:
    return _get_app_ctx().app


def _get_g() -> _AppCtxGlobals:
    return _get_app_ctx().g


def _get_request() -> Request:
    return _get_req_ctx().request


def _get_session() -> SessionMixin:
    return _get_req_ctx().session


_no_ws_msg = (
    "Working outside of WebSocket context. This code needs an open WebSocket connection "
    "(the websocket global). Use it in a handler registered with '@app.websocket(...)' "
    "or in its before_websocket/after_websocket hooks."
)
# Names of the module `aioflask/websocket.py`, which the `websocket` proxy also answers for.
_WS_MODULE_NAMES = frozenset(
    {
        "WebSocketDisconnect",
        "Websocket",
        "WebsocketContext",
        "WebsocketMessageError",
        "has_websocket_context",
    }
)


def _get_websocket() -> Websocket:
    # A WebSocket connection's context is a request context with a `websocket`.
    ws: Websocket | None = getattr(_cv_request.get(None), "websocket", None)
    if ws is None:
        raise RuntimeError(_no_ws_msg)
    return ws


class _WebsocketProxy(LocalProxy["Websocket"]):
    """The `websocket` proxy, which also gives the names of the `aioflask.websocket` module.

    `aioflask.websocket` names both this proxy (the package attribute, as in
    `from aioflask import websocket`) and a module. So that
    `aioflask.websocket.WebSocketDisconnect` works anywhere, without a
    connection, the module's public names are looked up there.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name in _WS_MODULE_NAMES:
            return getattr(importlib.import_module("aioflask.websocket"), name)
        return getattr(self._getter(), name)

    def __aiter__(self) -> Any:  # `async for message in websocket:` (dunders skip __getattr__)
        return self._getter().__aiter__()


#: The current application context and request context themselves, as in Flask 3.1's
#: `flask.globals`. Extensions use them to keep state on the context
#: (`request_ctx.some_attr`) and tests to check that no context leaked
#: (`while request_ctx: request_ctx.pop()`); both are falsy when nothing is pushed.
app_ctx: AppContext = cast("AppContext", LocalProxy(_get_app_ctx, "app_ctx"))
request_ctx: RequestContext = cast("RequestContext", LocalProxy(_get_req_ctx, "request_ctx"))
current_app: Flask = cast("Flask", LocalProxy(_get_app, "current_app"))
g: _AppCtxGlobals = cast("_AppCtxGlobals", LocalProxy(_get_g, "g"))
request: Request = cast("Request", LocalProxy(_get_request, "request"))
session: SessionMixin = cast("SessionMixin", LocalProxy(_get_session, "session"))
websocket: Websocket = cast("Websocket", _WebsocketProxy(_get_websocket, "websocket"))

__all__ = ["app_ctx", "current_app", "g", "request", "request_ctx", "session", "websocket"]
