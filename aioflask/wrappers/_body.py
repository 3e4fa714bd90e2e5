"""The request body: reading it from ASGI, its limits, forms, JSON and streams.

For ordinary routes the app calls `_load_body()` before the `before_request`
hooks, so `form`, `files`, `data`, `json` and `get_json()` are plain
attributes. A multipart body is never held in memory: its chunks go straight
into the streaming parser, which spools file parts to temporary files.

Routes registered with `stream_body=True` skip that step. Their body is read
when the view asks for it: `async for chunk in request.stream()`, or an
awaited accessor (`await request.get_data()`, `await request.form`,
`await request.get_json()`), after which the plain attributes work. A `def`
view on such a route reads through the event loop on first use, so
`request.stream.read(n)` and `request.form` work there as in Flask.

Every read enforces `max_content_length` across chunks (413), `BODY_TIMEOUT`
between chunks and a minimum rate over the whole body (`BODY_DEADLINE`,
`BODY_MIN_RATE`: 408), and turns a client disconnect into `ClientDisconnected`.
"""

from __future__ import annotations

import asyncio
import json as _json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from io import BytesIO
from typing import IO, TYPE_CHECKING, Any, TypeVar

import anyio
from starlette.requests import Request as _StarletteRequest
from starlette.types import Message

from .._awaitable import caller_awaits, maybe_awaitable
from ..datastructures import FileStorage, ImmutableMultiDict
from ..exceptions import (
    BadRequest,
    ClientDisconnected,
    HTTPException,
    RequestEntityTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)
from ..formparser import multipart_boundary, parse_multipart, parse_urlencoded
from ..globals import _cv_app

if TYPE_CHECKING:
    from collections.abc import Generator

    class AwaitableBytes(bytes):
        """For type checkers: what `request.data` gives, also awaitable (Quart's spelling).

        At run time it is plain `bytes`, or, when the caller awaits it, an
        awaitable that resolves to them.
        """

        def __await__(self) -> Generator[Any, None, bytes]: ...


T = TypeVar("T")

_URLENCODED = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_FORM_TYPES = (_URLENCODED, _MULTIPART)
_BODILESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_NOT_READ = (
    "The request body has not been read: this route streams its body (stream_body=True). "
    "In an async view, read it with 'async for chunk in request.stream()', or load it with "
    "'await request.get_data()', 'await request.form' or 'await request.get_json()'; the "
    "plain attributes work after that. In a def view, request.stream.read() and the plain "
    "attributes read it on first use."
)
_NOT_LOADED = (
    "The request body has not been read: the app reads it before the view only for "
    "requests that match a route. Read it here with 'await request.get_data()', "
    "'await request.form' or 'await request.get_json()'."
)
_CONSUMED = (
    "The request body was already read from request.stream() and was not kept, so it "
    "cannot be read again. Read it once: either iterate request.stream(), or call "
    "'await request.get_data()' first (it keeps the body, and request.stream() replays it)."
)
_BLOCKING_READ = (
    "request.stream.read() would block the event loop in an async view; use "
    "'async for chunk in request.stream()' instead."
)


def _split_mimetype(value: str) -> tuple[str, dict[str, str]]:
    mimetype, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for item in rest.split(";"):
        key, sep, val = item.partition("=")
        if sep:
            params[key.strip().lower()] = val.strip().strip('"')
    return mimetype.strip().lower(), params


def _config(name: str, default: Any) -> Any:
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return default
    return app_ctx.app.config.get(name, default)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _too_slow() -> RequestTimeout:
    return RequestTimeout(
        description="The request body arrived too slowly (BODY_DEADLINE, BODY_MIN_RATE)."
    )


async def _then(pending: Awaitable[Any], result: Callable[[], T]) -> T:
    await pending
    return result()


