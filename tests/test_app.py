"""The app end to end over ASGI: routing, url_for, ASGI glue, lifespan and concurrency."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aioflask import Flask, Response, current_app, g, request, url_for
from aioflask.routing import BaseConverter, BuildError


def client_for(app: Any, root_path: str = "") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, root_path=root_path), base_url="http://localhost"
    )


async def get(app: Flask, path: str = "/", method: str = "GET") -> httpx.Response:
    async with client_for(app) as client:
        return await client.request(method, path)


async def raw_call(app: Any, scope: dict[str, Any]) -> list[Message]:
    """Call `app` with a bare ASGI scope (no client normalisation); return what it sent."""
    full: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 1234),
    }
    full.update(scope)
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(full, receive, send)
    return sent


# -- routes ----------------------------------------------------------------------------------


async def test_route_with_methods_endpoint_and_defaults(app: Flask) -> None:
    @app.route("/items/", defaults={"page": 1}, endpoint="items", methods=["GET", "POST"])
    @app.route("/items/page/<int:page>", endpoint="items", methods=["GET", "POST"])
    def list_items(page: int) -> str:
        return f"{request.method} {request.endpoint} page {page}"

    assert app.view_functions["items"] is list_items
    assert (await get(app, "/items/")).text == "GET items page 1"
    assert (await get(app, "/items/page/3", method="POST")).text == "POST items page 3"
    # The URL equal to the defaults redirects to the canonical one.
    r = await get(app, "/items/page/1")
    assert r.status_code == 308
    assert r.headers["Location"] == "http://localhost/items/"


async def test_stacked_routes_share_one_view(app: Flask) -> None:
    @app.route("/")
    @app.route("/home")
    @app.route("/index.html")
    async def home() -> str:
        return request.path

    for path in ("/", "/home", "/index.html"):
        assert (await get(app, path)).text == path


async def test_add_url_rule(app: Flask) -> None:
    def show(name: str) -> str:
        return f"hi {name}"

    app.add_url_rule("/hi/<name>", view_func=show)
    app.add_url_rule("/other/<name>", "other", show)
    assert (await get(app, "/hi/bob")).text == "hi bob"
    assert (await get(app, "/other/al")).text == "hi al"
    assert set(app.view_functions) >= {"show", "other"}


async def test_add_url_rule_then_endpoint_decorator(app: Flask) -> None:
    app.add_url_rule("/late", endpoint="late")

    @app.endpoint("late")
    def late_view() -> str:
        return "bound later"

    assert (await get(app, "/late")).text == "bound later"


@pytest.mark.parametrize("method", ["get", "post", "put", "delete", "patch"])
async def test_method_shortcuts(app: Flask, method: str) -> None:
    getattr(app, method)("/thing")(lambda: f"{request.method} ok")
    r = await get(app, "/thing", method=method.upper())
    assert (r.status_code, r.text) == (200, f"{method.upper()} ok")
    other = "POST" if method != "post" else "PUT"
    r = await get(app, "/thing", method=other)
    assert r.status_code == 405


async def test_view_function_methods_attribute(app: Flask) -> None:
    def view() -> str:
        return request.method

    view.methods = ["PUT"]  # type: ignore[attr-defined]
    app.add_url_rule("/", view_func=view)
    assert (await get(app, method="PUT")).text == "PUT"
    assert (await get(app)).status_code == 405


async def test_strict_slashes_redirect_keeps_query_string(app: Flask) -> None:
    @app.route("/projects/")
    def projects() -> str:
        return "projects"

    r = await get(app, "/projects?a=1")
    assert r.status_code == 308
    assert r.headers["Location"] == "http://localhost/projects/?a=1"
    r = await get(app, "/projects?a=1&b=%20x")
    assert r.headers["Location"] == "http://localhost/projects/?a=1&b=%20x"
    assert (await get(app, "/projects/")).text == "projects"


async def test_redirect_for_post_keeps_the_method(app: Flask) -> None:
    @app.route("/form/", methods=["POST"])
    def form() -> str:
        return "posted"

    async with client_for(app) as client:
        r = await client.post("/form", follow_redirects=True)
    assert (r.status_code, r.text) == (200, "posted")


async def test_extra_trailing_slash_is_404(app: Flask) -> None:
    @app.route("/about")
    def about() -> str:
        return "about"

    assert (await get(app, "/about/")).status_code == 404
    assert (await get(app, "/about")).text == "about"


async def test_strict_slashes_false(app: Flask) -> None:
    @app.route("/loose/", strict_slashes=False)
    def loose() -> str:
        return "loose"

    r = await get(app, "/loose")
    assert (r.status_code, r.text) == (200, "loose")


async def test_method_mismatch_on_slash_redirect_is_404(app: Flask) -> None:
    @app.route("/slash/")
    def slash() -> str:
        return "x"

    assert (await get(app, "/slash", method="POST")).status_code == 404


async def test_head_is_automatic(app: Flask) -> None:
    methods: list[str] = []

    @app.route("/")
    def index() -> str:
        methods.append(request.method)
        return "hello"

    r = await get(app, method="HEAD")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["Content-Length"] == "5"
    assert methods == ["HEAD"]


async def test_options_is_automatic(app: Flask) -> None:
    calls: list[str] = []

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        calls.append("view")
        return "x"

    r = await get(app, method="OPTIONS")
    assert r.status_code == 200
    assert r.content == b""
    assert sorted(r.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS", "POST"]
    assert calls == []


async def test_options_allow_lists_all_rules_for_the_path(app: Flask) -> None:
    @app.get("/")
    def read() -> str:
        return "r"

    @app.post("/")
    def write() -> str:
        return "w"

    r = await get(app, method="OPTIONS")
    assert sorted(r.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS", "POST"]
    assert (await get(app, method="POST")).text == "w"


async def test_options_disabled_per_view(app: Flask) -> None:
    @app.route("/", provide_automatic_options=False)
    def index() -> str:
        return "x"

    r = await get(app, method="OPTIONS")
    assert r.status_code == 405
    assert "OPTIONS" not in r.headers["Allow"]


async def test_options_disabled_by_config(app: Flask) -> None:
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False

    @app.route("/")
    def index() -> str:
        return "x"

    assert (await get(app, method="OPTIONS")).status_code == 405


async def test_options_handled_by_the_view_when_listed(app: Flask) -> None:
    @app.route("/", methods=["GET", "OPTIONS"])
    def index() -> str:
        return f"view {request.method}"

    assert (await get(app, method="OPTIONS")).text == "view OPTIONS"


async def test_405_has_allow_header(app: Flask) -> None:
    @app.route("/", methods=["POST", "PUT"])
    def index() -> str:
        return "x"

    r = await get(app)
    assert r.status_code == 405
    assert sorted(r.headers["Allow"].split(", ")) == ["OPTIONS", "POST", "PUT"]
    assert "<title>405 Method Not Allowed</title>" in r.text


@pytest.mark.parametrize("method", ["FOO", "X" * 300, "PROPFIND", "CONNECT"])
async def test_unknown_methods_give_405(app: Flask, method: str) -> None:
    @app.route("/")
    def index() -> str:
        return "x"

    r = await get(app, method=method)
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"]


@pytest.mark.parametrize("method", ["get", "Get", "", "G T", "GET\x00"])
async def test_odd_methods_in_a_raw_scope_do_not_crash(app: Flask, method: str) -> None:
    @app.route("/")
    def index() -> str:
        return request.method

    sent = await raw_call(app, {"method": method})
    assert sent[0]["status"] in (200, 400, 405)


async def test_lowercase_method_is_upper_cased_like_werkzeug(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return request.method

    sent = await raw_call(app, {"method": "get"})
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"GET"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/p/h%C3%A9llo", "héllo"),
        ("/p/a%20b", "a b"),
        ("/p/%E6%97%A5%E6%9C%AC", "日本"),
        ("/rest/a/b%2Fc", "a/b/c"),
        ("/rest/x%20y/z", "x y/z"),
    ],
)
async def test_path_is_decoded_into_view_args(app: Flask, path: str, expected: str) -> None:
    @app.route("/p/<name>")
    def p(name: str) -> str:
        return name

    @app.route("/rest/<path:rest>")
    def rest(rest: str) -> str:
        return rest

    r = await get(app, path)
    assert (r.status_code, r.text) == (200, expected)


async def test_encoded_slash_does_not_match_a_single_segment(app: Flask) -> None:
    # As in Flask (WSGI decodes PATH_INFO): `%2F` is a path separator.
    @app.route("/p/<name>")
    def p(name: str) -> str:
        return name

    assert (await get(app, "/p/a%2Fb")).status_code == 404


@pytest.mark.parametrize("name", ["f", "func", "self", "args", "kwargs", "ctx"])
async def test_any_rule_variable_name_reaches_the_view(app: Flask, name: str) -> None:
    async def async_view(**values: str) -> str:
        return values[name]

    def sync_view(**values: str) -> str:
        return values[name]

    app.add_url_rule(f"/a/<{name}>", "async_view", async_view)
    app.add_url_rule(f"/s/<{name}>", "sync_view", sync_view)
    assert (await get(app, "/a/x")).text == "x"
    assert (await get(app, "/s/y")).text == "y"


async def test_builtin_converters_through_the_app(app: Flask) -> None:
    @app.route("/i/<int:id>")
    def by_int(id: int) -> str:
        return f"{type(id).__name__}:{id}"

    @app.route("/u/<uuid:u>")
    def by_uuid(u: uuid.UUID) -> str:
        return f"{type(u).__name__}:{u}"

    @app.route("/f/<float:x>")
    def by_float(x: float) -> str:
        return f"{type(x).__name__}:{x}"

    value = uuid.uuid4()
    assert (await get(app, "/i/42")).text == "int:42"
    assert (await get(app, "/i/x")).status_code == 404
    assert (await get(app, "/i/-1")).status_code == 404
    assert (await get(app, f"/u/{value}")).text == f"UUID:{value}"
    assert (await get(app, "/u/not-a-uuid")).status_code == 404
    assert (await get(app, "/f/1.5")).text == "float:1.5"


class ListConverter(BaseConverter):
    def to_python(self, value: str) -> list[str]:
        return value.split(",")

    def to_url(self, value: Any) -> str:
        return ",".join(BaseConverter.to_url(self, v) for v in value)


async def test_custom_converter(app: Flask) -> None:
    app.url_map.converters["list"] = ListConverter

    @app.route("/tags/<list:tags>")
    def tags(tags: list[str]) -> dict[str, Any]:
        return {"tags": tags, "url": url_for("tags", tags=["x", "y z"])}

    r = await get(app, "/tags/a,b,c")
    assert r.json() == {"tags": ["a", "b", "c"], "url": "/tags/x,y%20z"}


async def test_pipeline_methods_can_be_called_flask_style(app: Flask) -> None:
    calls: list[str] = []

    @app.before_request
    def before() -> None:
        calls.append("before")

    @app.route("/hello")
    def hello() -> str:
        return "hi"

    async with app.test_request_context("/hello"):
        assert await app.preprocess_request() is None
        rv = await app.dispatch_request()
        response = await app.finalize_request(rv)
    assert calls == ["before"]
    assert response.get_data() == b"hi"
    async with app.test_request_context("/hello"):
        response = await app.full_dispatch_request()
    assert response.get_data() == b"hi"


# -- url_for -----------------------------------------------------------------------------------


def _url_app(app: Flask, results: dict[str, Any]) -> None:
    @app.route("/user/<username>")
    def profile(username: str) -> str:
        return username

    @app.route("/login")
    def login() -> str:
        return "login"

    @app.route("/post/<int:id>", methods=["POST"])
    def edit(id: int) -> str:
        return "edit"

    @app.route("/post/<int:id>", methods=["GET"])
    def show(id: int) -> str:
        return "show"

    @app.route("/")
    def index() -> str:
        results.update(
            profile=url_for("profile", username="John Doe"),
            login_next=url_for("login", next="/"),
            unknown=url_for("login", a="1", b=["2", "3"]),
            external=url_for("login", _external=True),
            scheme=url_for("login", _scheme="https", _external=True),
            anchor=url_for("login", _anchor="sec 1"),
            method=url_for("show", id=1, _method="GET"),
            static=url_for("static", filename="style.css"),
            path=request.path,
            script_root=request.script_root,
            url=request.url,
        )
        return "ok"


async def test_url_for_in_a_request(app: Flask) -> None:
    results: dict[str, Any] = {}
    _url_app(app, results)
    async with client_for(app) as client:
        assert (await client.get("/?x=1")).text == "ok"
    assert results == {
        "profile": "/user/John%20Doe",
        "login_next": "/login?next=/",
        "unknown": "/login?a=1&b=2&b=3",
        "external": "http://localhost/login",
        "scheme": "https://localhost/login",
        "anchor": "/login#sec%201",
        "method": "/post/1",
        "static": "/static/style.css",
        "path": "/",
        "script_root": "",
        "url": "http://localhost/?x=1",
    }


async def test_url_for_under_asgi_root_path(app: Flask) -> None:
    results: dict[str, Any] = {}
    _url_app(app, results)
    async with client_for(app, root_path="/myapp") as client:
        assert (await client.get("/myapp/?x=1")).text == "ok"
        assert (await client.get("/myapp/user/ann")).text == "ann"
    assert results["profile"] == "/myapp/user/John%20Doe"
    assert results["login_next"] == "/myapp/login?next=/"
    assert results["external"] == "http://localhost/myapp/login"
    assert results["static"] == "/myapp/static/style.css"
    assert results["path"] == "/"
    assert results["script_root"] == "/myapp"
    assert results["url"] == "http://localhost/myapp/?x=1"


async def test_redirect_under_root_path_keeps_the_prefix(app: Flask) -> None:
    @app.route("/projects/")
    def projects() -> str:
        return "projects"

    async with client_for(app, root_path="/myapp") as client:
        r = await client.get("/myapp/projects?a=1")
    assert r.status_code == 308
    assert r.headers["Location"] == "http://localhost/myapp/projects/?a=1"


async def test_url_scheme_with_external_false_is_an_error(app: Flask) -> None:
    errors: list[Exception] = []

    @app.route("/")
    def index() -> str:
        try:
            url_for("index", _scheme="https", _external=False)
        except ValueError as e:
            errors.append(e)
        return "x"

    await get(app)
    assert len(errors) == 1


async def test_url_defaults_and_value_preprocessor_language_code(app: Flask) -> None:
    @app.url_defaults
    def add_language_code(endpoint: str, values: dict[str, Any]) -> None:
        if "lang_code" in values or not g.get("lang_code"):
            return
        if app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
            values["lang_code"] = g.lang_code

    @app.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang_code = values.pop("lang_code", None) if values else None

    @app.route("/<lang_code>/")
    def index() -> str:
        return url_for("about")

    @app.route("/<lang_code>/about")
    def about() -> str:
        return f"about in {g.lang_code}: " + url_for("index", lang_code="en")

    assert (await get(app, "/de/")).text == "/de/about"
    assert (await get(app, "/fr/about")).text == "about in fr: /en/"


async def test_build_error_names_endpoint_and_missing_values(app: Flask) -> None:
    errors: list[str] = []

    @app.route("/user/<username>/<int:post_id>")
    def post(username: str, post_id: int) -> str:
        return "x"

    @app.route("/")
    def index() -> str:
        calls: list[tuple[str, dict[str, Any]]] = [
            ("post", {"username": "a"}),
            ("no_such_endpoint", {}),
        ]
        for endpoint, values in calls:
            try:
                url_for(endpoint, **values)
            except BuildError as e:
                errors.append(str(e))
        return "x"

    await get(app)
    missing, unknown = errors
    assert "'post'" in missing
    assert "post_id" in missing
    assert "'no_such_endpoint'" in unknown


def test_url_for_outside_request_needs_server_name(app: Flask) -> None:
    @app.route("/login")
    def login() -> str:
        return "x"

    with app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("login")


async def test_url_for_with_server_name_in_app_context(app: Flask) -> None:
    app.config.update(SERVER_NAME="example.com", PREFERRED_URL_SCHEME="https")

    @app.route("/login")
    def login() -> str:
        return "x"

    with app.app_context():
        assert url_for("login") == "https://example.com/login"
        assert url_for("login", _external=False) == "/login"
    async with app.app_context():
        assert url_for("login", next="/") == "https://example.com/login?next=/"


def test_url_for_outside_any_context_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        url_for("index")


# -- ASGI --------------------------------------------------------------------------------------


class AddHeader:
    """A minimal ASGI middleware adding a response header."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-middleware", b"yes")]
            await send(message)

        await self.inner(scope, receive, send_with_header)


