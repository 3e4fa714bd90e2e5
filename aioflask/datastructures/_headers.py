"""Header values: parsing helpers, `Headers` and `RequestHeaders`.

`Headers` is Werkzeug's class; response headers are one. `RequestHeaders` is
a read-only Werkzeug `Headers` filled from an ASGI scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from werkzeug.datastructures import Headers as Headers
from werkzeug.datastructures import ImmutableHeadersMixin as _ImmutableHeadersMixin

_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~"
)


def quote_header_value(value: object, allow_token: bool = True) -> str:
    """Return `value` as a header parameter value, quoted when needed.

    Values made only of token characters are returned as they are (unless
    `allow_token` is false); others are wrapped in double quotes with `"`
    and `\\` backslash-escaped. The empty string becomes `""`.
    """
    text = str(value)
    if not text:
        return '""'
    if allow_token and _TOKEN_CHARS.issuperset(text):
        return text
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def dump_options_header(header: str | None, options: Mapping[str, Any]) -> str:
    """Join a header value and `key=value` parameters with `"; "`.

    `dump_options_header("text/html", {"charset": "utf-8"})` gives
    `"text/html; charset=utf-8"`. Parameters whose value is `None` are left
    out; values are quoted as needed, except for keys ending in `*`, whose
    values are expected to be RFC 2231 encoded already.
    """
    parts = [] if header is None else [header]
    for key, value in options.items():
        if value is None:
            continue
        if key.endswith("*"):
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{key}={quote_header_value(value)}")
    return "; ".join(parts)


def parse_list_header(value: str) -> list[str]:
    """Split a comma-separated header value, honouring double-quoted strings.

    Items are stripped; empty items are dropped. An item that is entirely one
    quoted string is unquoted. Runs in time linear in the length of `value`.
    """
    if '"' not in value:
        return [item for item in (part.strip(" \t") for part in value.split(",")) if item]
    items: list[str] = []
    start = 0
    in_quote = False
    escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif in_quote:
            if char == "\\":
                escaped = True
            elif char == '"':
                in_quote = False
        elif char == '"':
            in_quote = True
        elif char == ",":
            items.append(value[start:index])
            start = index + 1
    items.append(value[start:])
    result = []
    for raw in items:
        item = raw.strip(" \t")
        if not item:
            continue
        if len(item) >= 2 and item[0] == item[-1] == '"':
            item = _unquote(item[1:-1])
        result.append(item)
    return result


def _unquote(text: str) -> str:
    """Resolve backslash escapes inside a quoted string's content."""
    if "\\" not in text:
        return text
    out: list[str] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\\" and index + 1 < length:
            out.append(text[index + 1])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _decode_extended(value: str) -> str | None:
    """Decode an RFC 2231 `charset'language'percent-encoded` value, or return None."""
    charset, sep, rest = value.partition("'")
    if not sep:
        return None
    _language, sep, encoded = rest.partition("'")
    if not sep:
        return None
    charset = charset.lower() or "utf-8"
    if charset not in {"utf-8", "us-ascii", "ascii", "iso-8859-1", "latin-1"}:
        return None
    try:
        return unquote(encoded, encoding=charset, errors="strict")
    except (UnicodeDecodeError, LookupError):
        return None


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """Split a header like `Content-Type` into its value and parameters.

    `parse_options_header('text/html; charset="utf-8"')` gives
    `("text/html", {"charset": "utf-8"})`. Parameter names are lower-cased,
    quoted values are unquoted, parts without `=` are skipped and RFC 2231
    `name*=utf-8''...` values are decoded. Runs in linear time.
    """
    if not value:
        return "", {}
    main, sep, rest = value.partition(";")
    main = main.strip(" \t")
    params: dict[str, str] = {}
    if not sep or not main:
        return main, params
    length = len(rest)
    pos = 0
    while pos < length:
        eq = rest.find("=", pos)
        semi = rest.find(";", pos)
        if eq == -1:
            break
        if semi != -1 and semi < eq:
            # A part without "=" is not a valid parameter; skip it.
            pos = semi + 1
            continue
        key = rest[pos:eq].strip(" \t").lower()
        pos = eq + 1
        while pos < length and rest[pos] in " \t":
            pos += 1
        if pos < length and rest[pos] == '"':
            end = pos + 1
            while end < length:
                char = rest[end]
                if char == "\\":
                    end += 2
                    continue
                if char == '"':
                    break
                end += 1
            if end >= length:
                # Unclosed quoted string: the rest of the header is unusable.
                break
            text = _unquote(rest[pos + 1 : end])
            semi = rest.find(";", end + 1)
            pos = length if semi == -1 else semi + 1
        else:
            end = length if semi == -1 else semi
            text = rest[pos:end].strip(" \t")
            pos = end + 1
        if not key:
            continue
        if key.endswith("*"):
            decoded = _decode_extended(text)
            if decoded is not None:
                params[key[:-1]] = decoded
                continue
        params[key] = text
    return main, params


# ---------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------


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