class BodyReceiver:
    """Pulls one request's body from ASGI `receive`, enforcing the limits.

    Iterating it yields the non-empty chunks until the body ends. Passing
    `limit` bytes raises `RequestEntityTooLarge`, a `receive` that takes
    longer than `timeout` seconds raises `RequestTimeout`, and a disconnect
    raises `ClientDisconnected`. A body that arrives too slowly as a whole
    raises `RequestTimeout` too: the body may take `deadline` seconds plus one
    second for every `min_rate` bytes received, so a steady trickle is cut off
    however short its gaps (`BODY_DEADLINE`, `BODY_MIN_RATE`). The first error
    is kept in `error` and raised again by any later read. `on_end(error)` is called once, when the
    body has ended (`None`) or failed (the error).
    """

    def __init__(
        self,
        receive: Callable[[], Awaitable[Message]],
        limit: int | None,
        timeout: float | None,
        on_end: Callable[[HTTPException | None], None] | None = None,
        deadline: float | None = None,
        min_rate: float | None = None,
    ) -> None:
        self._receive = receive
        self.limit = limit
        self.timeout = timeout
        # Monotonic time by which the body must have ended, before the credit
        # that each received byte earns (`1 / min_rate` seconds).
        self._deadline = None if not deadline else time.monotonic() + deadline
        self._credit = 1.0 / min_rate if min_rate else 0.0
        self.on_end = on_end
        self.received = 0
        self.started = False
        self.done = False
        self.error: HTTPException | None = None

    def _finish(self) -> None:
        self.done = True
        on_end, self.on_end = self.on_end, None
        if on_end is not None:
            on_end(self.error)

    async def _next_message(self) -> Message:
        timeout = self.timeout
        deadline = self._deadline
        slow = False
        if deadline is not None:
            left = deadline + self.received * self._credit - time.monotonic()
            if left <= 0:
                raise self._fail(_too_slow())
            if not timeout or left < timeout:
                timeout, slow = left, True
        if not timeout:
            return await self._receive()
        try:
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(timeout):
                    return await self._receive()
            else:  # pragma: no cover - Python 3.10
                return await asyncio.wait_for(self._receive(), timeout)
        except asyncio.TimeoutError:
            raise self._fail(_too_slow() if slow else RequestTimeout()) from None

    def _fail(self, error: HTTPException) -> HTTPException:
        self.error = error
        self._finish()
        return error

    async def read_chunk(self) -> bytes:
        """The next chunk of the body; `b""` once it has ended."""
        while True:
            if self.error is not None:
                raise self.error
            if self.done:
                return b""
            self.started = True
            message = await self._next_message()
            kind = message["type"]
            if kind == "http.request":
                chunk: bytes = message.get("body", b"")
                if not message.get("more_body", False):
                    self._finish()
                if chunk:
                    self.received += len(chunk)
                    if self.limit is not None and self.received > self.limit:
                        raise self._fail(RequestEntityTooLarge())
                    return chunk
            elif kind == "http.disconnect":
                raise self._fail(ClientDisconnected())

    async def read_all(self) -> bytes:
        """Read the rest of the body and return it."""
        chunks: list[bytes] = []
        while True:
            chunk = await self.read_chunk()
            if not chunk:
                break
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def __aiter__(self) -> BodyReceiver:
        return self

    async def __anext__(self) -> bytes:
        chunk = await self.read_chunk()
        if not chunk:
            raise StopAsyncIteration
        return chunk


class RequestStream:
    """`request.stream`: the body as a file-like object and as an async iterator.

    In async code, `async for chunk in request.stream()` yields the chunks as
    they arrive (the body is not kept), or replays the body when it was read
    already. `read(size)` is Flask's file interface: it serves the body read
    already, or, on routes with `stream_body=True`, reads from the client in
    a `def` view (blocking that view's thread, never the event loop).
    """

    def __init__(self, request: BodyRequest) -> None:
        self._request = request
        # Bytes received by `read(size)` beyond `size`, served first next time.
        self._buffer = bytearray()
        self._cached: BytesIO | None = None

    def __call__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        request = self._request
        if "_body" in request.__dict__:
            if request._body:
                yield request._body
            return
        receiver = request._body_receiver()
        if self._buffer:
            buffered = bytes(self._buffer)
            self._buffer.clear()
            yield buffered
        async for chunk in receiver:
            yield chunk

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        """Read up to `size` bytes (all that is left by default); `b""` at the end."""
        request = self._request
        if "_body" in request.__dict__:
            if self._cached is None:
                self._cached = BytesIO(request._body)
            return self._cached.read(size)
        if 0 <= size <= len(self._buffer):
            return self._take(size)
        loop = request._aio_loop
        if loop is None or _running_loop() is loop:
            raise RuntimeError(_BLOCKING_READ if loop is not None else _NOT_LOADED)
        future = asyncio.run_coroutine_threadsafe(self._read_async(size), loop)
        return future.result()

    async def _read_async(self, size: int) -> bytes:
        receiver = self._request._body_receiver()
        buffer = self._buffer
        while size < 0 or len(buffer) < size:
            chunk = await receiver.read_chunk()
            if not chunk:
                break
            buffer += chunk
        return self._take(size)

    def _take(self, size: int) -> bytes:
        buffer = self._buffer
        if size < 0 or size >= len(buffer):
            data = bytes(buffer)
            buffer.clear()
        else:
            data = bytes(buffer[:size])
            del buffer[:size]  # cheap: bytearray drops a prefix without copying the rest
        return data


