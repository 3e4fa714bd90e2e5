"""`Response`: Starlette's response with Flask's surface, and cookie formatting."""

from __future__ import annotations

import inspect
import json as _json
import warnings
from collections.abc import AsyncIterable, Iterable, Mapping
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from starlette.responses import Response as _StarletteResponse
from starlette.types import Receive, Scope, Send
from werkzeug.http import dump_cookie as _werkzeug_dump_cookie

from .._http import parse_set_header
from .._threads import _run_coro_blocking
from ..datastructures import Headers, HeaderSet
from ..datastructures._headers import _encode_value, encode_headers
from ._accessors import ResponseHeaderAccessors
from ._stream import close_iterable, send_stream
from .request import _split_mimetype

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_BODILESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_TEXT_EXTRA = frozenset(
    {"application/xml", "application/javascript", "application/ecmascript", "application/xhtml+xml"}
)


# -- Response ------------------------------------------------------------------------


def _status_line(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase.upper()}"
    except ValueError:
        return f"{code} UNKNOWN"


def dump_cookie(
    key: str,
    value: str = "",
    max_age: int | timedelta | None = None,
    expires: str | datetime | int | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
    partitioned: bool = False,
) -> str:
    """Build a `Set-Cookie` header value: Werkzeug's `dump_cookie`.

    The arguments are in `Response.set_cookie`'s order (Werkzeug's function
    has two more before `samesite`). The size check is left to `set_cookie`,
    which warns with the application's `MAX_COOKIE_SIZE`.
    """
    return _werkzeug_dump_cookie(
        key,
        value,
        max_age=max_age,
        expires=expires,
        path=path,
        domain=domain,
        secure=secure,
        httponly=httponly,
        max_size=0,
        samesite=samesite,
        partitioned=partitioned,
    )


