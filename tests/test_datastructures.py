from __future__ import annotations

import base64
import copy
import io
import pickle
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from starlette.datastructures import FormData, QueryParams, UploadFile
from starlette.datastructures import Headers as StarletteHeaders

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
from aioflask.exceptions import BadRequest, BadRequestKeyError

# -- MultiDict -------------------------------------------------------------------


def test_multidict_first_value_semantics() -> None:
    d: MultiDict[str] = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert d["a"] == "1"
    assert d.get("a") == "1"
    assert d.getlist("a") == ["1", "3"]
    assert list(d) == ["a", "b"]
    assert len(d) == 2
    assert "a" in d and "z" not in d
    assert dict(d) == {"a": "1", "b": "2"}
    assert list(d.items()) == [("a", "1"), ("b", "2")]
    assert list(d.items(multi=True)) == [("a", "1"), ("a", "3"), ("b", "2")]
    assert list(d.values()) == ["1", "2"]
    assert list(d.keys()) == ["a", "b"]
    assert list(d.lists()) == [("a", ["1", "3"]), ("b", ["2"])]
    assert list(d.listvalues()) == [["1", "3"], ["2"]]
    assert d.to_dict() == {"a": "1", "b": "2"}
    assert d.to_dict(flat=False) == {"a": ["1", "3"], "b": ["2"]}


def test_multidict_constructors() -> None:
    assert MultiDict({"a": 1, "b": [2, 3], "c": ()}).to_dict(flat=False) == {
        "a": [1],
        "b": [2, 3],
    }
    original: MultiDict[int] = MultiDict([("a", 1), ("a", 2)])
    clone = MultiDict(original)
    clone.add("a", 3)
    assert original.getlist("a") == [1, 2]
    assert MultiDict().to_dict() == {}
    assert MultiDict(iter([("x", 1)]))["x"] == 1


def test_multidict_from_starlette_multidicts() -> None:
    q = QueryParams("a=1&a=2&b=3")
    assert MultiDict(q).getlist("a") == ["1", "2"]
    form = FormData([("x", "1"), ("x", "2")])
    assert MultiDict(form).getlist("x") == ["1", "2"]


def test_multidict_missing_key_is_bad_request() -> None:
    d: MultiDict[str] = MultiDict()
    with pytest.raises(BadRequestKeyError) as info:
        d["missing"]
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, BadRequest)
    assert info.value.code == 400
    assert info.value.args == ("missing",)
    with pytest.raises(KeyError):
        del d["missing"]


def test_multidict_get_type_conversion() -> None:
    d = MultiDict([("n", "42"), ("bad", "x"), ("n", "7")])
    assert d.get("n", type=int) == 42
    assert d.get("bad", -1, type=int) == -1
    assert d.get("bad", type=int) is None
    assert d.get("missing", "dflt") == "dflt"
    assert d.getlist("n", type=int) == [42, 7]
    assert d.getlist("bad", type=int) == []
    assert d.getlist("missing") == []

    def picky(value: str) -> int:
        raise TypeError("no")

    assert d.get("n", 0, type=picky) == 0


def test_multidict_getlist_returns_copy() -> None:
    d = MultiDict([("a", 1)])
    d.getlist("a").append(2)
    assert d.getlist("a") == [1]


def test_multidict_mutation() -> None:
    d: MultiDict[Any] = MultiDict([("a", 1), ("a", 2)])
    d["a"] = 5
    assert d.getlist("a") == [5]
    d.add("a", 6)
    assert d.getlist("a") == [5, 6]
    d.setlist("b", [1, 2])
    assert d.getlist("b") == [1, 2]
    assert d.setdefault("c", 9) == 9
    assert d.setdefault("c", 10) == 9
    d.setlistdefault("e").extend([1, 2])
    assert d.getlist("e") == [1, 2]
    assert d.setlistdefault("f", [3]) == [3]
    assert d.pop("a") == 5
    assert "a" not in d
    assert d.pop("zz", None) is None
    with pytest.raises(BadRequestKeyError):
        d.pop("zz")
    assert d.poplist("b") == [1, 2]
    assert d.poplist("b") == []
    del d["c"]
    assert "c" not in d
    d.update({"x": 1})
    d.update([("x", 2)])
    d.update(MultiDict([("x", 3)]), y=4)
    assert d.getlist("x") == [1, 2, 3]
    assert d["y"] == 4
    key, value = d.popitem()
    assert (key, value) == ("y", 4)
    assert d.popitemlist() == ("x", [1, 2, 3])
    d.clear()
    assert len(d) == 0
    with pytest.raises(KeyError):
        d.popitem()


