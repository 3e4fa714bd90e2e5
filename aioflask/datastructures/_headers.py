"""Header values: parsing helpers, `Headers` and `RequestHeaders`."""

from __future__ import annotations

from collections.abc import (
    Callable,
    Iterable,
    Mapping,
    MutableMapping,
)
from typing import TYPE_CHECKING, Any, TypeVar, Union, overload
from urllib.parse import unquote

from starlette.datastructures import Headers as _StarletteHeaders
from starlette.datastructures import MutableHeaders as _StarletteMutableHeaders

from ..exceptions import BadRequestKeyError
from ._multidict import MultiDict, _iter_multi_items, _missing

if TYPE_CHECKING:
    from typing_extensions import Self


V = TypeVar("V")
T = TypeVar("T")

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


def _with_params(value: Any, params: dict[str, Any]) -> Any:
    if not params:
        return value
    return dump_options_header(str(value), {k.replace("_", "-"): v for k, v in params.items()})


class _HeaderLookups(_StarletteHeaders):
    """Werkzeug-style read methods shared by request and response headers."""

    def __getitem__(self, key: str) -> str:
        """Return the first value of header `key` (case-insensitive).

        Raises `BadRequestKeyError` (a `KeyError`) when the header is absent.
        """
        try:
            name = key.lower().encode("latin-1")
        except (AttributeError, UnicodeEncodeError):
            raise BadRequestKeyError(key) from None
        for item_key, item_value in self._list:
            if item_key == name:
                return item_value.decode("latin-1")
        raise BadRequestKeyError(key)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            name = key.lower().encode("latin-1")
        except UnicodeEncodeError:
            return False
        for item_key, _ in self._list:
            if item_key == name:
                return True
        return False

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: T) -> str | T: ...
    @overload
    def get(self, key: str, *, type: Callable[[str], T]) -> T | None: ...
    @overload
    def get(self, key: str, default: T, type: Callable[[str], T]) -> T: ...
    def get(self, key: str, default: Any = None, type: Callable[[str], Any] | None = None) -> Any:
        """Return the first value of header `key`, or `default` when absent.

        With `type`, the value is converted (`get("Content-Length", type=int)`);
        a `ValueError` or `TypeError` from it gives `default`.
        """
        try:
            name = key.lower().encode("latin-1")
        except (AttributeError, UnicodeEncodeError):
            return default
        for item_key, item_value in self._list:
            if item_key == name:
                if type is None:
                    return item_value.decode("latin-1")
                try:
                    return type(item_value.decode("latin-1"))
                except (ValueError, TypeError):
                    return default
        return default

    @overload
    def getlist(self, key: str) -> list[str]: ...
    @overload
    def getlist(self, key: str, type: Callable[[str], T]) -> list[T]: ...
    def getlist(self, key: str, type: Callable[[str], Any] | None = None) -> list[Any]:
        """Return all values of header `key` in order (empty when absent).

        With `type`, each value is converted; values it rejects are left out.
        """
        name = key.lower().encode("latin-1")
        values = [v.decode("latin-1") for k, v in self._list if k == name]
        if type is None:
            return values
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                continue
        return result

    def get_all(self, key: str) -> list[str]:
        """Return all values of header `key`; an alias of `getlist`."""
        return self.getlist(key)

    def items(self, lower: bool = False) -> list[tuple[str, str]]:  # type: ignore[override]
        """Return all `(name, value)` pairs in order; names are lower-case.

        `lower` is accepted for Werkzeug compatibility; names are always
        stored lower-cased, as ASGI expects.
        """
        return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in self._list]

    def to_list(self) -> list[tuple[str, str]]:
        """Return all `(name, value)` pairs as a new list."""
        return self.items()

    to_wsgi_list = to_list

    def __str__(self) -> str:
        lines = [f"{key}: {value}" for key, value in self.items()]
        lines.append("\r\n")
        return "\r\n".join(lines)


