"""Typed header attributes of requests and responses, compared with Werkzeug's.

Each scenario runs the same operations on an aioflask object and on
Werkzeug's, and compares the header text (or parsed values) they produce.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from aioflask import Flask, Request, Response, request, send_file
from aioflask import _http as http
from aioflask.datastructures import (
    ETags,
    HeaderSet,
    IfRange,
    Range,
    RequestCacheControl,
    ResponseCacheControl,
)
from aioflask.exceptions import RequestedRangeNotSatisfiable
from tests.docsnippets import python_blocks, run_block

wz_wrappers = pytest.importorskip("werkzeug.wrappers")
wz_http = pytest.importorskip("werkzeug.http")
wz_test = pytest.importorskip("werkzeug.test")
flask = pytest.importorskip("flask")


def _request(headers: dict[str, str], method: str = "GET") -> Request:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    return Request(
        {"type": "http", "method": method, "path": "/", "headers": raw, "query_string": b""}
    )


def _wz_request(headers: dict[str, str], method: str = "GET") -> Any:
    builder = wz_test.EnvironBuilder(method=method, headers=headers)
    return wz_wrappers.Request(builder.get_environ())


# -- response attributes: same header text as Werkzeug -------------------------------------

Scenario = Callable[[Any], None]


def _cache_flags(r: Any) -> None:
    cc = r.cache_control
    cc.max_age = 300
    cc.public = True
    cc.s_maxage = 60
    cc.no_transform = True
    cc.immutable = True
    cc.stale_while_revalidate = 30
    cc.must_revalidate = True
    cc.proxy_revalidate = True
    cc.stale_if_error = 5


def _cache_private_and_removal(r: Any) -> None:
    r.cache_control.max_age = 10
    r.cache_control.private = True
    r.cache_control.no_cache = "Set-Cookie"
    r.cache_control.no_store = True
    del r.cache_control.max_age
    r.cache_control.no_store = False
    r.cache_control.private = "a, b"


def _cache_all_removed(r: Any) -> None:
    r.cache_control.public = True
    r.cache_control.max_age = 5
    r.cache_control.public = None
    r.cache_control.max_age = None


def _cache_existing_header(r: Any) -> None:
    r.headers["Cache-Control"] = 'no-cache="Set-Cookie", max-age=5'
    r.cache_control.max_age = 0
    r.cache_control.no_store = True


def _dates(r: Any) -> None:
    r.expires = datetime(2030, 1, 2, 3, 4, 5)
    r.last_modified = datetime(2020, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    r.date = 1_700_000_000
    r.age = 120
    r.retry_after = 30


def _dates_aware_and_date(r: Any) -> None:
    r.expires = datetime(2030, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    r.last_modified = date(2021, 3, 4)
    r.age = timedelta(minutes=5)
    r.retry_after = datetime(2031, 1, 1)


def _content_headers(r: Any) -> None:
    r.content_language = ["de", "en-US"]
    r.content_language.add("fr")
    r.content_language.add("DE")
    r.content_location = "/docs/1"
    r.content_encoding = "gzip"
    r.content_md5 = "Q2hlY2sgSW50ZWdyaXR5IQ=="
    r.accept_ranges = "bytes"


def _cors(r: Any) -> None:
    r.access_control_allow_origin = "https://example.com"
    r.access_control_allow_methods = ["GET", "POST"]
    r.access_control_allow_headers = ["X-Token", "Content-Type"]
    r.access_control_allow_credentials = True
    r.access_control_expose_headers = ["X-Total"]
    r.access_control_max_age = 600


def _cors_removed(r: Any) -> None:
    _cors(r)
    r.access_control_allow_credentials = False
    del r.access_control_max_age  # (Werkzeug would write "None" for `= None`)
    del r.access_control_allow_origin


def _etags(r: Any) -> None:
    r.set_etag("abc")
    r.add_etag()  # kept: there is one


def _etag_weak_generated(r: Any) -> None:
    r.add_etag(overwrite=True, weak=True)


def _freeze(r: Any) -> None:
    r.freeze()


SCENARIOS: list[Scenario] = [
    _cache_flags,
    _cache_private_and_removal,
    _cache_all_removed,
    _cache_existing_header,
    _dates,
    _dates_aware_and_date,
    _content_headers,
    _cors,
    _cors_removed,
    _etags,
    _etag_weak_generated,
    _freeze,
]

_COMPARED = (
    "Cache-Control Expires Last-Modified Date Age Retry-After Content-Language "
    "Content-Location Content-Encoding Content-MD5 Accept-Ranges ETag Content-Length "
    "Access-Control-Allow-Origin Access-Control-Allow-Methods Access-Control-Allow-Headers "
    "Access-Control-Allow-Credentials Access-Control-Expose-Headers Access-Control-Max-Age"
).split()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__.strip("_"))
def test_response_header_text_matches_werkzeug(scenario: Scenario) -> None:
    ours, theirs = Response("hello world"), wz_wrappers.Response("hello world")
    scenario(ours)
    scenario(theirs)
    for name in _COMPARED:
        assert ours.headers.get(name) == theirs.headers.get(name), name


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__.strip("_"))
def test_response_attributes_read_back_as_werkzeug(scenario: Scenario) -> None:
    ours, theirs = Response("hello world"), wz_wrappers.Response("hello world")
    scenario(ours)
    scenario(theirs)
    for attr in ("expires", "last_modified", "date", "age", "content_location", "get_etag"):
        mine, reference = getattr(ours, attr), getattr(theirs, attr)
        if callable(mine):
            mine, reference = mine(), reference()
        assert mine == reference, attr
    cc, wcc = ours.cache_control, theirs.cache_control
    for directive in ("max_age", "s_maxage", "public", "private", "no_cache", "no_store"):
        assert getattr(cc, directive) == getattr(wcc, directive), directive
    assert dict(cc) == dict(wcc)
    assert ours.access_control_allow_credentials == theirs.access_control_allow_credentials
    assert ours.access_control_max_age == theirs.access_control_max_age
    for attr in ("access_control_allow_methods", "content_language"):
        mine_set, reference_set = getattr(ours, attr), getattr(theirs, attr)
        assert (mine_set is None) == (reference_set is None), attr
        if mine_set is not None:
            assert list(mine_set) == list(reference_set), attr


def test_absent_headers_read_as_none() -> None:
    r = Response("x")
    assert r.expires is None and r.last_modified is None and r.date is None
    assert r.age is None and r.retry_after is None
    assert r.get_etag() == (None, None)
    assert r.access_control_allow_methods is None
    assert r.access_control_allow_credentials is False
    assert r.cache_control.max_age is None and not r.cache_control.public
    assert "cache-control" not in r.headers  # reading never writes


def test_assigning_none_removes_the_header() -> None:
    r = Response("x")
    r.expires = datetime(2030, 1, 1)
    r.expires = None
    r.last_modified = 0
    del r.last_modified
    r.retry_after = 5
    r.retry_after = None
    r.content_language = "en"
    r.content_language = None
    for name in ("Expires", "Last-Modified", "Retry-After", "Content-Language"):
        assert name not in r.headers


def test_cache_control_is_a_live_view_and_a_dict() -> None:
    r = Response("x")
    cc = r.cache_control
    assert isinstance(cc, ResponseCacheControl)
    cc.max_age = 60
    cc.public = True
    assert r.headers["Cache-Control"] == "max-age=60, public"
    cc["x-custom"] = "1"
    assert r.headers["Cache-Control"] == "max-age=60, public, x-custom=1"
    cc.clear()
    assert "Cache-Control" not in r.headers
    assert str(r.cache_control) == ""


def test_retry_after_seconds_are_counted_from_now() -> None:
    r = Response("x")
    r.retry_after = 120
    value = r.retry_after
    assert value is not None
    assert timedelta(seconds=110) < value - datetime.now(timezone.utc) <= timedelta(seconds=120)


def test_malformed_values_read_as_none() -> None:
    r = Response("x")
    r.headers["Expires"] = "soon"
    r.headers["Age"] = "-3"
    r.headers["Access-Control-Max-Age"] = "ten"
    assert r.expires is None and r.age is None and r.access_control_max_age is None


# -- request attributes --------------------------------------------------------------------

REQUEST_HEADERS: list[dict[str, str]] = [
    {},
    {
        "Cache-Control": "no-cache, max-age=0, max-stale, min-fresh=5, only-if-cached",
        "If-None-Match": '"a", W/"b", c',
        "If-Match": "*",
        "If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT",
        "If-Unmodified-Since": "garbage",
        "If-Range": '"xyz"',
        "Range": "bytes=0-99,200-",
        "Date": "Wed, 21 Oct 2015 07:28:00 GMT",
        "Pragma": "no-cache, x",
        "Max-Forwards": "3",
        "Access-Control-Request-Headers": "X-A, content-type",
        "Access-Control-Request-Method": "PUT",
    },
    {"Cache-Control": "max-age=abc, max-stale=30", "If-Range": "Wed, 21 Oct 2015 07:28:00 GMT"},
    {"If-Match": '"a",garbage "x", W/"b"', "If-None-Match": 'w/"q"', "Range": "bytes=-500"},
    {"If-Match": 'x y, "z"', "If-None-Match": '"a", , "b"', "Range": "bytes=5-2"},
    {"Range": "items=0-5", "Max-Forwards": "x"},
]


@pytest.mark.parametrize("headers", REQUEST_HEADERS)
def test_request_attributes_match_werkzeug(headers: dict[str, str]) -> None:
    ours, theirs = _request(headers), _wz_request(headers)
    for attr in ("if_modified_since", "if_unmodified_since", "date", "max_forwards"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours.access_control_request_method == theirs.access_control_request_method
    assert dict(ours.cache_control) == dict(theirs.cache_control)
    for directive in ("no_cache", "max_age", "max_stale", "min_fresh", "only_if_cached"):
        assert getattr(ours.cache_control, directive) == getattr(theirs.cache_control, directive)
    for attr in ("if_match", "if_none_match"):
        mine, reference = getattr(ours, attr), getattr(theirs, attr)
        assert mine.as_set(include_weak=True) == reference.as_set(include_weak=True), attr
        assert mine.as_set() == reference.as_set() and mine.star_tag == reference.star_tag
        for tag in ("a", "b", "q", "zz"):
            assert (tag in mine) == (tag in reference), (attr, tag)
            assert mine.contains_weak(tag) == reference.contains_weak(tag), (attr, tag)
    assert (ours.if_range.etag, ours.if_range.date) == (theirs.if_range.etag, theirs.if_range.date)
    if theirs.range is None:
        assert ours.range is None
    else:
        assert ours.range is not None
        assert (ours.range.units, ours.range.ranges) == (theirs.range.units, theirs.range.ranges)
        assert ours.range.to_header() == theirs.range.to_header()
        for length in (0, 10, 1000):
            assert ours.range.range_for_length(length) == theirs.range.range_for_length(length)
            assert ours.range.to_content_range_header(
                length
            ) == theirs.range.to_content_range_header(length)
    assert list(ours.pragma) == list(theirs.pragma)
    if headers.get("Access-Control-Request-Headers"):
        assert list(ours.access_control_request_headers or ()) == list(
            theirs.access_control_request_headers
        )


def test_request_cache_control_is_read_only() -> None:
    cc = _request({"Cache-Control": "max-age=5"}).cache_control
    assert isinstance(cc, RequestCacheControl)
    with pytest.raises(TypeError):
        cc.max_age = 10
    with pytest.raises(TypeError):
        cc["no-store"] = None
    with pytest.raises(AttributeError):
        _request({}).date = datetime.now()  # type: ignore[assignment]


def test_if_none_match_star_contains_everything() -> None:
    tags = _request({"If-None-Match": "*"}).if_none_match
    assert tags.star_tag and "anything" in tags and tags.contains_raw('W/"x"')
    assert tags.to_header() == "*"


# -- the helper functions ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        datetime(2030, 1, 2, 3, 4, 5),
        datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
        date(2020, 2, 29),
        0,
        1_700_000_000.5,
    ],
)
def test_http_date_matches_werkzeug(value: Any) -> None:
    assert http.http_date(value) == wz_http.http_date(value)


@pytest.mark.parametrize(
    "value",
    ["Wed, 21 Oct 2015 07:28:00 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "nope", "", "0"],
)
def test_parse_date_matches_werkzeug(value: str) -> None:
    assert http.parse_date(value) == wz_http.parse_date(value)


@pytest.mark.parametrize("value", ['"x"', 'W/"x"', 'w/"x"', "x", "", '"'])
def test_unquote_etag_matches_werkzeug(value: str) -> None:
    assert http.unquote_etag(value) == wz_http.unquote_etag(value)


def test_quote_etag_and_generate_etag() -> None:
    assert http.quote_etag("a") == '"a"' and http.quote_etag("a", weak=True) == 'W/"a"'
    with pytest.raises(ValueError):
        http.quote_etag('a"b')
    assert http.generate_etag(b"hello") == wz_http.generate_etag(b"hello")


@pytest.mark.parametrize(
    "value",
    [["a", "b c", 'd"e'], {"a": None, "b": "x y", "c*": "UTF-8''%C3%A9", "d": "tok"}, []],
)
def test_dump_header_matches_werkzeug(value: Any) -> None:
    assert http.dump_header(value) == wz_http.dump_header(value)


@pytest.mark.parametrize("value", ['a=b, c="d, e", f', 'x="a\\"b"', "=1, k=", ""])
def test_parse_dict_header_matches_werkzeug(value: str) -> None:
    assert http.parse_dict_header(value) == wz_http.parse_dict_header(value)


@pytest.mark.parametrize(
    "value",
    ["bytes=0-0,-1", "bytes=0-1,1-3", "bytes=500-", "bytes=abc", "bytes=1-2,-5,7-", "bytes=", "x"],
)
def test_parse_range_header_matches_werkzeug(value: str) -> None:
    ours, theirs = http.parse_range_header(value), wz_http.parse_range_header(value)
    assert (ours is None) == (theirs is None)
    if ours is not None:
        assert (ours.units, ours.ranges) == (theirs.units, theirs.ranges)


def test_ages() -> None:
    assert http.dump_age(timedelta(minutes=2)) == "120" and http.dump_age(None) is None
    with pytest.raises(ValueError):
        http.dump_age(-1)
    assert http.parse_age("60") == timedelta(seconds=60)
    assert http.parse_age("x") is None and http.parse_age("-5") is None


def test_structures_print_as_header_text() -> None:
    assert str(ETags(["a"], ["b"])) == '"a", W/"b"'
    assert ETags(["a"])(data=None, etag="a") and ETags(["a"]).contains_raw('"a"')
    assert str(IfRange(etag="x")) == '"x"' and str(IfRange()) == ""
    assert str(Range("bytes", [(0, 10), (-5, None)])) == "bytes=0-9,-5"
    with pytest.raises(ValueError):
        Range("bytes", [(5, 2)])
    hs = HeaderSet(["GET", "Post"])
    assert list(hs) == ["GET", "Post"] and hs.find("post") == 1 and "post" in hs
    hs.discard("get")
    assert str(hs) == "Post" and repr(hs) == "HeaderSet(['Post'])"


# -- make_conditional, through both test clients -------------------------------------------


def _conditional_app(module: Any) -> Any:
    app = module.Flask(__name__)

    @app.route("/")  # type: ignore[untyped-decorator]
    def index() -> Any:
        rv = module.Response("0123456789")
        req = module.request
        rv.set_etag("v1", weak=req.args.get("weak") == "1")
        rv.last_modified = 1_600_000_000
        ranges = bool(req.args.get("ranges"))
        return rv.make_conditional(
            req, accept_ranges=ranges, complete_length=10 if ranges else None
        )

    return app


_LAST_MODIFIED = "Sun, 13 Sep 2020 12:26:40 GMT"
CONDITIONAL_CASES: list[tuple[dict[str, str], str]] = [
    ({}, ""),
    ({"If-None-Match": '"v1"'}, ""),
    ({"If-None-Match": 'W/"v1"'}, ""),
    ({"If-None-Match": '"v2"'}, ""),
    ({"If-None-Match": "*"}, ""),
    ({"If-Modified-Since": _LAST_MODIFIED}, ""),
    ({"If-Modified-Since": "Sun, 13 Sep 2020 12:26:39 GMT"}, ""),
    ({"If-Match": '"v1"'}, ""),
    ({"If-Match": '"v2"'}, ""),
    ({"If-None-Match": '"v1"'}, "?weak=1"),
    ({"Range": "bytes=2-4"}, "?ranges=1"),
    ({"Range": "bytes=-3"}, "?ranges=1"),
    ({"Range": "bytes=20-"}, "?ranges=1"),
    ({"Range": "bytes=abc"}, "?ranges=1"),
    ({"Range": "bytes=2-4", "If-Range": '"v1"'}, "?ranges=1"),
    ({"Range": "bytes=2-4", "If-Range": '"v0"'}, "?ranges=1"),
    ({"Range": "bytes=2-4"}, ""),
    ({}, "?ranges=1"),
]


@pytest.mark.parametrize(("headers", "query"), CONDITIONAL_CASES)
def test_make_conditional_matches_flask(headers: dict[str, str], query: str) -> None:
    ours = _conditional_app(__import__("aioflask")).test_client().get("/" + query, headers=headers)
    theirs = _conditional_app(flask).test_client().get("/" + query, headers=headers)
    assert ours.status_code == theirs.status_code
    for name in ("ETag", "Content-Range", "Content-Length", "Accept-Ranges", "Last-Modified"):
        assert ours.headers.get(name) == theirs.headers.get(name), name
    assert ("Date" in ours.headers) == ("Date" in theirs.headers)
    if ours.status_code != 416:  # the error pages differ
        assert ours.data == theirs.data


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        # RFC 9110 where Werkzeug differs (see docs/responses.md).
        ({"If-Match": "*"}, 200),
        ({"If-Unmodified-Since": "Sun, 13 Sep 2020 12:26:39 GMT"}, 412),
        ({"If-Unmodified-Since": _LAST_MODIFIED}, 200),
    ],
)
def test_make_conditional_follows_the_rfc(headers: dict[str, str], status: int) -> None:
    app = _conditional_app(__import__("aioflask"))
    assert app.test_client().get("/", headers=headers).status_code == status


def test_make_conditional_ignores_other_methods_and_raises_416_directly() -> None:
    rv = Response("abc")
    rv.set_etag("t")
    post = _request({"If-None-Match": '"t"'}, method="POST")
    assert rv.make_conditional(post).status_code == 200 and "Date" not in rv.headers
    with pytest.raises(RequestedRangeNotSatisfiable):
        rv.make_conditional(_request({"Range": "bytes=9-"}), accept_ranges=True, complete_length=3)


def test_send_file_still_answers_304_for_its_etag(tmp_path: Any) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"data")
    app = Flask(__name__)

    @app.route("/")
    def index() -> Response:
        return send_file(path)

    client = app.test_client()
    etag = client.get("/").headers["ETag"]
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/", headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get("/", headers={"If-Match": f"W/{etag}"}).status_code == 412


# -- call_on_close -------------------------------------------------------------------------


def test_call_on_close_runs_after_sending() -> None:
    app = Flask(__name__)
    log: list[Any] = []

    @app.route("/")
    def index() -> Response:
        rv = Response("hi")

        @rv.call_on_close
        def done() -> None:
            log.append(
                ("sync", threading.current_thread().name.startswith("aioflask"), request.path)
            )

        async def adone() -> None:
            log.append("async")

        assert rv.call_on_close(adone) is adone
        return rv

    @app.route("/stream")
    def stream() -> Response:
        def generate() -> Any:
            yield "a"
            log.append("body done")

        rv = Response(generate())
        rv.call_on_close(lambda: log.append("closed"))
        return rv

    client = app.test_client()
    assert client.get("/").data == b"hi"
    assert log == [("sync", True, "/"), "async"]
    log.clear()
    assert client.get("/stream").data == b"a"
    assert log == ["body done", "closed"]


def test_close_without_sending_closes_the_body_and_runs_the_callbacks(tmp_path: Path) -> None:
    # Werkzeug's `close()`, as Flask's own tests call on `send_file` responses.
    app = Flask(__name__)
    path = tmp_path / "f.txt"
    path.write_bytes(b"contents")
    log: list[str] = []

    async def adone() -> None:
        log.append("async")

    with app.test_request_context():
        rv = send_file(path)
        rv.call_on_close(lambda: log.append("sync"))
        rv.call_on_close(adone)
        stream = rv._stream
        assert stream is not None and not getattr(stream, "_closed", True)
        rv.close()
        assert getattr(stream, "_closed", False) is True
        assert log == ["sync", "async"]
        rv.close()  # a second close does nothing
        assert log == ["sync", "async"]

        def generate() -> Any:
            try:
                yield b"a"
            finally:
                log.append("generator closed")

        gen = generate()
        next(gen)
        with Response(gen):
            pass
        assert log[-1] == "generator closed"


def test_call_on_close_runs_every_function_and_reports_the_first_error() -> None:
    app = Flask(__name__)
    log: list[str] = []

    def fail() -> None:
        raise RuntimeError("boom")

    @app.route("/")
    def index() -> Response:
        rv = Response("hi")
        rv.call_on_close(fail)
        rv.call_on_close(lambda: log.append("second"))
        return rv

    with pytest.raises(RuntimeError, match="boom"):
        app.test_client().get("/")
    assert log == ["second"]


def test_freeze_buffers_a_sync_stream() -> None:
    rv = Response(iter([b"a", "b"]))
    rv.freeze()
    assert not rv.is_streamed and rv.headers["Content-Length"] == "2"
    assert rv.get_etag() == (http.generate_etag(b"ab"), False)

    async def chunks() -> Any:
        yield b"x"

    streamed = Response(chunks())
    streamed.freeze()  # left as it is
    assert streamed.is_streamed and "ETag" not in streamed.headers


# -- docs/responses.md ---------------------------------------------------------------------


@pytest.mark.parametrize(("line", "code"), python_blocks("responses.md"))
def test_docs_examples(tmp_path: Path, line: int, code: str) -> None:
    run_block("responses.md", line, code, tmp_path)
