"""`send_file` and `send_from_directory`: headers, conditions, ranges, streaming, safety."""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import IO, Any, cast

import anyio.to_thread
import httpx
import pytest

from aioflask import Flask, Response, helpers, send_file, send_from_directory
from aioflask._conditional import select_range
from aioflask.exceptions import NotFound, RequestedRangeNotSatisfiable
from aioflask.sending import CHUNK_SIZE, FileStream
from bench import sendfile as sendfile_bench
from tests.serving import serve

HELLO = b"hello world, 0123456789\n"  # 24 bytes


@pytest.fixture
def root(tmp_path: Path) -> Path:
    files = tmp_path / "files"
    (files / "sub").mkdir(parents=True)
    (files / "hello.txt").write_bytes(HELLO)
    (files / "sub" / "page.html").write_bytes(b"<p>hi</p>")
    (files / "empty.txt").write_bytes(b"")
    (tmp_path / "secret.txt").write_bytes(b"TOP SECRET")
    return tmp_path


def make_app(root: Path) -> Flask:
    app = Flask(__name__, root_path=str(root), static_folder=None)
    app.config.update(DEBUG=False, TESTING=False)
    return app


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


@pytest.fixture
def app(root: Path) -> Flask:
    """An app whose views send `files/hello.txt` in the common ways."""
    app = make_app(root)

    @app.get("/f")
    def plain() -> Response:
        return send_file("files/hello.txt")

    @app.get("/async")
    async def awaited() -> Response:
        return await send_file("files/hello.txt")

    @app.route("/post", methods=["POST"])
    def post() -> Response:
        return send_file("files/hello.txt")

    @app.get("/d/<path:name>")
    def from_directory(name: str) -> Response:
        return send_from_directory("files", name)

    return app


@pytest.fixture
async def client(app: Flask) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


# -- the basic response -----------------------------------------------------------------


async def test_send_file_headers_and_body(client: httpx.AsyncClient, root: Path) -> None:
    r = await client.get("/f")
    assert r.status_code == 200
    assert r.content == HELLO
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-length"] == "24"
    assert r.headers["content-disposition"] == "inline; filename=hello.txt"
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["accept-ranges"] == "bytes"
    mtime = int(os.stat(root / "files" / "hello.txt").st_mtime)
    assert r.headers["last-modified"] == formatdate(mtime, usegmt=True)
    etag = r.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")


async def test_awaited_send_file_gives_the_same_response(client: httpx.AsyncClient) -> None:
    plain, awaited = await client.get("/f"), await client.get("/async")
    assert awaited.status_code == 200
    assert awaited.content == plain.content
    assert awaited.headers["etag"] == plain.headers["etag"]


async def test_etag_changes_with_the_file(client: httpx.AsyncClient, root: Path) -> None:
    first = (await client.get("/f")).headers["etag"]
    assert (await client.get("/f")).headers["etag"] == first
    target = root / "files" / "hello.txt"
    target.write_bytes(HELLO + b"more")
    os.utime(target, (1_000_000_000, 1_000_000_000))
    r = await client.get("/f")
    assert r.headers["etag"] != first
    assert r.headers["last-modified"] == "Sun, 09 Sep 2001 01:46:40 GMT"


async def test_relative_path_is_relative_to_root_path_and_pathlib_works(root: Path) -> None:
    app = make_app(root)

    @app.get("/")
    def index() -> Response:
        return send_file(Path("files") / "sub" / "page.html")

    @app.get("/abs")
    def absolute() -> Response:
        return send_file(str(root / "files" / "hello.txt"))

    async with client_for(app) as c:
        r = await c.get("/")
        assert r.content == b"<p>hi</p>"
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert (await c.get("/abs")).content == HELLO


async def test_head_sends_headers_only(client: httpx.AsyncClient) -> None:
    r = await client.head("/f")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == "24"
    # Ranges are defined for GET only: HEAD ignores them.
    r = await client.head("/f", headers={"Range": "bytes=0-4"})
    assert r.status_code == 200
    assert r.headers["content-length"] == "24"


