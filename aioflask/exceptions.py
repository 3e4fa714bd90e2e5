"""HTTP exceptions: Werkzeug's own classes, plus aioflask's `abort`.

Every exception class here *is* the one in `werkzeug.exceptions` (and
`RequestRedirect` and `RoutingException` the ones in `werkzeug.routing`), so
`except werkzeug.exceptions.NotFound`, `isinstance` checks and error handlers
registered with either module's classes all see the same objects.

Werkzeug builds an exception's response for WSGI; aioflask never calls that
path. The application turns an exception into its own `Response` from
`get_body()`, `get_headers()` and `code` (see `aioflask._convert`), or uses
the exception's `response` when it carries one.

Only `Aborter` differs: aioflask's also takes a Starlette response or any
ASGI application, which `abort(response)` then sends as is.
"""

from __future__ import annotations

from typing import Any, NoReturn

from starlette.responses import Response as _StarletteResponse
from werkzeug.exceptions import Aborter as _WerkzeugAborter
from werkzeug.exceptions import BadGateway as BadGateway
from werkzeug.exceptions import BadHost as BadHost
from werkzeug.exceptions import BadRequest as BadRequest
from werkzeug.exceptions import BadRequestKeyError as BadRequestKeyError
from werkzeug.exceptions import ClientDisconnected as ClientDisconnected
from werkzeug.exceptions import Conflict as Conflict
from werkzeug.exceptions import ExpectationFailed as ExpectationFailed
from werkzeug.exceptions import FailedDependency as FailedDependency
from werkzeug.exceptions import Forbidden as Forbidden
from werkzeug.exceptions import GatewayTimeout as GatewayTimeout
from werkzeug.exceptions import Gone as Gone
from werkzeug.exceptions import HTTPException as HTTPException
from werkzeug.exceptions import HTTPVersionNotSupported as HTTPVersionNotSupported
from werkzeug.exceptions import ImATeapot as ImATeapot
from werkzeug.exceptions import InternalServerError as InternalServerError
from werkzeug.exceptions import LengthRequired as LengthRequired
from werkzeug.exceptions import Locked as Locked
from werkzeug.exceptions import MethodNotAllowed as MethodNotAllowed
from werkzeug.exceptions import MisdirectedRequest as MisdirectedRequest
from werkzeug.exceptions import NotAcceptable as NotAcceptable
from werkzeug.exceptions import NotFound as NotFound
from werkzeug.exceptions import NotImplemented as NotImplemented
from werkzeug.exceptions import PreconditionFailed as PreconditionFailed
from werkzeug.exceptions import PreconditionRequired as PreconditionRequired
from werkzeug.exceptions import RequestedRangeNotSatisfiable as RequestedRangeNotSatisfiable
from werkzeug.exceptions import RequestEntityTooLarge as RequestEntityTooLarge
from werkzeug.exceptions import RequestHeaderFieldsTooLarge as RequestHeaderFieldsTooLarge
from werkzeug.exceptions import RequestTimeout as RequestTimeout
from werkzeug.exceptions import RequestURITooLarge as RequestURITooLarge
from werkzeug.exceptions import SecurityError as SecurityError
from werkzeug.exceptions import ServiceUnavailable as ServiceUnavailable
from werkzeug.exceptions import TooManyRequests as TooManyRequests
from werkzeug.exceptions import Unauthorized as Unauthorized
from werkzeug.exceptions import UnavailableForLegalReasons as UnavailableForLegalReasons
from werkzeug.exceptions import UnprocessableEntity as UnprocessableEntity
from werkzeug.exceptions import UnsupportedMediaType as UnsupportedMediaType
from werkzeug.exceptions import default_exceptions as default_exceptions
from werkzeug.routing import RequestRedirect as RequestRedirect
from werkzeug.routing import RoutingException as RoutingException
from werkzeug.sansio.response import Response as _SansIOResponse

from .globals import _cv_app

__all__ = [
    "Aborter",
    "BadGateway",
    "BadHost",
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


class Aborter(_WerkzeugAborter):
    """Werkzeug's `Aborter`, also accepting the responses an aioflask view may return.

    Werkzeug's only wraps its own response objects. An aioflask or Starlette
    response, or any other ASGI application (a callable that is not a class),
    is wrapped the same way here: `abort(resp)` raises an `HTTPException`
    whose `response` is `resp`. An exception instance is raised as it is.
    Strings, `None` and other plain values still raise `LookupError`.
    """

    def __call__(self, code: int | Any, *args: Any, **kwargs: Any) -> NoReturn:
        if isinstance(code, int) or isinstance(code, _SansIOResponse):
            super().__call__(code, *args, **kwargs)
        if isinstance(code, HTTPException):
            # Callable too, but as a WSGI app: raise it rather than wrap it.
            raise code
        if isinstance(code, _StarletteResponse) or (callable(code) and not isinstance(code, type)):
            raise HTTPException(response=code)  # type: ignore[arg-type]  # sent as ASGI
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
