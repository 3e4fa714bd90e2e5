"""`send_file` and `send_from_directory`: file responses with caching, conditions and ranges.

Building a file response only looks at the file (`os.stat`); the bytes are
read later, while the response is sent, in 64 KiB chunks on a worker thread,
so the event loop never waits for the disk and memory stays flat whatever the
file size. Conditional and range requests are decided in `_conditional.py`.
"""

from __future__ import annotations

import io
import mimetypes
import os
import stat
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from functools import partial
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import quote

import anyio.to_thread

from ._awaitable import caller_awaits
from ._conditional import evaluate_conditions
from .datastructures import dump_options_header
from .exceptions import NotFound
from .globals import _cv_app, _cv_request
from .utils import safe_join

if TYPE_CHECKING:
    from collections.abc import Generator

    from .app import Flask
    from .scaffold import Scaffold
    from .wrappers import Request, Response

    class FileResponse(Response):
        """For type checkers: what `send_file` returns, also awaitable (Quart's spelling).

        At run time it is a plain `app.response_class` instance, or, when the
        caller awaits the call, a coroutine that resolves to one.
        """

        def __await__(self) -> Generator[Any, None, Response]: ...


#: Bytes read from the file per chunk of the response body.
CHUNK_SIZE = 64 * 1024
# While streaming, look for a client disconnect after about this many bytes, so
# an aborted download (a media player seeking) stops reading the file.
_DISCONNECT_CHECK_BYTES = 512 * 1024
# RFC 8187 attr-char: the characters `filename*` may carry unencoded.
_ATTR_CHARS = "!#$&+-.^_`|~"

MaxAge = int | timedelta | Callable[[str | None], int | timedelta | None] | None
PathOrFile = str | os.PathLike[str] | IO[bytes]


# -- public API -------------------------------------------------------------------------


def send_file(
    path_or_file: PathOrFile,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: MaxAge = None,
) -> FileResponse:
    """Answer with the contents of a file: a path or a binary file object.

    A relative path is relative to `app.root_path`. Never pass a path that
    came from the client: use `send_from_directory` for that. A file object
    must be opened in binary mode (or be a `BytesIO`), positioned at the
    start of the data; it is closed once the response has been sent.

    - `mimetype` is guessed from the file name (or `download_name`) when not
      given; a file object without either raises `TypeError`.
    - `as_attachment=True` asks the browser to save the file, under
      `download_name` (default: the file's own name); non-ASCII names are
      sent as an ASCII `filename=` plus an RFC 8187 `filename*=`.
    - `conditional` answers `If-None-Match`, `If-Modified-Since`, `If-Match`,
      `If-Unmodified-Since`, `Range` and `If-Range` (304, 412, 206, 416).
    - `etag` is computed from the file's path, size and modification time;
      give a string to use your own, or False for none.
    - `last_modified` overrides the file's modification time.
    - `max_age` (seconds, or a function of the path) sets
      `Cache-Control: public, max-age=N`; by default it is
      `app.get_send_file_max_age(path)`, and when that is None the response
      says `Cache-Control: no-cache` (cache, but revalidate every time).

    The file is read while the response is sent, in chunks, on a worker
    thread. Inside an `async def` view, `await send_file(...)` (Quart's
    spelling) also moves the `os.stat` call off the event loop.
    """
    call = partial(
        _file_response,
        path_or_file,
        mimetype=mimetype,
        as_attachment=as_attachment,
        download_name=download_name,
        conditional=conditional,
        etag=etag,
        last_modified=last_modified,
        max_age=max_age,
    )
    if caller_awaits():
        return _off_loop(call)  # type: ignore[return-value]  # awaited back to a Response
    return call()  # type: ignore[return-value]  # FileResponse only adds `__await__`


