"""Containers with the interfaces Flask code expects from Werkzeug.

- `MultiDict`, `ImmutableMultiDict` and `CombinedMultiDict` hold form data and
  query arguments (`request.form`, `request.args`, `request.values`): several
  values per key, item access returns the first one.
- `Headers` (response headers) and `RequestHeaders` (request headers) extend
  Starlette's header classes with Werkzeug's methods, keeping Starlette's
  storage: a list of lower-cased `(name, value)` byte pairs.
- `FileStorage` wraps an uploaded file.
- `Accept` and its subclasses parse `Accept*` headers; `Authorization` and
  `UserAgent` parse their request headers.

A missing key raises `BadRequestKeyError`, a `KeyError` that also is a 400
`BadRequest`, so `request.form["name"]` for an absent field answers 400.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import copy
import os
import shutil
from collections.abc import (
    Callable,
    Generator,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
)
from io import BytesIO
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypeVar, Union, overload
from urllib.parse import unquote

from starlette.datastructures import Headers as _StarletteHeaders
from starlette.datastructures import ImmutableMultiDict as _StarletteMultiDict
from starlette.datastructures import MutableHeaders as _StarletteMutableHeaders

from .exceptions import BadRequestKeyError

if TYPE_CHECKING:
    from starlette.datastructures import UploadFile
    from typing_extensions import Self

__all__ = [
    "Accept",
    "Authorization",
    "CharsetAccept",
    "CombinedMultiDict",
    "FileStorage",
    "Headers",
    "ImmutableMultiDict",
    "LanguageAccept",
    "MIMEAccept",
    "MultiDict",
    "RequestHeaders",
    "UserAgent",
    "dump_options_header",
    "parse_accept_header",
    "parse_list_header",
    "parse_options_header",
    "quote_header_value",
]

V = TypeVar("V")
T = TypeVar("T")


class _Missing:
    """Sentinel type for "no default given"."""

    def __repr__(self) -> str:
        return "<missing>"


_missing: Any = _Missing()

MultiDictSource = Union[
    "MultiDict[V]",
    Mapping[str, V | list[V] | tuple[V, ...] | set[V]],
    Iterable[tuple[str, V]],
]
"""What a `MultiDict` can be built from or updated with."""


def _iter_multi_items(source: Any) -> Iterator[tuple[str, Any]]:
    """Yield every `(key, value)` pair of a mapping, multi-dict or pair iterable.

    Plain mappings whose values are lists, tuples or sets contribute one pair
    per element.
    """
    if isinstance(source, MultiDict):
        yield from source.items(multi=True)
    elif isinstance(source, _StarletteMultiDict):
        yield from source.multi_items()
    elif isinstance(source, Mapping):
        for key, value in source.items():
            if isinstance(value, (list, tuple, set)):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from source


# ---------------------------------------------------------------------------
# Multi-dicts
# ---------------------------------------------------------------------------


class MultiDict(Mapping[str, V]):
    """A mapping that keeps every value given for a key.

    HTML forms and query strings may repeat a field (`?tag=a&tag=b`). Item
    access and `get` return the first value; `getlist` returns them all. A
    missing key raises `BadRequestKeyError`, which is a `KeyError` and, if not
    caught, a 400 response.

    Build one from a mapping (list, tuple and set values give several values),
    from an iterable of `(key, value)` pairs, or from another multi-dict
    (including Starlette's `FormData` and `QueryParams`). `update` adds values
    rather than replacing them.
    """

    __slots__ = ("_data",)

    def __init__(self, mapping: MultiDictSource[V] | None = None) -> None:
        data: dict[str, list[V]] = {}
        self._data = data
        if mapping is None:
            return
        if type(mapping) is list or type(mapping) is tuple:
            # Pairs from a parser: the common case, kept free of ABC checks.
            for key, value in mapping:
                values = data.get(key)
                if values is None:
                    data[key] = [value]
                else:
                    values.append(value)
            return
        if isinstance(mapping, MultiDict):
            for key, values in mapping.lists():
                data[key] = values
        elif isinstance(mapping, Mapping) and not isinstance(mapping, _StarletteMultiDict):
            for key, value in mapping.items():
                if isinstance(value, (list, tuple, set)):
                    if value:
                        data[key] = list(value)
                else:
                    data[key] = [value]
        else:
            for key, value in _iter_multi_items(mapping):
                if key in data:
                    data[key].append(value)
                else:
                    data[key] = [value]

    # -- reading ------------------------------------------------------------

    def __getitem__(self, key: str) -> V:
        """Return the first value for `key`; raise `BadRequestKeyError` if absent."""
        values = self._data.get(key)
        if values:
            return values[0]
        raise BadRequestKeyError(key)

    @overload
    def get(self, key: str) -> V | None: ...
    @overload
    def get(self, key: str, default: V) -> V: ...
    @overload
    def get(self, key: str, default: T) -> V | T: ...
    @overload
    def get(self, key: str, *, type: Callable[[V], T]) -> T | None: ...
    @overload
    def get(self, key: str, default: T, type: Callable[[V], T]) -> T: ...
    def get(self, key: str, default: Any = None, type: Callable[[V], Any] | None = None) -> Any:
        """Return the first value for `key`, or `default` when there is none.

        With `type`, the value is passed through it (`get("page", 1, type=int)`);
        if that raises `ValueError` or `TypeError`, `default` is returned.
        """
        values = self._data.get(key)
        if not values:
            return default
        if type is None:
            return values[0]
        try:
            return type(values[0])
        except (ValueError, TypeError):
            return default

    @overload
    def getlist(self, key: str) -> list[V]: ...
    @overload
    def getlist(self, key: str, type: Callable[[V], T]) -> list[T]: ...
    def getlist(self, key: str, type: Callable[[V], Any] | None = None) -> list[Any]:
        """Return a new list of all values for `key` (empty when absent).

        With `type`, each value is converted; values it rejects with
        `ValueError` or `TypeError` are left out.
        """
        values = self._data.get(key)
        if not values:
            return []
        if type is None:
            return list(values)
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                continue
        return result

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def keys(self) -> KeysView[str]:
        """Return a view of the keys."""
        return self._data.keys()

    def items(self, multi: bool = False) -> Iterator[tuple[str, V]]:  # type: ignore[override]
        """Iterate over `(key, first value)` pairs, or every pair when `multi` is true."""
        if multi:
            for key, values in self._data.items():
                for value in values:
                    yield key, value
        else:
            for key, values in self._data.items():
                if values:
                    yield key, values[0]

    def values(self) -> Iterator[V]:  # type: ignore[override]
        """Iterate over the first value of every key."""
        for values in self._data.values():
            if values:
                yield values[0]

    def lists(self) -> Iterator[tuple[str, list[V]]]:
        """Iterate over `(key, list of values)` pairs; the lists are copies."""
        for key, values in self._data.items():
            yield key, list(values)

    def listvalues(self) -> Iterator[list[V]]:
        """Iterate over the list of values of every key (copies)."""
        for values in self._data.values():
            yield list(values)

    @overload
    def to_dict(self) -> dict[str, V]: ...
    @overload
    def to_dict(self, flat: bool) -> dict[str, V] | dict[str, list[V]]: ...
    def to_dict(self, flat: bool = True) -> dict[str, V] | dict[str, list[V]]:
        """Return a plain dict: first values when `flat`, else lists of all values."""
        if flat:
            return dict(self.items())
        return dict(self.lists())

    def copy(self) -> MultiDict[V]:
        """Return a shallow copy of the same (mutable) class."""
        return type(self)(self)

    def deepcopy(self, memo: dict[int, Any] | None = None) -> MultiDict[V]:
        """Return a mutable copy whose values are deep copies."""
        return MultiDict(copy.deepcopy(self.to_dict(flat=False), memo))

    def __copy__(self) -> MultiDict[V]:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> MultiDict[V]:
        return self.deepcopy(memo)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return self.to_dict(flat=False) == other.to_dict(flat=False)
        if isinstance(other, Mapping):
            # Like a dict of lists, which is how Werkzeug's MultiDict compares.
            return self.to_dict(flat=False) == dict(other)
        return False

    __hash__ = None  # type: ignore[assignment]

    def __or__(self, other: Mapping[str, Any]) -> MultiDict[V]:
        if not isinstance(other, Mapping):
            return NotImplemented
        result = self.copy()
        result.update(other)
        return result

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (list(self.items(multi=True)),)

    # -- writing ------------------------------------------------------------

    def __setitem__(self, key: str, value: V) -> None:
        """Replace all values of `key` with `value`."""
        self._data[key] = [value]

    def __delitem__(self, key: str) -> None:
        try:
            del self._data[key]
        except KeyError:
            raise BadRequestKeyError(key) from None

    def add(self, key: str, value: V) -> None:
        """Append `value` to the values of `key`."""
        values = self._data.get(key)
        if values is None:
            self._data[key] = [value]
        else:
            values.append(value)

    def setlist(self, key: str, new_list: Iterable[V]) -> None:
        """Replace all values of `key` with the items of `new_list` (copied)."""
        self._data[key] = list(new_list)

    def setdefault(self, key: str, default: V | None = None) -> V:
        """Return the first value of `key`, setting it to `default` first if absent."""
        values = self._data.get(key)
        if not values:
            values = self._data[key] = [default]  # type: ignore[list-item]
        return values[0]

    def setlistdefault(self, key: str, default_list: Iterable[V] | None = None) -> list[V]:
        """Return the internal list of values of `key`, creating it if absent.

        The returned list is the one stored, so appending to it adds values.
        """
        values = self._data.get(key)
        if values is None:
            values = self._data[key] = list(default_list or ())
        return values

    @overload
    def pop(self, key: str) -> V: ...
    @overload
    def pop(self, key: str, default: V | T) -> V | T: ...
    def pop(self, key: str, default: Any = _missing) -> Any:
        """Remove `key` and return its first value (or `default` when absent)."""
        values = self._data.pop(key, None)
        if values:
            return values[0]
        if default is not _missing:
            return default
        raise BadRequestKeyError(key)

    def poplist(self, key: str) -> list[V]:
        """Remove `key` and return all its values (empty list when absent)."""
        return self._data.pop(key, [])

    def popitem(self) -> tuple[str, V]:
        """Remove the last key and return it with its first value."""
        try:
            key, values = self._data.popitem()
        except KeyError:
            raise BadRequestKeyError() from None
        if not values:
            raise BadRequestKeyError(key)
        return key, values[0]

    def popitemlist(self) -> tuple[str, list[V]]:
        """Remove the last key and return it with all its values."""
        try:
            return self._data.popitem()
        except KeyError:
            raise BadRequestKeyError() from None

    def update(self, mapping: MultiDictSource[V] | None = None, /, **kwargs: V) -> None:
        """Add the values of `mapping` and `kwargs`, keeping the existing ones.

        Unlike `dict.update` this extends: `{"a": [1]}` updated with
        `{"a": 2}` holds `[1, 2]`.
        """
        if mapping is not None:
            for key, value in _iter_multi_items(mapping):
                self.add(key, value)
        for key, value in kwargs.items():
            self.add(key, value)

    def clear(self) -> None:
        """Remove every key."""
        self._data.clear()

    def __ior__(self, other: Mapping[str, Any]) -> Self:
        self.update(other)
        return self


class ImmutableMultiDict(MultiDict[V]):
    """A `MultiDict` that cannot be changed; `request.form` and `request.args` are these.

    Every method that would modify it raises `TypeError`; call `copy()` for a
    mutable `MultiDict`. An instance can also be awaited and returns itself,
    so code written for Quart (`form = await request.form`) runs unchanged.
    """

    __slots__ = ()

    def _fail(self) -> NoReturn:
        raise TypeError(
            f"{type(self).__name__!r} objects are immutable; call .copy() to get a mutable "
            "MultiDict and change that."
        )

    def __setitem__(self, key: str, value: V) -> NoReturn:
        self._fail()

    def __delitem__(self, key: str) -> NoReturn:
        self._fail()

    def __ior__(self, other: Mapping[str, Any]) -> NoReturn:
        self._fail()

    def add(self, key: str, value: V) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def setlist(self, key: str, new_list: Iterable[V]) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def setdefault(self, key: str, default: V | None = None) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def setlistdefault(self, key: str, default_list: Iterable[V] | None = None) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def pop(self, key: str, default: Any = _missing) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def poplist(self, key: str) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def popitem(self) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def popitemlist(self) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def update(self, mapping: MultiDictSource[V] | None = None, /, **kwargs: V) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def clear(self) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def copy(self) -> MultiDict[V]:
        """Return a mutable `MultiDict` with the same data."""
        return MultiDict(self)

    def __copy__(self) -> Self:
        return self

    # Quart exposes form data through awaitables (`await request.form`). Our
    # request parses the body before the view runs, so the value is already
    # here; making the object awaitable (resolving to itself without
    # suspending) lets code written for Quart run unchanged.
    def __await__(self) -> Generator[Any, None, Self]:
        yield from ()
        return self


class CombinedMultiDict(ImmutableMultiDict[V]):
    """A read-only view over several multi-dicts, searched in order.

    `request.values` combines `request.args` and `request.form` this way:
    item access and `get` return the value from the first dict holding the
    key, `getlist` concatenates the values from all of them. Changes to the
    wrapped dicts show through.
    """

    __slots__ = ("dicts",)

    def __init__(self, dicts: Iterable[MultiDict[V]] | None = None) -> None:
        super().__init__()
        self.dicts: list[MultiDict[V]] = list(dicts or ())

    def __getitem__(self, key: str) -> V:
        for d in self.dicts:
            if key in d:
                return d[key]
        raise BadRequestKeyError(key)

    def get(self, key: str, default: Any = None, type: Callable[[V], Any] | None = None) -> Any:
        """Return the first value for `key` in the first dict holding it.

        With `type`, a value it rejects makes the search continue in the next
        dict; `default` is returned when nothing matches.
        """
        for d in self.dicts:
            if key in d:
                if type is None:
                    return d[key]
                try:
                    return type(d[key])
                except (ValueError, TypeError):
                    continue
        return default

    def getlist(self, key: str, type: Callable[[V], Any] | None = None) -> list[Any]:
        """Return the values for `key` from all dicts, in order."""
        result: list[Any] = []
        for d in self.dicts:
            result.extend(d.getlist(key, type))  # type: ignore[arg-type]
        return result

    def _keys(self) -> dict[str, None]:
        keys: dict[str, None] = {}
        for d in self.dicts:
            keys.update(dict.fromkeys(d.keys()))
        return keys

    def keys(self) -> KeysView[str]:
        """Return the keys of all dicts, each once, in first-seen order."""
        return self._keys().keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __contains__(self, key: object) -> bool:
        return any(key in d for d in self.dicts)

    def items(self, multi: bool = False) -> Iterator[tuple[str, V]]:  # type: ignore[override]
        """Iterate over `(key, first value)` pairs, or every pair when `multi` is true."""
        if multi:
            for d in self.dicts:
                yield from d.items(multi=True)
            return
        seen: set[str] = set()
        for d in self.dicts:
            for key, value in d.items():
                if key not in seen:
                    seen.add(key)
                    yield key, value

    def values(self) -> Iterator[V]:  # type: ignore[override]
        """Iterate over the first value of every key."""
        for _, value in self.items():
            yield value

    def lists(self) -> Iterator[tuple[str, list[V]]]:
        """Iterate over `(key, values from all dicts)` pairs."""
        combined: dict[str, list[V]] = {}
        for d in self.dicts:
            for key, values in d.lists():
                combined.setdefault(key, []).extend(values)
        return iter(combined.items())

    def listvalues(self) -> Iterator[list[V]]:
        """Iterate over the combined value lists."""
        for _, values in self.lists():
            yield values

    def copy(self) -> MultiDict[V]:
        """Return a mutable `MultiDict` snapshot of the combined data."""
        return MultiDict(self)

    def __copy__(self) -> Self:
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dicts!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.dicts,)


# ---------------------------------------------------------------------------
# Header value helpers
# ---------------------------------------------------------------------------

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


class FileStorage:
    """An uploaded file, as found in `request.files`.

    `filename` is the name the client sent (untrusted; pass it through
    `werkzeug.utils.secure_filename`-style cleaning before using it in a
    path), `name` the form field, `stream` the binary file object holding the
    data. Reading methods work on the stream synchronously; Starlette keeps
    small uploads in memory and spools large ones to a temporary file. An
    instance with no filename (an empty file field) is falsy. Attributes not
    defined here are looked up on `stream`.
    """

    def __init__(
        self,
        stream: IO[bytes] | None = None,
        filename: str | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.name = name
        self.stream: IO[bytes] = stream if stream is not None else BytesIO()
        if filename is None:
            stream_name = getattr(stream, "name", None)
            if isinstance(stream_name, (str, bytes)):
                decoded = os.fsdecode(stream_name)
                # Python names special streams like "<stdin>"; those are no filename.
                if not (decoded.startswith("<") and decoded.endswith(">")):
                    filename = decoded
        else:
            filename = os.fsdecode(filename)
        self.filename: str | None = filename
        self.headers: Headers = headers if headers is not None else Headers()
        if content_type is not None:
            self.headers["Content-Type"] = content_type
        if content_length is not None:
            self.headers["Content-Length"] = str(content_length)
        self._size: int | None = None

    @classmethod
    def from_upload(cls, upload: UploadFile, name: str | None = None) -> FileStorage:
        """Wrap a Starlette `UploadFile` from parsed form data.

        `name` is the form field the file came from. The upload's file object
        becomes `stream`; its part headers are kept in `headers`.
        """
        storage = cls(
            stream=upload.file,
            filename=upload.filename if upload.filename is not None else "",
            name=name,
            headers=Headers(raw=list(upload.headers.raw)),
        )
        storage._size = upload.size
        return storage

    @property
    def content_type(self) -> str | None:
        """The `Content-Type` the client sent for this file, if any."""
        return self.headers.get("content-type")

    @property
    def content_length(self) -> int:
        """The size in bytes: the part's `Content-Length`, else the received size, else 0."""
        value = self.headers.get("content-length")
        if value is not None:
            try:
                return int(value)
            except ValueError:
                pass
        return self._size or 0

    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        return parse_options_header(self.content_type)

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased (`"image/png"`)."""
        return self._parsed_content_type()[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters as a dict (`{"charset": "utf-8"}`)."""
        return self._parsed_content_type()[1]

    def read(self, size: int = -1) -> bytes:
        """Read up to `size` bytes (everything by default) from the current position."""
        return self.stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the stream position, as `file.seek`."""
        return self.stream.seek(offset, whence)

    def tell(self) -> int:
        """Return the stream position."""
        return self.stream.tell()

    def save(self, dst: str | os.PathLike[str] | IO[bytes], buffer_size: int = 16384) -> None:
        """Copy the data, from the current stream position on, to `dst`.

        `dst` is a path (the file is created or truncated, then closed) or a
        binary file object opened for writing, which is left open. Call
        `seek(0)` first if the stream was already read. Validate `filename`
        before building a path from it.
        """
        if isinstance(dst, (str, os.PathLike)):
            with open(os.fspath(dst), "wb") as target:
                shutil.copyfileobj(self.stream, target, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    def close(self) -> None:
        """Close the stream; errors while closing are ignored."""
        try:
            self.stream.close()
        except Exception:
            pass

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        stream = self.__dict__.get("stream")
        if stream is None:
            raise AttributeError(name)
        try:
            return getattr(stream, name)
        except AttributeError:
            # SpooledTemporaryFile on Python 3.10 lacks parts of the io API;
            # its wrapped file has them.
            inner = getattr(stream, "_file", None)
            if inner is None:
                raise
            return getattr(inner, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"


# ---------------------------------------------------------------------------
# Accept headers
# ---------------------------------------------------------------------------


def _parse_quality(text: str) -> float | None:
    """Return a q-value in [0, 1], or None when it is malformed."""
    text = text.strip(" \t")
    head, dot, tail = text.partition(".")
    if head.startswith("-"):
        head = head[1:]
    if not head.isdigit() or not head.isascii():
        return None
    if dot and (not tail.isdigit() or not tail.isascii()):
        return None
    quality = float(text)
    if quality < 0 or quality > 1:
        return None
    return quality


class Accept:
    """A parsed `Accept*` header: `(value, quality)` pairs, best first.

    Entries are ordered by specificity, then quality, keeping the header's
    order among equals. Indexing with an int gives a pair; indexing with a
    string, or `quality(value)`, gives that value's quality (0 when not
    accepted). `value in accept` tests whether the header mentions a
    matching entry (wildcards included), and `best_match` picks the server
    option the client prefers. `provided` is false when the request had no
    such header at all.
    """

    __slots__ = ("_items", "provided")

    def __init__(self, values: Accept | Iterable[tuple[str, float]] | str | None = ()) -> None:
        if isinstance(values, str):
            # A raw header value, as in `MIMEAccept(request.headers.get("accept"))`.
            values = _parse_accept_entries(values) if values else None
        if values is None:
            self._items: tuple[tuple[str, float], ...] = ()
            self.provided = False
        elif isinstance(values, Accept):
            self._items = values._items
            self.provided = values.provided
        else:
            self.provided = True
            self._items = tuple(
                sorted(
                    values,
                    key=lambda item: (self._specificity(item[0]), item[1]),
                    reverse=True,
                )
            )
        self._prepare()

    def _prepare(self) -> None:
        """Hook for subclasses to precompute per-entry data."""

    @classmethod
    def from_header(cls, value: str | None) -> Self:
        """Parse a header value; `None` or empty gives an empty, unprovided instance."""
        return cls(value)

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return (value != "*",)

    def _first_match(self, value: str) -> int:
        """Return the index of the first client entry matching `value`, or -1."""
        wanted = value.lower()
        for index, (item, _) in enumerate(self._items):
            if item == "*" or item.lower() == wanted:
                return index
        return -1

    @overload
    def __getitem__(self, key: str) -> float: ...
    @overload
    def __getitem__(self, key: int) -> tuple[str, float]: ...
    @overload
    def __getitem__(self, key: slice) -> list[tuple[str, float]]: ...
    def __getitem__(
        self, key: str | int | slice
    ) -> float | tuple[str, float] | list[tuple[str, float]]:
        if isinstance(key, str):
            return self.quality(key)
        if isinstance(key, slice):
            return list(self._items[key])
        return self._items[key]

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[tuple[str, float]]:
        return iter(self._items)

    def __reversed__(self) -> Iterator[tuple[str, float]]:
        return reversed(self._items)

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return value in self._items
        return self._first_match(value) != -1

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Accept):
            return self._items == other._items
        if isinstance(other, (list, tuple)):
            return list(self._items) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def quality(self, key: str) -> float:
        """Return the quality the client gives `key` (0 when not accepted)."""
        index = self._first_match(key)
        return self._items[index][1] if index != -1 else 0

    def index(self, key: str | tuple[str, float], start: int = 0, stop: int = 2**63) -> int:
        """Return the position of the first entry matching `key`; raise `ValueError`."""
        if isinstance(key, str):
            index = self._first_match(key)
            if index == -1:
                raise ValueError(key)
            return index
        return self._items.index(key, start, stop)

    def find(self, key: str | tuple[str, float]) -> int:
        """Return the position of the first entry matching `key`, or -1."""
        try:
            return self.index(key)
        except ValueError:
            return -1

    def values(self) -> Iterator[str]:
        """Iterate over the accepted values, best first."""
        for value, _ in self._items:
            yield value

    @property
    def best(self) -> str | None:
        """The client's most preferred value, or `None` when empty."""
        return self._items[0][0] if self._items else None

    @overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @overload
    def best_match(self, matches: Iterable[str], default: T) -> str | T: ...
    def best_match(self, matches: Iterable[str], default: Any = None) -> Any:
        """Return the entry of `matches` the client prefers most, or `default`.

        Each server option is compared with the most specific client entry it
        matches; options with quality 0 (explicitly refused) are never picked.
        Higher quality wins, then higher specificity, then earlier position in
        `matches`.
        """
        result = default
        best_quality: float = -1
        best_specificity: tuple[bool, ...] = (False,)
        for server_value in matches:
            index = self._first_match(server_value)
            if index == -1:
                continue
            client_value, quality = self._items[index]
            if quality <= 0 or quality < best_quality:
                continue
            specificity = self._specificity(client_value)
            if quality > best_quality or specificity > best_specificity:
                result = server_value
                best_quality = quality
                best_specificity = specificity
        return result

    def to_header(self) -> str:
        """Serialize back to a header value."""
        parts = []
        for value, quality in self._items:
            parts.append(value if quality == 1 else f"{value};q={quality}")
        return ",".join(parts)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        pairs = ", ".join(f"({value!r}, {quality})" for value, quality in self._items)
        return f"{type(self).__name__}([{pairs}])"


