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
- `RequestCacheControl`, `ResponseCacheControl`, `ETags`, `IfRange`, `Range`
  and `HeaderSet` are the parsed caching and conditional headers (see
  `Request.cache_control`, `Response.cache_control`, `Request.if_none_match`).

A missing key raises `BadRequestKeyError`, a `KeyError` that also is a 400
`BadRequest`, so `request.form["name"]` for an absent field answers 400.
"""

from __future__ import annotations

from ._accept import Accept as Accept
from ._accept import CharsetAccept as CharsetAccept
from ._accept import LanguageAccept as LanguageAccept
from ._accept import MIMEAccept as MIMEAccept
from ._accept import parse_accept_header as parse_accept_header
from ._auth import Authorization as Authorization
from ._auth import UserAgent as UserAgent
from ._cache import ETags as ETags
from ._cache import HeaderSet as HeaderSet
from ._cache import IfRange as IfRange
from ._cache import Range as Range
from ._cache import RequestCacheControl as RequestCacheControl
from ._cache import ResponseCacheControl as ResponseCacheControl
from ._files import FileStorage as FileStorage
from ._headers import Headers as Headers
from ._headers import RequestHeaders as RequestHeaders
from ._headers import dump_options_header as dump_options_header
from ._headers import parse_list_header as parse_list_header
from ._headers import parse_options_header as parse_options_header
from ._headers import quote_header_value as quote_header_value
from ._multidict import CombinedMultiDict as CombinedMultiDict
from ._multidict import ImmutableMultiDict as ImmutableMultiDict
from ._multidict import MultiDict as MultiDict

__all__ = [
    "Accept",
    "Authorization",
    "CharsetAccept",
    "CombinedMultiDict",
    "ETags",
    "FileStorage",
    "HeaderSet",
    "Headers",
    "IfRange",
    "ImmutableMultiDict",
    "LanguageAccept",
    "MIMEAccept",
    "MultiDict",
    "Range",
    "RequestCacheControl",
    "RequestHeaders",
    "ResponseCacheControl",
    "UserAgent",
    "dump_options_header",
    "parse_accept_header",
    "parse_list_header",
    "parse_options_header",
    "quote_header_value",
]