async def test_conditions_apply_to_get_and_head_only(client: httpx.AsyncClient) -> None:
    etag = (await client.get("/f")).headers["etag"]
    r = await client.post("/post", headers={"If-None-Match": etag, "Range": "bytes=0-1"})
    assert r.status_code == 200
    assert r.content == HELLO
    assert "accept-ranges" not in r.headers


@pytest.mark.parametrize(
    ("download_name", "as_attachment", "expected"),
    [
        (None, True, "attachment; filename=hello.txt"),
        ("report.csv", True, "attachment; filename=report.csv"),
        ("report.csv", False, "inline; filename=report.csv"),
        ('a b;c".txt', True, 'attachment; filename="a b;c\\".txt"'),
        (
            "\u00dcn\u00efc\u00f6d\u00e9 f\u00efle \u20ac.txt",
            True,
            "attachment; filename=\"Unicode file .txt\"; filename*=UTF-8''"
            "%C3%9Cn%C3%AFc%C3%B6d%C3%A9%20f%C3%AFle%20%E2%82%AC.txt",
        ),
        (
            "\u65e5\u672c.txt",
            False,
            "inline; filename=.txt; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt",
        ),
    ],
)
async def test_content_disposition(
    root: Path, download_name: str | None, as_attachment: bool, expected: str
) -> None:
    app = make_app(root)

    @app.get("/")
    def index() -> Response:
        return send_file(
            "files/hello.txt", as_attachment=as_attachment, download_name=download_name
        )

    async with client_for(app) as c:
        r = await c.get("/")
    assert r.headers["content-disposition"] == expected
    # The MIME type comes from the name the client sees.
    if download_name == "report.csv":
        assert r.headers["content-type"] == "text/csv; charset=utf-8"


def test_a_download_name_with_a_newline_cannot_inject_a_header(app: Flask) -> None:
    with app.test_request_context("/"), pytest.raises(ValueError):
        send_file("files/hello.txt", download_name="x.txt\r\nSet-Cookie: a=b")


def test_mimetype_guessing_and_content_encoding(app: Flask) -> None:
    with app.test_request_context("/"):
        assert send_file("files/hello.txt", mimetype="application/x-custom").mimetype == (
            "application/x-custom"
        )
        rv = send_file("files/hello.txt", download_name="data.unknown-ext")
        assert rv.mimetype == "application/octet-stream"
        rv = send_file("files/hello.txt", download_name="backup.tar.gz")
        assert rv.mimetype == "application/x-tar"
        assert rv.headers["Content-Encoding"] == "gzip"
        # As an attachment the browser must save the archive as is, not unpack it.
        rv = send_file("files/hello.txt", download_name="backup.tar.gz", as_attachment=True)
        assert "Content-Encoding" not in rv.headers


# -- file objects -------------------------------------------------------------------------


async def test_bytesio_has_a_length_and_ranges(root: Path) -> None:
    app = make_app(root)

    @app.get("/")
    def index() -> Response:
        return send_file(io.BytesIO(b"abcdef"), mimetype="text/plain")

    @app.get("/moved")
    def moved() -> Response:
        buffer = io.BytesIO(b"skip:abcdef")
        buffer.seek(5)
        return send_file(buffer, download_name="x.bin")

    async with client_for(app) as c:
        r = await c.get("/")
        assert r.content == b"abcdef"
        assert r.headers["content-length"] == "6"
        assert "etag" not in r.headers
        assert "last-modified" not in r.headers
        assert "content-disposition" not in r.headers
        r = await c.get("/", headers={"Range": "bytes=2-3"})
        assert r.status_code == 206
        assert r.content == b"cd"
        assert r.headers["content-range"] == "bytes 2-3/6"
        # Sizes and ranges count from the position the object was left at.
        r = await c.get("/moved", headers={"Range": "bytes=1-"})
        assert r.headers["content-range"] == "bytes 1-5/6"
        assert r.content == b"bcdef"
        assert r.headers["content-type"] == "application/octet-stream"