_TAccept = TypeVar("_TAccept", bound=Accept)


@overload
def parse_accept_header(value: str | None) -> Accept: ...
@overload
def parse_accept_header(value: str | None, cls: type[_TAccept]) -> _TAccept: ...
def parse_accept_header(value: str | None, cls: type[Accept] = Accept) -> Accept:
    """Parse an `Accept`-style header into an instance of `cls`.

    Entries with a malformed or out-of-range `q` are skipped; other
    parameters stay part of the value (`"text/html; level=1"`). Runs in time
    linear in the header length (plus sorting the entries). `cls(value)`
    does the same.
    """
    if not value:
        return cls(None)
    return cls(_parse_accept_entries(value))


def _parse_accept_entries(value: str) -> list[tuple[str, float]]:
    entries: list[tuple[str, float]] = []
    for item in parse_list_header(value):
        main, params = parse_options_header(item)
        quality = 1.0
        if "q" in params:
            parsed = _parse_quality(params.pop("q"))
            if parsed is None:
                continue
            quality = parsed
        if params:
            main = dump_options_header(main, params)
        if main:
            entries.append((main, quality))
    return entries


def _split_mime(value: str) -> tuple[str, str, list[str]]:
    """Split a media range into lower-cased type, subtype and sorted parameters."""
    value = value.lower()
    if ";" not in value:
        kind, _, subtype = value.partition("/")
        return kind.strip(" \t"), subtype.strip(" \t"), []
    parts = [part.strip(" \t") for part in value.split(";")]
    kind, _, subtype = parts[0].partition("/")
    return kind.strip(" \t"), subtype.strip(" \t"), sorted(parts[1:])