def send_from_directory(
    directory: str | os.PathLike[str], path: str | os.PathLike[str], **kwargs: Any
) -> FileResponse:
    """Send the file `path` from inside `directory`; 404 for anything else.

    `directory` is trusted (relative paths are relative to `app.root_path`);
    `path` may come straight from the URL. A path that could leave
    `directory` (`..`, absolute paths, backslashes, drive letters, NUL bytes,
    Windows device names) is refused before the filesystem is touched. What
    remains must be a regular file whose real location, symlinks resolved,
    is still inside `directory`; folders are never listed. Pass
    `follow_symlinks=True` to serve symlinks that point elsewhere. Other
    keyword arguments go to `send_file`.

    ```python
    @app.get("/uploads/<path:name>")
    def download(name):
        return send_from_directory(app.config["UPLOAD_FOLDER"], name, as_attachment=True)
    ```
    """
    call = partial(_directory_response, directory, path, kwargs)
    if caller_awaits():
        return _off_loop(call)  # type: ignore[return-value]  # awaited back to a Response
    return call()  # type: ignore[return-value]  # FileResponse only adds `__await__`


def configured_max_age() -> int | None:
    """The current app's `SEND_FILE_MAX_AGE_DEFAULT` in seconds (None means `no-cache`)."""
    value = _current_app().config["SEND_FILE_MAX_AGE_DEFAULT"]
    if value is None:
        return None
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return int(value)


async def _off_loop(call: Callable[[], Response]) -> Response:
    # anyio runs the call in a copy of this context: `current_app` and
    # `request` stay available in the thread.
    return await anyio.to_thread.run_sync(call)


# -- building the response --------------------------------------------------------------


def _current_app() -> Flask:
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        raise RuntimeError(
            "send_file() and send_from_directory() need an application context: call "
            "them from a view, or inside 'with app.app_context():'."
        )
    return app_ctx.app


def _static_response(scaffold: Scaffold, filename: str) -> Response:
    folder = scaffold.static_folder
    if folder is None:
        raise RuntimeError("'static_folder' must be set to serve static files.")
    max_age = scaffold.get_send_file_max_age(filename)
    return _directory_response(folder, filename, {"max_age": max_age})


def _directory_response(
    directory: str | os.PathLike[str], path: str | os.PathLike[str], kwargs: dict[str, Any]
) -> Response:
    follow_symlinks = bool(kwargs.pop("follow_symlinks", False))
    base = os.fspath(directory)
    # Decided on the names alone, before any filesystem call.
    joined = safe_join(base, os.fspath(path))
    if joined is None:
        raise NotFound()
    root_path = _current_app().root_path
    full = os.path.join(root_path, joined)
    if not os.path.isfile(full):
        raise NotFound()
    if not follow_symlinks:
        real_base = os.path.realpath(os.path.join(root_path, base))
        real_file = os.path.realpath(full)
        try:
            inside = os.path.commonpath((real_base, real_file)) == real_base
        except ValueError:  # on different Windows drives
            inside = False
        if not inside:
            raise NotFound()
    return _file_response(full, **kwargs)


