"""HTTP exceptions that a view can raise to end a request with an error status.

Every class here is an `HTTPException` with a `code` and a default
`description`. Raising one (directly or through `abort`) stops the view; the
application turns it into a small HTML error page, or calls the error handler
registered for that code or class. An instance is also a complete ASGI
application, so `await exc(scope, receive, send)` sends its response.

`RoutingException` and `RequestRedirect` live here as well so the URL router
and the application can share them without an import cycle.
"""

from __future__ import annotations

import http
from collections.abc import Iterable
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, NoReturn

from markupsafe import Markup, escape
from starlette.responses import Response as _StarletteResponse

from .globals import _cv_app

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from .wrappers import Response

__all__ = [
    "Aborter",
    "BadGateway",
    "BadRequest",
    "BadRequestKeyError",
    "ClientDisconnected",
    "Conflict",
    "ExpectationFailed",
    "FailedDependency",
    "Forbidden",
    "GatewayTimeout",
    "Gone",
    "HTTPException",
    "HTTPVersionNotSupported",
    "ImATeapot",
    "InternalServerError",
    "LengthRequired",
    "Locked",
    "MethodNotAllowed",
    "MisdirectedRequest",
    "NotAcceptable",
    "NotFound",
    "NotImplemented",
    "PreconditionFailed",
    "PreconditionRequired",
    "RequestEntityTooLarge",
    "RequestHeaderFieldsTooLarge",
    "RequestRedirect",
    "RequestTimeout",
    "RequestURITooLarge",
    "RequestedRangeNotSatisfiable",
    "RoutingException",
    "SecurityError",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnavailableForLegalReasons",
    "UnprocessableEntity",
    "UnsupportedMediaType",
    "abort",
    "default_exceptions",
]

# Reason phrases by status code. The standard library's table is the source,
# but a few phrases changed between Python versions (3.13 renamed 413, 416 and
# 422), so the names Flask applications see are pinned here to stay the same on
# every supported Python.
_STATUS_NAMES: dict[int, str] = {status.value: status.phrase for status in http.HTTPStatus}
_STATUS_NAMES.update(
    {
        413: "Request Entity Too Large",
        414: "Request URI Too Long",
        416: "Requested Range Not Satisfiable",
        418: "I'm a teapot",
        422: "Unprocessable Entity",
    }
)

_HTML_HEADER = ("Content-Type", "text/html; charset=utf-8")
_BR = Markup("<br>")


