"""Turning a view's return value into a `Response` (Flask's `make_response` rules)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers as _StarletteHeaders
from starlette.responses import Response as _StarletteResponse
from starlette.types import Message, Receive, Scope, Send
from werkzeug.datastructures import Headers as _WerkzeugHeaders
from werkzeug.sansio.response import Response as _WerkzeugResponse

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
            if isinstance(rv[1], (_WerkzeugHeaders, _StarletteHeaders, dict, tuple, list)):
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
            rv = exception_response(rv, response_class)
        elif isinstance(rv, _WerkzeugResponse):
            rv = from_werkzeug(rv, response_class)
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


def exception_response(e: HTTPException, response_class: type[Response] = Response) -> Response:
    """The response an `HTTPException` stands for, as an aioflask `Response`.

    That is the exception's `response` when it has one (converted if it is a
    Werkzeug response, wrapped if it is a Starlette response or another ASGI
    app). A class that overrides `get_response` (Werkzeug's `RequestRedirect`,
    or an application's own) gets its result converted. Otherwise the page
    is built from `get_body()`, `get_headers()` and `code`, without going
    through Werkzeug's WSGI response.
    """
    rv: Any = e.response
    if rv is None:
        if type(e).get_response is not HTTPException.get_response:
            rv = e.get_response()
        else:
            return response_class(e.get_body(), status=e.code, headers=e.get_headers())
    if isinstance(rv, Response):
        return rv
    if isinstance(rv, _WerkzeugResponse):
        return from_werkzeug(rv, response_class)
    return _ForeignResponse(rv)


def from_werkzeug(rv: _WerkzeugResponse, response_class: type[Response] = Response) -> Response:
    """Copy a Werkzeug response (status, headers, body) into an aioflask `Response`.

    This is what lets an error handler return `e.get_response()`, as Flask's
    documentation shows. A streamed Werkzeug body is streamed again; a sans-IO
    response, which has no body, gives an empty one.
    """
    body: Any = b""
    get_data = getattr(rv, "get_data", None)
    if get_data is not None:
        if getattr(rv, "is_streamed", False):
            body = iter(rv.response)  # type: ignore[attr-defined]
        else:
            body = get_data()
    response = response_class(body, status=rv.status)
    response.headers = rv.headers.copy()
    if isinstance(body, bytes):
        response.headers["Content-Length"] = str(len(body))
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
        else:
            self.raw_headers = []

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