async def test_asgi_middleware_wraps_asgi_app(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return "inner"

    app.asgi_app = AddHeader(app.asgi_app)
    r = await get(app)
    assert r.text == "inner"
    assert r.headers["X-Middleware"] == "yes"


async def test_app_works_wrapped_by_outer_middleware(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return "inner"

    async with client_for(AddHeader(app)) as client:
        r = await client.get("/")
    assert r.headers["X-Middleware"] == "yes"


@pytest.mark.parametrize("kind", ["unknown", "webtransport"])
async def test_unsupported_scope_types_raise(app: Flask, kind: str) -> None:
    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        pass

    with pytest.raises(RuntimeError, match=repr(kind)):
        await app({"type": kind, "path": "/", "headers": []}, receive, send)


async def test_websocket_scopes_are_served(app: Flask) -> None:
    # No WebSocket route at "/": the handshake is refused with a close (no
    # `websocket.http.response` extension offered), not an exception.
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "websocket", "path": "/", "headers": []}, receive, send)
    assert [m["type"] for m in sent] == ["websocket.close"]


async def _lifespan(app: Flask, *incoming: str) -> list[Message]:
    queue: list[Message] = [{"type": t} for t in incoming]
    sent: list[Message] = []

    async def receive() -> Message:
        return queue.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    return sent