def _file_response(
    path_or_file: PathOrFile,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: MaxAge = None,
) -> Response:
    app = _current_app()
    path: str | None = None
    file: IO[bytes] | None = None
    size: int | None = None
    mtime: float | None = None
    if isinstance(path_or_file, (str, os.PathLike)) or hasattr(path_or_file, "__fspath__"):
        path = os.path.join(app.root_path, os.fspath(path_or_file))
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(f"send_file() can only send files; {path!r} is a directory.")
        size, mtime = info.st_size, info.st_mtime
        if download_name is None:
            download_name = os.path.basename(path)
    else:
        file = path_or_file
        if isinstance(file, io.TextIOBase):
            raise ValueError(
                "send_file() needs a file opened in binary mode ('rb') or a BytesIO, "
                "not a text file."
            )
        size = _remaining_size(file)

    headers: list[tuple[str, str]] = []
    if mimetype is None:
        if download_name is None:
            raise TypeError(
                "send_file() cannot guess the MIME type of a file object without a name: "
                "pass 'mimetype', 'download_name', or a path instead of a file."
            )
        mimetype, encoding = mimetypes.guess_type(download_name)
        if mimetype is None:
            mimetype = "application/octet-stream"
        # A browser would unpack `x.tar.gz` on save if told it is gzip-encoded.
        if encoding is not None and not as_attachment:
            headers.append(("Content-Encoding", encoding))
    if download_name is not None:
        headers.append(("Content-Disposition", _content_disposition(download_name, as_attachment)))
    elif as_attachment:
        raise TypeError(
            "send_file() needs a file name for an attachment: pass 'download_name' or a "
            "path instead of a file."
        )

    modified = _timestamp(last_modified) if last_modified is not None else None
    if modified is None and mtime is not None:
        modified = int(mtime)
    if modified is not None:
        headers.append(("Last-Modified", formatdate(modified, usegmt=True)))
    headers.extend(_cache_headers(app, path, max_age))
    tag = _entity_tag(etag, path, size, mtime)
    if tag is not None:
        headers.append(("ETag", tag))

    status = 200
    start, length = 0, size
    ctx = _cv_request.get(None)
    request = ctx.request if ctx is not None else None
    if conditional and request is not None and request.method in ("GET", "HEAD"):
        headers.append(("Accept-Ranges", "bytes"))
        status, byte_range = evaluate_conditions(request, tag, modified, size)
        if status in (304, 412):
            if file is not None:
                file.close()
            rv = app.response_class(None, status=status, headers=headers, mimetype=mimetype)
            if status == 412:
                rv.headers["Content-Length"] = "0"
            return rv
        if byte_range is not None and size is not None:
            start, end = byte_range
            length = end - start
            headers.append(("Content-Range", f"bytes {start}-{end - 1}/{size}"))

    source: str | IO[bytes] = path if path is not None else file  # type: ignore[assignment]
    body = FileStream(source, start, length, request)
    rv = app.response_class(
        body, status=status, headers=headers, mimetype=mimetype, direct_passthrough=True
    )
    if length is not None:
        rv.headers["Content-Length"] = str(length)
    return rv


def _remaining_size(file: IO[bytes]) -> int | None:
    """The bytes left in an in-memory or regular file from its position; None if unknown."""
    if isinstance(file, io.BytesIO):
        with file.getbuffer() as buffer:
            return max(buffer.nbytes - file.tell(), 0)
    # Only plain files opened with `open()`: a wrapper such as GzipFile also has
    # a `fileno()`, but of the compressed file, whose size means nothing here.
    if isinstance(file, (io.BufferedReader, io.FileIO)):
        try:
            info = os.fstat(file.fileno())
            if stat.S_ISREG(info.st_mode):
                return max(info.st_size - file.tell(), 0)
        except (OSError, ValueError):
            return None
    return None


def _content_disposition(name: str, as_attachment: bool) -> str:
    kind = "attachment" if as_attachment else "inline"
    if name.isascii():
        return dump_options_header(kind, {"filename": name})
    # Old clients read the ASCII approximation; current ones prefer `filename*`.
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    encoded = quote(name, safe=_ATTR_CHARS)
    return dump_options_header(kind, {"filename": fallback, "filename*": f"UTF-8''{encoded}"})


def _timestamp(value: datetime | int | float) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int(value.timestamp())
    return int(value)


def _cache_headers(app: Flask, path: str | None, max_age: MaxAge) -> list[tuple[str, str]]:
    seconds: int | timedelta | None
    if max_age is None:
        seconds = app.get_send_file_max_age(path)
    elif callable(max_age):
        seconds = max_age(path)
    else:
        seconds = max_age
    if isinstance(seconds, timedelta):
        seconds = int(seconds.total_seconds())
    if seconds is None:
        return [("Cache-Control", "no-cache")]
    expires = formatdate(time.time() + seconds, usegmt=True)
    if seconds > 0:
        return [("Cache-Control", f"public, max-age={seconds}"), ("Expires", expires)]
    return [("Cache-Control", f"no-cache, max-age={seconds}"), ("Expires", expires)]


