from __future__ import annotations

import dataclasses
import decimal
import io
import json as stdlib_json
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from markupsafe import Markup

import aioflask.json as ajson
from aioflask.globals import _cv_app
from aioflask.json.provider import DefaultJSONProvider, JSONProvider


class FakeResponse:
    def __init__(self, body: str, mimetype: str | None = None) -> None:
        self.body = body
        self.mimetype = mimetype


class FakeApp:
    def __init__(self, debug: bool = False) -> None:
        self.debug = debug
        self.response_class = FakeResponse
        self.json = DefaultJSONProvider(self)  # type: ignore[arg-type]


class FakeCtx:
    def __init__(self, app: FakeApp) -> None:
        self.app = app


@pytest.fixture
def app() -> FakeApp:
    return FakeApp()


@pytest.fixture
def app_ctx(app: FakeApp) -> Iterator[FakeApp]:
    token = _cv_app.set(FakeCtx(app))  # type: ignore[arg-type]
    try:
        yield app
    finally:
        _cv_app.reset(token)


@dataclasses.dataclass
class Point:
    x: int
    y: str


def body(response: Any) -> str:
    assert isinstance(response, FakeResponse)
    assert response.mimetype == "application/json"
    return response.body


# -- provider.response -------------------------------------------------------------


def test_response_compact_with_trailing_newline(app: FakeApp) -> None:
    out = body(app.json.response({"b": 1, "a": [1, 2]}))
    assert out == '{"a":[1,2],"b":1}\n'


def test_response_debug_indents(app: FakeApp) -> None:
    app.debug = True
    out = body(app.json.response({"b": 1, "a": [1, 2]}))
    assert out == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'


def test_response_compact_attribute(app: FakeApp) -> None:
    provider = app.json
    assert isinstance(provider, DefaultJSONProvider)
    provider.compact = False
    assert body(provider.response([1])) == "[\n  1\n]\n"
    app.debug = True
    provider.compact = True
    assert body(provider.response([1])) == "[1]\n"


def test_response_argument_rules(app: FakeApp) -> None:
    assert body(app.json.response()) == "null\n"
    assert body(app.json.response([1, 2])) == "[1,2]\n"
    assert body(app.json.response(1, 2, "x")) == '[1,2,"x"]\n'
    assert body(app.json.response(b=2, a=1)) == '{"a":1,"b":2}\n'
    assert body(app.json.response("s")) == '"s"\n'
    with pytest.raises(TypeError, match="not both"):
        app.json.response(1, a=2)


def test_response_mimetype_attribute(app: FakeApp) -> None:
    provider = app.json
    assert isinstance(provider, DefaultJSONProvider)
    provider.mimetype = "application/vnd.api+json"
    assert provider.response({}).mimetype == "application/vnd.api+json"


def test_response_follows_setting_changes(app: FakeApp) -> None:
    provider = app.json
    assert isinstance(provider, DefaultJSONProvider)
    assert body(provider.response({"é": 1})) == '{"\\u00e9":1}\n'
    provider.ensure_ascii = False
    provider.sort_keys = False
    assert body(provider.response({"é": 1, "a": 2})) == '{"é":1,"a":2}\n'


