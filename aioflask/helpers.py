"""Helpers used inside views: `url_for`, `redirect`, `make_response`, `flash`, files.

None of these need `await`: they do no I/O (sending a file is done when the
response is sent, off the event loop).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, overload
from urllib.parse import quote

from markupsafe import escape

from .globals import _cv_request, current_app, session
from .sending import send_file as send_file
from .sending import send_from_directory as send_from_directory
from .signals import _send_sync, message_flashed
from .utils import safe_join as safe_join

if TYPE_CHECKING:
    from .wrappers import Response

T = TypeVar("T")
_Stream = TypeVar("_Stream", bound="Iterator[Any] | AsyncIterator[Any]")
_StreamFunction = TypeVar(
    "_StreamFunction", bound=Callable[..., "Iterator[Any] | AsyncIterator[Any]"]
)
_IRI_SAFE = "/%:@&?=+$,;#!~*'()[]"


def url_for(
    endpoint: str,
    /,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: Any,
) -> str:
    """Build the URL of `endpoint` with `values` for its rule's variables.

    Values that are not rule variables become the query string:
    `url_for("login", next="/")` is `/login?next=/`. Inside a request URLs
    are relative unless `_external=True`; outside one, `SERVER_NAME` must be
    set. `.name` refers to an endpoint of the current blueprint. The ASGI
    `root_path` (an app mounted under `/myapp`) is prepended.
    """
    return current_app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def _make_redirect(response_class: type[Response], location: str, code: int) -> Response:
    if not location.isascii():
        location = quote(location, safe=_IRI_SAFE)
    html_location = escape(location)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        f'<h1>Redirecting...</h1>\n<p>This page has moved to <a href="{html_location}">'
        f"{html_location}</a>.</p>\n"
    )
    response = response_class(body, status=code, mimetype="text/html")
    response.headers["Location"] = location
    return response


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:
    """A redirect response to `location` (kept as given: relative stays relative).

    A location containing CR or LF raises `ValueError`, so no header can be
    injected through it.
    """
    if Response is None:
        from .globals import _cv_app

        app_ctx = _cv_app.get(None)
        if app_ctx is not None:
            return app_ctx.app.redirect(location, code)
        from .wrappers import Response as default_response

        Response = default_response
    return _make_redirect(Response, location, code)


def make_response(*args: Any) -> Response:
    """Turn view-style return values into a `Response` you can change before returning.

    ```python
    resp = make_response(render_template("error.html"), 404)
    resp.headers["X-Something"] = "A value"
    return resp
    ```
    With no arguments it returns an empty 200 response.
    """
    from ._convert import make_response as _make_response

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not args:
        return app.response_class()  # type: ignore[no-any-return]
    return _make_response(app, args[0] if len(args) == 1 else args)


def flash(message: str, category: str = "message") -> None:
    """Store a message in the session for the next request; no `await` needed.

    The next request (usually the page a redirect leads to) reads it with
    `get_flashed_messages()`, typically in the layout template. `category` is
    free text; "message", "info", "warning" and "error" are the usual ones.
    Needs a secret key, as the messages travel in the session. Sends
    `message_flashed`.
    """
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    if message_flashed.receivers:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        _send_sync(message_flashed, app, message=message, category=category)


def get_flashed_messages(with_categories: bool = False, category_filter: Any = ()) -> list[Any]:
    """Take the flashed messages out of the session and return them.

    The first call in a request removes them from the session; later calls
    in the same request return the same messages. `with_categories=True`
    gives `(category, message)` pairs; `category_filter` keeps only the
    listed categories. Also available in templates.
    """
    ctx = _cv_request.get(None)
    flashes: list[tuple[str, str]] | None = getattr(ctx, "_flashes", None) if ctx else None
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        if ctx is not None:
            ctx._flashes = flashes  # type: ignore[attr-defined]
    if category_filter:
        flashes = [f for f in flashes if f[0] in category_filter]
    if not with_categories:
        return [f[1] for f in flashes]
    return list(flashes)


@overload
def stream_with_context(generator_or_function: _Stream) -> _Stream: ...
@overload
def stream_with_context(generator_or_function: _StreamFunction) -> _StreamFunction: ...
def stream_with_context(generator_or_function: Any) -> Any:
    """Kept for Flask code: aioflask keeps the request context alive while streaming.

    Takes a generator (or any iterator) and gives it back, or decorates a
    generator function; either way the type is the one passed in.
    """
    if callable(generator_or_function) and not isinstance(generator_or_function, Iterator):

        def decorator(*args: Any, **kwargs: Any) -> Any:
            return generator_or_function(*args, **kwargs)

        return decorator
    return generator_or_function


__all__ = [
    "flash",
    "get_flashed_messages",
    "make_response",
    "redirect",
    "safe_join",
    "send_file",
    "send_from_directory",
    "stream_with_context",
    "url_for",
]


def get_debug_flag() -> bool:
    """Debug mode as the `FLASK_DEBUG` environment variable sets it (off for 0/false/no)."""
    value = os.environ.get("FLASK_DEBUG", "")
    return value.lower() not in ("", "0", "false", "no")


def get_load_dotenv(default: bool = True) -> bool:
    """Whether the CLI should load `.env` files: `default` unless `FLASK_SKIP_DOTENV` is set.

    `FLASK_SKIP_DOTENV=1` (any value but 0/false/no) turns loading off.
    """
    value = os.environ.get("FLASK_SKIP_DOTENV", "")
    if not value:
        return default
    return value.lower() in ("0", "false", "no")