def _entity_tag(
    etag: bool | str, path: str | None, size: int | None, mtime: float | None
) -> str | None:
    if isinstance(etag, str):
        if '"' in etag:
            raise ValueError("An ETag given to send_file() must not contain '\"'.")
        return f'"{etag}"'
    if not etag or path is None:
        return None
    checksum = zlib.crc32(os.fsencode(path))
    return f'"{int((mtime or 0) * 1_000_000):x}-{size:x}-{checksum:08x}"'


# -- the response body ------------------------------------------------------------------


class FileStream:
    """A file response's body: chunks read on a worker thread while the response is sent.

    A path is opened on the first read, so a response that is never sent
    (HEAD, 304, replaced by a hook) never holds a file descriptor. The file
    is closed when the body is finished, when the client goes away, or when
    the response is sent without a body. Iterating it synchronously (for
    `response.get_data()`) reads on the calling thread.
    """

    def __init__(
        self,
        source: str | IO[bytes],
        offset: int = 0,
        length: int | None = None,
        request: Request | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self._path = source if isinstance(source, str) else None
        self._file: IO[bytes] | None = None if isinstance(source, str) else source
        self._offset = offset
        self._remaining = length
        self._chunk_size = chunk_size
        self._closed = False
        self._in_memory = isinstance(source, io.BytesIO)
        # Polling for a disconnect reads from the request's `receive`: only safe
        # once the request body has been read (always, except for streamed bodies).
        self._request = request if request is not None and "_body" in request.__dict__ else None
        self._next_check = _DISCONNECT_CHECK_BYTES

    def _read(self) -> bytes:
        file = self._file
        if file is None:
            if self._closed:
                return b""
            file = self._file = open(cast(str, self._path), "rb")  # closed in close()
            # `close()` may have run on the loop while this thread was opening the
            # file (the send was cancelled by a disconnect): it set `_closed` before
            # looking at `_file`, and this thread set `_file` before looking at
            # `_closed`, so at least one of the two closes it.
            if self._closed:
                file.close()
                return b""
            if self._offset:
                file.seek(self._offset)
        elif self._offset:
            # A file object's ranges count from where it was positioned.
            file.seek(self._offset, os.SEEK_CUR)
        self._offset = 0
        want = self._chunk_size
        if self._remaining is not None:
            want = min(want, self._remaining)
        data = file.read(want)
        if self._remaining is not None:
            self._remaining -= len(data)
        return data

    def __aiter__(self) -> FileStream:
        return self

    async def __anext__(self) -> bytes:
        if self._closed or self._remaining == 0:
            self.close()
            raise StopAsyncIteration
        request = self._request
        if request is not None:
            self._next_check -= self._chunk_size
            if self._next_check <= 0:
                self._next_check = _DISCONNECT_CHECK_BYTES
                if await request.is_disconnected():
                    self.close()
                    raise StopAsyncIteration
        if self._in_memory:
            data = self._read()
        else:
            data = await anyio.to_thread.run_sync(self._read)
        if not data:
            self.close()
            raise StopAsyncIteration
        return data

    def __iter__(self) -> Iterator[bytes]:
        try:
            while not self._closed and self._remaining != 0:
                data = self._read()
                if not data:
                    break
                yield data
        finally:
            self.close()

    async def aclose(self) -> None:
        """Close the file (a quick call: it is not moved off the loop)."""
        self.close()

    def close(self) -> None:
        """Close the file; later reads end the body."""
        if self._closed:
            return
        self._closed = True
        if self._file is not None:
            self._file.close()


__all__ = ["send_file", "send_from_directory"]