async def test_lifespan_runs_serving_functions_once_in_app_context(app: Flask) -> None:
    calls: list[tuple[str, bool]] = []

    @app.before_serving
    def startup() -> None:
        calls.append(("before_sync", current_app.name == app.name))

    @app.before_serving
    async def async_startup() -> None:
        g.started = True
        calls.append(("before_async", g.started))

    @app.after_serving
    async def shutdown() -> None:
        calls.append(("after", current_app._get_current_object() is app))  # type: ignore[attr-defined]

    sent = await _lifespan(app, "lifespan.startup", "lifespan.shutdown")
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert calls == [("before_sync", True), ("before_async", True), ("after", True)]


async def test_lifespan_startup_failure_is_reported(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.before_serving
    async def startup() -> None:
        raise RuntimeError("no database")

    sent = await _lifespan(app, "lifespan.startup")
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert "no database" in sent[0]["message"]
    assert "no database" in caplog.text


async def test_lifespan_without_serving_functions(app: Flask) -> None:
    sent = await _lifespan(app, "lifespan.startup", "lifespan.shutdown")
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


# -- concurrency -------------------------------------------------------------------------------


async def test_concurrent_requests_keep_their_own_request_and_g(app: Flask) -> None:
    @app.route("/")
    async def index() -> dict[str, Any]:
        g.user = request.args["id"]
        await asyncio.sleep(random.uniform(0, 0.01))
        return {"user": g.user, "id": request.args["id"]}

    async with client_for(app) as client:
        responses = await asyncio.gather(
            *(client.get("/", params={"id": str(i)}) for i in range(200))
        )
    mismatches = [
        (i, r.json()) for i, r in enumerate(responses) if r.json() != {"user": str(i), "id": str(i)}
    ]
    assert mismatches == []


async def test_concurrent_def_views_keep_their_own_request_and_g(app: Flask) -> None:
    @app.before_request
    def before() -> None:
        g.user = request.args["id"]

    @app.route("/")
    def index() -> dict[str, Any]:
        time.sleep(random.uniform(0, 0.002))
        return {"user": g.user, "id": request.args["id"]}

    async with client_for(app) as client:
        responses = await asyncio.gather(
            *(client.get("/", params={"id": str(i)}) for i in range(60))
        )
    assert [r.json() for r in responses] == [{"user": str(i), "id": str(i)} for i in range(60)]


async def test_task_spawned_by_a_view_sees_its_request(app: Flask) -> None:
    async def work() -> str:
        await asyncio.sleep(random.uniform(0, 0.005))
        return f"{request.args['id']}:{g.user}"

    @app.route("/")
    async def index() -> str:
        g.user = f"user{request.args['id']}"
        task = asyncio.create_task(work())
        return await task

    async with client_for(app) as client:
        responses = await asyncio.gather(
            *(client.get("/", params={"id": str(i)}) for i in range(20))
        )
    assert [r.text for r in responses] == [f"{i}:user{i}" for i in range(20)]


async def test_concurrent_def_views_never_run_on_the_loop_thread(app: Flask) -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    @app.route("/")
    def index() -> Response:
        seen.append(threading.get_ident())
        return Response("x")

    async with client_for(app) as client:
        await asyncio.gather(*(client.get("/") for _ in range(10)))
    assert loop_thread not in seen


def test_app_is_freed_without_the_garbage_collector() -> None:
    import gc
    import weakref

    gc.disable()
    try:
        app = Flask(__name__)
        assert app.view_functions["static"]
        ref = weakref.ref(app)
        del app
        assert ref() is None  # no reference cycle keeps it alive
    finally:
        gc.enable()
