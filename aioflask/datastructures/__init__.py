"""Werkzeug's containers, as Flask code and extensions expect them.

Everything here is the class from `werkzeug.datastructures` (or, for the
helpers, the function from `werkzeug.http`), so `isinstance` checks against
Werkzeug's names hold. Four are thin subclasses, each for one reason given in
its docstring:

- `ImmutableMultiDict` and `CombinedMultiDict` (`request.args`,
  `request.form`, `request.values`) can also be awaited, for Quart-style code.
- `FileStorage` (`request.files`) adds `save_async` and `from_upload`.
- `RequestHeaders` (`request.headers`) is a read-only `Headers` filled from
  an ASGI scope, where Werkzeug's `EnvironHeaders` reads a WSGI environ.

Response headers are a plain Werkzeug `Headers`. A missing key raises
`BadRequestKeyError`, a `KeyError` that also is a 400 `BadRequest`, so
`request.form["name"]` for an absent field answers 400.
"""

from __future__ import annotations

from werkzeug.datastructures import Accept as Accept
from werkzeug.datastructures import Authorization as Authorization
from werkzeug.datastructures import CharsetAccept as CharsetAccept
from werkzeug.datastructures import ContentRange as ContentRange
from werkzeug.datastructures import ETags as ETags
from werkzeug.datastructures import HeaderSet as HeaderSet
from werkzeug.datastructures import IfRange as IfRange
from werkzeug.datastructures import LanguageAccept as LanguageAccept
from werkzeug.datastructures import MIMEAccept as MIMEAccept
from werkzeug.datastructures import Range as Range
from werkzeug.datastructures import RequestCacheControl as RequestCacheControl
from werkzeug.datastructures import ResponseCacheControl as ResponseCacheControl
from werkzeug.datastructures import WWWAuthenticate as WWWAuthenticate
from werkzeug.http import dump_options_header as dump_options_header
from werkzeug.http import parse_accept_header as parse_accept_header
from werkzeug.http import parse_list_header as parse_list_header
from werkzeug.http import parse_options_header as parse_options_header
from werkzeug.http import quote_header_value as quote_header_value
from werkzeug.user_agent import UserAgent as UserAgent

from ._files import FileStorage as FileStorage
from ._headers import Headers as Headers
from ._headers import RequestHeaders as RequestHeaders
from ._multidict import CombinedMultiDict as CombinedMultiDict
from ._multidict import ImmutableMultiDict as ImmutableMultiDict
from ._multidict import MultiDict as MultiDict

__all__ = [
    "Accept",
    "Authorization",
    "CharsetAccept",
    "CombinedMultiDict",
    "ContentRange",
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
    "WWWAuthenticate",
    "dump_options_header",
    "parse_accept_header",
    "parse_list_header",
    "parse_options_header",
    "quote_header_value",
]