def test_multidict_update_extends() -> None:
    a = MultiDict({"x": 1})
    a.update(MultiDict({"x": 2, "y": 3}))
    assert a.getlist("x") == [1, 2]
    empty: MultiDict[Any] = MultiDict()
    empty.update({"k": []})
    assert "k" not in empty


def test_multidict_eq_repr_copy() -> None:
    a = MultiDict([("a", 1), ("a", 2)])
    assert a == MultiDict([("a", 1), ("a", 2)])
    assert a != MultiDict([("a", 1)])
    assert a == {"a": [1, 2]}
    assert a != "x"
    assert repr(a) == "MultiDict([('a', 1), ('a', 2)])"
    c = a.copy()
    c.add("a", 3)
    assert a.getlist("a") == [1, 2]
    assert copy.copy(a) == a and copy.copy(a) is not a
    deep = copy.deepcopy(MultiDict([("a", [1])]))
    assert deep.getlist("a") == [[1]]
    assert pickle.loads(pickle.dumps(a)) == a
    merged = a | {"b": 3}
    assert merged.getlist("a") == [1, 2] and merged["b"] == 3


def test_immutable_multidict() -> None:
    d = ImmutableMultiDict([("a", "1"), ("a", "2")])
    assert d["a"] == "1"
    assert d.getlist("a") == ["1", "2"]
    mutators: list[Callable[[], object]] = [
        lambda: d.__setitem__("a", "x"),
        lambda: d.__delitem__("a"),
        lambda: d.add("a", "x"),
        lambda: d.setlist("a", ["x"]),
        lambda: d.setdefault("b", "x"),
        lambda: d.setlistdefault("b", ["x"]),
        lambda: d.pop("a"),
        lambda: d.poplist("a"),
        lambda: d.popitem(),
        lambda: d.popitemlist(),
        lambda: d.update({"b": "x"}),
        lambda: d.clear(),
    ]
    for mutate in mutators:
        with pytest.raises(TypeError, match="immutable"):
            mutate()
    with pytest.raises(TypeError, match="immutable"):
        d |= {"b": "x"}
    mutable = d.copy()
    assert type(mutable) is MultiDict
    mutable.add("a", "3")
    assert d.getlist("a") == ["1", "2"]
    assert copy.copy(d) is d
    assert pickle.loads(pickle.dumps(d)) == d


async def test_immutable_multidict_is_awaitable() -> None:
    d = ImmutableMultiDict([("a", "1")])
    assert (await d) is d


def test_combined_multidict() -> None:
    args = ImmutableMultiDict([("a", "1"), ("b", "x")])
    form = ImmutableMultiDict([("a", "2"), ("c", "3")])
    c = CombinedMultiDict([args, form])
    assert c["a"] == "1"
    assert c["c"] == "3"
    assert c.getlist("a") == ["1", "2"]
    assert c.get("missing") is None
    assert "c" in c and "zz" not in c
    assert list(c) == ["a", "b", "c"]
    assert len(c) == 3
    assert list(c.keys()) == ["a", "b", "c"]
    assert list(c.items()) == [("a", "1"), ("b", "x"), ("c", "3")]
    assert list(c.items(multi=True)) == [("a", "1"), ("b", "x"), ("a", "2"), ("c", "3")]
    assert list(c.values()) == ["1", "x", "3"]
    assert dict(c.lists()) == {"a": ["1", "2"], "b": ["x"], "c": ["3"]}
    assert c.to_dict() == {"a": "1", "b": "x", "c": "3"}
    with pytest.raises(BadRequestKeyError):
        c["missing"]
    with pytest.raises(TypeError):
        c["a"] = "z"
    snapshot = c.copy()
    assert type(snapshot) is MultiDict
    assert snapshot.getlist("a") == ["1", "2"]


def test_combined_multidict_get_type_falls_through() -> None:
    c = CombinedMultiDict([MultiDict([("n", "x")]), MultiDict([("n", "5")])])
    assert c.get("n", type=int) == 5
    assert c.get("n") == "x"
    assert c.getlist("n", type=int) == [5]


def test_combined_multidict_sees_changes() -> None:
    inner: MultiDict[str] = MultiDict()
    c = CombinedMultiDict([inner])
    inner["a"] = "1"
    assert c["a"] == "1"


# -- Headers ---------------------------------------------------------------------

BAD_VALUES = ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\x00b"]


