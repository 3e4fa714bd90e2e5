"""Uploaded files: `request.files`, `FileStorage`, spooling to disk off the event loop, cleanup.

Covers HOSTILE_INPUTS M4 and M7 (the parser's limits are in `test_forms.py`).
"""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

import aioflask.formparser as formparser
from aioflask import Flask, request
from aioflask.datastructures import FileStorage
from aioflask.utils import secure_filename
from bench import upload as upload_bench
from tests.serving import serve
from tests.test_quickstart import extract_snippets, run_snippet
from tests.test_request_stream import call_asgi, chunked

BOUNDARY = "XyZzy"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def file_part(name: str, filename: str, data: bytes, content_type: str | None = None) -> bytes:
    head = f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    return head.encode() + b"\r\n" + data


def multipart(*parts: bytes) -> bytes:
    sep = f"--{BOUNDARY}".encode()
    return b"".join(sep + b"\r\n" + p + b"\r\n" for p in parts) + sep + b"--\r\n"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def post(app: Flask, body: bytes, content_type: str = MULTIPART) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        return await client.post("/", content=body, headers={"Content-Type": content_type})


# -- FileStorage through a request ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["def", "async"])
async def test_file_attributes_read_and_save(kind: str, tmp_path: Path) -> None:
    app = Flask(__name__)

    def handle() -> dict[str, Any]:
        f = request.files["the_file"]
        first = f.read(5)
        rest = f.read()
        f.seek(0)
        f.save(tmp_path / "by_path.bin")
        f.seek(0)
        buffer = io.BytesIO()
        f.save(buffer)
        return {
            "filename": f.filename,
            "name": f.name,
            "content_type": f.content_type,
            "mimetype": f.mimetype,
            "mimetype_params": f.mimetype_params,
            "content_length": f.content_length,
            "read": (first + rest).decode(),
            "by_path": (tmp_path / "by_path.bin").read_text(),
            "to_object": buffer.getvalue().decode(),
            "truthy": bool(f),
            "header": f.headers.get("X-Extra"),
            "form": request.form.to_dict(),
            "data": request.get_data().decode(),
        }

    if kind == "def":
        app.add_url_rule("/", view_func=handle, methods=["POST"])
    else:

        async def async_handle() -> dict[str, Any]:
            return handle()

        app.add_url_rule("/", view_func=async_handle, methods=["POST"])

    part = (
        b'Content-Disposition: form-data; name="the_file"; filename="notes.txt"\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\nX-Extra: yes\r\n\r\nhello world"
    )
    body = multipart(b'Content-Disposition: form-data; name="title"\r\n\r\nT', part)
    r = await post(app, body)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "filename": "notes.txt",
        "name": "the_file",
        "content_type": "text/plain; charset=utf-8",
        "mimetype": "text/plain",
        "mimetype_params": {"charset": "utf-8"},
        # As Werkzeug: the part's own Content-Length header, which browsers do not send.
        "content_length": 0,
        "read": "hello world",
        "by_path": "hello world",
        "to_object": "hello world",
        "truthy": True,
        "header": "yes",
        "form": {"title": "T"},
        "data": "",  # parsed as form data, as in Flask
    }


async def test_save_async_in_an_async_view(tmp_path: Path) -> None:
    app = Flask(__name__)
    data = os.urandom(3 * 1024 * 1024)

    @app.post("/")
    async def upload() -> str:
        f = request.files["f"]
        await f.save_async(tmp_path / secure_filename(f.filename or ""))
        return "saved"

    r = await post(app, multipart(file_part("f", "../../evil.bin", data)))
    assert r.text == "saved"
    assert (tmp_path / "evil.bin").read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.bin"]


HOSTILE_NAMES = [
    "../../etc/passwd",
    "..\\..\\win.ini",
    "/abs/x",
    "CON",
    "a\x00b.txt",
    "\u00e9\u4e2d\U0001f600" * 100,
    "C:\\x\\y.txt",
]


