from __future__ import annotations

import base64
import io
import time
from pathlib import Path

import pytest
import werkzeug.datastructures
import werkzeug.exceptions
from starlette.datastructures import Headers as StarletteHeaders
from starlette.datastructures import UploadFile

from aioflask.datastructures import (
    Accept,
    Authorization,
    CharsetAccept,
    CombinedMultiDict,
    FileStorage,
    Headers,
    ImmutableMultiDict,
    LanguageAccept,
    MIMEAccept,
    MultiDict,
    RequestHeaders,
    UserAgent,
    dump_options_header,
    parse_accept_header,
    parse_list_header,
    parse_options_header,
    quote_header_value,
)
from aioflask.exceptions import BadRequestKeyError

# -- MultiDict, Headers, FileStorage: Werkzeug's classes -----------------------------


def test_containers_are_werkzeug_classes() -> None:
    assert MultiDict is werkzeug.datastructures.MultiDict
    assert Headers is werkzeug.datastructures.Headers
    assert issubclass(ImmutableMultiDict, werkzeug.datastructures.ImmutableMultiDict)
    assert issubclass(CombinedMultiDict, werkzeug.datastructures.CombinedMultiDict)
    assert issubclass(FileStorage, werkzeug.datastructures.FileStorage)
    assert issubclass(RequestHeaders, werkzeug.datastructures.Headers)


def test_missing_key_is_werkzeugs_bad_request_key_error() -> None:
    d = ImmutableMultiDict([("a", "1")])
    with pytest.raises(werkzeug.exceptions.BadRequestKeyError) as info:
        d["b"]
    assert isinstance(info.value, KeyError)
    assert info.value.code == 400


async def test_immutable_multidicts_are_awaitable() -> None:
    d = ImmutableMultiDict([("a", "1")])
    assert (await d) is d
    combined = CombinedMultiDict([d, ImmutableMultiDict([("b", "2")])])
    assert (await combined) is combined
    assert combined["b"] == "2"


def test_immutable_multidict_copy_is_mutable() -> None:
    d = ImmutableMultiDict([("a", "1")])
    with pytest.raises(TypeError):
        d.add("a", "2")  # type: ignore[misc]
    mutable = d.copy()
    mutable.add("a", "2")
    assert mutable.getlist("a") == ["1", "2"]
    assert d.getlist("a") == ["1"]


def test_request_headers() -> None:
    scope = {
        "type": "http",
        "headers": [(b"content-length", b"12"), (b"x-a", b"1"), (b"x-a", b"2")],
    }
    h = RequestHeaders(scope=scope)
    assert h["Content-Length"] == "12"
    assert h.get("content-length", type=int) == 12
    assert h.get("x-a") == "1"
    assert h.getlist("X-A", type=int) == [1, 2]
    assert h.get_all("x-a") == ["1", "2"]
    assert "X-a" in h and "nope" not in h
    assert h.get("nope", "d") == "d"
    # Names are title-cased, as in Werkzeug's WSGI request headers.
    assert list(h.keys()) == ["Content-Length", "X-A", "X-A"]
    with pytest.raises(BadRequestKeyError) as info:
        h["Authorization"]
    assert info.value.code == 400
    with pytest.raises(TypeError):
        h["X-B"] = "3"
    with pytest.raises(TypeError):
        h.add("X-B", "3")
    mutable = h.copy()
    assert type(mutable) is Headers
    mutable["X-B"] = "3"
    assert "X-B" not in h


# -- header value helpers -----------------------------------------------------


def test_quote_and_dump_options() -> None:
    assert quote_header_value("token") == "token"
    assert quote_header_value("a b") == '"a b"'
    assert quote_header_value('a"b\\') == '"a\\"b\\\\"'
    assert quote_header_value("") == '""'
    assert dump_options_header("text/html", {"charset": "utf-8"}) == "text/html; charset=utf-8"
    assert dump_options_header(None, {"a": None, "b*": "UTF-8''x"}) == "b*=UTF-8''x"


def test_parse_options_header() -> None:
    assert parse_options_header(None) == ("", {})
    assert parse_options_header("text/html") == ("text/html", {})
    assert parse_options_header('text/html; Charset="utf-8"') == ("text/html", {"charset": "utf-8"})
    assert parse_options_header('form-data; name="a;b"; filename="x\\"y"') == (
        "form-data",
        {"name": "a;b", "filename": 'x"y'},
    )
    assert parse_options_header("a; b; c=d") == ("a", {"c": "d"})
    assert parse_options_header("x; filename*=UTF-8''%e2%82%ac.txt") == (
        "x",
        {"filename": "\u20ac.txt"},
    )


