"""Typed header attributes of `Request` and `Response` (Werkzeug's names and types).

Everything here is computed from the headers when read, so a request or
response that never touches these attributes pays nothing for them.
Setting a response attribute writes the header; None removes it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .._conditional import evaluate_conditions
from .._http import (
    dump_age,
    dump_header,
    generate_etag,
    http_date,
    parse_age,
    parse_cache_control_header,
    parse_date,
    parse_etags,
    parse_if_range_header,
    parse_range_header,
    parse_set_header,
    quote_etag,
    unquote_etag,
)
from ..datastructures import (
    ETags,
    HeaderSet,
    IfRange,
    Range,
    RequestCacheControl,
    ResponseCacheControl,
)

if TYPE_CHECKING:
    from typing_extensions import Self
    from werkzeug.datastructures.cache_control import _CacheControl

    from ..datastructures import Headers, RequestHeaders
    from .request import Request

G = TypeVar("G")
S = TypeVar("S")
DateValue = datetime | date | int | float | str


class _Header(Generic[G, S]):
    """A header as an attribute: read with `load` (None when absent or malformed).

    Assigning writes `dump(value)`; None or `del` removes the header.
    Without `dump` the attribute is read-only (request headers).
    """

    def __init__(
        self,
        name: str,
        load: Callable[[str], G | None],
        dump: Callable[[S], str | None] | None = None,
        doc: str | None = None,
    ) -> None:
        self.name = name
        self.load = load
        self.dump = dump
        self.__doc__ = doc

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> G | None: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        value = obj.headers.get(self.name)  # type: ignore[attr-defined]
        if value is None:
            return None
        try:
            return self.load(value)
        except (ValueError, TypeError):
            return None

    def __set__(self, obj: object, value: S | None) -> None:
        if self.dump is None:
            raise AttributeError(f"{self.name} is a read-only attribute of the request.")
        headers: Headers = obj.headers  # type: ignore[attr-defined]
        text = None if value is None else self.dump(value)
        if text is None:
            headers.pop(self.name, None)
        else:
            headers[self.name] = text

    def __delete__(self, obj: object) -> None:
        self.__set__(obj, None)


def _text(value: str) -> str:
    return value


def _dump_date(value: DateValue) -> str:
    return value if isinstance(value, str) else http_date(value)


def _dump_set(value: str | Iterable[str]) -> str:
    # A str is the header text itself (Werkzeug would join its characters).
    return value if isinstance(value, str) else dump_header(value)


def _plain_int(value: str) -> int:
    text = value.strip(" \t")
    if not (text.isdigit() and text.isascii()):
        raise ValueError(value)
    return int(text)


class RequestHeaderAccessors:
    """Typed views of the request's caching, conditional and CORS headers (read-only)."""

    if TYPE_CHECKING:

        @property
        def headers(self) -> RequestHeaders: ...

    date = _Header[datetime, None]("Date", parse_date, doc="`Date` as an aware datetime.")
    max_forwards = _Header[int, None]("Max-Forwards", _plain_int, doc="`Max-Forwards` as an int.")
    if_modified_since = _Header[datetime, None](
        "If-Modified-Since", parse_date, doc="`If-Modified-Since` as an aware datetime."
    )
    if_unmodified_since = _Header[datetime, None](
        "If-Unmodified-Since", parse_date, doc="`If-Unmodified-Since` as an aware datetime."
    )
    access_control_request_method = _Header[str, None](
        "Access-Control-Request-Method", _text, doc="The method a CORS preflight asks about."
    )
    access_control_request_headers = _Header[HeaderSet, None](
        "Access-Control-Request-Headers",
        parse_set_header,
        doc="The headers a CORS preflight asks about, as a `HeaderSet`.",
    )

    @property
    def cache_control(self) -> RequestCacheControl:
        """The request's `Cache-Control` directives (`no_cache`, `max_age`, ...)."""
        return parse_cache_control_header(self.headers.get("cache-control"))

    @property
    def pragma(self) -> HeaderSet:
        """The `Pragma` header as a `HeaderSet` (`"no-cache" in request.pragma`)."""
        return parse_set_header(self.headers.get("pragma"))

    @property
    def if_match(self) -> ETags:
        """The tags of `If-Match` (`request.if_match.contains(etag)`; `*` contains all)."""
        return parse_etags(self.headers.get("if-match"))

    @property
    def if_none_match(self) -> ETags:
        """The tags of `If-None-Match` (`etag in request.if_none_match`)."""
        return parse_etags(self.headers.get("if-none-match"))

    @property
    def if_range(self) -> IfRange:
        """`If-Range` as an `IfRange` with an `etag` or a `date` (both None when absent)."""
        return parse_if_range_header(self.headers.get("if-range"))

    @property
    def range(self) -> Range | None:
        """`Range` as a `Range` (`ranges`, `range_for_length(n)`); None if absent or malformed."""
        return parse_range_header(self.headers.get("range"))


