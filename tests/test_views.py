"""Class-based views: `View` and `MethodView` (FLASK_API.md §17)."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aioflask import Flask, g, request
from aioflask.views import MethodView, View, http_method_funcs
from tests.docsnippets import python_blocks, run_block


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


def allow(r: httpx.Response) -> set[str]:
    return {m.strip() for m in r.headers["Allow"].split(",")}


# -- View --------------------------------------------------------------------------------------


async def test_view_with_async_dispatch_request(app: Flask) -> None:
    class Hello(View):
        async def dispatch_request(self, name: str) -> str:
            return f"hello {name} via {request.method}"

    app.add_url_rule("/hello/<name>", view_func=Hello.as_view("hello"))
    async with client_for(app) as client:
        r = await client.get("/hello/ada")
    assert (r.status_code, r.text) == (200, "hello ada via GET")


async def test_view_with_sync_dispatch_request_runs_on_the_request_thread(app: Flask) -> None:
    loop_thread = threading.get_ident()

    @app.before_request
    def remember_thread() -> None:
        g.hook_thread = threading.get_ident()

    class Where(View):
        def dispatch_request(self) -> dict[str, Any]:
            here = threading.get_ident()
            return {"off_loop": here != loop_thread, "same_as_hook": here == g.hook_thread}

    app.add_url_rule("/", view_func=Where.as_view("where"))
    async with client_for(app) as client:
        r = await client.get("/")
    assert r.json() == {"off_loop": True, "same_as_hook": True}


async def test_as_view_passes_constructor_arguments(app: Flask) -> None:
    class Greeter(View):
        def __init__(self, greeting: str, *, punctuation: str = ".") -> None:
            self.greeting = greeting
            self.punctuation = punctuation

        async def dispatch_request(self) -> str:
            return f"{self.greeting}{self.punctuation}"

    app.add_url_rule("/a", view_func=Greeter.as_view("a", "Hi", punctuation="!"))
    app.add_url_rule("/b", view_func=Greeter.as_view("b", "Bye"))
    async with client_for(app) as client:
        assert (await client.get("/a")).text == "Hi!"
        assert (await client.get("/b")).text == "Bye."


@pytest.mark.parametrize("every_request", [True, False])
async def test_init_every_request(app: Flask, every_request: bool) -> None:
    created: list[int] = []

    class Counter(View):
        init_every_request = every_request

        def __init__(self) -> None:
            created.append(1)
            self.hits = 0

        async def dispatch_request(self) -> str:
            self.hits += 1
            return str(self.hits)

    view = Counter.as_view("count")
    created_at_registration = len(created)
    app.add_url_rule("/", view_func=view)
    async with client_for(app) as client:
        bodies = [(await client.get("/")).text for _ in range(3)]
    if every_request:
        assert created_at_registration == 0
        assert bodies == ["1", "1", "1"]
        assert len(created) == 3
    else:
        assert created_at_registration == 1
        assert bodies == ["1", "2", "3"]
        assert len(created) == 1


def test_as_view_function_attributes() -> None:
    class Documented(View):
        """The class docstring."""

        methods = ["GET", "POST"]
        provide_automatic_options = False

        async def dispatch_request(self) -> str:
            return ""

    view: Any = Documented.as_view("doc_endpoint")
    assert view.view_class is Documented
    assert view.__name__ == "doc_endpoint"
    assert view.__doc__ == "The class docstring."
    assert view.__module__ == __name__
    assert view.methods == ["GET", "POST"]
    assert view.provide_automatic_options is False


async def test_view_methods_limit_the_route(app: Flask) -> None:
    class PostOnly(View):
        methods = ["POST"]

        async def dispatch_request(self) -> str:
            return "posted"

    app.add_url_rule("/", view_func=PostOnly.as_view("post_only"))
    async with client_for(app) as client:
        assert (await client.post("/")).text == "posted"
        r = await client.get("/")
    assert r.status_code == 405
    assert allow(r) == {"POST", "OPTIONS"}


async def test_view_provide_automatic_options_false(app: Flask) -> None:
    class NoOptions(View):
        provide_automatic_options = False

        async def dispatch_request(self) -> str:
            return "ok"

    app.add_url_rule("/", view_func=NoOptions.as_view("no_options"))
    async with client_for(app) as client:
        r = await client.options("/")
    assert r.status_code == 405


async def test_decorators_are_applied_in_order_and_see_the_endpoint_name(app: Flask) -> None:
    seen_names: list[str] = []

    def tag(label: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            seen_names.append(view.__name__)

            @functools.wraps(view)
            async def wrapped(**kwargs: Any) -> Any:
                rv = await view(**kwargs)
                return f"{label}({rv})"

            return wrapped

        return decorator

    class Tagged(View):
        decorators = [tag("inner"), tag("outer")]

        async def dispatch_request(self) -> str:
            return "view"

    app.add_url_rule("/", view_func=Tagged.as_view("tagged"))
    async with client_for(app) as client:
        assert (await client.get("/")).text == "outer(inner(view))"
    assert seen_names == ["tagged", "tagged"]


async def test_flask_style_sync_decorator_wraps_the_view(app: Flask) -> None:
    def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
        # Written for Flask: plain def, calls the view and returns its result.
        @functools.wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            if request.args.get("user") is None:
                return "login first", 401
            return view(**kwargs)

        return wrapped

    class Secret(View):
        decorators = [login_required]

        async def dispatch_request(self) -> str:
            return f"secret for {request.args['user']}"

    app.add_url_rule("/", view_func=Secret.as_view("secret"))
    async with client_for(app) as client:
        denied = await client.get("/")
        allowed = await client.get("/?user=ada")
    assert (denied.status_code, denied.text) == (401, "login first")
    assert (allowed.status_code, allowed.text) == (200, "secret for ada")


async def test_view_without_dispatch_request_is_a_500_with_a_clear_log(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    app.add_url_rule("/", view_func=View.as_view("bare"))
    async with client_for(app) as client:
        r = await client.get("/")
    assert r.status_code == 500
    assert "dispatch_request" not in r.text
    assert "must define 'dispatch_request'" in caplog.text


def test_view_class_swap_through_the_attribute(app: Flask) -> None:
    class First(View):
        def dispatch_request(self) -> str:
            return "first"

    class Second(View):
        def dispatch_request(self) -> str:
            return "second"

    view: Any = First.as_view("swap")
    view.view_class = Second
    app.add_url_rule("/", view_func=view)
    assert app.test_client().get("/").text == "second"


# -- MethodView --------------------------------------------------------------------------------


class ItemAPI(MethodView):
    async def get(self, id: int) -> dict[str, Any]:
        return {"id": id, "method": request.method}

    def post(self, id: int) -> tuple[dict[str, Any], int]:
        return {"created": id, "thread": threading.current_thread().name != "MainThread"}, 201


def test_method_view_collects_methods_from_handlers() -> None:
    assert ItemAPI.methods == {"GET", "POST"}
    assert http_method_funcs == {
        "get",
        "post",
        "head",
        "options",
        "delete",
        "put",
        "trace",
        "patch",
    }


async def test_method_view_dispatches_by_method(app: Flask) -> None:
    app.add_url_rule("/items/<int:id>", view_func=ItemAPI.as_view("item"))
    async with client_for(app) as client:
        got = await client.get("/items/3")
        posted = await client.post("/items/4")
        head = await client.head("/items/5")
    assert got.json() == {"id": 3, "method": "GET"}
    assert (posted.status_code, posted.json()) == (201, {"created": 4, "thread": True})
    # HEAD falls back to `get` (which sees HEAD as the method); the body is dropped.
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["Content-Length"]) == len(b'{"id":5,"method":"HEAD"}\n')


async def test_method_view_unknown_method_is_405_with_allow(app: Flask) -> None:
    app.add_url_rule("/items/<int:id>", view_func=ItemAPI.as_view("item"))
    async with client_for(app) as client:
        r = await client.put("/items/1")
        options = await client.options("/items/1")
    assert r.status_code == 405
    assert allow(r) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert options.status_code == 200
    assert allow(options) == {"GET", "HEAD", "POST", "OPTIONS"}


async def test_method_view_explicit_head_handler_wins(app: Flask) -> None:
    class WithHead(MethodView):
        async def get(self) -> str:
            return "body"

        async def head(self) -> Any:
            return "", 204, {"X-Head": "own"}

    app.add_url_rule("/", view_func=WithHead.as_view("with_head"))
    async with client_for(app) as client:
        r = await client.head("/")
    assert (r.status_code, r.headers["X-Head"]) == (204, "own")


async def test_method_view_inherits_methods_from_bases_and_mixins(app: Flask) -> None:
    class DeleteMixin:
        def delete(self) -> tuple[str, int]:
            return "", 204

    class Base(MethodView):
        async def get(self) -> str:
            return "base get"

    class Child(DeleteMixin, Base):
        async def post(self) -> str:
            return "child post"

    assert Child.methods == {"GET", "POST", "DELETE"}
    app.add_url_rule("/", view_func=Child.as_view("child"))
    async with client_for(app) as client:
        assert (await client.get("/")).text == "base get"
        assert (await client.post("/")).text == "child post"
        assert (await client.delete("/")).status_code == 204


def test_method_view_explicit_methods_are_kept() -> None:
    class Explicit(MethodView):
        methods = ["GET"]

        async def get(self) -> str:
            return ""

        async def post(self) -> str:
            return ""

    class Sub(Explicit):
        async def put(self) -> str:
            return ""

    assert Explicit.methods == ["GET"]
    # As in Flask: a subclass collects again, and `post` is inherited.
    assert set(Sub.methods or ()) == {"GET", "POST", "PUT"}
    assert MethodView.methods is None


async def test_method_view_listed_method_without_handler_is_a_500(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    class Missing(MethodView):
        methods = ["GET", "POST"]

        async def get(self) -> str:
            return "ok"

    app.add_url_rule("/", view_func=Missing.as_view("missing"))
    async with client_for(app) as client:
        r = await client.post("/")
    assert r.status_code == 500
    [record] = [rec for rec in caplog.records if rec.levelno == logging.ERROR]
    assert record.exc_info is not None
    assert "has no 'post' handler" in str(record.exc_info[1])


async def test_method_view_shared_instance(app: Flask) -> None:
    class Counter(MethodView):
        init_every_request = False

        def __init__(self) -> None:
            self.count = 0

        def get(self) -> str:
            self.count += 1
            return str(self.count)

    app.add_url_rule("/", view_func=Counter.as_view("counter"))
    async with client_for(app) as client:
        assert [(await client.get("/")).text for _ in range(3)] == ["1", "2", "3"]


def test_method_view_with_the_sync_test_client(app: Flask) -> None:
    app.add_url_rule("/items/<int:id>", view_func=ItemAPI.as_view("item"))
    client = app.test_client()
    assert client.get("/items/7").get_json() == {"id": 7, "method": "GET"}
    assert client.post("/items/8").status_code == 201


async def test_views_do_not_grow_the_async_cache(app: Flask) -> None:
    # Bound methods are new objects on every request: caching them would keep
    # every view instance alive.
    app.add_url_rule("/items/<int:id>", view_func=ItemAPI.as_view("item"))
    async with client_for(app) as client:
        await client.get("/items/1")
        await client.post("/items/1")
        size = len(app._async_cache)
        for _ in range(20):
            await client.get("/items/1")
            await client.post("/items/1")
    assert len(app._async_cache) == size


async def test_url_for_a_class_based_endpoint(app: Flask) -> None:
    class Link(MethodView):
        async def get(self, id: int) -> str:
            from aioflask import url_for

            return url_for("link", id=id + 1)

    app.add_url_rule("/links/<int:id>", view_func=Link.as_view("link"))
    async with client_for(app) as client:
        assert (await client.get("/links/1")).text == "/links/2"


@pytest.mark.parametrize(("line", "code"), python_blocks("views.md"))
def test_docs_examples(tmp_path: Path, line: int, code: str) -> None:
    run_block("views.md", line, code, tmp_path)