def test_parse_list_header() -> None:
    assert parse_list_header("a, b,,c") == ["a", "b", "c"]
    assert parse_list_header('a, "b, c", d') == ["a", "b, c", "d"]
    assert parse_list_header('x="1,2", y') == ['x="1,2"', "y"]


# -- FileStorage -------------------------------------------------------------------


async def test_filestorage_from_upload(tmp_path: Path) -> None:
    upload = UploadFile(
        file=io.BytesIO(),
        filename="../../etc/passwd",
        size=0,
        headers=StarletteHeaders({"content-type": "image/png"}),
    )
    await upload.write(b"\x89PNG data")
    await upload.seek(0)
    fs = FileStorage.from_upload(upload, name="avatar")
    assert isinstance(fs, werkzeug.datastructures.FileStorage)
    assert fs.filename == "../../etc/passwd"  # raw, as the client sent it
    assert fs.name == "avatar"
    assert fs.content_type == "image/png"
    assert fs.mimetype == "image/png"
    assert fs.stream is upload.file
    await fs.save_async(tmp_path / "a.png")
    assert (tmp_path / "a.png").read_bytes() == b"\x89PNG data"


# -- Accept ------------------------------------------------------------------------


def test_mime_accept_parsing_order() -> None:
    a = MIMEAccept("text/html;q=0.5, text/*;level=1, */*;q=0.1, application/json")
    assert list(a.values()) == ["application/json", "text/html", "text/*; level=1", "*/*"]
    assert a[0] == ("application/json", 1.0)
    assert a["text/html"] == 0.5
    assert a.best == "application/json"
    assert a.provided
    assert len(a) == 4
    assert a == parse_accept_header(
        "text/html;q=0.5, text/*;level=1, */*;q=0.1, application/json", MIMEAccept
    )


def test_mime_accept_best_match() -> None:
    a = MIMEAccept("text/html, application/json;q=0.9")
    assert a.best_match(["application/json", "text/html"]) == "text/html"
    assert a.best_match(["application/json"]) == "application/json"
    assert a.best_match(["image/png"]) is None
    assert a.best_match(["image/png"], default="text/plain") == "text/plain"


def test_mime_accept_wildcards() -> None:
    star = MIMEAccept("*/*")
    assert star.best_match(["image/png"]) == "image/png"
    assert star.accept_json and star.accept_html
    text = MIMEAccept("text/*")
    assert text.best_match(["application/json", "text/csv"]) == "text/csv"
    assert "text/plain" in text
    assert "image/png" not in text
    assert text.quality("text/anything") == 1
    mixed = MIMEAccept("text/*;q=0.5, text/html")
    assert mixed.best_match(["text/plain", "text/html"]) == "text/html"
    # the more specific client entry decides: text/html refused despite */*
    refused = MIMEAccept("text/html;q=0, */*;q=0.8")
    assert refused.best_match(["text/html"]) is None
    assert refused.best_match(["text/html", "application/json"]) == "application/json"
    assert refused.quality("text/html") == 0


def test_mime_accept_q_zero_and_invalid() -> None:
    a = MIMEAccept("application/json;q=0, text/html;q=abc, image/png;q=2, text/plain")
    assert a.best_match(["application/json"]) is None
    assert "text/html" not in a  # invalid q dropped
    assert "image/png" not in a  # out of range q dropped
    assert a.best == "text/plain"
    # As in Werkzeug, membership ignores quality: a q=0 entry is still "mentioned".
    assert a.accept_json
    assert a.quality("application/json") == 0


def test_mime_accept_flags() -> None:
    assert MIMEAccept("application/json").accept_json
    assert not MIMEAccept("text/html").accept_json
    assert MIMEAccept("text/html").accept_html
    assert MIMEAccept("application/xhtml+xml").accept_xhtml
    assert MIMEAccept("application/xml").accept_html


def test_mime_accept_empty() -> None:
    for value in (None, ""):
        a = MIMEAccept(value)
        assert not a
        assert not a.provided
        assert a.best is None
        assert a.best_match(["text/html"]) is None
        assert list(a) == []


def test_mime_accept_rejects_invalid_server_values() -> None:
    with pytest.raises(ValueError):
        MIMEAccept("text/html").best_match(["html"])
    with pytest.raises(ValueError):
        MIMEAccept("text/html").quality("*/html")