async def test_hostile_filenames_are_kept_raw_and_secure_filename_cleans_them(
    tmp_path: Path,
) -> None:
    # HOSTILE M7: the raw name reaches the view; saving through secure_filename
    # never writes outside the target folder.
    app = Flask(__name__)
    target = tmp_path / "uploads"
    target.mkdir()

    @app.post("/")
    def upload() -> dict[str, Any]:
        names = []
        for f in request.files.getlist("f"):
            names.append(f.filename)
            safe = secure_filename(f.filename or "") or "unnamed"
            f.save(target / safe)
        return {"names": names}

    body = multipart(*(file_part("f", name, b"x") for name in HOSTILE_NAMES))
    r = await post(app, body)
    assert r.json() == {"names": HOSTILE_NAMES}
    written = {p.resolve().parent for p in target.iterdir()}
    assert written == {target.resolve()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["uploads"]


async def test_empty_file_field_is_present_and_falsy() -> None:
    app = Flask(__name__)

    @app.post("/")
    def upload() -> dict[str, Any]:
        f = request.files["f"]
        return {"filename": f.filename, "bool": bool(f), "data": f.read().decode()}

    r = await post(app, multipart(file_part("f", "", b"")))
    assert r.json() == {"filename": "", "bool": False, "data": ""}


async def test_repeated_file_fields_keep_their_order() -> None:
    app = Flask(__name__)

    @app.post("/")
    def upload() -> list[str]:
        return [f"{f.filename}={f.read().decode()}" for f in request.files.getlist("f")]

    body = multipart(file_part("f", "a", b"1"), file_part("f", "b", b"2"))
    assert (await post(app, body)).json() == ["a=1", "b=2"]


def test_filestorage_falls_back_to_the_stream_for_other_attributes() -> None:
    fs = FileStorage(io.BytesIO(b"abc\ndef\n"), filename="x.txt", content_type="text/plain")
    assert fs.readline() == b"abc\n"
    assert list(fs) == [b"def\n"]
    assert repr(fs) == "<FileStorage: 'x.txt' ('text/plain')>"
    fs.close()
    assert fs.stream.closed


# -- spooling ------------------------------------------------------------------------------------


class RecordingSpool:
    """Wraps the parser's SpooledTemporaryFile to see where (and when) it is written."""

    instances: list[RecordingSpool] = []

    def __init__(self, max_size: int = 0) -> None:
        from tempfile import SpooledTemporaryFile

        self.inner: IO[bytes] = SpooledTemporaryFile(max_size=max_size)
        self.max_size = max_size
        self.writes: list[tuple[int, bool]] = []  # (thread, on disk after the write)
        RecordingSpool.instances.append(self)

    def write(self, data: bytes) -> int:
        n = self.inner.write(data)
        self.writes.append((threading.get_ident(), bool(getattr(self.inner, "_rolled", False))))
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.inner)


@pytest.fixture
def recording_spool(monkeypatch: pytest.MonkeyPatch) -> type[RecordingSpool]:
    RecordingSpool.instances = []
    monkeypatch.setattr(formparser, "SpooledTemporaryFile", RecordingSpool)
    return RecordingSpool


async def test_large_files_are_written_to_disk_off_the_event_loop(
    recording_spool: type[RecordingSpool],
) -> None:
    app = Flask(__name__)
    loop_thread = threading.get_ident()
    big = os.urandom(3 * 1024 * 1024)

    @app.post("/")
    def upload() -> dict[str, Any]:
        return {k: len(f.read()) for k, f in request.files.items()}

    body = multipart(file_part("small", "s.bin", b"tiny"), file_part("big", "b.bin", big))
    # 64 kB chunks, as a server delivers them
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    status, _, response = await call_asgi(
        app, "POST", "/", [(b"content-type", MULTIPART.encode())], chunked(chunks)
    )
    assert status == 200, response
    small, large = recording_spool.instances
    assert small.writes == [(loop_thread, False)]  # memory only: no thread hop
    assert not getattr(small.inner, "_rolled", True)
    assert getattr(large.inner, "_rolled", False)
    disk_writes = [thread for thread, on_disk in large.writes if on_disk]
    assert disk_writes and loop_thread not in disk_writes