class RequestHeaders(_HeaderLookups):
    """The read-only headers of a request (`request.headers`).

    Starlette's `Headers` plus Werkzeug's `get(key, default, type)` and
    `getlist(key, type)`; a missing header accessed with `[]` raises
    `BadRequestKeyError`, which is a `KeyError` and a 400 if not caught.
    """


HeadersSource = Union[
    "_StarletteHeaders",
    "MultiDict[Any]",
    Mapping[str, Any],
    Iterable[tuple[str, Any]],
]
"""What `Headers` can be built from, extended or updated with."""


class Headers(_HeaderLookups, _StarletteMutableHeaders):
    """Mutable response headers with both Starlette's and Werkzeug's methods.

    The storage is Starlette's: a list of lower-cased `(name, value)` byte
    pairs. `Headers(raw=pairs)` uses the given list itself, not a copy, so a
    response and its `headers` stay in sync. Each method that stores a value
    checks it first: a value or name containing a line break or NUL raises
    `ValueError` (header injection), and a non-string value such as an int is
    converted with `str()`.

    `update` replaces headers of the same name; `extend` and `add` append.
    Iterating yields header names, as for any Starlette mapping; use
    `items()` or `to_list()` for pairs.
    """

    def __init__(
        self,
        headers: HeadersSource | None = None,
        raw: list[tuple[bytes, bytes]] | None = None,
        scope: MutableMapping[str, Any] | None = None,
    ) -> None:
        if raw is not None:
            if headers is not None or scope is not None:
                raise TypeError("Pass only one of 'headers', 'raw' or 'scope' to Headers().")
            self._list = raw
        elif headers is not None:
            if scope is not None:
                raise TypeError("Pass only one of 'headers', 'raw' or 'scope' to Headers().")
            self._list = []
            self.extend(headers)
        elif scope is not None:
            self._list = scope["headers"] = list(scope["headers"])
        else:
            self._list = []

    # -- setting ------------------------------------------------------------

    def __setitem__(self, key: str, value: Any) -> None:
        """Set header `key` to `value`, replacing all previous values."""
        self._set(_encode_name(key), _encode_value(value))

    def _set(self, name: bytes, value: bytes) -> None:
        """Replace the first `name` header with `value` and drop the others."""
        items = self._list
        first = -1
        duplicated = False
        for index, (item_key, _) in enumerate(items):
            if item_key == name:
                if first != -1:
                    duplicated = True
                    break
                first = index
        if first == -1:
            items.append((name, value))
            return
        items[first] = (name, value)
        if duplicated:
            rest = first + 1
            items[rest:] = [item for item in items[rest:] if item[0] != name]

    def set(self, key: str, value: Any, /, **params: Any) -> None:
        """Set header `key`, replacing previous values; `params` become `; k=v` parts.

        Underscores in parameter names become dashes, so
        `set("Content-Disposition", "attachment", filename="a.txt")` gives
        `attachment; filename=a.txt`.
        """
        self._set(_encode_name(key), _encode_value(_with_params(value, params)))

    def add(self, key: str, value: Any, /, **params: Any) -> None:
        """Append a header, keeping existing ones of the same name.

        `params` are added as `; key=value` parameters as in `set`.
        """
        self._list.append((_encode_name(key), _encode_value(_with_params(value, params))))

    add_header = add

    def append(self, key: str, value: Any) -> None:
        """Append a header, keeping existing ones of the same name."""
        self._list.append((_encode_name(key), _encode_value(value)))

    def setdefault(self, key: str, value: Any) -> str:
        """Return the first value of `key`, setting it to `value` first if absent."""
        name = _encode_name(key)
        encoded = _encode_value(value)
        for item_key, item_value in self._list:
            if item_key == name:
                return item_value.decode("latin-1")
        self._list.append((name, encoded))
        return encoded.decode("latin-1")

    def setlist(self, key: str, values: Iterable[Any]) -> None:
        """Replace all values of header `key` with `values` (removing it if empty)."""
        name = _encode_name(key)
        encoded = [_encode_value(value) for value in values]
        if not encoded:
            self.remove(key)
            return
        self._set(name, encoded[0])
        self._list.extend((name, value) for value in encoded[1:])

    def setlistdefault(self, key: str, default: Iterable[Any]) -> list[str]:
        """Return the values of `key`, setting them to `default` first if absent.

        The returned list is a copy; changing it does not change the headers.
        """
        if key not in self:
            self.setlist(key, default)
        return self.getlist(key)

    def extend(self, arg: HeadersSource | None = None, /, **kwargs: Any) -> None:
        """Append every header from `arg` and `kwargs`, keeping existing ones.

        `arg` may be another headers object, a `MultiDict`, a dict (list, tuple
        or set values add several headers) or an iterable of `(name, value)`
        pairs.
        """
        items = self._list
        if arg is not None:
            for key, value in self._pairs(arg):
                items.append((_encode_name(key), _encode_value(value)))
        for key, value in _iter_multi_items(kwargs):
            items.append((_encode_name(key), _encode_value(value)))

    def update(self, arg: HeadersSource | None = None, /, **kwargs: Any) -> None:
        """Replace headers with those from `arg` and `kwargs`.

        Each name given replaces all existing headers of that name. When a
        name appears several times in the input (a list of pairs with two
        `Set-Cookie` entries, a dict value that is a list, another headers
        object), all of its values are kept.
        """
        grouped: dict[bytes, list[bytes]] = {}
        if arg is not None:
            for key, value in self._pairs(arg):
                grouped.setdefault(_encode_name(key), []).append(_encode_value(value))
        for key, value in _iter_multi_items(kwargs):
            grouped.setdefault(_encode_name(key), []).append(_encode_value(value))
        for name, values in grouped.items():
            self._set(name, values[0])
            self._list.extend((name, value) for value in values[1:])

    @staticmethod
    def _pairs(arg: HeadersSource) -> Iterable[tuple[str, Any]]:
        if isinstance(arg, _StarletteHeaders):
            return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in arg.raw]
        return _iter_multi_items(arg)

    # -- removing -------------------------------------------------------------

    def remove(self, key: str) -> None:
        """Remove every header named `key`; absent names are ignored."""
        name = key.lower().encode("latin-1")
        self._list[:] = [item for item in self._list if item[0] != name]

    @overload
    def pop(self) -> tuple[str, str]: ...
    @overload
    def pop(self, key: int) -> tuple[str, str]: ...
    @overload
    def pop(self, key: str) -> str: ...
    @overload
    def pop(self, key: str, default: str | T) -> str | T: ...
    def pop(self, key: str | int | None = None, default: Any = _missing) -> Any:
        """Remove header `key` and return its first value.

        Without `key` the last header is removed and returned as a
        `(name, value)` pair; an int removes the pair at that index. A missing
        name returns `default`, or raises `BadRequestKeyError` without one.
        """
        if key is None or isinstance(key, int):
            name, value = self._list.pop(-1 if key is None else key)
            return name.decode("latin-1"), value.decode("latin-1")
        if key in self:
            result = self[key]
            self.remove(key)
            return result
        if default is _missing:
            raise BadRequestKeyError(key)
        return default

    def popitem(self) -> tuple[str, str]:
        """Remove the last header and return it as a `(name, value)` pair."""
        return self.pop()

    def clear(self) -> None:
        """Remove every header."""
        self._list.clear()

    # -- copying --------------------------------------------------------------

    def copy(self) -> Headers:
        """Return an independent copy."""
        return Headers(raw=self._list[:])

    def mutablecopy(self) -> Headers:
        """Return an independent copy (Starlette's name for `copy`)."""
        return Headers(raw=self._list[:])

    def __copy__(self) -> Headers:
        return self.copy()

    def __or__(self, other: Mapping[str, Any]) -> Headers:
        if not isinstance(other, Mapping):
            return NotImplemented
        result = self.copy()
        result.update(other)
        return result

    def __ior__(self, other: Mapping[str, Any]) -> Self:
        if not isinstance(other, (Mapping, Iterable)):
            return NotImplemented
        self.update(other)
        return self


# ---------------------------------------------------------------------------
# Uploaded files
# ---------------------------------------------------------------------------