def test_mime_accept_ignores_invalid_client_entries() -> None:
    a = MIMEAccept("foo, */html, text/html;q=0.2")
    assert a.best_match(["text/html", "application/json"]) == "text/html"


def test_mime_accept_is_linear_on_hostile_input() -> None:
    hostile = [
        "a/b," * 20000,
        '"' * 100000,
        ";" * 100000,
        "text/html;" * 20000,
        'x/y;a="' + '\\"' * 50000,
        "=" * 100000,
    ]
    start = time.perf_counter()
    for value in hostile:
        a = MIMEAccept(value)
        a.best_match(["text/html", "application/json"])
        assert isinstance(a.accept_json, bool)
    assert time.perf_counter() - start < 2.0


def test_accept_base_and_repr() -> None:
    a = Accept([("gzip", 1), ("br", 0.5)])
    assert a.best_match(["br", "gzip"]) == "gzip"
    assert "GZIP" in a
    assert a.find("deflate") == -1
    assert a.index("br") == 1
    assert str(a) == "gzip,br;q=0.5"
    assert repr(a) == "Accept([('gzip', 1), ('br', 0.5)])"
    assert Accept([("*", 1)]).best_match(["x"]) == "x"
    assert Accept.from_header("a;q=0.1, b").best == "b"


def test_language_accept() -> None:
    a = LanguageAccept("en-US,en;q=0.9,de;q=0.8")
    assert a.best_match(["de", "en-us"]) == "en-us"
    assert a.best_match(["de", "en-GB"]) == "de"  # exact matches win over fallbacks
    assert a.best_match(["fr", "en-GB"]) == "en-GB"
    assert LanguageAccept("en").best_match(["de", "en-GB"]) == "en-GB"
    assert LanguageAccept("de-CH").best_match(["fr", "de"]) == "de"
    assert LanguageAccept("fr").best_match(["it"], "en") == "en"
    assert "en_us" in a


def test_charset_accept() -> None:
    a = CharsetAccept("utf-8, iso-8859-1;q=0.5")
    assert "UTF8" in a
    assert a.quality("latin-1") == 0.5
    assert a.best_match(["latin-1", "utf-8"]) == "utf-8"


# -- Authorization / UserAgent -------------------------------------------------------


def _basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


def test_authorization_basic() -> None:
    auth = Authorization.from_header(_basic(b"alice:s3cr:et"))
    assert auth is not None
    assert auth.type == "basic"
    assert auth.username == "alice"
    assert auth.password == "s3cr:et"
    assert auth.token is None
    assert auth["username"] == "alice"
    assert auth.get("password") == "s3cr:et"
    assert "username" in auth
    assert auth.to_header() == _basic(b"alice:s3cr:et")
    scheme_case = Authorization.from_header("BASIC " + base64.b64encode(b"u:p").decode())
    assert scheme_case is not None and scheme_case.type == "basic"


def test_authorization_basic_garbage() -> None:
    assert Authorization.from_header("Basic not-base64!!") is None
    assert Authorization.from_header("Basic " + base64.b64encode(b"\xff\xfe").decode()) is None
    assert Authorization.from_header("") is None
    assert Authorization.from_header(None) is None


def test_authorization_bearer() -> None:
    auth = Authorization.from_header("Bearer abc.def==")
    assert auth is not None
    assert auth.type == "bearer"
    assert auth.token == "abc.def=="
    assert auth.username is None
    assert auth.parameters == {}
    assert auth.to_header() == "Bearer abc.def=="


def test_authorization_parameters() -> None:
    auth = Authorization.from_header('Digest username="bob", realm="a, b", nonce=xyz, flag')
    assert auth is not None
    assert auth.type == "digest"
    assert auth.username == "bob"
    assert auth.parameters == {"username": "bob", "realm": "a, b", "nonce": "xyz", "flag": None}
    assert auth.nonce == "xyz"
    assert auth == Authorization.from_header(auth.to_header())


def test_user_agent() -> None:
    ua = UserAgent("Mozilla/5.0 (X11)")
    assert ua.string == "Mozilla/5.0 (X11)"
    assert str(ua) == "Mozilla/5.0 (X11)"
    assert ua.to_header() == "Mozilla/5.0 (X11)"
    assert ua.platform is None and ua.browser is None and ua.version is None
    assert not ua
    assert not UserAgent("")
