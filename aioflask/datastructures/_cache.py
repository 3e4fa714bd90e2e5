"""Parsed forms of the caching and conditional-request headers.

`RequestCacheControl` / `ResponseCacheControl` (`Cache-Control`), `ETags`
(`If-Match`, `If-None-Match`), `IfRange`, `Range` and `HeaderSet` (comma
lists such as `Pragma`), with Werkzeug's attribute names. The functions that
build them from header text are in `aioflask._http`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, MutableSet
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, Generic, Literal, TypeVar, overload

from ._headers import quote_header_value

T = TypeVar("T")


class _Directive(Generic[T]):
    """One `Cache-Control` directive as an attribute (`max-age` as `max_age`).

    `kind` is `bool` for flags (present or not), `int` for seconds, `None`
    for free text; `empty` is what a directive present without a value reads
    as. Assigning None or False removes the directive; True sets it bare.
    """

    def __init__(self, key: str, kind: type[Any] | None, empty: Any = None) -> None:
        self.key = key
        self.kind = kind
        self.empty = empty

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _Directive[T]: ...
    @overload
    def __get__(self, obj: _CacheControl, owner: type[Any]) -> T: ...
    def __get__(self, obj: _CacheControl | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        if self.kind is bool:
            return self.key in obj
        if self.key not in obj:
            return None
        raw = obj[self.key]
        if raw is None:
            return self.empty
        if self.kind is int:
            text = raw.strip()
            return int(text) if text.isdigit() and text.isascii() else None
        return raw

    def __set__(self, obj: _CacheControl, value: T | int | bool | str | None) -> None:
        if self.kind is bool:
            if value:
                obj[self.key] = None
            else:
                obj.pop(self.key, None)
        elif value is None or value is False:
            obj.pop(self.key, None)
        elif value is True:
            obj[self.key] = None
        else:
            obj[self.key] = str(int(value)) if self.kind is int else str(value)  # type: ignore[arg-type]

    def __delete__(self, obj: _CacheControl) -> None:
        obj.pop(self.key, None)


_MISSING: Any = object()


class _CacheControl(dict[str, "str | None"]):
    """A `Cache-Control` header as a dict of directive to value (None: no value).

    Directives are also attributes with underscores for dashes. `on_update`,
    when given, is called after every change (the response uses it to
    rewrite its header). `str()` gives the header text.
    """

    no_store: _Directive[bool] = _Directive("no-store", bool)
    max_age: _Directive[int | None] = _Directive("max-age", int)
    no_transform: _Directive[bool] = _Directive("no-transform", bool)
    stale_if_error: _Directive[int | None] = _Directive("stale-if-error", int)

    def __init__(
        self,
        values: Mapping[str, str | None] | Iterable[tuple[str, str | None]] | None = (),
        on_update: Callable[[_CacheControl], None] | None = None,
    ) -> None:
        super().__init__(values or ())
        self.on_update = on_update
        self.provided = values is not None

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: str, value: str | None) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        if key not in self:
            if default is _MISSING:
                raise KeyError(key)
            return default
        value = super().pop(key)
        self._changed()
        return value

    def popitem(self) -> tuple[str, str | None]:
        item = super().popitem()
        self._changed()
        return item

    def clear(self) -> None:
        super().clear()
        self._changed()

    def setdefault(self, key: str, default: str | None = None) -> str | None:
        if key in self:
            return self[key]
        self[key] = default
        return default

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def to_header(self) -> str:
        """The header text: `key` alone for bare directives, else `key=value` (quoted if needed)."""
        return ", ".join(
            key if value is None else f"{key}={quote_header_value(value)}"
            for key, value in self.items()
        )

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        pairs = " ".join(f"{key}={value!r}" for key, value in sorted(self.items()))
        return f"<{type(self).__name__} {pairs}>"


class RequestCacheControl(_CacheControl):
    """The request's `Cache-Control` directives (read-only).

    `no_cache`, `no_store`, `no_transform` and `only_if_cached` are bools;
    `max_age`, `min_fresh`, `stale_if_error` ints or None; `max_stale` is an
    int, True when given without a value, or None.
    """

    no_cache: _Directive[bool] = _Directive("no-cache", bool)
    max_stale: _Directive[int | Literal[True] | None] = _Directive("max-stale", int, True)
    min_fresh: _Directive[int | None] = _Directive("min-fresh", int)
    only_if_cached: _Directive[bool] = _Directive("only-if-cached", bool)

    def _changed(self) -> None:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    def __setitem__(self, key: str, value: str | None) -> None:
        self._changed()

    def __delitem__(self, key: str) -> None:
        self._changed()

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        self._changed()

    def popitem(self) -> tuple[str, str | None]:
        self._changed()
        raise AssertionError  # unreachable

    def clear(self) -> None:
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._changed()


class ResponseCacheControl(_CacheControl):
    """The response's `Cache-Control` directives; changing one rewrites the header.

    `response.cache_control.max_age = 300`, `.public = True`,
    `.no_cache = True` (or a field name), `del ....max_age`.
    """

    no_cache: _Directive[str | Literal[True] | None] = _Directive("no-cache", None, True)
    public: _Directive[bool] = _Directive("public", bool)
    private: _Directive[str | Literal[True] | None] = _Directive("private", None, True)
    must_revalidate: _Directive[bool] = _Directive("must-revalidate", bool)
    proxy_revalidate: _Directive[bool] = _Directive("proxy-revalidate", bool)
    s_maxage: _Directive[int | None] = _Directive("s-maxage", int)
    immutable: _Directive[bool] = _Directive("immutable", bool)
    must_understand: _Directive[bool] = _Directive("must-understand", bool)
    stale_while_revalidate: _Directive[int | None] = _Directive("stale-while-revalidate", int)


class ETags(Collection[str]):
    """The entity tags of an `If-Match` / `If-None-Match` header (unquoted).

    `etag in tags` and `tags.contains(etag)` use the strong comparison (weak
    tags never match); `contains_weak` also accepts weak ones. A `*` header
    (`star_tag`) contains every tag.
    """

    def __init__(
        self,
        strong_etags: Iterable[str] | None = None,
        weak_etags: Iterable[str] | None = None,
        star_tag: bool = False,
    ) -> None:
        self._strong = frozenset(strong_etags or ()) if not star_tag else frozenset()
        self._weak = frozenset(weak_etags or ())
        self.star_tag = star_tag

    def as_set(self, include_weak: bool = False) -> set[str]:
        """The strong tags as a set (and the weak ones with `include_weak`)."""
        result = set(self._strong)
        if include_weak:
            result |= self._weak
        return result

    def is_weak(self, etag: str) -> bool:
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        return etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Whether `etag` matches a strong or a weak tag (or the header is `*`)."""
        return self.is_weak(etag) or self.contains(etag)

    def contains(self, etag: str) -> bool:
        """Whether `etag` matches a strong tag (or the header is `*`)."""
        return self.star_tag or etag in self._strong

    def contains_raw(self, etag: str) -> bool:
        """Like `contains`, for a quoted tag; a `W/` tag is looked up with `contains_weak`."""
        weak = etag[:2] in ("W/", "w/")
        value = etag[2:] if weak else etag
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        return self.contains_weak(value) if weak else self.contains(value)

    def to_header(self) -> str:
        if self.star_tag:
            return "*"
        strong = [f'"{tag}"' for tag in self._strong]
        return ", ".join(strong + [f'W/"{tag}"' for tag in self._weak])

    def __call__(
        self, etag: str | None = None, data: bytes | None = None, include_weak: bool = False
    ) -> bool:
        if etag is None:
            if data is None:
                raise TypeError("'data' is required when 'etag' is not given.")
            etag = hashlib.sha1(data).hexdigest()
        if include_weak and etag in self._weak:
            return True
        return etag in self._strong

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __len__(self) -> int:
        return len(self._strong)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def _format_date(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return format_datetime(value.astimezone(timezone.utc), usegmt=True)


class IfRange:
    """An `If-Range` header: an (unquoted) entity tag, a date, or neither."""

    def __init__(self, etag: str | None = None, date: datetime | None = None) -> None:
        self.etag = etag
        self.date = date

    def to_header(self) -> str:
        if self.date is not None:
            return _format_date(self.date)
        if self.etag is not None:
            return f'"{self.etag}"'
        return ""

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class Range:
    """A `Range` header: `units` and `ranges`, a list of `(start, stop)` pairs.

    `stop` is exclusive; it is None for an open range (`bytes=500-`) and for
    a suffix (`bytes=-500`, stored as `(-500, None)`).
    """

    def __init__(self, units: str, ranges: list[tuple[int, int | None]]) -> None:
        for start, stop in ranges:
            if stop is not None and (start < 0 or start >= stop):
                raise ValueError(f"{(start, stop)} is not a valid range.")
        self.units = units
        self.ranges = ranges

    def range_for_length(self, length: int | None) -> tuple[int, int] | None:
        """The `(start, stop)` this single byte range selects of `length` bytes, or None.

        None when the unit is not bytes, there is not exactly one range, or
        it does not overlap the content.
        """
        if self.units != "bytes" or length is None or len(self.ranges) != 1:
            return None
        start, stop = self.ranges[0]
        if stop is None:
            stop = length
            if start < 0:
                start += length
        if 0 <= start < length and start < stop:
            return start, min(stop, length)
        return None

    def to_content_range_header(self, length: int | None) -> str | None:
        """The `Content-Range` value for a response of `length` bytes, or None."""
        selected = self.range_for_length(length)
        if selected is None:
            return None
        return f"{self.units} {selected[0]}-{selected[1] - 1}/{length}"

    def to_header(self) -> str:
        parts = []
        for start, stop in self.ranges:
            if stop is not None:
                parts.append(f"{start}-{stop - 1}")
            else:
                parts.append(str(start) if start < 0 else f"{start}-")
        return f"{self.units}={','.join(parts)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class HeaderSet(MutableSet[str]):
    """A comma-separated header (`Pragma`, `Access-Control-Allow-Methods`) as an ordered set.

    Membership ignores case; the original spelling and order are kept.
    `on_update`, when given, is called after each change.
    """

    def __init__(
        self,
        headers: Iterable[str] | None = None,
        on_update: Callable[[HeaderSet], None] | None = None,
    ) -> None:
        self._headers: list[str] = []
        self._lower: set[str] = set()
        for item in headers or ():
            if item.lower() not in self._lower:
                self._headers.append(item)
                self._lower.add(item.lower())
        self.on_update = on_update

    def add(self, value: str) -> None:
        if value.lower() not in self._lower:
            self._headers.append(value)
            self._lower.add(value.lower())
            if self.on_update is not None:
                self.on_update(self)

    def discard(self, value: str) -> None:
        key = value.lower()
        if key in self._lower:
            self._lower.discard(key)
            self._headers = [item for item in self._headers if item.lower() != key]
            if self.on_update is not None:
                self.on_update(self)

    def find(self, header: str) -> int:
        """The position of `header` (any case), or -1."""
        key = header.lower()
        for index, item in enumerate(self._headers):
            if item.lower() == key:
                return index
        return -1

    def index(self, header: str) -> int:
        position = self.find(header)
        if position < 0:
            raise IndexError(header)
        return position

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        return set(self._headers) if preserve_casing else set(self._lower)

    def to_header(self) -> str:
        return ", ".join(quote_header_value(item) for item in self._headers)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and value.lower() in self._lower

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)

    def __getitem__(self, index: int) -> str:
        return self._headers[index]

    def __bool__(self) -> bool:
        return bool(self._headers)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._headers!r})"


__all__ = [
    "ETags",
    "HeaderSet",
    "IfRange",
    "Range",
    "RequestCacheControl",
    "ResponseCacheControl",
]