def test_response_uses_overridden_dumps() -> None:
    class Custom(DefaultJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return "custom"

    app = FakeApp()
    app.json = Custom(app)  # type: ignore[arg-type]
    assert body(app.json.response({"a": 1})) == "custom\n"


def test_base_provider() -> None:
    class Minimal(JSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return stdlib_json.dumps(obj, **kwargs)

        def loads(self, s: str | bytes, **kwargs: Any) -> Any:
            return stdlib_json.loads(s, **kwargs)

    app = FakeApp()
    provider = Minimal(app)  # type: ignore[arg-type]
    assert body(provider.response(a=1)) == '{"a": 1}'
    fp = io.StringIO()
    provider.dump([1], fp)
    assert fp.getvalue() == "[1]"
    assert provider.load(io.StringIO("[2]")) == [2]
    with pytest.raises(NotImplementedError):
        JSONProvider(app).dumps(1)  # type: ignore[arg-type]


def test_provider_holds_weak_reference() -> None:
    import gc

    app = FakeApp()
    provider = app.json
    del app
    gc.collect()
    with pytest.raises(ReferenceError):
        provider.response(1)


# -- dumps / default -----------------------------------------------------------------


def test_dumps_defaults(app: FakeApp) -> None:
    assert app.json.dumps({"b": 1, "a": "é"}) == '{"a": "\\u00e9", "b": 1}'
    assert app.json.dumps({"b": 1, "a": 2}, sort_keys=False) == '{"b": 1, "a": 2}'


def test_dumps_extra_types(app: FakeApp) -> None:
    value = [
        datetime(2020, 1, 2, 3, 4, 5),
        date(2020, 1, 2),
        datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
        decimal.Decimal("1.10"),
        uuid.UUID(int=5),
        Point(1, "a"),
        Markup("<b>x</b>"),
    ]
    assert stdlib_json.loads(app.json.dumps(value)) == [
        "Thu, 02 Jan 2020 03:04:05 GMT",
        "Thu, 02 Jan 2020 00:00:00 GMT",
        "Thu, 02 Jan 2020 01:04:05 GMT",
        "1.10",
        "00000000-0000-0000-0000-000000000005",
        {"x": 1, "y": "a"},
        "<b>x</b>",
    ]


def test_default_type_error() -> None:
    class Thing:
        pass

    with pytest.raises(TypeError, match="Object of type Thing is not JSON serializable"):
        DefaultJSONProvider.default(Thing())
    with pytest.raises(TypeError, match="Object of type type is not JSON serializable"):
        DefaultJSONProvider.default(Point)
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        FakeApp().json.dumps({1, 2})


# -- loads ----------------------------------------------------------------------------


def test_loads(app: FakeApp) -> None:
    assert app.json.loads('{"a": [1, 2]}') == {"a": [1, 2]}
    assert app.json.loads(b'{"a": "\xc3\xa9"}') == {"a": "é"}
    assert app.json.load(io.BytesIO(b"[1]")) == [1]
    with pytest.raises(ValueError):
        app.json.loads("{bad")


def test_loads_deep_nesting_is_value_error(app: FakeApp) -> None:
    with pytest.raises(ValueError, match="nested too deeply"):
        app.json.loads("[" * 100000)
    with pytest.raises(ValueError, match="nested too deeply"):
        app.json.loads(b"[" * 100000)
    with pytest.raises(ValueError):
        ajson.loads('{"a":' * 100000)


# -- module functions ------------------------------------------------------------------


def test_module_functions_without_app_context() -> None:
    assert _cv_app.get(None) is None
    # Outside a context the standard library's defaults apply (no key sorting),
    # as in Flask, plus the extra-types hook.
    assert ajson.dumps({"b": 1, "a": date(2020, 1, 2)}) == (
        '{"b": 1, "a": "Thu, 02 Jan 2020 00:00:00 GMT"}'
    )
    assert ajson.dumps("é") == '"\\u00e9"'
    fp = io.StringIO()
    ajson.dump({"a": decimal.Decimal("2")}, fp)
    assert fp.getvalue() == '{"a": "2"}'
    assert ajson.loads("[1]") == [1]
    assert ajson.load(io.StringIO('{"x": 1}')) == {"x": 1}


def test_jsonify_requires_app_context() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        ajson.jsonify({"a": 1})


def test_module_functions_use_app_provider(app_ctx: FakeApp) -> None:
    assert ajson.dumps({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    provider = app_ctx.json
    assert isinstance(provider, DefaultJSONProvider)
    provider.sort_keys = False
    assert ajson.dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'
    fp = io.StringIO()
    ajson.dump([1], fp)
    assert fp.getvalue() == "[1]"
    assert ajson.loads("[1]") == [1]
    assert ajson.load(io.StringIO("[3]")) == [3]


def test_jsonify(app_ctx: FakeApp) -> None:
    assert body(ajson.jsonify(a=1, b=[1, 2])) == '{"a":1,"b":[1,2]}\n'
    assert body(ajson.jsonify([1, 2])) == "[1,2]\n"
    assert body(ajson.jsonify(1, 2)) == "[1,2]\n"
    assert body(ajson.jsonify()) == "null\n"
    with pytest.raises(TypeError):
        ajson.jsonify(1, a=1)
    app_ctx.debug = True
    assert body(ajson.jsonify(a=1)) == '{\n  "a": 1\n}\n'


def test_jsonify_real_response() -> None:
    wrappers = pytest.importorskip("aioflask.wrappers")
    app = FakeApp()
    app.response_class = wrappers.Response
    response: Any = app.json.response({"a": "é"})
    assert response.body == b'{"a":"\\u00e9"}\n'
    assert response.headers["content-type"] == "application/json"