@pytest.mark.parametrize("bad", BAD_VALUES)
def test_headers_reject_newlines_in_values(bad: str) -> None:
    h = Headers()
    setters: list[Callable[[], object]] = [
        lambda: h.__setitem__("X", bad),
        lambda: h.add("X", bad),
        lambda: h.add("X", "ok", param=bad),
        lambda: h.set("X", bad),
        lambda: h.setdefault("X", bad),
        lambda: h.append("X", bad),
        lambda: h.extend({"X": bad}),
        lambda: h.extend([("X", bad)]),
        lambda: h.update({"X": bad}),
        lambda: h.update([("X", bad)]),
        lambda: h.update(X=bad),
        lambda: h.setlist("X", ["ok", bad]),
        lambda: Headers({"X": bad}),
        lambda: Headers([("X", bad)]),
    ]
    for setter in setters:
        with pytest.raises(ValueError, match="newline"):
            setter()
    assert h.raw == []


@pytest.mark.parametrize("bad", ["X\r\nY", "X\nY", "X\x00"])
def test_headers_reject_newlines_in_names(bad: str) -> None:
    h = Headers()
    name_setters: list[Callable[[], object]] = [
        lambda: h.__setitem__(bad, "v"),
        lambda: h.add(bad, "v"),
        lambda: h.set(bad, "v"),
        lambda: h.append(bad, "v"),
        lambda: h.extend({bad: "v"}),
        lambda: h.update({bad: "v"}),
    ]
    for setter in name_setters:
        with pytest.raises(ValueError):
            setter()
    assert h.raw == []


def test_headers_non_latin1_value_rejected() -> None:
    with pytest.raises(ValueError, match="Latin-1"):
        Headers()["X"] = "snow \u2603"


def test_headers_int_values_stringified() -> None:
    h = Headers()
    h["Content-Length"] = 42
    h.add("X-Num", 7)
    assert h["content-length"] == "42"
    assert h.get("X-Num", type=int) == 7


def test_headers_lookup_methods() -> None:
    h = Headers([("X-A", "1"), ("X-B", "2"), ("X-A", "3")])
    assert h["x-a"] == "1"
    assert h["X-A"] == "1"
    assert h.get("X-A") == "1"
    assert h.get("missing") is None
    assert h.get("missing", "d") == "d"
    assert h.get("X-A", type=int) == 1
    assert h.get("X-B", type=lambda v: int("z")) is None
    assert h.getlist("X-A") == ["1", "3"]
    assert h.getlist("X-A", type=int) == [1, 3]
    assert h.get_all("x-a") == ["1", "3"]
    assert "X-A" in h and "x-b" in h and "nope" not in h
    assert cast(Any, 5) not in h
    assert h.items() == [("x-a", "1"), ("x-b", "2"), ("x-a", "3")]
    assert h.to_list() == h.items()
    with pytest.raises(BadRequestKeyError):
        h["missing"]
    with pytest.raises(KeyError):
        h["missing"]


def test_headers_add_with_params() -> None:
    h = Headers()
    h.add("Content-Disposition", "attachment", filename="a b.txt", foo_bar="x", skip=None)
    assert h["content-disposition"] == 'attachment; filename="a b.txt"; foo-bar=x'
    h.set("Content-Type", "text/plain", charset="utf-8")
    assert h["content-type"] == "text/plain; charset=utf-8"


def test_headers_set_and_setitem_replace() -> None:
    h = Headers([("A", "1"), ("B", "x"), ("A", "2")])
    h["a"] = "3"
    assert h.raw == [(b"a", b"3"), (b"b", b"x")]
    h.set("C", "4")
    assert h["c"] == "4"
    assert h.setdefault("C", "5") == "4"
    assert h.setdefault("D", "6") == "6"


def test_headers_update_replaces() -> None:
    h = Headers([("Set-Cookie", "a=1"), ("X", "old"), ("Keep", "k")])
    h.update({"X": "new"})
    assert h.getlist("x") == ["new"]
    h.update([("Set-Cookie", "b=2"), ("Set-Cookie", "c=3")])
    assert h.getlist("set-cookie") == ["b=2", "c=3"]
    h.update(Headers([("X", "1"), ("X", "2")]))
    assert h.getlist("x") == ["1", "2"]
    h.update({"Y": ["a", "b"]}, Z="z")
    assert h.getlist("y") == ["a", "b"]
    assert h["z"] == "z"
    h.update(StarletteHeaders({"keep": "k2"}))
    assert h.getlist("keep") == ["k2"]


def test_headers_extend_appends() -> None:
    h = Headers([("X", "1")])
    h.extend({"X": "2"})
    h.extend([("X", "3")], Y="y")
    h.extend(Headers([("X", "4")]))
    h.extend(MultiDict([("X", "5"), ("X", "6")]))
    assert h.getlist("x") == ["1", "2", "3", "4", "5", "6"]
    assert h["y"] == "y"


