"""HTTP header helpers with Werkzeug's names (`werkzeug.http`): dates, entity tags, lists.

`http_date` / `parse_date`, `quote_etag` / `unquote_etag` / `parse_etags` /
`generate_etag`, `dump_age` / `parse_age`, `dump_header` /
`parse_dict_header`, and the parsers behind the typed request and response
attributes: `parse_cache_control_header`, `parse_set_header`,
`parse_if_range_header`, `parse_range_header`. Parsers never raise on
malformed input: they return None or an empty object, as Werkzeug's do.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from email.utils import format_datetime, formatdate, parsedate_to_datetime
from typing import Any, TypeVar, overload

from .datastructures._cache import (
    ETags,
    HeaderSet,
    IfRange,
    Range,
    RequestCacheControl,
    _CacheControl,
)
from .datastructures._headers import _unquote, parse_list_header, quote_header_value

_CC = TypeVar("_CC", bound=_CacheControl)


# -- dates and ages ---------------------------------------------------------------------


_MAX_DIGITS = 18
_HUGE = 10**_MAX_DIGITS


def _position(digits: str) -> int | None:
    """A non-negative decimal number from a header, or None; huge ones become `_HUGE`."""
    if not digits.isdigit() or not digits.isascii():
        return None
    # A longer number is past the end of any file; never convert huge strings.
    return int(digits) if len(digits) <= _MAX_DIGITS else _HUGE


def http_date(timestamp: datetime | date | int | float | None = None) -> str:
    """Format a time as an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`).

    A naive datetime is taken as UTC, a `date` as midnight UTC, a number as
    a Unix time; None means now.
    """
    if isinstance(timestamp, datetime):
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=timezone.utc)
        return format_datetime(timestamp.astimezone(timezone.utc), usegmt=True)
    if isinstance(timestamp, date):
        return format_datetime(datetime.combine(timestamp, time(), timezone.utc), usegmt=True)
    return formatdate(timestamp, usegmt=True)


def parse_date(value: str | None) -> datetime | None:
    """An HTTP (RFC 2822) date as an aware datetime; None when missing or malformed."""
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def parse_age(value: str | None = None) -> timedelta | None:
    """A non-negative number of seconds (the `Age` header) as a timedelta, or None."""
    if not value:
        return None
    text = value.strip(" \t")
    if not text.isdigit() or not text.isascii():
        return None
    try:
        return timedelta(seconds=int(text))
    except OverflowError:
        return None


def dump_age(age: timedelta | int | None = None) -> str | None:
    """Seconds as header text; `ValueError` when negative, None for None."""
    if age is None:
        return None
    seconds = int(age.total_seconds()) if isinstance(age, timedelta) else int(age)
    if seconds < 0:
        raise ValueError("age cannot be negative")
    return str(seconds)


# -- entity tags -----------------------------------------------------------------------


def quote_etag(etag: str, weak: bool = False) -> str:
    """`"etag"`, or `W/"etag"` when `weak`; a tag containing `"` is a `ValueError`."""
    if '"' in etag:
        raise ValueError("invalid etag")
    return f'W/"{etag}"' if weak else f'"{etag}"'


@overload
def unquote_etag(etag: str) -> tuple[str, bool]: ...
@overload
def unquote_etag(etag: None) -> tuple[None, None]: ...
def unquote_etag(etag: str | None) -> tuple[str, bool] | tuple[None, None]:
    """Split a quoted tag into `(value, is_weak)`; `(None, None)` for an empty one."""
    if not etag:
        return None, None
    weak = etag[:2] in ("W/", "w/")
    if weak:
        etag = etag[2:]
    if etag[:1] == '"' and etag[-1:] == '"':
        etag = etag[1:-1]
    return etag, weak


# One list member: an optional weak prefix, then a quoted tag or (tolerated)
# a bare word; it must be followed by a comma or the end.
_ETAG_ITEM = re.compile(r'[ \t]*([Ww]/)?(?:"([^"]*)"|([^" \t,]+))[ \t]*(?:,|\Z)', re.ASCII)


def parse_etags(value: str | None) -> ETags:
    """An `If-Match` / `If-None-Match` header as `ETags`; a malformed member is skipped."""
    if not value:
        return ETags()
    if value == "*":
        return ETags(star_tag=True)
    strong: list[str] = []
    weak: list[str] = []
    pos = 0
    end = len(value)
    while pos < end:
        match = _ETAG_ITEM.match(value, pos)
        if match is None:
            comma = value.find(",", pos)
            if comma < 0:
                break
            pos = comma + 1
            continue
        prefix, quoted, bare = match.groups()
        (weak if prefix else strong).append(quoted if quoted is not None else bare)
        pos = match.end()
    return ETags(strong, weak)