async def test_memory_budget_sends_later_files_straight_to_disk(
    recording_spool: type[RecordingSpool],
) -> None:
    app = Flask(__name__)

    @app.post("/")
    def upload() -> str:
        return str(len(request.files.getlist("f")))

    one_mib = b"x" * (1024 * 1024)
    body = multipart(*(file_part("f", f"{i}.bin", one_mib) for i in range(10)))
    assert (await post(app, body)).text == "10"
    limits = [spool.max_size for spool in recording_spool.instances]
    assert limits[:8] == [1024 * 1024] * 8
    assert limits[8:] == [1, 1]


async def test_files_are_closed_after_the_request_even_when_the_view_raises() -> None:
    # HOSTILE M4: temp files are closed (and so deleted) even when the view fails.
    app = Flask(__name__)
    kept: list[IO[bytes]] = []

    @app.post("/")
    def upload() -> str:
        kept.extend(f.stream for f in request.files.values())
        raise RuntimeError("the view failed after reading request.files")

    before = open_fds()
    big = multipart(file_part("a", "a.bin", b"x" * (2 * 1024 * 1024)), file_part("b", "b", b"y"))
    r = await post(app, big)
    assert r.status_code == 500
    assert len(kept) == 2
    assert all(stream.closed for stream in kept)
    assert open_fds() <= before


def test_files_of_a_test_request_context_are_closed_on_pop() -> None:
    app = Flask(__name__)
    data = {"f": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "big.bin"), "t": "1"}
    with app.test_request_context("/", method="POST", data=data):
        f = request.files["f"]
        assert len(f.read()) == 2 * 1024 * 1024
        assert request.form["t"] == "1"
    assert f.stream.closed


def test_50mb_upload_on_a_real_server(tmp_path: Path) -> None:
    # HOSTILE M4 with a real uvicorn: a def view saves a 50 MB upload while
    # /health keeps answering; the fd count returns to its baseline. The
    # server shares the test's process (and GIL), so the latency bound is looser
    # than the 100 ms of `bench/upload.py`, which runs the server on its own.
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024
    size = 50 * 1024 * 1024

    @app.post("/upload")
    def upload() -> str:
        f = request.files["file"]
        f.save(tmp_path / "saved.bin")
        return str((tmp_path / "saved.bin").stat().st_size)

    @app.get("/health")
    async def health() -> str:
        return "ok"

    with serve(app) as base:
        port = int(base.rsplit(":", 1)[1])
        httpx.get(f"{base}/health")
        before = open_fds()
        latencies: list[float] = []
        stop = threading.Event()

        def ping() -> None:
            with httpx.Client(base_url=base) as client:
                while not stop.is_set() and len(latencies) < 2000:
                    start = time.perf_counter()
                    client.get("/health")
                    latencies.append(time.perf_counter() - start)
                    stop.wait(0.01)

        pinger = threading.Thread(target=ping)
        pinger.start()
        try:
            deadline = time.monotonic() + 30
            answer = upload_bench.send_upload(port, "/upload", size, True, deadline)
        finally:
            stop.set()
            pinger.join(10)
        assert answer == f"HTTP/1.1 200 OK body='{size}'"
        assert open_fds() <= before + 2  # the pinger's connection may linger
    latencies.sort()
    assert latencies
    assert latencies[int(0.99 * (len(latencies) - 1))] < 0.25


# -- the benchmark and the docs ----------------------------------------------------------------


def test_upload_benchmark_smoke() -> None:
    runs = upload_bench.run_all(multipart_mb=2, stream_mb=4, timeout=30)
    assert [run.name for run in runs] == ["multipart", "stream"]
    assert runs[0].status == f"HTTP/1.1 200 OK body='{2 * 1024 * 1024}'"
    assert runs[1].status == f"HTTP/1.1 200 OK body='{4 * 1024 * 1024}'"
    lines = upload_bench.report(runs)
    assert any("RSS growth" in line for line in lines)


DOCS = Path(__file__).resolve().parent.parent / "docs"
UPLOAD_SNIPPETS = extract_snippets((DOCS / "uploads.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "snippet", UPLOAD_SNIPPETS, ids=[f"snippet{s.index}-line{s.line}" for s in UPLOAD_SNIPPETS]
)
def test_uploads_doc_snippet(snippet: Any) -> None:
    namespace = run_snippet(snippet, DOCS / "uploads.md")
    assert any(name.startswith("test_") for name in namespace), "an example without a test"
