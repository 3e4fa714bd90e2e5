"""`LocalProxy`: forwards everything to the object bound in the current context."""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any

import pytest

from aioflask import Flask, Request, current_app, g, request, session
from aioflask._proxy import LocalProxy

_var: ContextVar[Any] = ContextVar("test_proxy_target")


def _get() -> Any:
    try:
        return _var.get()
    except LookupError:
        raise RuntimeError("nothing bound") from None


proxy: Any = LocalProxy(_get, "thing")


class Target:
    def __init__(self) -> None:
        self.attr = 1
        self.items: dict[str, int] = {"a": 1}

    def __getitem__(self, key: str) -> int:
        return self.items[key]

    def __setitem__(self, key: str, value: int) -> None:
        self.items[key] = value

    def __delitem__(self, key: str) -> None:
        del self.items[key]

    def __contains__(self, key: object) -> bool:
        return key in self.items

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __call__(self, x: int) -> int:
        return x * 2

    def __str__(self) -> str:
        return "target-str"

    def __repr__(self) -> str:
        return "<Target>"

    def method(self) -> str:
        return "called"


def test_forwards_attributes_items_and_calls() -> None:
    target = Target()
    token = _var.set(target)
    try:
        assert proxy.attr == 1
        proxy.attr = 2
        assert target.attr == 2
        proxy.new = "n"
        assert target.new == "n"  # type: ignore[attr-defined]
        del proxy.new
        assert not hasattr(target, "new")
        assert proxy.method() == "called"
        assert proxy["a"] == 1
        proxy["b"] = 2
        assert target.items["b"] == 2
        del proxy["b"]
        assert "b" not in proxy
        assert "a" in proxy
        assert list(proxy) == ["a"]
        assert len(proxy) == 1
        assert proxy(21) == 42
        assert bool(proxy) is True
        assert str(proxy) == "target-str"
        assert repr(proxy) == "<Target>"
        assert "method" in dir(proxy)
        assert proxy._get_current_object() is target
        assert proxy == target
        assert not (proxy != target)
        assert isinstance(proxy, Target)
        assert proxy.__class__ is Target
        assert hash(proxy) == hash(target)
        with pytest.raises(AttributeError):
            _ = proxy.missing  # type: ignore[attr-defined]
    finally:
        _var.reset(token)


def test_falsy_target_makes_a_falsy_proxy() -> None:
    token = _var.set([])
    try:
        assert not proxy
        assert proxy == []
    finally:
        _var.reset(token)


def test_unbound_proxy() -> None:
    assert not proxy
    assert repr(proxy) == "<unbound thing proxy>"
    assert dir(proxy) == []
    assert not isinstance(proxy, Target)
    assert type(proxy) is LocalProxy
    with pytest.raises(RuntimeError, match="nothing bound"):
        _ = proxy.attr
    with pytest.raises(RuntimeError):
        proxy.attr = 1
    with pytest.raises(RuntimeError):
        proxy["a"]
    with pytest.raises(RuntimeError):
        str(proxy)
    with pytest.raises(RuntimeError):
        _ = proxy == 1
    with pytest.raises(TypeError, match="unhashable"):
        hash(proxy)


def test_flask_globals_behave_like_their_targets() -> None:
    app = Flask(__name__)
    app.secret_key = "k"
    assert not isinstance(request, Request)
    with app.test_request_context("/"):
        assert isinstance(request, Request)
        assert isinstance(current_app, Flask)
        assert current_app == app
        assert {current_app: 1}[app] == 1
        assert request.__class__ is Request
        g.x = 1
        assert list(g) == ["x"]
        assert "x" in g
        assert repr(g).startswith("<aioflask.g of ")
        session["a"] = 1
        assert "a" in session
        assert len(session) == 1
        assert dict(session) == {"a": 1}
        del session["a"]
        assert len(session) == 0
        assert bool(request)


async def test_await_through_the_proxy_in_a_helper() -> None:
    app = Flask(__name__)

    async def helper() -> Any:
        return await request.json

    async with app.test_request_context("/", method="POST", json={"a": 1}):
        assert await helper() == {"a": 1}
        assert request.json == {"a": 1}
        assert await request.get_json() == {"a": 1}
        assert json.loads(await request.data) == {"a": 1}


def test_plain_access_through_the_proxy_from_sync_code() -> None:
    app = Flask(__name__)
    with app.test_request_context("/", method="POST", json=[1, 2]):
        value = request.json
        assert value == [1, 2]
        assert request.get_json()[0] == 1
        assert getattr(request, "json") == [1, 2]  # noqa: B009