async def test_open_binary_file_is_streamed_and_closed(root: Path) -> None:
    app = make_app(root)
    opened: list[Any] = []

    @app.get("/")
    def index() -> Response:
        f = open(root / "files" / "hello.txt", "rb")  # send_file closes it
        opened.append(f)
        return send_file(f, mimetype="text/plain", download_name="hello.txt")

    async with client_for(app) as c:
        r = await c.get("/")
        assert r.content == HELLO
        assert r.headers["content-length"] == "24"
        assert opened[0].closed
        r = await c.get("/", headers={"Range": "bytes=-3"})
        assert r.status_code == 206
        assert r.content == b"89\n"
        assert opened[1].closed


async def test_unsized_file_object_is_streamed_without_length(root: Path) -> None:
    class Chunks(io.RawIOBase):
        """A readable binary stream of unknown length."""

        def __init__(self) -> None:
            self.parts = [b"one ", b"two ", b"three"]

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self.parts.pop(0) if self.parts else b""

    app = make_app(root)

    @app.get("/")
    def index() -> Response:
        return send_file(cast(IO[bytes], Chunks()), mimetype="text/plain")

    async with client_for(app) as c:
        r = await c.get("/", headers={"Range": "bytes=0-1"})
    assert r.status_code == 200
    assert r.content == b"one two three"
    assert "content-length" not in r.headers


def test_file_object_errors(app: Flask) -> None:
    with app.test_request_context("/"):
        with pytest.raises(ValueError, match="binary mode"):
            send_file(io.StringIO("text"), mimetype="text/plain")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="'mimetype', 'download_name'"):
            send_file(io.BytesIO(b"x"))
        with pytest.raises(TypeError, match="attachment"):
            send_file(io.BytesIO(b"x"), mimetype="text/plain", as_attachment=True)


def test_text_mode_file_is_refused(app: Flask, root: Path) -> None:
    with app.test_request_context("/"), open(root / "files" / "hello.txt") as f:
        with pytest.raises(ValueError, match="binary mode"):
            send_file(f, mimetype="text/plain")  # type: ignore[arg-type]


def test_missing_files_and_folders_raise(app: Flask) -> None:
    with app.test_request_context("/"):
        with pytest.raises(FileNotFoundError):
            send_file("files/nope.txt")
        with pytest.raises(IsADirectoryError):
            send_file("files/sub")


def test_get_data_reads_the_file_like_flask(app: Flask) -> None:
    with app.test_request_context("/"):
        rv = send_file("files/hello.txt")
        rv.direct_passthrough = False
        assert rv.get_data() == HELLO
        assert rv.data == HELLO


def test_needs_an_app_context_but_not_a_request(app: Flask) -> None:
    with pytest.raises(RuntimeError, match="application context"):
        send_file("files/hello.txt")
    with app.app_context():
        rv = send_file("files/hello.txt")
        assert rv.status_code == 200
        assert "Accept-Ranges" not in rv.headers


# -- caching --------------------------------------------------------------------------------


def cache_headers(app: Flask, **kwargs: Any) -> tuple[str, str | None]:
    with app.test_request_context("/"):
        rv = send_file("files/hello.txt", **kwargs)
        return rv.headers["Cache-Control"], rv.headers.get("Expires")


def test_max_age_argument(app: Flask) -> None:
    assert cache_headers(app) == ("no-cache", None)
    control, expires = cache_headers(app, max_age=60)
    assert control == "public, max-age=60"
    assert expires is not None
    assert abs(parsedate_to_datetime(expires).timestamp() - (time.time() + 60)) < 5
    assert cache_headers(app, max_age=0)[0] == "no-cache, max-age=0"
    assert cache_headers(app, max_age=timedelta(hours=1))[0] == "public, max-age=3600"
    seen: list[str | None] = []

    def per_file(path: str | None) -> int:
        seen.append(path)
        return 5

    assert cache_headers(app, max_age=per_file)[0] == "public, max-age=5"
    assert seen == [os.path.join(app.root_path, "files/hello.txt")]


