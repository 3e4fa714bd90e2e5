"""HTTP header helpers: Werkzeug's `werkzeug.http`, plus the digit reader for ranges.

The dates, entity tags, lists and the parsers behind the typed request and
response attributes (`parse_cache_control_header`, `parse_set_header`,
`parse_etags`, `parse_if_range_header`, `parse_range_header`, ...) are
Werkzeug's functions, re-exported so aioflask modules import them from one
place. They return Werkzeug's containers (`ETags`, `HeaderSet`, `Range`,
`RequestCacheControl`, ...). Only `_position`, which reads a byte position
without ever converting a huge digit string, is aioflask's; `send_file`'s
range handling (`aioflask._conditional`) uses it.
"""

from __future__ import annotations

from werkzeug.http import dump_age as dump_age
from werkzeug.http import dump_header as dump_header
from werkzeug.http import generate_etag as generate_etag
from werkzeug.http import http_date as http_date
from werkzeug.http import parse_age as parse_age
from werkzeug.http import parse_cache_control_header as parse_cache_control_header
from werkzeug.http import parse_date as parse_date
from werkzeug.http import parse_dict_header as parse_dict_header
from werkzeug.http import parse_etags as parse_etags
from werkzeug.http import parse_if_range_header as parse_if_range_header
from werkzeug.http import parse_range_header as parse_range_header
from werkzeug.http import parse_set_header as parse_set_header
from werkzeug.http import quote_etag as quote_etag
from werkzeug.http import unquote_etag as unquote_etag

_MAX_DIGITS = 18
_HUGE = 10**_MAX_DIGITS


def _position(digits: str) -> int | None:
    """A non-negative decimal number from a header, or None; huge ones become `_HUGE`."""
    if not digits.isdigit() or not digits.isascii():
        return None
    # A longer number is past the end of any file; never convert huge strings.
    return int(digits) if len(digits) <= _MAX_DIGITS else _HUGE


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