class MIMEAccept(Accept):
    """The parsed `Accept` header (`request.accept_mimetypes`).

    `*/*` matches every type and `text/*` every `text` subtype; media-type
    parameters must match exactly. Server values passed to `best_match`,
    `quality` and `in` must look like `type/subtype`, else `ValueError`.
    """

    __slots__ = ("_parsed",)

    def _prepare(self) -> None:
        parsed: list[tuple[str, str, list[str]] | None] = []
        for item, _ in self._items:
            if "/" not in item:
                parsed.append(None)
                continue
            kind, subtype, params = _split_mime(item)
            # "*/html" is meaningless; only "*/*" may start with a wildcard.
            parsed.append(None if kind == "*" and subtype != "*" else (kind, subtype, params))
        self._parsed = parsed

    def _specificity(self, value: str) -> tuple[bool, ...]:
        if ";" not in value:
            kind, slash, subtype = value.partition("/")
            if slash and "/" not in subtype:
                return (kind.strip(" \t") != "*", subtype.strip(" \t") != "*")
        return tuple(piece.strip(" \t") != "*" for piece in value.replace("/", ";").split(";"))

    def _first_match(self, value: str) -> int:
        if "/" not in value:
            raise ValueError(f"Invalid mimetype {value!r}; use the form 'type/subtype'.")
        kind, subtype, params = _split_mime(value)
        if kind == "*" and subtype != "*":
            raise ValueError(f"Invalid mimetype {value!r}; only '*/*' may start with '*'.")
        for index, entry in enumerate(self._parsed):
            if entry is None:
                continue
            item_kind, item_subtype, item_params = entry
            if item_kind == "*" or kind == "*":
                return index
            if item_kind != kind:
                continue
            if item_subtype == "*" or subtype == "*":
                return index
            if item_subtype == subtype and item_params == params:
                return index
        return -1

    @property
    def accept_html(self) -> bool:
        """Whether HTML (`text/html` or an XHTML type) is accepted."""
        return self._first_match("text/html") != -1 or self.accept_xhtml

    @property
    def accept_xhtml(self) -> bool:
        """Whether XHTML (`application/xhtml+xml` or `application/xml`) is accepted."""
        return (
            self._first_match("application/xhtml+xml") != -1
            or self._first_match("application/xml") != -1
        )

    @property
    def accept_json(self) -> bool:
        """Whether `application/json` is accepted."""
        return self._first_match("application/json") != -1