def test_max_age_default_from_config(app: Flask) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 120
    assert cache_headers(app)[0] == "public, max-age=120"
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = timedelta(minutes=5)
    assert cache_headers(app)[0] == "public, max-age=300"
    with app.app_context():
        assert app.get_send_file_max_age("x") == 300


def test_get_send_file_max_age_can_be_overridden(root: Path) -> None:
    class CachingApp(Flask):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 31536000 if filename and filename.endswith(".css") else None

    app = CachingApp(__name__, root_path=str(root), static_folder=None)
    with app.test_request_context("/"):
        assert send_file("files/hello.txt").headers["Cache-Control"] == "no-cache"
        rv = send_file(io.BytesIO(b"x"), download_name="a.css")
        assert rv.headers["Cache-Control"] == "no-cache"  # no path: the name is None
        (root / "files" / "site.css").write_text("a{}")
        rv = send_file("files/site.css")
        assert rv.headers["Cache-Control"] == "public, max-age=31536000"


def test_etag_and_last_modified_arguments(app: Flask) -> None:
    with app.test_request_context("/"):
        assert "ETag" not in send_file("files/hello.txt", etag=False).headers
        assert send_file("files/hello.txt", etag="v1").headers["ETag"] == '"v1"'
        with pytest.raises(ValueError, match="ETag"):
            send_file("files/hello.txt", etag='"quoted"')
        when = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        rv = send_file("files/hello.txt", last_modified=when)
        assert rv.headers["Last-Modified"] == "Thu, 02 Jan 2020 03:04:05 GMT"
        naive = send_file("files/hello.txt", last_modified=when.replace(tzinfo=None))
        assert naive.headers["Last-Modified"] == "Thu, 02 Jan 2020 03:04:05 GMT"
        stamp = send_file("files/hello.txt", last_modified=0)
        assert stamp.headers["Last-Modified"] == "Thu, 01 Jan 1970 00:00:00 GMT"


# -- conditional requests -------------------------------------------------------------


async def test_if_none_match(client: httpx.AsyncClient) -> None:
    etag = (await client.get("/f")).headers["etag"]
    for value in (etag, f"W/{etag}", "*", f'"other", {etag}', f'"a,b", {etag}'):
        r = await client.get("/f", headers={"If-None-Match": value})
        assert r.status_code == 304, value
        assert r.content == b""
        assert r.headers["etag"] == etag
        assert "content-length" not in r.headers
        assert "content-type" not in r.headers
    r = await client.get("/f", headers={"If-None-Match": '"other"'})
    assert r.status_code == 200
    assert r.content == HELLO


async def test_if_modified_since(client: httpx.AsyncClient) -> None:
    last_modified = (await client.get("/f")).headers["last-modified"]
    r = await client.get("/f", headers={"If-Modified-Since": last_modified})
    assert r.status_code == 304
    r = await client.get("/f", headers={"If-Modified-Since": "Sun, 06 Nov 2044 08:49:37 GMT"})
    assert r.status_code == 304
    r = await client.get("/f", headers={"If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"})
    assert r.status_code == 200
    for garbage in ("garbage", "", "Sun, 99 Foo 1994", "9" * 5000):
        r = await client.get("/f", headers={"If-Modified-Since": garbage})
        assert r.status_code == 200, garbage
        assert r.content == HELLO
    # If-None-Match wins over If-Modified-Since.
    r = await client.get(
        "/f", headers={"If-None-Match": '"other"', "If-Modified-Since": last_modified}
    )
    assert r.status_code == 200