class ResponseHeaderAccessors:
    """Typed attributes for the response's caching, validator and CORS headers."""

    _on_close: list[Callable[[], Any]] | None = None

    if TYPE_CHECKING:
        body: Any

        @property
        def headers(self) -> Headers: ...
        @property
        def status_code(self) -> int: ...
        @status_code.setter
        def status_code(self, value: int) -> None: ...
        @property
        def is_streamed(self) -> bool: ...
        def get_data(self, as_text: bool = False) -> Any: ...

    expires = _Header[datetime, DateValue](
        "Expires", parse_date, _dump_date, doc="`Expires` as an aware datetime."
    )
    last_modified = _Header[datetime, DateValue](
        "Last-Modified", parse_date, _dump_date, doc="`Last-Modified` as an aware datetime."
    )
    date = _Header[datetime, DateValue](
        "Date", parse_date, _dump_date, doc="`Date` as an aware datetime."
    )
    age = _Header[timedelta, "timedelta | int"](
        "Age", parse_age, dump_age, doc="`Age` as a timedelta; set seconds or a timedelta."
    )
    content_location = _Header[str, str]("Content-Location", _text, str)
    content_encoding = _Header[str, str]("Content-Encoding", _text, str)
    content_md5 = _Header[str, str]("Content-MD5", _text, str)
    accept_ranges = _Header[str, str]("Accept-Ranges", _text, str)
    www_authenticate = _Header[str, str](
        "WWW-Authenticate", _text, str, doc="`WWW-Authenticate` as text (`'Basic realm=x'`)."
    )
    access_control_allow_origin = _Header[str, str]("Access-Control-Allow-Origin", _text, str)
    access_control_allow_methods = _Header[HeaderSet, "str | Iterable[str]"](
        "Access-Control-Allow-Methods", parse_set_header, _dump_set
    )
    access_control_allow_headers = _Header[HeaderSet, "str | Iterable[str]"](
        "Access-Control-Allow-Headers", parse_set_header, _dump_set
    )
    access_control_expose_headers = _Header[HeaderSet, "str | Iterable[str]"](
        "Access-Control-Expose-Headers", parse_set_header, _dump_set
    )
    access_control_max_age = _Header[int, int]("Access-Control-Max-Age", _plain_int, str)

    @property
    def access_control_allow_credentials(self) -> bool:
        """Whether `Access-Control-Allow-Credentials` is set; True writes `true`."""
        return "access-control-allow-credentials" in self.headers

    @access_control_allow_credentials.setter
    def access_control_allow_credentials(self, value: bool | None) -> None:
        if value is True:
            self.headers["Access-Control-Allow-Credentials"] = "true"
        else:
            self.headers.pop("Access-Control-Allow-Credentials", None)

    @property
    def retry_after(self) -> datetime | None:
        """`Retry-After` as an aware datetime (a number of seconds is counted from now)."""
        value = self.headers.get("retry-after")
        if value is None:
            return None
        try:
            seconds = _plain_int(value)
        except ValueError:
            return parse_date(value)
        return datetime.now(timezone.utc) + timedelta(seconds=seconds)

    @retry_after.setter
    def retry_after(self, value: datetime | int | str | None) -> None:
        if value is None:
            self.headers.pop("Retry-After", None)
        else:
            self.headers["Retry-After"] = (
                http_date(value) if isinstance(value, datetime) else str(value)
            )

    @property
    def content_language(self) -> HeaderSet:
        """`Content-Language` as a live `HeaderSet`: `.add("de")` updates the header."""
        update = self._set_updater("Content-Language")
        return parse_set_header(self.headers.get("content-language"), update)

    @content_language.setter
    def content_language(self, value: str | Iterable[str] | None) -> None:
        self._set_header_set("Content-Language", value)

    def _set_header_set(self, name: str, value: str | Iterable[str] | None) -> None:
        if not value:
            self.headers.pop(name, None)
        else:
            self.headers[name] = _dump_set(value)

    def _set_updater(self, name: str) -> Callable[[HeaderSet], None]:
        def update(header_set: HeaderSet) -> None:
            if header_set:
                self.headers[name] = header_set.to_header()
            else:
                self.headers.pop(name, None)

        return update

    @property
    def cache_control(self) -> ResponseCacheControl:
        """The `Cache-Control` directives; setting one rewrites the header.

        `response.cache_control.max_age = 300`, `.public = True`,
        `.no_store = True`; None, False or `del` removes a directive, and
        the header goes with the last one.
        """

        def update(directives: _CacheControl) -> None:
            if directives:
                self.headers["Cache-Control"] = directives.to_header()
            else:
                self.headers.pop("Cache-Control", None)

        return parse_cache_control_header(
            self.headers.get("cache-control"), update, ResponseCacheControl
        )

    # -- entity tags and conditional responses -------------------------------------------
    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        """`(etag, is_weak)` from the `ETag` header, or `(None, None)`."""
        return unquote_etag(self.headers.get("etag"))

    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the `ETag` header to `etag`, quoted (`W/` prefixed when weak)."""
        self.headers["ETag"] = quote_etag(etag, weak)

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """Set an `ETag` from the SHA-1 of the body, unless there is one (or `overwrite`)."""
        if overwrite or "etag" not in self.headers:
            self.set_etag(generate_etag(self.get_data()), weak)

    def freeze(self) -> None:
        """Buffer a sync streamed body, then set `Content-Length` and an `ETag`.

        A response streaming an async iterable is left as it is.
        """
        stream = getattr(self, "_stream", None)
        if stream is not None and not isinstance(stream, Iterable):
            return
        data = self.get_data()
        self.headers["Content-Length"] = str(len(data))
        self.add_etag()

    def make_conditional(
        self,
        request_or_environ: Request,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> Self:
        """Answer a GET or HEAD request's preconditions from this response's validators.

        Uses `ETag` and `Last-Modified`: a matching `If-None-Match` (or an
        unchanged `If-Modified-Since`) gives 304, a failing `If-Match` (or
        `If-Unmodified-Since`) 412. Adds `Date` when missing. With
        `accept_ranges` the `Accept-Ranges` header is set, and with
        `complete_length` a single satisfiable `Range` of a body that is not
        streamed answers 206 with that slice; an unsatisfiable one raises
        `RequestedRangeNotSatisfiable`. Returns the response, changed in place.
        """
        request = request_or_environ
        if request.method not in ("GET", "HEAD"):
            return self
        headers = self.headers
        if "date" not in headers:
            headers["Date"] = http_date()
        if accept_ranges:
            headers["Accept-Ranges"] = "bytes" if accept_ranges is True else accept_ranges
        modified = parse_date(headers.get("last-modified"))
        stamp = int(modified.timestamp()) if modified is not None else None
        size = complete_length if accept_ranges and not self.is_streamed else None
        status, byte_range = evaluate_conditions(request, headers.get("etag"), stamp, size)
        if status in (304, 412):
            self.status_code = status
        elif status == 206 and byte_range is not None:
            start, stop = byte_range
            self.body = bytes(self.body[start:stop])
            headers["Content-Length"] = str(stop - start)
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{complete_length}"
            self.status_code = 206
        return self

    # -- after sending ---------------------------------------------------------------------
    def call_on_close(self, func: Callable[[], Any]) -> Callable[[], Any]:
        """Run `func` once the response has been sent (also after an error); returns it.

        A sync function runs on the request's worker thread; a coroutine
        function is awaited. Usable as a decorator.
        """
        if self._on_close is None:
            self._on_close = []
        self._on_close.append(func)
        return func

    async def _send_then_close(self, send_response: Callable[[], Any]) -> None:
        callbacks, self._on_close = self._on_close or [], None
        try:
            await send_response()
        finally:
            await _run_callbacks(callbacks)


async def _run_callbacks(callbacks: list[Callable[[], Any]]) -> None:
    from ..globals import _cv_request

    ctx = _cv_request.get(None)
    error: BaseException | None = None
    for func in callbacks:
        try:
            if inspect.iscoroutinefunction(func):
                await func()
                continue
            result = await ctx.run_sync(func) if ctx is not None else func()
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # every callback runs; the first error is raised after
            if error is None:
                error = exc
    if error is not None:
        raise error