class HTTPException(Exception):
    """Base class of every HTTP error a view can raise.

    Subclasses set `code` and a default `description`. Pass `description` to
    replace the message shown in the error page, or `response` to send a
    ready-made response instead of the generated page (that is what
    `abort(response)` does).
    """

    code: int | None = None
    description: str | None = None

    def __init__(self, description: str | None = None, response: Any = None) -> None:
        super().__init__()
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self) -> str:
        """The reason phrase for `code`, such as `"Not Found"`."""
        if self.code is None:
            return "Unknown Error"
        return _STATUS_NAMES.get(self.code, "Unknown Error")

    def get_description(self) -> str:
        """Return the description as an HTML paragraph.

        The text is HTML-escaped, so a description built from request data
        cannot inject markup into the error page; line breaks become `<br>`.
        """
        text = escape(self.description or "").replace("\n", _BR)
        return f"<p>{text}</p>"

    def get_body(self) -> str:
        """Return the HTML error page sent as the response body."""
        name = escape(self.name)
        return (
            "<!doctype html>\n"
            "<html lang=en>\n"
            f"<title>{self.code} {name}</title>\n"
            f"<h1>{name}</h1>\n"
            f"{self.get_description()}\n"
        )

    def get_headers(self) -> list[tuple[str, str]]:
        """Return the headers of the error response as `(name, value)` pairs."""
        return [_HTML_HEADER]

    def get_response(self) -> Response:
        """Return the response for this error.

        That is the `response` given to the constructor when there is one;
        otherwise a new `Response` holding `get_body()`, with status `code`
        and the headers from `get_headers()`.
        """
        if self.response is not None:
            return self.response  # type: ignore[no-any-return]
        from .wrappers import Response

        return Response(self.get_body(), status=self.code, headers=self.get_headers())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send `get_response()` as an ASGI application."""
        await self.get_response()(scope, receive, send)

    def __str__(self) -> str:
        code = self.code if self.code is not None else "???"
        return f"{code} {self.name}: {self.description}"

    def __repr__(self) -> str:
        code = self.code if self.code is not None else "???"
        return f"<{type(self).__name__} '{code}: {self.name}'>"


class BadRequest(HTTPException):
    """400 Bad Request: the client sent something the application cannot process."""

    code = 400
    description = "The server could not understand the request sent by the browser or proxy."


class BadRequestKeyError(BadRequest, KeyError):
    """A missing key in request data: both a `KeyError` and a 400 `BadRequest`.

    Raised by `request.form["name"]`, `request.args["name"]` and the other
    multi-dicts, so code that expects a `KeyError` keeps working while an
    uncaught one becomes a 400 response. Set `show_exception` to `True` (the
    application does so in debug mode) to name the missing key in the page.
    """

    show_exception: bool = False
    _description: str = BadRequest.description

    def __init__(self, key: object = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if key is None:
            KeyError.__init__(self)
        else:
            KeyError.__init__(self, key)

    @property
    def description(self) -> str:
        """The page text; names the missing key only when `show_exception` is set."""
        if self.show_exception and self.args:
            return f"{self._description}\nKeyError: {KeyError.__str__(self)}"
        return self._description

    @description.setter
    def description(self, value: str) -> None:
        self._description = value


class ClientDisconnected(BadRequest):
    """The client went away before the request body was fully received.

    The response for it is rarely delivered; it exists so the condition can be
    recognised and kept out of error logs.
    """


class SecurityError(BadRequest):
    """A request was rejected for security reasons; otherwise a plain 400."""


class Unauthorized(HTTPException):
    """401 Unauthorized: the request lacks valid credentials.

    `www_authenticate` is one challenge (a string such as
    `'Basic realm="Login"'`) or several; each becomes a `WWW-Authenticate`
    header in the response.
    """

    code = 401
    description = (
        "The server could not verify that you are authorized to access the requested URL. "
        "The credentials may be wrong, or the client does not know how to supply them."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Any = None,
        www_authenticate: str | Iterable[Any] | None = None,
    ) -> None:
        super().__init__(description, response)
        if www_authenticate is None:
            self.www_authenticate: list[Any] = []
        elif isinstance(www_authenticate, str) or not isinstance(www_authenticate, Iterable):
            self.www_authenticate = [www_authenticate]
        else:
            self.www_authenticate = list(www_authenticate)

    def get_headers(self) -> list[tuple[str, str]]:
        """Add one `WWW-Authenticate` header per challenge."""
        headers = super().get_headers()
        headers.extend(("WWW-Authenticate", str(value)) for value in self.www_authenticate)
        return headers


class Forbidden(HTTPException):
    """403 Forbidden: the client is known but may not access the resource."""

    code = 403
    description = (
        "You do not have permission to access the requested resource. It is either "
        "read-protected or not readable by the server."
    )


class NotFound(HTTPException):
    """404 Not Found: nothing exists at the requested URL."""

    code = 404
    description = (
        "Nothing was found at the requested URL. If you typed the address by hand, check "
        "the spelling and try again."
    )


class MethodNotAllowed(HTTPException):
    """405 Method Not Allowed: the URL exists but not for this HTTP method.

    `valid_methods` lists the methods the URL does accept; they are sent in the
    `Allow` header, which a 405 response should carry.
    """

    code = 405
    description = "The requested URL does not accept this HTTP method."

    def __init__(
        self,
        valid_methods: Iterable[str] | None = None,
        description: str | None = None,
        response: Any = None,
    ) -> None:
        super().__init__(description, response)
        self.valid_methods = list(valid_methods) if valid_methods is not None else None

    def get_headers(self) -> list[tuple[str, str]]:
        """Add the `Allow` header listing `valid_methods`."""
        headers = super().get_headers()
        if self.valid_methods:
            headers.append(("Allow", ", ".join(self.valid_methods)))
        return headers


class NotAcceptable(HTTPException):
    """406 Not Acceptable: no representation matches the request's `Accept` headers."""

    code = 406
    description = (
        "The requested resource is only available in forms that the Accept headers sent "
        "with the request do not allow."
    )


class RequestTimeout(HTTPException):
    """408 Request Timeout: the client took too long to send the request."""

    code = 408
    description = (
        "The server closed the connection because the browser did not finish sending the "
        "request in time."
    )


class Conflict(HTTPException):
    """409 Conflict: the request clashes with the current state of the resource."""

    code = 409
    description = (
        "The request conflicts with the current state of the resource, which may have "
        "changed while the request was processed."
    )


class Gone(HTTPException):
    """410 Gone: the resource existed but was removed for good."""

    code = 410
    description = (
        "The requested URL is no longer available on this server and there is no "
        "forwarding address. If a link brought you here, please tell its author."
    )


class LengthRequired(HTTPException):
    """411 Length Required: the request needs a `Content-Length` header."""

    code = 411
    description = "A request with this method needs a valid <code>Content-Length</code> header."


class PreconditionFailed(HTTPException):
    """412 Precondition Failed: a conditional request header did not hold."""

    code = 412
    description = "A precondition given in the request headers did not hold for this URL."