async def test_if_match_and_if_unmodified_since(client: httpx.AsyncClient) -> None:
    first = await client.get("/f")
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert (await client.get("/f", headers={"If-Match": etag})).status_code == 200
    assert (await client.get("/f", headers={"If-Match": "*"})).status_code == 200
    r = await client.get("/f", headers={"If-Match": '"nope"'})
    assert r.status_code == 412
    assert r.content == b""
    # If-Match uses the strong comparison: a weak tag never matches.
    assert (await client.get("/f", headers={"If-Match": f"W/{etag}"})).status_code == 412
    old = "Sun, 06 Nov 1994 08:49:37 GMT"
    assert (await client.get("/f", headers={"If-Unmodified-Since": old})).status_code == 412
    r = await client.get("/f", headers={"If-Unmodified-Since": last_modified})
    assert r.status_code == 200
    r = await client.get("/f", headers={"If-Unmodified-Since": "garbage"})
    assert r.status_code == 200


async def test_conditional_false_ignores_request_headers(root: Path) -> None:
    app = make_app(root)

    @app.get("/")
    def index() -> Response:
        return send_file("files/hello.txt", conditional=False)

    async with client_for(app) as c:
        r = await c.get("/", headers={"If-None-Match": "*", "Range": "bytes=0-1"})
    assert r.status_code == 200
    assert r.content == HELLO
    assert "accept-ranges" not in r.headers


# -- ranges ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "body", "content_range"),
    [
        ("bytes=0-4", b"hello", "bytes 0-4/24"),
        ("bytes=5-", HELLO[5:], "bytes 5-23/24"),
        ("bytes=-5", HELLO[-5:], "bytes 19-23/24"),
        ("bytes=0-999", HELLO, "bytes 0-23/24"),
        ("bytes=-999999999", HELLO, "bytes 0-23/24"),
        ("bytes=23-23", b"\n", "bytes 23-23/24"),
        ("BYTES = 1-2", b"el", "bytes 1-2/24"),
        ("bytes=0-4, 100-200", b"hello", "bytes 0-4/24"),
        ("bytes=" + "9" * 40 + "-,1-1", b"e", "bytes 1-1/24"),
    ],
)
async def test_single_range(
    client: httpx.AsyncClient, header: str, body: bytes, content_range: str
) -> None:
    r = await client.get("/f", headers={"Range": header})
    assert r.status_code == 206
    assert r.content == body
    assert r.headers["content-range"] == content_range
    assert r.headers["content-length"] == str(len(body))
    assert r.headers["accept-ranges"] == "bytes"


@pytest.mark.parametrize(
    "header",
    ["bytes=24-", "bytes=100-200", "bytes=5-2", "bytes=garbage", "bytes=", "bytes=-0", "bytes=1"],
)
async def test_unsatisfiable_range(client: httpx.AsyncClient, header: str) -> None:
    r = await client.get("/f", headers={"Range": header})
    assert r.status_code == 416
    assert r.headers["content-range"] == "bytes */24"
    assert HELLO not in r.content


@pytest.mark.parametrize(
    "header", ["bytes=0-0,1-1", "bytes=0-3,2-5", "bytes=10-20,0-5", "items=0-3", "0-3"]
)
async def test_ranges_served_as_the_whole_file(client: httpx.AsyncClient, header: str) -> None:
    # Several ranges (overlapping or not) and unknown units: the RFC allows the
    # full representation, which avoids multipart/byteranges altogether.
    r = await client.get("/f", headers={"Range": header})
    assert r.status_code == 200
    assert r.content == HELLO
    assert "content-range" not in r.headers


async def test_range_on_an_empty_file_sends_it_whole(client: httpx.AsyncClient) -> None:
    r = await client.get("/d/empty.txt", headers={"Range": "bytes=0-"})
    assert r.status_code == 200
    assert r.content == b""


async def test_if_range(client: httpx.AsyncClient) -> None:
    first = await client.get("/f")
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    cases = [
        (etag, 206),
        (last_modified, 206),
        ('"stale"', 200),
        (f"W/{etag}", 200),  # a weak tag never satisfies If-Range
        ("Sun, 06 Nov 2044 08:49:37 GMT", 200),  # a date must match exactly
        ("garbage", 200),
    ]
    for value, status in cases:
        r = await client.get("/f", headers={"Range": "bytes=0-4", "If-Range": value})
        assert r.status_code == status, value
        assert r.content == (b"hello" if status == 206 else HELLO)