def _lang_parts(value: str) -> list[str]:
    return value.lower().replace("_", "-").split("-")


class LanguageAccept(Accept):
    """The parsed `Accept-Language` header (`request.accept_languages`).

    Tags compare case-insensitively with `-` and `_` treated alike.
    `best_match` falls back to primary tags: a client asking for `en-US`
    matches a server `en`, and a client asking for `en` matches `en-GB`.
    """

    __slots__ = ("_parsed",)

    def _prepare(self) -> None:
        self._parsed = [_lang_parts(item) for item, _ in self._items]

    def _first_match(self, value: str) -> int:
        wanted = _lang_parts(value)
        for index, (item, _) in enumerate(self._items):
            if item == "*" or self._parsed[index] == wanted:
                return index
        return -1

    @overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @overload
    def best_match(self, matches: Iterable[str], default: T) -> str | T: ...
    def best_match(self, matches: Iterable[str], default: Any = None) -> Any:
        """Return the supported language the client prefers most, or `default`.

        Exact tag matches are tried first, then the client's primary tags
        against `matches`, then `matches`' primary tags against the client's.
        The returned value is always an item of `matches`.
        """
        options = list(matches)
        result = super().best_match(options)
        if result is not None:
            return result
        primary = Accept([(_lang_parts(item)[0], quality) for item, quality in self._items])
        result = primary.best_match(options)
        if result is not None:
            return result
        primaries = [_lang_parts(option)[0] for option in options]
        found = super().best_match(primaries)
        if found is not None:
            return options[primaries.index(found)]
        return default


