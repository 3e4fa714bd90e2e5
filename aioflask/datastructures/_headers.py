"""`Headers` (Werkzeug's class), `RequestHeaders`, and encoding headers for ASGI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import Headers as Headers
from werkzeug.datastructures import ImmutableHeadersMixin as _ImmutableHeadersMixin


def _encode_name(key: str) -> bytes:
    """Return the lower-cased header name as bytes, rejecting line breaks and NUL."""
    if "\n" in key or "\r" in key or "\x00" in key:
        raise ValueError(
            "Header names must not contain newline or NUL characters; use a plain token "
            "such as 'X-Request-Id'."
        )
    try:
        return key.lower().encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(
            f"Header name {key!r} is not Latin-1 text; header names must be ASCII tokens."
        ) from None


def _encode_value(value: Any) -> bytes:
    """Return a header value as bytes, rejecting line breaks and NUL.

    Non-string values (ints, for example) are converted with `str()`; bytes
    are taken as Latin-1.
    """
    if type(value) is not str:
        if isinstance(value, (bytes, bytearray)):
            value = bytes(value).decode("latin-1")
        else:
            value = str(value)
    if "\n" in value or "\r" in value or "\x00" in value:
        raise ValueError(
            "Header values must not contain newline characters (or NUL); remove or encode "
            "them before setting the header."
        )
    try:
        return value.encode("latin-1")  # type: ignore[no-any-return]
    except UnicodeEncodeError:
        raise ValueError(
            f"Header value {value!r} is not Latin-1 text; percent-encode non-ASCII text or "
            "use an RFC 5987 'key*=UTF-8''...' parameter."
        ) from None


def encode_headers(headers: Headers) -> list[tuple[bytes, bytes]]:
    """Return `headers` as the ASGI list of lower-cased `(name, value)` byte pairs.

    Werkzeug's `Headers` already refuses line breaks in values; this also
    refuses them (and NUL) in names, and refuses text that is not Latin-1,
    with a `ValueError` naming the fix.
    """
    return [(_encode_name(key), _encode_value(value)) for key, value in headers.items()]


class RequestHeaders(_ImmutableHeadersMixin, Headers):  # type: ignore[misc]
    """The read-only headers of a request (`request.headers`, `websocket.headers`).

    A Werkzeug `Headers`, so `isinstance` checks against it hold and all its
    read methods work (`get(key, default, type)`, `getlist`, `get_all`,
    case-insensitive `in`); a missing header read with `[]` raises
    `BadRequestKeyError`. Names are title-cased as Werkzeug's WSGI request
    headers are (`Content-Type`). Werkzeug has no class that reads an ASGI
    scope, hence this subclass; changing it raises `TypeError`, and `copy()`
    gives a mutable `Headers`.
    """

    def __init__(self, scope: Mapping[str, Any]) -> None:
        self._list = [
            (key.decode("latin-1").title(), value.decode("latin-1"))
            for key, value in scope["headers"]
        ]

    def copy(self) -> Headers:  # type: ignore[override]
        """Return a mutable `Headers` with the same items."""
        return Headers(self._list)

    def __copy__(self) -> Headers:  # type: ignore[override]
        return self.copy()