async def test_if_none_match_wins_over_range(client: httpx.AsyncClient) -> None:
    etag = (await client.get("/f")).headers["etag"]
    r = await client.get("/f", headers={"If-None-Match": etag, "Range": "bytes=0-4"})
    assert r.status_code == 304


async def test_five_thousand_ranges_answer_quickly(client: httpx.AsyncClient) -> None:
    header = "bytes=" + ",".join(f"{i}-{i}" for i in range(5000))
    await client.get("/f")  # warm up
    best = float("inf")
    for _ in range(3):  # the best of three, so a busy test machine does not fail it
        started = time.perf_counter()
        r = await client.get("/f", headers={"Range": header})
        best = min(best, time.perf_counter() - started)
        assert r.status_code == 200
        assert r.content == HELLO
    assert best < 0.1
    reversed_header = "bytes=" + ",".join(f"{i}-{i - 1}" for i in range(1, 5001))
    r = await client.get("/f", headers={"Range": reversed_header})
    assert r.status_code == 416


def test_select_range_is_linear() -> None:
    def cpu_time(count: int) -> float:
        # CPU time of this thread: other processes on the machine do not count.
        header = "bytes=" + ",".join(f"{i}-{i + 5}" for i in range(count))
        best = float("inf")
        for _ in range(5):
            started = time.thread_time()
            assert select_range(header, 10**9) is None
            best = min(best, time.thread_time() - started)
        return best

    small, large = cpu_time(2_000), cpu_time(20_000)
    assert large < 0.1
    # Ten times the input: linear is about ten times the work, quadratic a hundred.
    assert large < max(small, 1e-4) * 40


def test_select_range_units() -> None:
    assert select_range("bytes=0-0", 10) == (0, 1)
    assert select_range("bytes=-3", 10) == (7, 10)
    assert select_range("bytes=8-", 10) == (8, 10)
    assert select_range("bytes=0-0,,", 10) == (0, 1)
    assert select_range("pages=1-2", 10) is None
    assert select_range("bytes=0-1,3-4", 10) is None
    with pytest.raises(RequestedRangeNotSatisfiable) as info:
        select_range("bytes=10-", 10)
    assert info.value.length == 10
    for bad in ("bytes=a-b", "bytes=1-a", "bytes=-", "bytes=--1", "bytes=\u0661-2", "bytes=1-2-3"):
        with pytest.raises(RequestedRangeNotSatisfiable):
            select_range(bad, 10)


# -- streaming ------------------------------------------------------------------------------