def test_headers_remove_pop() -> None:
    h = Headers([("A", "1"), ("B", "2"), ("A", "3")])
    assert h.pop("A") == "1"
    assert "a" not in h
    assert h.pop("missing", None) is None
    with pytest.raises(BadRequestKeyError):
        h.pop("missing")
    h.add("C", "3")
    assert h.pop() == ("c", "3")
    assert h.popitem() == ("b", "2")
    h.extend([("D", "1"), ("D", "2")])
    h.remove("d")
    h.remove("not-there")
    assert len(h) == 0


def test_headers_share_raw_list() -> None:
    raw: list[tuple[bytes, bytes]] = [(b"content-type", b"text/plain")]
    h = Headers(raw=raw)
    h["X-Test"] = "1"
    h.add("X-Multi", "a")
    h.update({"Content-Type": "text/html"})
    assert raw is h.raw
    assert raw == [(b"content-type", b"text/html"), (b"x-test", b"1"), (b"x-multi", b"a")]
    h.remove("x-test")
    assert (b"x-test", b"1") not in raw
    h.clear()
    assert raw == []


def test_headers_copy_is_independent() -> None:
    h = Headers([("A", "1")])
    c = h.copy()
    c["A"] = "2"
    assert h["a"] == "1"
    assert isinstance(h.mutablecopy(), Headers)
    merged = h | {"B": "2"}
    assert merged["b"] == "2" and "b" not in h
    h |= {"A": "3"}
    assert h.getlist("a") == ["3"]


def test_headers_constructor_validation() -> None:
    with pytest.raises(TypeError):
        Headers({"a": "b"}, raw=[])
    scope: dict[str, Any] = {"headers": [(b"a", b"1")]}
    h = Headers(scope=scope)
    h["b"] = "2"
    assert scope["headers"] == [(b"a", b"1"), (b"b", b"2")]


def test_headers_starlette_compat() -> None:
    h = Headers({"Content-Type": "text/plain"})
    assert isinstance(h, StarletteHeaders)
    h.add_vary_header("Accept")
    h.add_vary_header("Cookie")
    assert h["vary"] == "Accept, Cookie"
    assert list(h.keys()) == ["content-type", "vary"]
    assert str(h).startswith("content-type: text/plain\r\n")


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
    assert h.get("nope", "d") == "d"
    with pytest.raises(BadRequestKeyError) as info:
        h["Authorization"]
    assert info.value.code == 400
    assert not hasattr(h, "__setitem__")


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


def test_filestorage_basics(tmp_path: Path) -> None:
    fs = FileStorage(
        io.BytesIO(b"hello world"),
        filename="hello.txt",
        name="upload",
        content_type="Text/Plain; charset=utf-8",
    )
    assert fs
    assert fs.filename == "hello.txt"
    assert fs.name == "upload"
    assert fs.content_type == "Text/Plain; charset=utf-8"
    assert fs.mimetype == "text/plain"
    assert fs.mimetype_params == {"charset": "utf-8"}
    assert fs.content_length == 0
    assert fs.read(5) == b"hello"
    fs.seek(0)
    target = tmp_path / "out.txt"
    fs.save(target)
    assert target.read_bytes() == b"hello world"
    fs.seek(6)
    fs.save(str(tmp_path / "tail.txt"))
    assert (tmp_path / "tail.txt").read_bytes() == b"world"
    fs.seek(0)
    buffer = io.BytesIO()
    fs.save(buffer)
    assert buffer.getvalue() == b"hello world"
    assert not buffer.closed
    assert fs.tell() == 11  # forwarded attributes work too
    assert fs.readable()
    assert "hello.txt" in repr(fs)
    fs.close()
    assert fs.stream.closed


def test_filestorage_empty_and_iteration() -> None:
    empty = FileStorage()
    assert not empty
    assert empty.filename is None
    assert empty.read() == b""
    lines = FileStorage(io.BytesIO(b"a\nb\n"), filename="x")
    assert list(lines) == [b"a\n", b"b\n"]
    sized = FileStorage(io.BytesIO(b"abc"), filename="x", content_length=3)
    assert sized.content_length == 3


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
    assert fs.filename == "../../etc/passwd"  # raw, as the client sent it
    assert fs.name == "avatar"
    assert fs.content_type == "image/png"
    assert fs.mimetype == "image/png"
    assert fs.content_length == len(b"\x89PNG data")
    assert fs.stream is upload.file
    fs.save(tmp_path / "a.png")
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
