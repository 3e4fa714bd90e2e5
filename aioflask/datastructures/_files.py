"""`FileStorage`: an uploaded file, as Werkzeug's class plus two async-friendly helpers."""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING

from werkzeug.datastructures import FileStorage as _WerkzeugFileStorage

from ._headers import Headers

if TYPE_CHECKING:
    from starlette.datastructures import UploadFile


class FileStorage(_WerkzeugFileStorage):
    """An uploaded file, as found in `request.files`: Werkzeug's `FileStorage`.

    Being a subclass, it passes the `isinstance(x, werkzeug.datastructures.FileStorage)`
    checks that form libraries make, and everything Werkzeug's class does
    works unchanged. `filename` is the name the client sent, unchanged (it may
    hold `../`, backslashes or NUL: clean it with `aioflask.utils.secure_filename`
    before building a path from it). Uploads up to 1 MiB are kept in memory,
    larger ones in a temporary file that is deleted when the request ends.

    What aioflask adds: `save_async`, so an `async def` view can store a large
    upload without blocking the event loop, and `from_upload`, which wraps a
    file parsed by Starlette.
    """

    @classmethod
    def from_upload(cls, upload: UploadFile, name: str | None = None) -> FileStorage:
        """Wrap a Starlette `UploadFile` from parsed form data.

        `name` is the form field the file came from. The upload's file object
        becomes `stream`; its part headers are kept in `headers`.
        """
        return cls(
            stream=upload.file,
            filename=upload.filename if upload.filename is not None else "",
            name=name,
            headers=Headers(list(upload.headers.items())),
        )

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