@pytest.fixture
def big_file(root: Path) -> Path:
    path = root / "files" / "big.bin"
    # Past two disconnect checks (one per 512 KiB), and not a whole number of chunks.
    path.write_bytes(bytes(range(256)) * (20 * CHUNK_SIZE // 256 + 7))
    return path


async def test_large_file_is_read_in_chunks_off_the_loop(
    app: Flask, client: httpx.AsyncClient, big_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    reads: list[tuple[int, int]] = []
    original = FileStream._read

    def spy(self: FileStream) -> bytes:
        data = original(self)
        reads.append((threading.get_ident(), len(data)))
        return data

    monkeypatch.setattr(FileStream, "_read", spy)
    r = await client.get("/d/big.bin")
    assert r.status_code == 200
    assert r.content == big_file.read_bytes()
    assert len(reads) >= 6
    assert all(size <= CHUNK_SIZE for _, size in reads)
    assert all(thread != loop_thread for thread, _ in reads)
    reads.clear()
    size = big_file.stat().st_size
    r = await client.get("/d/big.bin", headers={"Range": f"bytes={CHUNK_SIZE - 10}-"})
    assert r.status_code == 206
    assert r.content == big_file.read_bytes()[CHUNK_SIZE - 10 :]
    assert sum(n for _, n in reads) == size - CHUNK_SIZE + 10


def test_large_file_through_the_sync_test_client(app: Flask, big_file: Path) -> None:
    client = app.test_client()
    r = client.get("/d/big.bin")
    assert r.status_code == 200
    assert r.data == big_file.read_bytes()
    r = client.get("/d/big.bin", headers={"Range": "bytes=-100"})
    assert r.status_code == 206
    assert r.data == big_file.read_bytes()[-100:]


async def test_a_discarded_file_response_never_opens_the_file(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(root)
    reads: list[int] = []

    def counting_read(self: FileStream) -> bytes:
        reads.append(1)
        return b""

    monkeypatch.setattr(FileStream, "_read", counting_read)

    @app.get("/")
    def index() -> Response:
        return send_file("files/hello.txt")

    @app.after_request
    def replace(response: Response) -> Response:
        return Response("replaced")

    async with client_for(app) as c:
        assert (await c.get("/")).text == "replaced"
        assert (await c.head("/")).status_code == 200
    assert reads == []


def test_file_stream_closes_and_stops() -> None:
    buffer = io.BytesIO(b"0123456789")
    stream = FileStream(buffer, offset=2, length=5, chunk_size=2)
    assert list(stream) == [b"23", b"45", b"6"]
    assert buffer.closed
    assert list(stream) == []


async def test_a_stuck_disk_read_does_not_block_the_loop(
    root: Path, big_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first read waits until the test releases it. Were reads done on the
    # event loop, the server could not answer /health meanwhile.
    entered, release = threading.Event(), threading.Event()
    original = FileStream._read

    def stuck(self: FileStream) -> bytes:
        entered.set()
        release.wait(10)
        return original(self)

    monkeypatch.setattr(FileStream, "_read", stuck)
    app = make_app(root)

    @app.get("/big")
    async def big() -> Response:
        return await send_file("files/big.bin")

    @app.get("/health")
    async def health() -> str:
        return "ok"

    with serve(app) as url:
        try:
            async with httpx.AsyncClient(base_url=url, timeout=5) as c:
                async with c.stream("GET", "/big") as download:
                    assert download.status_code == 200
                    assert await anyio.to_thread.run_sync(entered.wait, 5)
                    for _ in range(3):
                        assert (await c.get("/health")).text == "ok"
                    assert not release.is_set()
                    release.set()
                    body = b"".join([chunk async for chunk in download.aiter_raw()])
                    assert body == big_file.read_bytes()
        finally:
            release.set()


async def test_client_disconnect_stops_reading_and_closes_the_file(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = 32 * 1024 * 1024
    with open(root / "files" / "huge.bin", "wb") as f:
        f.truncate(size)  # sparse: instant to create
    read = [0]
    closed = threading.Event()
    original_read, original_close = FileStream._read, FileStream.close

    def counting_read(self: FileStream) -> bytes:
        data = original_read(self)
        read[0] += len(data)
        return data

    def watched_close(self: FileStream) -> None:
        original_close(self)
        closed.set()

    monkeypatch.setattr(FileStream, "_read", counting_read)
    monkeypatch.setattr(FileStream, "close", watched_close)
    app = make_app(root)

    @app.get("/<path:name>")
    def download(name: str) -> Response:
        return send_from_directory("files", name)

    with serve(app) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        assert closed.wait(5)
    assert read[0] < size


# -- send_from_directory ----------------------------------------------------------------


async def test_send_from_directory_serves_files_below_the_folder(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/d/hello.txt")
    assert r.status_code == 200
    assert r.content == HELLO
    assert (await client.get("/d/sub/page.html")).content == b"<p>hi</p>"


@pytest.mark.parametrize(
    "name",
    [
        "../secret.txt",
        "../../etc/passwd",
        "..\\secret.txt",
        "sub\\..\\..\\secret.txt",
        "/etc/passwd",
        "//etc/passwd",
        "\\\\host\\share\\x",
        "C:\\x",
        "c:x",
        "hello.txt\x00.png",
        "sub",
        "sub/",
        ".",
        "",
        "missing.txt",
    ],
)
def test_send_from_directory_refuses(app: Flask, name: str) -> None:
    with app.test_request_context("/"), pytest.raises(NotFound):
        send_from_directory("files", name)


def test_hostile_names_are_refused_before_any_filesystem_call(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the filesystem was consulted")

    with app.test_request_context("/"):
        monkeypatch.setattr(os, "stat", refuse)
        monkeypatch.setattr(os.path, "isfile", refuse)
        monkeypatch.setattr(os.path, "realpath", refuse)
        for name in ("../secret.txt", "/etc/passwd", "\\\\host\\share\\x", "c:x", "a\x00"):
            with pytest.raises(NotFound):
                send_from_directory("files", name)


@pytest.mark.parametrize("name", ["CON", "CON.txt.html", "NUL  ", "sub/AUX", "com1"])
def test_windows_device_names_are_refused(
    app: Flask, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.test_request_context("/"):
        monkeypatch.setattr(os, "name", "nt")
        with pytest.raises(NotFound):
            send_from_directory("files", name)


@pytest.fixture
def linked(root: Path) -> Path:
    (root / "files_secret").mkdir()
    (root / "files_secret" / "x.txt").write_bytes(b"SIBLING SECRET")
    (root / "files" / "escape.txt").symlink_to(root / "secret.txt")
    (root / "files" / "sibling.txt").symlink_to(root / "files_secret" / "x.txt")
    (root / "files" / "alias.txt").symlink_to(root / "files" / "hello.txt")
    return root


@pytest.mark.usefixtures("linked")
async def test_symlinks_leaving_the_folder_are_not_followed(client: httpx.AsyncClient) -> None:
    for name in ("escape.txt", "sibling.txt", "../files_secret/x.txt"):
        r = await client.get(f"/d/{name}")
        assert r.status_code == 404, name
        assert b"SECRET" not in r.content
    # A link that stays inside the folder is fine.
    assert (await client.get("/d/alias.txt")).content == HELLO


async def test_follow_symlinks_opt_in(linked: Path) -> None:
    app = make_app(linked)

    @app.get("/<path:name>")
    def download(name: str) -> Response:
        return send_from_directory("files", name, follow_symlinks=True)

    async with client_for(app) as c:
        assert (await c.get("/escape.txt")).content == b"TOP SECRET"
        assert (await c.get("/../secret.txt")).status_code == 404


async def test_a_linked_folder_is_served(
    root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "a.txt").write_bytes(b"linked folder")
    (root / "public").symlink_to(elsewhere, target_is_directory=True)
    app = make_app(root)

    @app.get("/<path:name>")
    def download(name: str) -> Response:
        return send_from_directory("public", name)

    async with client_for(app) as c:
        assert (await c.get("/a.txt")).content == b"linked folder"


async def test_send_from_directory_options(root: Path) -> None:
    app = make_app(root)

    @app.get("/a/<path:name>")
    async def attachment(name: str) -> Response:
        return await send_from_directory(root / "files", name, as_attachment=True, max_age=10)

    async with client_for(app) as c:
        r = await c.get("/a/hello.txt")
        assert r.headers["content-disposition"] == "attachment; filename=hello.txt"
        assert r.headers["cache-control"] == "public, max-age=10"
        assert (await c.get("/a/../secret.txt")).status_code == 404


def test_helpers_reexports() -> None:
    assert helpers.send_file is send_file
    assert helpers.send_from_directory is send_from_directory


# -- the benchmark script ----------------------------------------------------------------


def test_sendfile_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    result = sendfile_bench.run(size_mb=2, clients=2, timeout=20)
    assert result.bytes_per_client == 2 * 1024 * 1024
    assert result.clients_ok == 2
    assert result.health_requests > 0
    sendfile_bench.report(result)
    assert "p99" in capsys.readouterr().out