def generate_etag(data: bytes) -> str:
    """An entity tag for a body: the SHA-1 hex digest of `data`, as Werkzeug makes it."""
    return hashlib.sha1(data).hexdigest()


# -- lists and dicts -------------------------------------------------------------------


def dump_header(iterable: Mapping[str, Any] | Iterable[Any]) -> str:
    """Join items (or `key=value` pairs; a None value gives the key alone) with `, `.

    Values that are not tokens are quoted; a key ending in `*` keeps its
    (already encoded) value as it is.
    """
    if isinstance(iterable, Mapping):
        parts = []
        for key, value in iterable.items():
            if value is None:
                parts.append(key)
            elif key.endswith("*"):
                parts.append(f"{key}={value}")
            else:
                parts.append(f"{key}={quote_header_value(value)}")
        return ", ".join(parts)
    return ", ".join(quote_header_value(item) for item in iterable)


def parse_dict_header(value: str) -> dict[str, str | None]:
    """`a=b, c="d, e", f` as `{"a": "b", "c": "d, e", "f": None}`."""
    result: dict[str, str | None] = {}
    for item in parse_list_header(value):
        key, equals, raw = item.partition("=")
        key = key.strip(" \t")
        if not key:
            continue
        if not equals:
            result[key] = None
            continue
        raw = raw.strip(" \t")
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = _unquote(raw[1:-1])
        result[key] = raw
    return result


@overload
def parse_cache_control_header(
    value: str | None, on_update: Callable[[_CacheControl], None] | None = None
) -> RequestCacheControl: ...
@overload
def parse_cache_control_header(
    value: str | None, on_update: Callable[[_CacheControl], None] | None, cls: type[_CC]
) -> _CC: ...
def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[_CacheControl], None] | None = None,
    cls: type[_CacheControl] | None = None,
) -> _CacheControl:
    """A `Cache-Control` header as `cls` (default: the read-only `RequestCacheControl`)."""
    if cls is None:
        cls = RequestCacheControl
    if not value:
        return cls((), on_update)
    return cls(parse_dict_header(value), on_update)


def parse_set_header(
    value: str | None, on_update: Callable[[HeaderSet], None] | None = None
) -> HeaderSet:
    """A comma-separated header as a case-insensitive, ordered `HeaderSet`."""
    if not value:
        return HeaderSet(None, on_update)
    return HeaderSet(parse_list_header(value), on_update)


# -- ranges ------------------------------------------------------------------------------


def parse_if_range_header(value: str | None) -> IfRange:
    """An `If-Range` header: a date when it reads as one, else an (unquoted) entity tag."""
    if not value:
        return IfRange()
    when = parse_date(value)
    if when is not None:
        return IfRange(date=when)
    return IfRange(unquote_etag(value)[0])


def parse_range_header(value: str | None, make_inclusive: bool = True) -> Range | None:
    """A `Range` header as a `Range` of `(start, stop)` pairs (stop exclusive), or None.

    None when the header is missing or malformed, or its ranges are not in
    increasing order without overlap (what Werkzeug accepts). Positions are
    read with the digit rules `send_file` uses (`_position`).
    """
    if not value or "=" not in value:
        return None
    units, _, spec_list = value.partition("=")
    ranges: list[tuple[int, int | None]] = []
    last_stop = 0  # -1 once an open or suffix range has been seen
    for raw in spec_list.split(","):
        spec = raw.strip(" \t")
        first, dash, last = spec.partition("-")
        if not dash:
            return None
        first, last = first.strip(" \t"), last.strip(" \t")
        if not first:
            count = _position(last)
            if count is None or count == 0 or last_stop < 0:
                return None
            ranges.append((-count, None))
            last_stop = -1
            continue
        start = _position(first)
        if start is None or last_stop < 0 or start < last_stop:
            return None
        stop: int | None = None
        if last:
            end = _position(last)
            if end is None or end + 1 <= start:
                return None
            stop = end + 1
        ranges.append((start, stop))
        last_stop = stop if stop is not None else -1
    return Range(units.strip(" \t").lower(), ranges)


__all__ = [
    "dump_age",
    "dump_header",
    "generate_etag",
    "http_date",
    "parse_age",
    "parse_cache_control_header",
    "parse_date",
    "parse_dict_header",
    "parse_etags",
    "parse_if_range_header",
    "parse_range_header",
    "parse_set_header",
    "quote_etag",
    "unquote_etag",
]
