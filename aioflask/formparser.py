"""Form bodies: `application/x-www-form-urlencoded` and `multipart/form-data`.

Multipart bodies are parsed while they arrive: the request hands its body
chunks to `parse_multipart`, which feeds them to python-multipart's streaming
parser. Text fields are collected in memory (each bounded by
`MAX_FORM_MEMORY_SIZE`); file parts go to a `SpooledTemporaryFile` that stays
in memory up to 1 MiB and then moves to disk. Every write that may touch the
disk runs in a worker thread, so a large upload never blocks the event loop.

Urlencoded bodies are small by nature and are parsed from the bytes already
read. Both parsers raise `RequestEntityTooLarge` (413) when a limit is passed
and `BadRequest` (400) for malformed input; they never take time that grows
faster than the size of the body.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from tempfile import SpooledTemporaryFile
from typing import IO, cast
from urllib.parse import unquote, unquote_to_bytes

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser
from starlette.concurrency import run_in_threadpool
from werkzeug.http import parse_options_header

from .datastructures import FileStorage, Headers
from .exceptions import BadRequest, RequestEntityTooLarge

#: Uploads up to this size stay in memory; larger ones are written to a temporary file.
SPOOL_MAX_SIZE = 1024 * 1024
#: Once the uploads of one request hold this much memory, later ones go straight to disk.
MEMORY_BUDGET = 8 * 1024 * 1024
#: Data for disk-backed uploads is handed to a thread in batches of about this size.
WRITE_BATCH_SIZE = 256 * 1024
#: Limits on one part's header section (python-multipart applies stricter ones itself).
MAX_PART_HEADER_BYTES = 16 * 1024
MAX_PART_HEADERS = 64

_URLENCODED_FIELD = re.compile(rb"[^&]+")
_PARAM_STOP = re.compile(r"[=;]")
_QUOTED_TEXT = re.compile(r'(?:[^"\\]|\\.)*')

Fields = list[tuple[str, str]]
Files = list[tuple[str, FileStorage]]


def _too_large(what: str) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(description=f"The form data is too large: {what}.")


# -- urlencoded ----------------------------------------------------------------------------------


def _form_unquote(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


def parse_urlencoded(
    body: bytes, max_fields: int | None = None, max_size: int | None = None
) -> Fields:
    """Parse an urlencoded body into `(name, value)` pairs, in order.

    Only `&` separates fields (`a=1;b=2` is one field `a` with the value
    `1;b=2`, as browsers send it). Names and values are UTF-8; bytes that are
    not valid UTF-8 become U+FFFD. A body longer than `max_size` bytes
    (`MAX_FORM_MEMORY_SIZE`), or with more than `max_fields` non-empty fields
    (`MAX_FORM_FIELDS`, unlimited unless set), raises `RequestEntityTooLarge`
    before anything is decoded.
    """
    if max_size is not None and len(body) > max_size:
        raise _too_large(f"the body is over {max_size} bytes (MAX_FORM_MEMORY_SIZE)")
    pairs: Fields = []
    for count, match in enumerate(_URLENCODED_FIELD.finditer(body), 1):
        if max_fields is not None and count > max_fields:
            raise _too_large(f"more than {max_fields} fields (MAX_FORM_FIELDS)")
        name, _, value = match.group().partition(b"=")
        pairs.append((_form_unquote(name), _form_unquote(value)))
    return pairs


# -- multipart: Content-Disposition ----------------------------------------------------------


def _unquote_param(value: str) -> str:
    # Only the two escapes browsers and curl produce are undone; any other
    # backslash is part of the name (`..\..\win.ini` stays as sent).
    return value.replace("\\\\", "\\").replace('\\"', '"')


def disposition_params(value: str) -> dict[str, str]:
    """The parameters of a part's `Content-Disposition` header, names lower-cased.

    Linear in the header's length. Quoted values may contain `;`. RFC 7578
    forbids the RFC 2231 `name*=` forms in form data, so they never replace
    a plain parameter: `name*` is ignored, and `filename*` is used only when
    there is no plain `filename` (stored under `filename`).
    """
    params: dict[str, str] = {}
    extended_filename: str | None = None
    length = len(value)
    pos = value.find(";")
    while 0 <= pos < length:
        stop_match = _PARAM_STOP.search(value, pos + 1)
        stop = stop_match.start() if stop_match else length
        key = value[pos + 1 : stop].strip(" \t").lower()
        if stop >= length or value[stop] == ";":
            pos = stop  # a parameter without "=" is skipped
            continue
        start = stop + 1
        while start < length and value[start] in " \t":
            start += 1
        if start < length and value[start] == '"':
            quoted = _QUOTED_TEXT.match(value, start + 1)
            end = quoted.end() if quoted else start + 1
            text = _unquote_param(value[start + 1 : end])
            pos = value.find(";", end)
        else:
            pos = value.find(";", start)
            text = value[start : length if pos == -1 else pos].strip(" \t")
        if key == "filename*":
            extended_filename = text
        elif key and not key.endswith("*") and key not in params:
            params[key] = text
    if "filename" not in params and extended_filename is not None:
        decoded = _decode_extended(extended_filename)
        if decoded is not None:
            params["filename"] = decoded
    return params


def _decode_extended(text: str) -> str | None:
    # RFC 8187: charset'language'percent-encoded-bytes
    charset, _, rest = text.partition("'")
    _, sep, encoded = rest.partition("'")
    if not sep:
        return None
    try:
        return unquote(encoded, encoding=charset or "utf-8", errors="strict")
    except (LookupError, UnicodeDecodeError):
        return None


# -- multipart: the parser ---------------------------------------------------------------------


class _Part:
    __slots__ = (
        "data",
        "header_bytes",
        "headers",
        "name",
        "size",
        "spool_limit",
        "storage",
        "stream",
    )

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.header_bytes = 0
        self.name = ""
        self.data = bytearray()
        self.stream: IO[bytes] | None = None
        self.storage: FileStorage | None = None
        self.size = 0
        self.spool_limit = 0


class MultipartReader:
    """The synchronous core of the multipart parser: feed it bytes, collect the results.

    File data is not written when it is parsed but queued; the caller writes
    the queue with `write_pending()`, in a thread when `pending_needs_disk()`.
    `on_file` is called with each new temporary file as soon as it exists, so
    the owner can close it whatever happens later.
    """

    def __init__(
        self,
        boundary: bytes,
        *,
        max_parts: int | None = None,
        max_field_size: int | None = None,
        spool_max_size: int = SPOOL_MAX_SIZE,
        on_file: Callable[[IO[bytes]], None] | None = None,
    ) -> None:
        self.max_parts = max_parts
        self.max_field_size = max_field_size
        self.spool_max_size = spool_max_size
        self.on_file = on_file
        self.fields: Fields = []
        self.files: Files = []
        self.pending: list[tuple[_Part, bytes]] = []
        self.pending_bytes = 0
        self.finished = False
        self._fed = False
        self._parts = 0
        self._part = _Part()
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._file_parts: list[_Part] = []
        try:
            self._parser = MultipartParser(
                boundary,
                {
                    "on_part_begin": self._on_part_begin,
                    "on_part_data": self._on_part_data,
                    "on_part_end": self._on_part_end,
                    "on_header_field": self._on_header_field,
                    "on_header_value": self._on_header_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                    "on_end": self._on_end,
                },
            )
        except (FormParserError, ValueError) as exc:  # e.g. a boundary over 256 bytes
            raise BadRequest(description=f"The multipart boundary is not usable: {exc}") from None

    # -- python-multipart callbacks ------------------------------------------------------
    def _on_part_begin(self) -> None:
        self._parts += 1
        if self.max_parts is not None and self._parts > self.max_parts:
            raise _too_large(f"more than {self.max_parts} parts (MAX_FORM_PARTS)")
        self._part = _Part()

    def _count_header(self, size: int) -> None:
        part = self._part
        part.header_bytes += size
        if part.header_bytes > MAX_PART_HEADER_BYTES:
            raise BadRequest(description="A multipart part has too large a header section.")

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        headers = self._part.headers
        if len(headers) >= MAX_PART_HEADERS:
            raise BadRequest(description="A multipart part has too many headers.")
        headers.append((bytes(self._header_name).strip().lower(), bytes(self._header_value)))
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        part = self._part
        disposition = ""
        for key, value in part.headers:
            if key == b"content-disposition":
                disposition = value.decode("utf-8", "replace")
                break
        params = disposition_params(disposition)
        name = params.get("name")
        if name is None:
            raise BadRequest(
                description="A multipart part has no 'name' in its Content-Disposition header."
            )
        part.name = name
        filename = params.get("filename")
        if filename is not None:
            in_memory = sum(min(p.size, p.spool_limit + 1) for p in self._file_parts)
            # (SpooledTemporaryFile treats 0 as "never roll over": 1 is the smallest limit.)
            part.spool_limit = self.spool_max_size if in_memory < MEMORY_BUDGET else 1
            stream = cast(IO[bytes], SpooledTemporaryFile(max_size=part.spool_limit))
            if self.on_file is not None:
                self.on_file(stream)
            part.stream = stream
            headers = Headers(
                [(k.decode("latin-1").title(), v.decode("latin-1")) for k, v in part.headers]
            )
            part.storage = FileStorage(stream=stream, filename=filename, name=name, headers=headers)
            self._file_parts.append(part)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        size = end - start
        if part.stream is None:
            if self.max_field_size is not None and len(part.data) + size > self.max_field_size:
                raise _too_large(
                    f"a field is over {self.max_field_size} bytes (MAX_FORM_MEMORY_SIZE)"
                )
            part.data += data[start:end]
        else:
            part.size += size
            self.pending.append((part, data[start:end]))
            self.pending_bytes += size

    def _on_part_end(self) -> None:
        part = self._part
        if part.storage is None:
            self.fields.append((part.name, part.data.decode("utf-8", "replace")))
        else:
            self.files.append((part.name, part.storage))

    def _on_end(self) -> None:
        self.finished = True

    # -- driving -------------------------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        """Parse one chunk of the body; limit breaches and malformed data raise here."""
        if chunk:
            self._fed = True
        try:
            self._parser.write(chunk)
        except FormParserError:
            raise BadRequest(description="The multipart form data is malformed.") from None

    def check_complete(self) -> None:
        """Raise 400 when the body ended before the closing boundary (an empty body is fine)."""
        if self._fed and not self.finished:
            raise BadRequest(description="The multipart body ended before its closing boundary.")

    def pending_needs_disk(self) -> bool:
        """True when writing the queued data may touch the disk (a file passed its spool size)."""
        return any(part.size > part.spool_limit for part, _ in self.pending)

    def write_pending(self) -> None:
        """Write the queued file data to the temporary files (call it in a thread if needed)."""
        for part, data in self.pending:
            cast(IO[bytes], part.stream).write(data)
        self.pending.clear()
        self.pending_bytes = 0

    def rewind(self) -> None:
        """Put every file back at its start, ready for the view to read."""
        for part in self._file_parts:
            cast(IO[bytes], part.stream).seek(0)

    def files_on_disk(self) -> bool:
        """True when some file has (or will have, once written) moved to disk."""
        return any(part.size > part.spool_limit for part in self._file_parts)

    def close_files(self) -> None:
        """Close every temporary file made so far (after an error)."""
        for part in self._file_parts:
            try:
                cast(IO[bytes], part.stream).close()
            except Exception:  # pragma: no cover - closing a temp file does not fail
                pass


async def _flush(reader: MultipartReader, final: bool) -> None:
    if not reader.pending:
        return
    if not reader.pending_needs_disk():
        reader.write_pending()  # memory to memory: cheaper than a thread hop
    elif final or reader.pending_bytes >= WRITE_BATCH_SIZE:
        await run_in_threadpool(reader.write_pending)


async def parse_multipart(
    chunks: AsyncIterator[bytes],
    boundary: str | None,
    *,
    max_parts: int | None = None,
    max_field_size: int | None = None,
    on_file: Callable[[IO[bytes]], None] | None = None,
) -> tuple[Fields, Files]:
    """Parse a multipart body from `chunks` as they arrive; return `(fields, files)`.

    `boundary` is the `boundary` parameter of the request's Content-Type.
    Errors from `chunks` itself (size limit, timeout, disconnect) propagate
    unchanged; every temporary file made so far is closed first.
    """
    if not boundary:
        raise BadRequest(description="The multipart Content-Type has no 'boundary' parameter.")
    reader = MultipartReader(
        boundary.encode("latin-1", "replace"),
        max_parts=max_parts,
        max_field_size=max_field_size,
        on_file=on_file,
    )
    try:
        async for chunk in chunks:
            reader.feed(chunk)
            await _flush(reader, final=False)
        reader.check_complete()
        await _flush(reader, final=True)
        if reader.files_on_disk():
            await run_in_threadpool(reader.rewind)
        else:
            reader.rewind()
    except BaseException:
        reader.close_files()
        raise
    return reader.fields, reader.files


def multipart_boundary(content_type: str | None) -> str | None:
    """The `boundary` parameter of a multipart Content-Type, or None."""
    return parse_options_header(content_type)[1].get("boundary") or None


__all__ = [
    "MultipartReader",
    "disposition_params",
    "multipart_boundary",
    "parse_multipart",
    "parse_urlencoded",
]