def _charset_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


class CharsetAccept(Accept):
    """The parsed `Accept-Charset` header; names compare after codec normalisation."""

    __slots__ = ("_parsed",)

    def _prepare(self) -> None:
        self._parsed = [_charset_name(item) for item, _ in self._items]

    def _first_match(self, value: str) -> int:
        wanted = _charset_name(value)
        for index, (item, _) in enumerate(self._items):
            if item == "*" or self._parsed[index] == wanted:
                return index
        return -1


# ---------------------------------------------------------------------------
# Authorization and User-Agent
# ---------------------------------------------------------------------------


class Authorization:
    """The parsed `Authorization` request header (`request.authorization`).

    `type` is the lower-cased scheme. For `Basic`, `username` and `password`
    are decoded from the credentials. Token schemes such as `Bearer` set
    `token`; schemes sending `key=value` pairs (such as `Digest`) fill
    `parameters`, whose entries are also readable as `auth["key"]`,
    `auth.get("key")` and attributes.
    """

    def __init__(
        self,
        auth_type: str,
        data: dict[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        self.type = auth_type
        self.parameters: dict[str, str | None] = data if data is not None else {}
        self.token = token

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """Parse a header value; return `None` when it is empty or malformed.

        Basic credentials that are not valid base64 or not UTF-8 give `None`.
        """
        if not value:
            return None
        scheme, _, rest = value.partition(" ")
        scheme = scheme.lower()
        rest = rest.strip(" \t")
        if not scheme:
            return None
        if scheme == "basic":
            try:
                decoded = base64.b64decode(rest, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeError, ValueError):
                return None
            username, _, password = decoded.partition(":")
            return cls(scheme, {"username": username, "password": password})
        if "=" in rest.rstrip("="):
            params: dict[str, str | None] = {}
            for item in parse_list_header(rest):
                key, has_value, text = item.partition("=")
                key = key.strip(" \t")
                if not key:
                    continue
                if not has_value:
                    params[key] = None
                    continue
                text = text.strip(" \t")
                if len(text) >= 2 and text[0] == text[-1] == '"':
                    text = _unquote(text[1:-1])
                params[key] = text
            return cls(scheme, params)
        return cls(scheme, None, rest)

    @property
    def username(self) -> str | None:
        """The user name (Basic and Digest), or `None`."""
        return self.parameters.get("username")

    @property
    def password(self) -> str | None:
        """The password (Basic), or `None`."""
        return self.parameters.get("password")

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("_"):
            raise AttributeError(name)
        parameters: dict[str, str | None] = self.__dict__.get("parameters", {})
        return parameters.get(name)

    def __getitem__(self, key: str) -> str | None:
        return self.parameters.get(key)

    def get(self, key: str, default: str | None = None) -> str | None:
        """Return parameter `key`, or `default`."""
        return self.parameters.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (
            other.type,
            other.token,
            other.parameters,
        )

    __hash__ = None  # type: ignore[assignment]

    def to_header(self) -> str:
        """Serialize back to a header value."""
        if self.type == "basic":
            credentials = f"{self.username or ''}:{self.password or ''}".encode()
            return f"Basic {base64.b64encode(credentials).decode('ascii')}"
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        params = ", ".join(
            key if value is None else f"{key}={quote_header_value(value)}"
            for key, value in self.parameters.items()
        )
        return f"{self.type.title()} {params}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


class UserAgent:
    """The `User-Agent` request header (`request.user_agent`).

    Only `string` is set; no parsing is done, so `platform`, `browser`,
    `version` and `language` are `None` (subclass to add a parser). Like
    Werkzeug's, an instance is truthy only when `browser` is known.
    """

    platform: str | None = None
    browser: str | None = None
    version: str | None = None
    language: str | None = None

    def __init__(self, string: str) -> None:
        self.string = string

    def to_header(self) -> str:
        """Return the header value."""
        return self.string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        return bool(self.browser)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.browser}/{self.version}>"