class Response(ResponseHeaderAccessors, _StarletteResponse):
    """The response object: Starlette's `Response` with Flask's surface.

    `Response(body, status=200, headers=None, mimetype=None, content_type=None)`.
    The body may be str, bytes, or an iterable / async iterable of chunks (sent
    streamed). The default mimetype is `text/html`; text types get
    `; charset=utf-8`. `headers` is a Werkzeug `Headers`, mutable after creation
    (`resp.headers["X-Something"] = "A value"`) and replaceable
    (`resp.headers = Headers(...)`); a value with CR or LF raises `ValueError`
    when set, a bad name when the response is sent. Typed header attributes
    (`cache_control`, `expires`, `set_etag`, `make_conditional`, ...) come from
    `ResponseHeaderAccessors`.
    """

    default_mimetype: str | None = "text/html"
    default_status = 200
    charset = "utf-8"
    autocorrect_location_header = False

    def __init__(
        self,
        response: Any = None,
        status: int | str | HTTPStatus | None = None,
        headers: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        self.background = None
        self._status: str | None = None
        self._status_code = self.default_status
        if status is not None:
            self.status = status
        # Until someone reads `headers`, the few headers set here live in `_raw`,
        # already encoded for ASGI; a Werkzeug `Headers` is only built when needed.
        raw: list[tuple[bytes, bytes]] = []
        self._raw = raw
        self._headers: Headers | None = None  # type: ignore[assignment]  # not Starlette's
        self._stream: Iterable[Any] | AsyncIterable[Any] | None = None
        has_ct = False
        if headers:
            self._headers = Headers(headers)
            has_ct = "content-type" in self._headers
        if not has_ct:
            encoded: bytes | None = None
            if content_type is not None:
                encoded = _encode_value(content_type)
            else:
                if mimetype is None:
                    mimetype = self.default_mimetype
                if mimetype is not None:
                    # The header for a mimetype is built and checked once.
                    key = (type(self), mimetype, self.charset)
                    encoded = _CONTENT_TYPES.get(key)
                    if encoded is None:
                        encoded = _encode_value(self._with_charset(mimetype))
                        if len(_CONTENT_TYPES) < 512:
                            _CONTENT_TYPES[key] = encoded
            if encoded is not None:
                if self._headers is None:
                    raw.append((b"content-type", encoded))
                else:
                    self._headers["Content-Type"] = encoded.decode("latin-1")
        self.direct_passthrough = direct_passthrough
        if response is None:
            self.body = b""
        elif isinstance(response, (str, bytes, bytearray, memoryview)):
            if headers:  # a Content-Length among them is replaced
                self.body = b""
                self.set_data(response)
                return
            body = response.encode(self.charset) if isinstance(response, str) else bytes(response)
            self.body = body
            raw.append((b"content-length", str(len(body)).encode("latin-1")))
            return
        elif isinstance(response, (list, tuple)):
            self.body = b""
            self.set_data(b"".join(self._encode(c) for c in response))
            return
        else:
            self.body = b""
            self._stream = response
            return
        self.set_data(b"")

    # -- construction helpers -------------------------------------------------------
    def _with_charset(self, mimetype: str) -> str:
        if "charset=" not in mimetype and (
            mimetype.startswith("text/") or mimetype in _TEXT_EXTRA or mimetype.endswith("+xml")
        ):
            return f"{mimetype}; charset={self.charset}"
        return mimetype

    def _encode(self, chunk: Any) -> bytes:
        if isinstance(chunk, str):
            return chunk.encode(self.charset)
        if isinstance(chunk, (bytes, bytearray, memoryview)):
            return bytes(chunk)
        raise TypeError(f"A response body chunk must be str or bytes, not {type(chunk).__name__}.")

    # -- status -------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """The status line, e.g. `'404 NOT FOUND'`."""
        return self._status or _status_line(self.status_code)

    @status.setter
    def status(self, value: int | str | bytes | HTTPStatus) -> None:
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, int):
            self.status_code = int(value)
            self._status = None
            return
        value = value.strip()
        if not value:
            raise ValueError("Empty status argument.")
        code, _, phrase = value.partition(" ")
        try:
            self.status_code = int(code)
        except ValueError:
            raise ValueError(f"The status {value!r} does not start with a number.") from None
        self._status = value if phrase else None

    @property
    def status_code(self) -> int:
        """The numeric status; setting it resets a custom reason phrase."""
        return self._status_code

    @status_code.setter
    def status_code(self, value: int) -> None:
        self._status_code = int(value)
        self._status = None

    # -- headers ---------------------------------------------------------------------------
    @property  # type: ignore[override]  # Werkzeug's, not Starlette's
    def headers(self) -> Headers:
        """The response headers, a `werkzeug.datastructures.Headers`.

        They can be replaced: `response.headers = value` takes a `Headers`
        (used as is), a dict or a list of `(name, value)` pairs.
        """
        headers = self._headers
        if headers is None:
            headers = self._headers = Headers(
                [
                    (_HEADER_NAMES.get(k) or k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in self._raw
                ]
            )
        return headers

    @headers.setter
    def headers(self, value: Headers | Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        self._headers = value if isinstance(value, Headers) else Headers(value)

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as sent: ASGI's list of lower-cased `(name, value)` byte pairs.

        Built from `headers` when they were used, so changing the returned
        list changes nothing then; assign to replace all headers.

        Raises:
            ValueError: a header name or value has a line break or NUL, or is
                not Latin-1 text.
        """
        headers = self._headers
        return self._raw if headers is None else encode_headers(headers)

    @raw_headers.setter
    def raw_headers(self, value: list[tuple[bytes, bytes]]) -> None:
        self._raw = value
        self._headers = None

    @property
    def mimetype(self) -> str | None:
        ct = self.headers.get("content-type")
        return _split_mimetype(ct)[0] if ct else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers["Content-Type"] = self._with_charset(value)

    @property
    def mimetype_params(self) -> dict[str, str]:
        ct = self.headers.get("content-type")
        return _split_mimetype(ct)[1] if ct else {}

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        if value is None:
            self.headers.pop("content-type", None)
        else:
            self.headers["Content-Type"] = value

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        return int(value) if value and value.isdigit() else None

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    @location.setter
    def location(self, value: str) -> None:
        self.headers["Location"] = value

    @property
    def vary(self) -> HeaderSet:
        """The `Vary` header as a live `HeaderSet`: `response.vary.add("Cookie")`."""
        return parse_set_header(self.headers.get("vary"), self._set_updater("Vary"))

    @vary.setter
    def vary(self, value: str | Iterable[str] | None) -> None:
        self._set_header_set("Vary", value)

    @property
    def allow(self) -> HeaderSet:
        """The `Allow` header as a live `HeaderSet`."""
        return parse_set_header(self.headers.get("allow"), self._set_updater("Allow"))

    @allow.setter
    def allow(self, value: str | Iterable[str] | None) -> None:
        self._set_header_set("Allow", value)

    # -- body ----------------------------------------------------------------------------
    @property
    def is_streamed(self) -> bool:
        return self._stream is not None

    def get_data(self, as_text: bool = False) -> Any:
        """The body as bytes (str with `as_text`); a streamed sync body is joined first."""
        stream = self._stream
        if stream is not None:
            # A body that is both (a `send_file` body) can be read synchronously.
            if not isinstance(stream, Iterable):
                raise RuntimeError(
                    "This response streams an async iterable; read it by sending the "
                    "response (for example through the test client)."
                )
            self.set_data(b"".join(self._encode(c) for c in stream))
        body = bytes(self.body)
        return body.decode(self.charset) if as_text else body

    def set_data(self, value: str | bytes | bytearray | memoryview) -> None:
        """Replace the body and update `Content-Length`."""
        self._stream = None
        body = self.body = value.encode(self.charset) if isinstance(value, str) else bytes(value)
        headers = self._headers
        if headers is not None:
            headers["Content-Length"] = str(len(body))
            return
        raw = self._raw
        length = (b"content-length", str(len(body)).encode("latin-1"))
        for index, (name, _) in enumerate(raw):
            if name == b"content-length":
                raw[index] = length
                return
        raw.append(length)

    @property
    def data(self) -> bytes:
        return self.get_data()  # type: ignore[no-any-return]

    @data.setter
    def data(self, value: str | bytes) -> None:
        self.set_data(value)

    @property
    def is_json(self) -> bool:
        mt = self.mimetype or ""
        return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        if not (force or self.is_json):
            return None
        try:
            return _json.loads(self.get_data())
        except ValueError:
            if silent:
                return None
            raise

    @property
    def json(self) -> Any:
        return self.get_json()

    # -- cookies ------------------------------------------------------------------------------
    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | timedelta | None = None,
        expires: str | datetime | int | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Add a `Set-Cookie` header (Flask's signature: `samesite` defaults to None).

        Warns when the header is longer than `max_cookie_size`, as Werkzeug does.
        """
        header = dump_cookie(
            key, value, max_age, expires, path, domain, secure, httponly, samesite, partitioned
        )
        self.headers.add("Set-Cookie", header)
        limit = self.max_cookie_size
        if limit and len(header) > limit:
            warnings.warn(
                f"The {key!r} cookie is too large: the value was {len(value)} bytes and the "
                f"whole Set-Cookie header {len(header)} bytes, over MAX_COOKIE_SIZE ({limit} "
                "bytes). Browsers may silently drop it; store less in the cookie (for the "
                "session, use a server-side session interface).",
                stacklevel=2,
            )

    @property
    def max_cookie_size(self) -> int:
        """`MAX_COOKIE_SIZE` of the current app; Werkzeug's 4093 outside an app context."""
        from ..globals import _cv_app

        ctx = _cv_app.get(None)
        if ctx is None:
            return 4093
        return int(ctx.app.config["MAX_COOKIE_SIZE"])

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Expire a cookie: empty value, `Expires` in 1970 and `Max-Age=0`."""
        self.set_cookie(
            key,
            expires=0,
            max_age=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    # -- closing without sending (Werkzeug's `close()`) ----------------------------------------
    def close(self) -> None:
        """Close the body's iterable (a `send_file` file, a generator) and run `call_on_close`.

        For a response that will not be sent, as Werkzeug's `close()` is:
        the server closes what it sends by itself. A coroutine callback is run
        to completion; call it from sync code, not on the event loop.
        """
        stream, self._stream = self._stream, None
        close = getattr(stream, "close", None)
        if close is not None:
            close()
        callbacks, self._on_close = self._on_close or [], None
        for func in callbacks:
            result = func()
            if inspect.isawaitable(result):
                _run_coro_blocking(_awaited(result))

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- sending -------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._on_close is not None:  # `call_on_close` functions run after sending
            await self._send_then_close(lambda: self(scope, receive, send))
            return
        status = self.status_code
        if status < 200 or status == 204 or status == 304:
            await self._send_bodiless(status, send)
            return
        head = scope.get("method") == "HEAD"
        if self._stream is None:
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
            await send({"type": "http.response.body", "body": b"" if head else self.body})
            return
        # A streamed body has a Content-Length only when one was set explicitly
        # (`send_file` does); it is sent as given, as Werkzeug does.
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
            if head:
                await send({"type": "http.response.body", "body": b""})
        except BaseException:
            # The client left, or the server refused a header: nothing will read
            # the body, so close it now (its `finally` blocks run).
            await close_iterable(self._stream)
            raise
        if head:
            await close_iterable(self._stream)
            return
        # Chunks go out as produced; a client disconnect closes the iterable
        # (see `_stream.py`).
        await send_stream(self._stream, self._encode, receive, send)

    async def _send_bodiless(self, status: int, send: Send) -> None:
        # 1xx, 204 and 304 responses never have a body (a server would reject
        # one), nor a Content-Length; a 304 also drops the other entity headers,
        # as Werkzeug does.
        dropped = _NOT_MODIFIED_DROPS if status == 304 else (b"content-length",)
        raw = [(k, v) for k, v in self.raw_headers if k not in dropped]
        try:
            await send({"type": "http.response.start", "status": status, "headers": raw})
            await send({"type": "http.response.body", "body": b""})
        finally:
            if self._stream is not None:
                await close_iterable(self._stream)


_CONTENT_TYPES: dict[tuple[type[Response], str, str], bytes] = {}
_HEADER_NAMES = {b"content-type": "Content-Type", b"content-length": "Content-Length"}
_NOT_MODIFIED_DROPS = (
    b"allow",
    b"content-encoding",
    b"content-language",
    b"content-length",
    b"content-md5",
    b"content-range",
    b"content-type",
    b"last-modified",
)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
