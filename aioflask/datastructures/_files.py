"""`FileStorage`: an uploaded file."""

from __future__ import annotations

import os
import shutil
from collections.abc import (
    Iterator,
)
from io import BytesIO
from typing import IO, TYPE_CHECKING, Any, TypeVar

from ._headers import Headers, parse_options_header

if TYPE_CHECKING:
    from starlette.datastructures import UploadFile


V = TypeVar("V")
T = TypeVar("T")


class FileStorage:
    """An uploaded file, as found in `request.files`.

    `filename` is the name the client sent, unchanged (it may hold `../`,
    backslashes or NUL: clean it with `aioflask.utils.secure_filename` before
    building a path from it), `name` the form field, `stream` the binary file
    object holding the data. Uploads up to 1 MiB are kept in memory, larger
    ones in a temporary file that is deleted when the request ends.

    `read()`, `seek()` and `save()` work on the stream directly, which may
    touch the disk: fine in a `def` view (it runs on a worker thread); in an
    `async def` view use `await file.save_async(path)` for large files. An
    instance with no filename (an empty file field) is falsy. Attributes not
    defined here are looked up on `stream`.
    """

    def __init__(
        self,
        stream: IO[bytes] | None = None,
        filename: str | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.name = name
        self.stream: IO[bytes] = stream if stream is not None else BytesIO()
        if filename is None:
            stream_name = getattr(stream, "name", None)
            if isinstance(stream_name, (str, bytes)):
                decoded = os.fsdecode(stream_name)
                # Python names special streams like "<stdin>"; those are no filename.
                if not (decoded.startswith("<") and decoded.endswith(">")):
                    filename = decoded
        else:
            filename = os.fsdecode(filename)
        self.filename: str | None = filename
        self.headers: Headers = headers if headers is not None else Headers()
        if content_type is not None:
            self.headers["Content-Type"] = content_type
        if content_length is not None:
            self.headers["Content-Length"] = str(content_length)
        self._size: int | None = None

    @classmethod
    def from_upload(cls, upload: UploadFile, name: str | None = None) -> FileStorage:
        """Wrap a Starlette `UploadFile` from parsed form data.

        `name` is the form field the file came from. The upload's file object
        becomes `stream`; its part headers are kept in `headers`.
        """
        storage = cls(
            stream=upload.file,
            filename=upload.filename if upload.filename is not None else "",
            name=name,
            headers=Headers(raw=list(upload.headers.raw)),
        )
        storage._size = upload.size
        return storage

    @property
    def content_type(self) -> str | None:
        """The `Content-Type` the client sent for this file, if any."""
        return self.headers.get("content-type")

    @property
    def content_length(self) -> int:
        """The size in bytes: the part's `Content-Length`, else the received size, else 0."""
        value = self.headers.get("content-length")
        if value is not None:
            try:
                return int(value)
            except ValueError:
                pass
        return self._size or 0

    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        return parse_options_header(self.content_type)

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased (`"image/png"`)."""
        return self._parsed_content_type()[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters as a dict (`{"charset": "utf-8"}`)."""
        return self._parsed_content_type()[1]

    def read(self, size: int = -1) -> bytes:
        """Read up to `size` bytes (everything by default) from the current position."""
        return self.stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the stream position, as `file.seek`."""
        return self.stream.seek(offset, whence)

    def tell(self) -> int:
        """Return the stream position."""
        return self.stream.tell()

    def save(self, dst: str | os.PathLike[str] | IO[bytes], buffer_size: int = 16384) -> None:
        """Copy the data, from the current stream position on, to `dst`.

        `dst` is a path (the file is created or truncated, then closed) or a
        binary file object opened for writing, which is left open. Call
        `seek(0)` first if the stream was already read. Validate `filename`
        before building a path from it.
        """
        if isinstance(dst, (str, os.PathLike)):
            with open(os.fspath(dst), "wb") as target:
                shutil.copyfileobj(self.stream, target, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    async def save_async(
        self, dst: str | os.PathLike[str] | IO[bytes], buffer_size: int = 16384
    ) -> None:
        """`save()` in a worker thread, so an `async def` view does not block the event loop.

        ```python
        @app.post("/upload")
        async def upload():
            f = request.files["file"]
            await f.save_async(UPLOADS / secure_filename(f.filename))
        ```
        """
        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(self.save, dst, buffer_size)

    def close(self) -> None:
        """Close the stream; errors while closing are ignored."""
        try:
            self.stream.close()
        except Exception:
            pass

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        stream = self.__dict__.get("stream")
        if stream is None:
            raise AttributeError(name)
        try:
            return getattr(stream, name)
        except AttributeError:
            # SpooledTemporaryFile on Python 3.10 lacks parts of the io API;
            # its wrapped file has them.
            inner = getattr(stream, "_file", None)
            if inner is None:
                raise
            return getattr(inner, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"


# ---------------------------------------------------------------------------
# Accept headers
# ---------------------------------------------------------------------------
