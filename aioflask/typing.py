"""Public type aliases for views, hooks and handlers.

Every callback may be a plain function or a coroutine function; the aliases
accept both, and the registering decorators keep the decorated function's
own type.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from starlette.datastructures import Headers as _StarletteHeaders
    from werkzeug.datastructures import Headers as _WerkzeugHeaders
    from werkzeug.sansio.response import Response as _WerkzeugResponse

    from .wrappers import Response

ResponseValue = Union[
    "Response",
    # What `HTTPException.get_response()` gives; aioflask converts it.
    "_WerkzeugResponse",
    str,
    bytes,
    bytearray,
    Mapping[str, Any],
    list[Any],
    Iterable[str],
    Iterable[bytes],
    AsyncIterable[str],
    AsyncIterable[bytes],
    Callable[..., Awaitable[None]],
]
StatusCode = Union[int, str]
HeaderValue = Union[str, list[str], tuple[str, ...]]
HeadersValue = Union[
    "_WerkzeugHeaders",
    "_StarletteHeaders",
    Mapping[str, HeaderValue],
    Sequence[tuple[str, HeaderValue]],
]
ResponseReturnValue = Union[
    ResponseValue,
    tuple[ResponseValue, HeadersValue],
    tuple[ResponseValue, StatusCode],
    tuple[ResponseValue, StatusCode, HeadersValue],
]

RouteCallable = Callable[..., ResponseReturnValue | Awaitable[ResponseReturnValue]]
BeforeRequestCallable = Callable[[], Any | Awaitable[Any]]
AfterRequestCallable = Callable[[Any], Any | Awaitable[Any]]
TeardownCallable = Callable[[BaseException | None], None | Awaitable[None]]
ErrorHandlerCallable = Callable[[Any], ResponseReturnValue | Awaitable[ResponseReturnValue]]
TemplateContextProcessorCallable = Callable[[], dict[str, Any] | Awaitable[dict[str, Any]]]
URLValuePreprocessorCallable = Callable[[str | None, dict[str, Any] | None], None]
URLDefaultCallable = Callable[[str, dict[str, Any]], None]
LifespanCallable = Callable[[], None | Awaitable[None]]

#: What `app.asgi_app` holds: any ASGI 3 callable, `await app(scope, receive, send)`.
#: Its parameters are left as `Any` so that middleware typed with Starlette's
#: aliases, uvicorn's `TypedDict` scopes or asgiref's all fit, both as what is
#: wrapped and as what is assigned: `app.asgi_app = Middleware(app.asgi_app)`.
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]