class RequestEntityTooLarge(HTTPException):
    """413 Request Entity Too Large: the body exceeds the configured limit."""

    code = 413
    description = "The data sent is larger than this server accepts."


class RequestURITooLarge(HTTPException):
    """414 Request URI Too Long: the URL exceeds the server's limit."""

    code = 414
    description = "The requested URL is longer than this server can process."


class UnsupportedMediaType(HTTPException):
    """415 Unsupported Media Type: the body's content type is not handled."""

    code = 415
    description = "The server does not support the media type sent in the request."


class RequestedRangeNotSatisfiable(HTTPException):
    """416 Requested Range Not Satisfiable: the `Range` lies outside the resource.

    Give `length` (the full size of the resource) to send a
    `Content-Range: <units> */<length>` header, as the RFC asks for.
    """

    code = 416
    description = "The requested range lies outside the resource."

    def __init__(
        self,
        length: int | None = None,
        units: str = "bytes",
        description: str | None = None,
        response: Any = None,
    ) -> None:
        super().__init__(description, response)
        self.length = length
        self.units = units

    def get_headers(self) -> list[tuple[str, str]]:
        """Add `Content-Range` when `length` is known."""
        headers = super().get_headers()
        if self.length is not None:
            headers.append(("Content-Range", f"{self.units} */{self.length}"))
        return headers


class ExpectationFailed(HTTPException):
    """417 Expectation Failed: the `Expect` header cannot be met."""

    code = 417
    description = "The server cannot meet the requirements of the Expect header."


class ImATeapot(HTTPException):
    """418 I'm a teapot: the server refuses to brew coffee."""

    code = 418
    description = "This server is a teapot, so it cannot brew coffee."


class MisdirectedRequest(HTTPException):
    """421 Misdirected Request: this server cannot answer for the requested host."""

    code = 421
    description = "This server cannot produce a response for the requested host."


class UnprocessableEntity(HTTPException):
    """422 Unprocessable Entity: well-formed, but semantically invalid."""

    code = 422
    description = "The request was well-formed but its content could not be processed."


class Locked(HTTPException):
    """423 Locked: the resource is locked."""

    code = 423
    description = "The requested resource is locked."


class FailedDependency(HTTPException):
    """424 Failed Dependency: an action this one depended on failed."""

    code = 424
    description = "The action could not be performed because an action it depended on failed."


class PreconditionRequired(HTTPException):
    """428 Precondition Required: the request must be conditional."""

    code = 428
    description = (
        'This request must be conditional; send an "If-Match" or "If-Unmodified-Since" header.'
    )


class _RetryAfter(HTTPException):
    """Base for errors that may tell the client when to try again.

    `retry_after` is a number of seconds or a `datetime`; it becomes the
    `Retry-After` header.
    """

    def __init__(
        self,
        description: str | None = None,
        response: Any = None,
        retry_after: datetime | int | None = None,
    ) -> None:
        super().__init__(description, response)
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        """Add `Retry-After` when `retry_after` is set."""
        headers = super().get_headers()
        retry_after = self.retry_after
        if retry_after:
            if isinstance(retry_after, datetime):
                if retry_after.tzinfo is None:
                    retry_after = retry_after.replace(tzinfo=timezone.utc)
                else:
                    retry_after = retry_after.astimezone(timezone.utc)
                value = format_datetime(retry_after, usegmt=True)
            else:
                value = str(retry_after)
            headers.append(("Retry-After", value))
        return headers


class TooManyRequests(_RetryAfter):
    """429 Too Many Requests: the client exceeded a rate limit."""

    code = 429
    description = "You have sent more requests than allowed. Try again later."


class RequestHeaderFieldsTooLarge(HTTPException):
    """431 Request Header Fields Too Large: one header, or all of them, are too big."""

    code = 431
    description = "One or more header fields are larger than this server accepts."


class UnavailableForLegalReasons(HTTPException):
    """451 Unavailable For Legal Reasons: access is denied because of a legal demand."""

    code = 451
    description = "This resource is unavailable for legal reasons."


class InternalServerError(HTTPException):
    """500 Internal Server Error: the application failed.

    When an unhandled exception becomes a 500, the application passes it as
    `original_exception` so error handlers can inspect it.
    """

    code = 500
    description = (
        "The server hit an internal error and could not complete your request. The "
        "server may be overloaded, or there is an error in the application."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Any = None,
        original_exception: BaseException | None = None,
    ) -> None:
        self.original_exception = original_exception
        super().__init__(description, response)


class NotImplemented(HTTPException):
    """501 Not Implemented: the server does not support the requested action."""

    code = 501
    description = "The server does not support the action the browser requested."


