"""Form parsing: urlencoded and multipart fields, limits, and malformed or hostile bodies.

Covers HOSTILE_INPUTS M1, M2, M3, M5, M6 and M8. Uploaded files themselves are
in `test_uploads.py`, streamed bodies in `test_request_stream.py`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from aioflask import Flask, request
from aioflask.formparser import disposition_params, parse_urlencoded
from tests.test_request_stream import call_asgi, chunked

URLENCODED = {"Content-Type": "application/x-www-form-urlencoded"}
BOUNDARY = "XyZzy"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def field(name: str, value: bytes | str, extra: str = "") -> bytes:
    data = value.encode() if isinstance(value, str) else value
    head = f'Content-Disposition: form-data; name="{name}"{extra}\r\n\r\n'
    return head.encode() + data


def multipart(*parts: bytes, boundary: str = BOUNDARY, close: bool = True) -> bytes:
    sep = f"--{boundary}".encode()
    body = b"".join(sep + b"\r\n" + part + b"\r\n" for part in parts)
    return body + (sep + b"--\r\n" if close else b"")


def form_app() -> Flask:
    app = Flask(__name__)

    @app.post("/")
    def view() -> dict[str, Any]:
        return {
            "form": request.form.to_dict(flat=False),
            "files": {k: f.filename for k, f in request.files.items()},
            "args": request.args.to_dict(flat=False),
        }

    @app.post("/ignore")
    def ignore() -> str:
        return "not used"

    @app.post("/count")
    def count() -> str:
        return str(len(request.form.getlist("a")))

    return app


async def post(app: Flask, body: bytes, headers: dict[str, str], path: str = "/") -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        return await client.post(path, content=body, headers=headers)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# -- urlencoded -------------------------------------------------------------------------------


def test_parse_urlencoded_rules() -> None:
    assert parse_urlencoded(b"a=1;b=2&c&d=&e=%ff&&f=1+2%2B") == [
        ("a", "1;b=2"),
        ("c", ""),
        ("d", ""),
        ("e", "\ufffd"),
        ("f", "1 2+"),
    ]
    assert parse_urlencoded("n\u00e4m=v\u00e4l".encode()) == [("n\u00e4m", "v\u00e4l")]
    assert parse_urlencoded(b"") == []


def test_parse_urlencoded_limits() -> None:
    assert len(parse_urlencoded(b"&".join([b"a=1"] * 3), max_fields=3)) == 3
    with pytest.raises(Exception) as info:
        parse_urlencoded(b"&".join([b"a=1"] * 4), max_fields=3)
    assert getattr(info.value, "code", None) == 413
    assert "MAX_FORM_FIELDS" in str(info.value)
    # empty segments are not fields
    assert len(parse_urlencoded(b"&&&&a=1&&&&", max_fields=1)) == 1
    # the size limit is for the body as a whole
    assert len(parse_urlencoded(b"a=1234&b=12", max_size=11)) == 2
    with pytest.raises(Exception) as info:
        parse_urlencoded(b"a=1234&b=123", max_size=11)
    assert getattr(info.value, "code", None) == 413
    assert "MAX_FORM_MEMORY_SIZE" in str(info.value)


async def test_semicolon_is_not_a_separator_in_form_or_args() -> None:
    app = form_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        r = await client.post("/?a=1;b=2", content=b"a=1;b=2", headers=URLENCODED)
    assert r.json()["form"] == {"a": ["1;b=2"]}
    assert r.json()["args"] == {"a": ["1;b=2"]}


async def test_urlencoded_1500_fields_are_accepted_as_in_flask() -> None:
    body = "&".join(f"f{i}=v" for i in range(1500)).encode()
    r = await post(form_app(), body, URLENCODED)
    assert r.status_code == 200
    assert len(r.json()["form"]) == 1500


async def test_urlencoded_100k_fields_over_the_memory_limit_is_413_quickly() -> None:
    # 100,000 fields do not fit in MAX_FORM_MEMORY_SIZE (500,000 bytes) as a browser
    # would send them; the body is refused before anything is parsed.
    app = form_app()
    start = time.perf_counter()
    r = await post(app, b"&".join([b"field=1"] * 100_000), URLENCODED)
    assert r.status_code == 413
    assert time.perf_counter() - start < 1


async def test_urlencoded_fields_within_the_memory_limit_parse_quickly() -> None:
    # The most fields that fit under MAX_FORM_MEMORY_SIZE still parse in well under
    # a second, so the size limit also bounds the parsing work.
    app = form_app()
    start = time.perf_counter()
    r = await post(app, b"&".join([b"a=1"] * 100_000), URLENCODED, path="/count")
    assert (r.status_code, r.text) == (200, "100000")
    assert time.perf_counter() - start < 1


async def test_urlencoded_one_5mb_value_is_413() -> None:
    r = await post(form_app(), b"big=" + b"x" * 5_000_000, URLENCODED)
    assert r.status_code == 413


async def test_urlencoded_limits_are_configurable() -> None:
    app = form_app()
    assert app.config["MAX_FORM_FIELDS"] is None  # no field cap unless asked for
    app.config["MAX_FORM_FIELDS"] = 3
    assert (await post(app, b"a=1&b=2&c=3", URLENCODED)).status_code == 200
    r = await post(app, b"a=1&b=2&c=3&d=4", URLENCODED)
    assert r.status_code == 413 and "MAX_FORM_FIELDS" in r.text
    # MAX_FORM_MEMORY_SIZE bounds the whole urlencoded body
    app.config.update(MAX_FORM_FIELDS=None, MAX_FORM_MEMORY_SIZE=11)
    assert (await post(app, b"a=1234&b=12", URLENCODED)).status_code == 200
    r = await post(app, b"a=1234&b=123", URLENCODED)
    assert r.status_code == 413 and "MAX_FORM_MEMORY_SIZE" in r.text
    app.config["MAX_FORM_MEMORY_SIZE"] = None
    assert (await post(app, b"a=" + b"x" * 600_000, URLENCODED)).status_code == 200
    # MAX_FORM_PARTS counts multipart parts only
    app.config.update(MAX_FORM_MEMORY_SIZE=500_000, MAX_FORM_PARTS=1)
    assert (await post(app, b"a=1&b=2&c=3", URLENCODED)).status_code == 200


async def test_form_errors_are_raised_only_when_the_form_is_used() -> None:
    app = form_app()
    r = await post(app, b"a=" + b"x" * 600_000, URLENCODED, path="/ignore")
    assert (r.status_code, r.text) == (200, "not used")
    r = await post(app, b"junk", {"Content-Type": "multipart/form-data"}, path="/ignore")
    assert r.status_code == 200


# -- multipart fields -------------------------------------------------------------------------


def test_disposition_params() -> None:
    assert disposition_params('form-data; name="a"; filename="b.txt"') == {
        "name": "a",
        "filename": "b.txt",
    }
    # quoted values keep ";" and the two escapes browsers use are undone
    assert disposition_params(r'form-data; name="a;b"; filename="q\"x\\y"') == {
        "name": "a;b",
        "filename": 'q"x\\y',
    }
    # other backslashes are part of the name
    assert disposition_params(r'form-data; name=f; filename="..\..\win.ini"')["filename"] == (
        "..\\..\\win.ini"
    )
    assert disposition_params("form-data; NAME=a; junk; =x") == {"name": "a"}
    assert disposition_params('form-data; name="unclosed') == {"name": "unclosed"}
    assert disposition_params("form-data") == {}


def test_disposition_params_plain_name_wins_over_extended() -> None:
    assert disposition_params("form-data; name=\"x\"; name*=UTF-8''y") == {"name": "x"}
    assert disposition_params("form-data; name*=UTF-8''y; name=\"x\"") == {"name": "x"}
    assert disposition_params("form-data; name*=UTF-8''y") == {}
    with_both = "form-data; name=f; filename=\"a.txt\"; filename*=UTF-8''%C3%A9.txt"
    assert disposition_params(with_both)["filename"] == "a.txt"
    only_extended = "form-data; name=f; filename*=UTF-8''%C3%A9.txt"
    assert disposition_params(only_extended)["filename"] == "\u00e9.txt"
    assert "filename" not in disposition_params("form-data; name=f; filename*=bogus''%ff")


@pytest.mark.parametrize(
    "header",
    [
        "form-data; name=" + ";" * 50_000,
        'form-data; name="' + ';"' * 25_000,
        "form-data" + '; "' * 20_000,
        "form-data; " + "a=;" * 16_000,
    ],
    ids=["semicolons", "quote-semicolons", "quote-spaces", "many-params"],
)
def test_disposition_params_linear_time(header: str) -> None:
    start = time.perf_counter()
    disposition_params(header)
    assert time.perf_counter() - start < 0.2


async def test_multipart_fields_and_repeated_names() -> None:
    body = multipart(field("a", "1"), field("b", "2"), field("a", "3"), field("e", ""))
    r = await post(form_app(), body, MULTIPART)
    assert r.status_code == 200, r.text
    assert r.json()["form"] == {"a": ["1", "3"], "b": ["2"], "e": [""]}
    assert r.json()["files"] == {}


async def test_multipart_name_with_extended_duplicate_uses_plain_name() -> None:
    body = multipart(
        field("x", "v1", "; name*=UTF-8''y"),
        b"Content-Disposition: form-data; name*=UTF-8''z; name=\"w\"\r\n\r\nv2",
    )
    r = await post(form_app(), body, MULTIPART)
    assert r.json()["form"] == {"x": ["v1"], "w": ["v2"]}


async def test_multipart_values_and_names_are_utf8_with_replacement() -> None:
    body = multipart(field("n\u00e4me", "v\u00e4l"), field("bad", b"\xff\xfe"))
    r = await post(form_app(), body, MULTIPART)
    assert r.json()["form"] == {"n\u00e4me": ["v\u00e4l"], "bad": ["\ufffd\ufffd"]}


async def test_multipart_quoted_boundary_and_closing_without_crlf() -> None:
    body = multipart(field("a", "1"), boundary="b;c").rstrip(b"\r\n")
    r = await post(form_app(), body, {"Content-Type": 'multipart/form-data; boundary="b;c"'})
    assert r.json()["form"] == {"a": ["1"]}


async def test_multipart_epilogue_is_ignored() -> None:
    body = multipart(field("a", "1")) + b"trailing epilogue " * 10
    r = await post(form_app(), body, MULTIPART)
    assert r.json()["form"] == {"a": ["1"]}


async def test_multipart_empty_form_and_empty_body() -> None:
    r = await post(form_app(), f"--{BOUNDARY}--\r\n".encode(), MULTIPART)
    assert r.json()["form"] == {}
    app = form_app()
    # a chunked body with no bytes at all
    status, _, body = await call_asgi(
        app, "POST", "/", [(b"content-type", MULTIPART["Content-Type"].encode())], chunked([])
    )
    assert status == 200, body


# -- malformed multipart: 400, never 500 --------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", multipart(field("a", "1"))),
        ("multipart/form-data; boundary=", multipart(field("a", "1"))),
        ("multipart/form-data; boundary=" + "b" * 300, b"--" + b"b" * 300 + b"--\r\n"),
        (MULTIPART["Content-Type"], multipart(b"Content-Disposition: form-data\r\n\r\nv")),
        (MULTIPART["Content-Type"], multipart(b"Content-Type: text/plain\r\n\r\nv")),
        (MULTIPART["Content-Type"], multipart(field("a", "1"), close=False)),
        (MULTIPART["Content-Type"], multipart(field("a", "1")).replace(b"\r\n", b"\n")),
        (MULTIPART["Content-Type"], b"\x00\xff garbage \x89PNG" * 100),
        (MULTIPART["Content-Type"], b"preamble\r\n" + multipart(field("a", "1"))),
        (MULTIPART["Content-Type"], multipart(b"X-A: 1\r\n" * 500 + field("a", "1"))),
        (
            MULTIPART["Content-Type"],
            multipart(b"X-A: " + b"a" * 1_000_000 + b"\r\n" + field("a", "1")),
        ),
    ],
    ids=[
        "no-boundary",
        "empty-boundary",
        "boundary-over-256",
        "no-name",
        "no-disposition",
        "truncated",
        "lf-only",
        "garbage",
        "preamble",
        "500-header-lines",
        "1mb-header-line",
    ],
)
async def test_malformed_multipart_is_400(content_type: str, body: bytes) -> None:
    app = form_app()
    start = time.perf_counter()
    r = await post(app, body, {"Content-Type": content_type})
    assert r.status_code == 400, r.text
    assert time.perf_counter() - start < 1
    assert "Traceback" not in r.text


async def test_malformed_multipart_message_names_the_problem() -> None:
    app = Flask(__name__)

    @app.post("/")
    def view() -> str:
        try:
            request.form.to_dict()
        except Exception as e:
            return f"{getattr(e, 'code', None)} {getattr(e, 'description', '')}"
        return "parsed"

    r = await post(app, multipart(field("a", "1"), close=False), MULTIPART)
    assert r.text == "400 The multipart body ended before its closing boundary."
    r = await post(app, multipart(field("a", "1")), {"Content-Type": "multipart/form-data"})
    assert r.text == "400 The multipart Content-Type has no 'boundary' parameter."


async def test_pathological_content_type_parameters_are_linear() -> None:
    app = form_app()
    for junk in (";" * 50_000, '; "' * 17_000, '";' * 25_000):
        start = time.perf_counter()
        r = await post(
            app, multipart(field("a", "1")), {"Content-Type": MULTIPART["Content-Type"] + junk}
        )
        assert r.status_code in (200, 400)
        assert time.perf_counter() - start < 1


# -- hostile sizes: linear time, bounded memory -------------------------------------------------


async def test_10mb_without_crlf_in_a_file_part_is_linear() -> None:
    app = form_app()
    app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024
    file_part = (
        b'Content-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\n\r\n'
        + b"y" * 10_000_000
    )
    start = time.perf_counter()
    r = await post(app, multipart(file_part), MULTIPART)
    assert r.status_code == 200, r.text
    assert r.json()["files"] == {"f": "a.bin"}
    assert time.perf_counter() - start < 1.5


async def test_file_part_full_of_boundary_lookalikes_is_linear() -> None:
    app = form_app()
    app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024
    lookalikes = f"\r\n--{BOUNDARY[:-1]}".encode() * 1_000_000
    file_part = b'Content-Disposition: form-data; name="f"; filename="a"\r\n\r\n' + lookalikes
    start = time.perf_counter()
    r = await post(app, multipart(file_part), MULTIPART)
    assert r.status_code == 200, r.text
    assert time.perf_counter() - start < 1.5


async def test_10mb_preamble_is_rejected_quickly() -> None:
    app = form_app()
    start = time.perf_counter()
    r = await post(app, b"p" * 10_000_000 + multipart(field("a", "1")), MULTIPART)
    assert r.status_code == 400
    assert time.perf_counter() - start < 1


async def test_10mb_epilogue_is_ignored_in_linear_time() -> None:
    app = form_app()
    start = time.perf_counter()
    r = await post(app, multipart(field("a", "1")) + b"e" * 10_000_000, MULTIPART)
    assert r.json()["form"] == {"a": ["1"]}
    assert time.perf_counter() - start < 1


async def test_10000_tiny_fields_is_413_quickly() -> None:
    app = form_app()
    body = multipart(*(field(f"f{i}", "1") for i in range(10_000)))
    start = time.perf_counter()
    r = await post(app, body, MULTIPART)
    assert r.status_code == 413
    assert "MAX_FORM_PARTS" in r.text
    assert time.perf_counter() - start < 1


async def test_1001_file_parts_is_413_and_leaves_no_open_files() -> None:
    app = form_app()
    part = b'Content-Disposition: form-data; name="f"; filename="x"\r\n\r\n1'
    body = multipart(*([part] * 1001))
    before = open_fds()
    start = time.perf_counter()
    r = await post(app, body, MULTIPART)
    assert r.status_code == 413
    assert time.perf_counter() - start < 1
    assert open_fds() <= before
    body = multipart(*([part] * 1000))
    assert len((await post(app, body, MULTIPART)).json()["files"]) == 1  # one name, 1000 files


async def test_5mb_field_in_small_chunks_is_413_once_past_the_limit() -> None:
    # CVE-2024-49767: the per-field limit is counted across chunks.
    app = form_app()
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="big"\r\n\r\n'.encode()
    pulled = 0

    def messages() -> Iterator[dict[str, Any]]:
        nonlocal pulled
        pulled += 1
        yield {"type": "http.request", "body": head, "more_body": True}
        for _ in range(5000):  # 5 MB in 1 kB chunks
            pulled += 1
            yield {"type": "http.request", "body": b"x" * 1000, "more_body": True}
        yield {"type": "http.request", "body": f"\r\n--{BOUNDARY}--\r\n".encode()}

    headers = [
        (b"content-type", MULTIPART["Content-Type"].encode()),
        (b"transfer-encoding", b"chunked"),
    ]
    status, _, body = await call_asgi(app, "POST", "/", headers, messages())
    assert status == 413, body
    assert pulled <= 502  # stopped reading right after 500 kB


async def test_form_memory_limit_is_per_field() -> None:
    app = form_app()
    body = multipart(field("a", "x" * 400_000), field("b", "y" * 400_000))
    r = await post(app, body, MULTIPART)
    assert r.status_code == 200
    r = await post(app, multipart(field("a", "x" * 500_001)), MULTIPART)
    assert r.status_code == 413
    assert "MAX_FORM_MEMORY_SIZE" in r.text


async def test_limits_can_be_changed_per_app() -> None:
    app = form_app()
    app.config.update(MAX_FORM_PARTS=2, MAX_FORM_MEMORY_SIZE=5)
    assert (await post(app, multipart(field("a", "12345"), field("b", "1")), MULTIPART)).is_success
    assert (await post(app, multipart(field("a", "123456")), MULTIPART)).status_code == 413
    three = multipart(field("a", "1"), field("b", "2"), field("c", "3"))
    assert (await post(app, three, MULTIPART)).status_code == 413


async def test_413_error_handler_applies_to_form_limits() -> None:
    app = form_app()

    @app.errorhandler(413)
    def too_big(e: Exception) -> tuple[str, int]:
        return "custom", 413

    r = await post(app, multipart(*(field(f"f{i}", "1") for i in range(1001))), MULTIPART)
    assert (r.status_code, r.text) == (413, "custom")


async def test_server_stays_alive_after_hostile_forms() -> None:
    app = form_app()

    @app.get("/health")
    async def health() -> str:
        return "ok"

    hostile = [
        (b"\x00" * 1000, MULTIPART),
        (multipart(*(field(f"f{i}", "1") for i in range(2000))), MULTIPART),
        (b"&".join([b"a"] * 50_000), URLENCODED),
    ]
    await asyncio.gather(*(post(app, body, headers) for body, headers in hostile))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        start = time.perf_counter()
        assert (await client.get("/health")).text == "ok"
        assert time.perf_counter() - start < 0.2


async def test_body_limit_during_a_multipart_parse_is_413_even_when_unused() -> None:
    # MAX_CONTENT_LENGTH is about the body, not the form: answered at once.
    app = form_app()
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    part = b'Content-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\n' + b"z" * 200_000
    body = multipart(part)
    chunks = [body[i : i + 8192] for i in range(0, len(body), 8192)]
    headers = [
        (b"content-type", MULTIPART["Content-Type"].encode()),
        (b"transfer-encoding", b"chunked"),
    ]
    before = open_fds()
    status, _, _ = await call_asgi(app, "POST", "/ignore", headers, chunked(chunks))
    assert status == 413
    assert open_fds() <= before
