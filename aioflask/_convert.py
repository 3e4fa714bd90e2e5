"""Turning a view's return value into a `Response` (Flask's `make_response` rules)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers as _StarletteHeaders
from starlette.responses import Response as _StarletteResponse
from starlette.types import Message, Receive, Scope, Send

from .exceptions import HTTPException
from .globals import _cv_request
from .wrappers import Response

if TYPE_CHECKING:
    from .app import Flask


def make_response(app: Flask, rv: Any) -> Response:
    status: Any = None
    headers: Any = None
    if isinstance(rv, tuple):
        n = len(rv)
        if n == 3:
            rv, status, headers = rv
        elif n == 2:
            if isinstance(rv[1], (_StarletteHeaders, dict, tuple, list)):
                rv, headers = rv
            else:
                rv, status = rv
        else:
            raise TypeError(
                "The view function did not return a valid response tuple. The tuple must "
                "have the form (body, status, headers), (body, status), or (body, headers)."
            )
        if isinstance(status, bytearray):
            status = bytes(status)
    if rv is None:
        raise TypeError(
            f"The view function for {_endpoint_name()!r} did not return a valid response. "
            "The function either returned None or ended without a return statement."
        )
    response_class = app.response_class
    if not isinstance(rv, response_class):
        if isinstance(rv, (str, bytes, bytearray)) or isinstance(rv, (Iterator, AsyncIterator)):
            rv = response_class(rv, status=status, headers=headers)
            status = headers = None
        elif isinstance(rv, (dict, list)):
            rv = app.json.response(rv)
        elif isinstance(rv, HTTPException):
            rv = rv.get_response()
            if not isinstance(rv, Response):  # abort() given a Starlette or ASGI response
                rv = _ForeignResponse(rv)
        elif isinstance(rv, _StarletteResponse):
            rv = _ForeignResponse(rv)
        elif callable(rv):
            rv = _ForeignResponse(rv)
        else:
            raise TypeError(
                f"The view function for {_endpoint_name()!r} did not return a valid response. "
                "The return type must be a string, dict, list, tuple with headers or status, "
                "Response instance, iterator, or ASGI callable, but it was a "
                f"{type(rv).__name__}."
            )
    response: Response = rv
    if status is not None:
        if isinstance(status, (str, bytes)):
            response.status = status
        else:
            response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def _endpoint_name() -> str | None:
    ctx = _cv_request.get(None)
    return ctx.request.endpoint if ctx is not None else None


class _ForeignResponse(Response):
    """A Starlette response or any ASGI app returned by a view, sent as is.

    For a Starlette response the status and headers are shared, so
    after-request hooks can still change them. For another ASGI app the
    headers added here (by after-request hooks, the session cookie) are
    appended to the ones the app sends; its status and body are its own.
    """

    def __init__(self, app: Callable[..., Any]) -> None:
        super().__init__()
        self._app = app
        if isinstance(app, _StarletteResponse):
            self.status_code = app.status_code
            self.raw_headers = app.raw_headers
            self.__dict__.pop("_headers", None)
        else:
            self.raw_headers.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app
        if isinstance(app, _StarletteResponse):
            app.status_code = self.status_code
            app.raw_headers = self.raw_headers
            await app(scope, receive, send)
            return
        extra = self.raw_headers
        if not extra:
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await app(scope, receive, send_with_headers)