class BadGateway(HTTPException):
    """502 Bad Gateway: an upstream server sent an invalid response."""

    code = 502
    description = "The proxy server got an invalid response from an upstream server."


class ServiceUnavailable(_RetryAfter):
    """503 Service Unavailable: the server is temporarily unable to respond."""

    code = 503
    description = (
        "The server cannot handle your request right now because of maintenance or "
        "overload. Please try again later."
    )


class GatewayTimeout(HTTPException):
    """504 Gateway Timeout: an upstream server did not answer in time."""

    code = 504
    description = "An upstream server did not respond in time."


class HTTPVersionNotSupported(HTTPException):
    """505 HTTP Version Not Supported: the request's protocol version is refused."""

    code = 505
    description = "The server does not support the HTTP version used in the request."


class RoutingException(Exception):
    """Base of the exceptions the URL router uses for control flow.

    Applications rarely see these directly; `RequestRedirect` is the one that
    is also an HTTP response.
    """


class RequestRedirect(HTTPException, RoutingException):
    """308 Permanent Redirect raised by the router, e.g. to add a trailing slash.

    `new_url` is the URL the client should request instead; it is sent as the
    `Location` header of the response.
    """

    code = 308

    def __init__(self, new_url: str) -> None:
        super().__init__(new_url)
        self.new_url = new_url

    def get_body(self) -> str:
        """Return a short HTML page linking to `new_url`."""
        url = escape(self.new_url)
        return (
            "<!doctype html>\n"
            "<html lang=en>\n"
            "<title>Redirecting...</title>\n"
            "<h1>Redirecting...</h1>\n"
            "<p>You should be redirected automatically to the target URL: "
            f'<a href="{url}">{url}</a>. If not, click the link.\n'
        )

    def get_headers(self) -> list[tuple[str, str]]:
        """Return the HTML content type and the `Location` header."""
        return [_HTML_HEADER, ("Location", self.new_url)]


def _collect_default_exceptions() -> dict[int, type[HTTPException]]:
    """Map each status code to the most general exception class that has it."""
    found: dict[int, type[HTTPException]] = {}
    for obj in list(globals().values()):
        if not (isinstance(obj, type) and issubclass(obj, HTTPException)):
            continue
        if obj.code is None or obj is RequestRedirect:
            continue
        current = found.get(obj.code)
        if current is None or issubclass(current, obj):
            found[obj.code] = obj
    return dict(sorted(found.items()))


default_exceptions: dict[int, type[HTTPException]] = _collect_default_exceptions()
"""Status code to exception class, for every error status defined here."""


class Aborter:
    """Raise the `HTTPException` registered for a status code.

    `mapping` replaces the default code-to-class table (`default_exceptions`)
    and `extra` adds to or overrides entries. Calling the instance with a code
    raises the class for it with the remaining arguments; calling it with a
    response object raises an `HTTPException` that sends that response.
    """

    def __init__(
        self,
        mapping: dict[int, type[HTTPException]] | None = None,
        extra: dict[int, type[HTTPException]] | None = None,
    ) -> None:
        self.mapping: dict[int, type[HTTPException]] = dict(
            default_exceptions if mapping is None else mapping
        )
        if extra is not None:
            self.mapping.update(extra)

    def __call__(self, code: int | Any, *args: Any, **kwargs: Any) -> NoReturn:
        """Raise the exception for `code`, or wrap a response object in one.

        Raises:
            LookupError: when `code` is neither a response nor a code in `mapping`.
        """
        if isinstance(code, int):
            exc_class = self.mapping.get(code)
            if exc_class is None:
                raise LookupError(f"no exception for {code!r}")
            raise exc_class(*args, **kwargs)
        # A response is an ASGI callable (a Response instance); strings, None and
        # other plain values are mistakes and must not be sent as a response.
        if isinstance(code, _StarletteResponse) or (callable(code) and not isinstance(code, type)):
            raise HTTPException(response=code)
        raise LookupError(f"no exception for {code!r}")


_default_aborter = Aborter()


def abort(status: int | Any, *args: Any, **kwargs: Any) -> NoReturn:
    """Stop the request by raising the `HTTPException` for `status`.

    `abort(404)` raises `NotFound`; further arguments go to the exception,
    e.g. `abort(400, description="Missing name")`. Passing a response object
    instead of a code raises an exception that sends that response as is.
    Inside an application context the application's `aborter` is used, so
    codes it registers work too.

    Raises:
        LookupError: when no exception is registered for `status`.
    """
    ctx = _cv_app.get(None)
    if ctx is not None:
        aborter = getattr(ctx.app, "aborter", None)
        if aborter is not None:
            aborter(status, *args, **kwargs)
    _default_aborter(status, *args, **kwargs)
