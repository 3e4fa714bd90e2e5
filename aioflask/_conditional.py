"""Conditional and range requests (RFC 9110, sections 13 and 14), for file responses.

Pure functions of the request headers and the resource's validators: no I/O.
The order is the RFC's: `If-Match`, else `If-Unmodified-Since` (412); then
`If-None-Match`, else `If-Modified-Since` (304); then `Range` with `If-Range`
(206 or 416). Everything runs in time linear in the headers' length.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ._http import _HUGE, _position, parse_date
from .exceptions import RequestedRangeNotSatisfiable

if TYPE_CHECKING:
    from .wrappers import Request

# Range positions with more digits than this are beyond any file size.
_ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)|\s*([^,"\s]+)\s*(?:,|$)')


def evaluate_conditions(
    request: Request, etag: str | None, last_modified: int | None, size: int | None
) -> tuple[int, tuple[int, int] | None]:
    """Apply a GET/HEAD request's precondition and range headers to a resource.

    `etag` is the quoted entity tag, `last_modified` a Unix time in whole
    seconds, `size` the length in bytes (None when unknown: no ranges).
    Returns the status (200, 206, 304 or 412) and, for 206, the byte range
    `(start, stop)` with `stop` exclusive. Raises `RequestedRangeNotSatisfiable`
    for 416. Malformed dates and tags are ignored, as the RFC asks.
    """
    headers = request.headers
    if_match = headers.get("if-match")
    if if_match is not None:
        if not _matches(if_match, etag, weak=False):
            return 412, None
    else:
        since = _parse_date(headers.get("if-unmodified-since"))
        if since is not None and last_modified is not None and last_modified > since:
            return 412, None
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if _matches(if_none_match, etag, weak=True):
            return 304, None
    else:
        since = _parse_date(headers.get("if-modified-since"))
        if since is not None and last_modified is not None and last_modified <= since:
            return 304, None
    range_header = headers.get("range")
    # Ranges are defined for GET only; an empty file has nothing to slice.
    if range_header is None or request.method != "GET" or not size:
        return 200, None
    if_range = headers.get("if-range")
    if if_range is not None and not _if_range_holds(if_range.strip(), etag, last_modified):
        return 200, None
    byte_range = select_range(range_header, size)
    return (200, None) if byte_range is None else (206, byte_range)


def _matches(header: str, etag: str | None, weak: bool) -> bool:
    """Whether an `If-Match`/`If-None-Match` list contains `etag` (`*` always does).

    With `weak=False` (If-Match) a weak tag, in the list or as `etag`
    (`W/"..."`, from `Response.make_conditional`), never matches, as the
    strong comparison requires.
    """
    if header.strip() == "*":
        return True
    if etag is None:
        return False
    if etag.startswith("W/"):
        if not weak:
            return False
        etag = etag[2:]
    for match in _ENTITY_TAG.finditer(header):
        is_weak, quoted, bare = match.groups()
        if is_weak and not weak:
            continue
        value = quoted if quoted is not None else bare
        if value is not None and f'"{value}"' == etag:
            return True
    return False


def _if_range_holds(value: str, etag: str | None, last_modified: int | None) -> bool:
    # An entity tag must match strongly; a date must equal Last-Modified exactly.
    if value.startswith(('"', "W/")):
        return etag is not None and not value.startswith("W/") and value == etag
    date = _parse_date(value)
    return date is not None and last_modified is not None and date == last_modified


def _parse_date(value: str | None) -> int | None:
    parsed = parse_date(value or None)
    if parsed is None:
        return None
    try:
        return int(parsed.timestamp())
    except (OverflowError, OSError, ValueError):
        return None


def select_range(header: str, size: int) -> tuple[int, int] | None:
    """The single byte range `(start, stop)` a `Range` header asks of `size` bytes.

    Returns None when the header is to be ignored and the whole file sent
    with 200: a unit other than `bytes`, or several satisfiable ranges (the
    RFC lets a server answer those with the full representation; it avoids
    `multipart/byteranges` and the cost of thousands of tiny parts). A
    suffix longer than the file (`bytes=-999999999`) is the whole file, and
    an end past the file is clamped. Raises `RequestedRangeNotSatisfiable`
    (416, with `Content-Range: bytes */size`) when the header is malformed
    (`bytes=5-2`, `bytes=abc`) or no range overlaps the file. Linear in the
    header's length.
    """
    unit, equals, spec_list = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    found: tuple[int, int] | None = None
    satisfiable = 0
    any_spec = False
    for raw in spec_list.split(","):
        spec = raw.strip(" \t")
        if not spec:
            continue
        any_spec = True
        first, dash, last = spec.partition("-")
        first, last = first.strip(" \t"), last.strip(" \t")
        if not dash:
            raise RequestedRangeNotSatisfiable(size)
        if not first:  # suffix range: the last N bytes
            count = _position(last)
            if count is None:
                raise RequestedRangeNotSatisfiable(size)
            if count == 0:
                continue
            candidate = (max(size - count, 0), size)
        else:
            start = _position(first)
            end = _position(last) if last else _HUGE  # open-ended: to the end
            if start is None or end is None or end < start:
                raise RequestedRangeNotSatisfiable(size)
            if start >= size:
                continue
            candidate = (start, min(end, size - 1) + 1)
        satisfiable += 1
        if satisfiable == 1:
            found = candidate
    if not any_spec or satisfiable == 0:
        raise RequestedRangeNotSatisfiable(size)
    return found if satisfiable == 1 else None


__all__ = ["evaluate_conditions", "select_range"]