class BodyRequest(_StarletteRequest):
    """The body half of `aioflask.Request` (see the module docstring)."""

    #: Set when reading the body failed; accessors raise it again.
    _aio_body_error: Exception | None = None
    _aio_form: ImmutableMultiDict[str, str] | None = None
    _aio_files: ImmutableMultiDict[str, FileStorage] | None = None
    _aio_form_error: Exception | None = None
    _aio_spools: list[IO[bytes]] | None = None
    _aio_receiver: BodyReceiver | None = None
    _aio_stream: RequestStream | None = None
    _aio_stashed: Message | None = None
    #: The server's loop, set for routes that stream their body.
    _aio_loop: asyncio.AbstractEventLoop | None = None
    #: Set when the client stalled: the response asks the server to close the connection.
    _aio_close_connection: bool = False
    _body: bytes
    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None

    # -- limits -------------------------------------------------------------------------
    @property
    def max_content_length(self) -> int | None:
        """Largest accepted body in bytes (`MAX_CONTENT_LENGTH`); 413 beyond it.

        Setting it in a `before_request` hook or in the view only affects
        routes with `stream_body=True`: other bodies are read before the hooks.
        """
        if self._max_content_length is not None:
            return self._max_content_length
        return _config("MAX_CONTENT_LENGTH", None)  # type: ignore[no-any-return]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:
        """Largest non-file form field in bytes (`MAX_FORM_MEMORY_SIZE`); 413 beyond it."""
        if self._max_form_memory_size is not None:
            return self._max_form_memory_size
        return _config("MAX_FORM_MEMORY_SIZE", 500_000)  # type: ignore[no-any-return]

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @property
    def max_form_parts(self) -> int | None:
        """Most parts in a multipart body (`MAX_FORM_PARTS`); 413 beyond it."""
        if self._max_form_parts is not None:
            return self._max_form_parts
        return _config("MAX_FORM_PARTS", 1000)  # type: ignore[no-any-return]

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    # -- content headers ----------------------------------------------------------------
    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased; `''` when absent."""
        ct = self.content_type
        return _split_mimetype(ct)[0] if ct else ""

    @property
    def mimetype_params(self) -> dict[str, str]:
        ct = self.content_type
        return _split_mimetype(ct)[1] if ct else {}

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        if value is None:
            return None
        try:
            n = int(value)
        except ValueError:
            return None
        return n if n >= 0 else None

    # -- reading ------------------------------------------------------------------------
    def _expects_body(self) -> bool:
        for key, value in self.scope["headers"]:
            if key == b"content-length":
                return value.strip() not in (b"0", b"")
            if key == b"transfer-encoding":
                return True
        # Neither header: over HTTP/1.1 there is no body, but HTTP/2 and 3 may
        # stream one without Content-Length, so methods that carry a body read it
        # (an empty body costs one `receive()`).
        return self.scope["method"] not in _BODILESS_METHODS

    async def _load_body(self) -> None:
        """Read the body before the hooks run (ordinary routes); forms are parsed too.

        Raises 413 at once when the declared Content-Length passes
        `max_content_length`, without reading anything. A malformed or
        oversized form is not an error yet: it is raised when `form` or
        `files` is used, as in Flask.
        """
        if "_body" in self.__dict__:  # read already (cheaper than hasattr when absent)
            return
        if not self._expects_body():
            self._body = b""
            return
        await self._read_body(keep_raw=False)

    def _defer_body(self) -> None:
        """Leave the body to the view (`stream_body=True`); called on the event loop."""
        self._aio_loop = asyncio.get_running_loop()

    async def _next_message(self) -> Message:
        stashed = self._aio_stashed
        if stashed is not None:
            self._aio_stashed = None
            return stashed
        return await self._receive()

    def _body_receiver(self) -> BodyReceiver:
        receiver = self._aio_receiver
        if receiver is None:
            if self._aio_body_error is not None:
                raise self._aio_body_error
            expected = self._expects_body()
            limit = self.max_content_length
            declared = self.content_length
            if limit is not None and declared is not None and declared > limit:
                # Answered before reading anything (HOSTILE H1).
                error = self._aio_body_error = RequestEntityTooLarge()
                raise error
            receiver = BodyReceiver(
                self._next_message,
                limit,
                _config("BODY_TIMEOUT", 60.0),
                self._body_ended,
                deadline=_config("BODY_DEADLINE", 30.0),
                min_rate=_config("BODY_MIN_RATE", 1024),
            )
            if not expected:
                receiver._finish()
            self._aio_receiver = receiver
        elif receiver.error is not None:
            raise receiver.error
        return receiver

    def _body_ended(self, error: HTTPException | None) -> None:
        # Starlette's flag; it also tells the response streamer that `receive()`
        # no longer carries body chunks, so it may watch it for a disconnect.
        self._stream_consumed = True
        if isinstance(error, RequestTimeout):
            self._aio_close_connection = True

    def _close_connection(self, response: Any) -> None:
        """Ask the server to close the connection after `response` (a stalled body).

        Only for a timeout: after other errors (413, a bad form) the client
        may still be sending, and closing then would make it see a reset
        instead of the response; uvicorn reads and drops the rest instead.
        HTTP/2 has no such header: there the server resets the stream itself.
        """
        headers = getattr(response, "headers", None)
        if headers is None or self.scope.get("http_version", "1.1") not in ("1.1", "1.0"):
            return
        try:
            headers["Connection"] = "close"
        except (TypeError, ValueError):  # pragma: no cover - a read-only foreign response
            pass

    def _check_unread(self) -> None:
        if self._aio_body_error is not None:
            raise self._aio_body_error
        receiver = self._aio_receiver
        if receiver is not None:
            if receiver.error is not None:
                raise receiver.error
            if receiver.started:
                raise RuntimeError(_CONSUMED)

    async def _read_body(self, keep_raw: bool = True) -> None:
        """Read the body now; with `keep_raw=False` a multipart body is parsed, not kept."""
        if "_body" in self.__dict__:
            return
        self._check_unread()
        receiver = self._body_receiver()
        mimetype = self.mimetype
        if mimetype == _MULTIPART and not keep_raw:
            await self._parse_multipart(receiver, receiver)
            self._body = b""
            return
        body = await receiver.read_all()
        self._body = body
        if mimetype == _URLENCODED:
            self._parse_urlencoded(body)
        elif mimetype == _MULTIPART:
            await self._parse_multipart(_one_chunk(body), None)

    def _parse_urlencoded(self, body: bytes) -> None:
        try:
            pairs = parse_urlencoded(
                body, _config("MAX_FORM_FIELDS", None), self.max_form_memory_size
            )
        except RequestEntityTooLarge as exc:
            self._aio_form_error = exc
            return
        self._aio_form = ImmutableMultiDict(pairs)

    async def _parse_multipart(
        self, chunks: AsyncIterator[bytes], receiver: BodyReceiver | None
    ) -> None:
        try:
            fields, files = await parse_multipart(
                chunks,
                multipart_boundary(self.content_type),
                max_parts=self.max_form_parts,
                max_field_size=self.max_form_memory_size,
                on_file=self._keep_file,
            )
        except HTTPException as exc:
            if receiver is not None and exc is receiver.error:
                raise  # the body could not be read: answered at once
            self._aio_form_error = exc  # a bad form: raised when `form` or `files` is used
            return
        self._aio_form = ImmutableMultiDict(fields)
        self._aio_files = ImmutableMultiDict(files)

    def _keep_file(self, stream: IO[bytes]) -> None:
        if self._aio_spools is None:
            self._aio_spools = []
        self._aio_spools.append(stream)

    def _unread(self, keep_raw: bool, awaited: bool) -> Coroutine[Any, Any, None] | None:
        """The body is not read yet (a `stream_body` route): read it, or say how to.

        Returns a coroutine that reads it when the caller awaits; reads it
        through the event loop from a worker thread (a `def` view); raises
        `RuntimeError` otherwise.
        """
        self._check_unread()
        if awaited:
            return self._read_body(keep_raw)
        loop = self._aio_loop
        if loop is None:
            raise RuntimeError(_NOT_LOADED)
        if _running_loop() is loop:
            raise RuntimeError(_NOT_READ)
        asyncio.run_coroutine_threadsafe(self._read_body(keep_raw), loop).result()
        return None

    def _body_or_fail(self) -> bytes:
        if "_body" not in self.__dict__:
            self._unread(True, False)
        return self._body

    async def body(self) -> bytes:
        """The whole body as bytes (Starlette's coroutine); it is kept for later use."""
        if "_body" not in self.__dict__:
            self._check_unread()
            await self._read_body(keep_raw=True)
        return self._body

    # -- forms ----------------------------------------------------------------------------
    @property
    def form(self) -> ImmutableMultiDict[str, str]:  # type: ignore[override]  # Flask's attribute
        """Form fields (urlencoded or multipart); `form['missing']` gives a 400.

        A form over the limits raises 413 here, a malformed one 400.
        """
        if "_body" not in self.__dict__:
            pending = self._unread(False, caller_awaits(2))
            if pending is not None:
                return _then(pending, lambda: self.form)  # type: ignore[return-value]
        if self._aio_form_error is not None:
            raise self._aio_form_error
        form = self._aio_form
        if form is None:
            form = self._aio_form = ImmutableMultiDict()
        return form

    @property
    def files(self) -> ImmutableMultiDict[str, FileStorage]:
        """Uploaded files of a multipart form, as `FileStorage` objects."""
        if "_body" not in self.__dict__:
            pending = self._unread(False, caller_awaits(2))
            if pending is not None:
                return _then(pending, lambda: self.files)  # type: ignore[return-value]
        if self._aio_form_error is not None:
            raise self._aio_form_error
        files = self._aio_files
        if files is None:
            if self.mimetype != "multipart/form-data" and _debug_mode():
                from ..debughelpers import DebugFilesDict

                files = self._aio_files = DebugFilesDict(self.mimetype, self.form)
            else:
                files = self._aio_files = ImmutableMultiDict()
        return files

    # -- raw data -------------------------------------------------------------------------
    @property
    def data(self) -> AwaitableBytes:
        """The raw body; empty when it was parsed as form data (as in Flask)."""
        is_form = self.mimetype in _FORM_TYPES
        if "_body" not in self.__dict__:
            pending = self._unread(not is_form, caller_awaits(2))
            if pending is not None:
                return _then(pending, lambda: self.data)  # type: ignore[return-value]
        # Plain bytes, or an awaitable of them when awaited: see `AwaitableBytes`.
        return maybe_awaitable(b"" if is_form else self._body)  # type: ignore[return-value]

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> Any:
        """The raw body as bytes (or str with `as_text=True`); awaitable too.

        A multipart body read before the view is parsed as it arrives and not
        kept, so this gives `b""` for it; routes with `stream_body=True` get
        the raw bytes from `await request.get_data()`.
        """
        keep_raw = not (parse_form_data and self.mimetype in _FORM_TYPES)
        if "_body" not in self.__dict__:
            pending = self._unread(keep_raw, caller_awaits(2))
            if pending is not None:
                return _then(pending, lambda: self._data_value(as_text, parse_form_data))
        return maybe_awaitable(self._data_value(as_text, parse_form_data))

    def _data_value(self, as_text: bool, parse_form_data: bool) -> bytes | str:
        body = self._body
        if parse_form_data and self.mimetype in _FORM_TYPES:
            body = b""
        return body.decode("utf-8", "replace") if as_text else body

    @property
    def stream(self) -> RequestStream:  # type: ignore[override]  # file-like and callable
        """The body as a stream: `async for chunk in request.stream()`, `request.stream.read()`."""
        stream = self._aio_stream
        if stream is None:
            stream = self._aio_stream = RequestStream(self)
        return stream

    @property
    def input_stream(self) -> RequestStream:
        """The same object as `stream` (Werkzeug's name for the raw input)."""
        return self.stream

    # -- JSON -----------------------------------------------------------------------------
    @property
    def json(self) -> Any:  # Flask's attribute, shadowing Starlette's `json()` coroutine
        """The parsed JSON body: 415 when the body is not JSON, 400 when it is invalid."""
        if "_body" not in self.__dict__:
            pending = self._unread(True, caller_awaits(2))
            if pending is not None:
                return _then(pending, self._get_json)
        return maybe_awaitable(self._get_json())

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """Parse the body as JSON.

        Unless `force`, the content type must be JSON (else 415). Invalid JSON
        gives 400. With `silent`, both failures return None instead.
        """
        if "_body" not in self.__dict__:
            pending = self._unread(True, caller_awaits(2))
            if pending is not None:
                return _then(pending, lambda: self._get_json(force, silent))
        return maybe_awaitable(self._get_json(force, silent))

    @property
    def is_json(self) -> bool:
        """True for `application/json` and `application/*+json`."""
        mt = self.mimetype
        return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))

    def _get_json(self, force: bool = False, silent: bool = False) -> Any:
        cached = self.__dict__.get("_aio_json")
        if cached is not None:
            return cached[0]
        if not (force or self.is_json):
            if silent:
                return None
            return self.on_json_loading_failed(None)
        body = self._body_or_fail()
        try:
            app_ctx = _cv_app.get(None)
            value = app_ctx.app.json.loads(body) if app_ctx else _json.loads(body)
        except (ValueError, RecursionError) as exc:
            if silent:
                return None
            return self.on_json_loading_failed(exc if isinstance(exc, ValueError) else None)
        self._aio_json = (value,)
        return value

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Called when JSON can't be read: `e` is None for a wrong content type (415)."""
        if e is None and not self.is_json:
            raise UnsupportedMediaType(
                description="Did not attempt to load JSON data because the request "
                "Content-Type was not 'application/json'."
            )
        app_ctx = _cv_app.get(None)
        if app_ctx is not None and app_ctx.app.debug and e is not None:
            raise BadRequest(description=f"Failed to decode JSON object: {e}")
        raise BadRequest(
            description="The browser (or proxy) sent a request that this server "
            "could not understand: the JSON body is not valid."
        )

    # -- connection state and cleanup ------------------------------------------------------
    async def is_disconnected(self) -> bool:
        """True once the client has gone away; never loses a body chunk.

        Looks at the next ASGI message without waiting. A body chunk found
        that way is kept for the body reader.
        """
        if self._is_disconnected:
            return True
        if self._aio_stashed is not None:
            return False  # a body chunk is waiting to be read
        message: Message = {}
        with anyio.CancelScope() as scope:
            scope.cancel()
            message = await self._receive()
        kind = message.get("type")
        if kind == "http.disconnect":
            self._is_disconnected = True
            self._aio_stashed = message
        elif kind == "http.request" and not (self._stream_consumed or "_body" in self.__dict__):
            # Kept for the body reader; once the body is read (or known empty, as
            # for a GET) such a message carries nothing and is dropped.
            self._aio_stashed = message
        return self._is_disconnected

    def _close_sync(self) -> None:
        spools = self._aio_spools
        if spools:
            self._aio_spools = None
            for spool in spools:
                try:
                    spool.close()
                except Exception:  # pragma: no cover - closing a temp file does not fail
                    pass

    async def close(self) -> None:
        """Close uploaded files (their temporary files are removed)."""
        self._close_sync()


async def _one_chunk_gen(body: bytes) -> AsyncIterator[bytes]:
    if body:
        yield body


def _one_chunk(body: bytes) -> AsyncIterator[bytes]:
    return _one_chunk_gen(body)


def _debug_mode() -> bool:
    app_ctx = _cv_app.get(None)
    return app_ctx is not None and app_ctx.app.debug
