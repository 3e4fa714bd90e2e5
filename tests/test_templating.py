"""Templates: rendering, autoescape, globals, context processors, filters, loaders, streaming."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import jinja2
import pytest
from markupsafe import Markup

from aioflask import (
    Flask,
    flash,
    g,
    get_template_attribute,
    render_template,
    render_template_string,
    request,
    session,
    stream_template,
    stream_template_string,
)
from aioflask.blueprints import Blueprint
from aioflask.json.provider import DefaultJSONProvider
from aioflask.templating import TemplateStream
from tests.processes import free_port, serving_process
from tests.serving import serve


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


def app_in(folder: Path, **templates: str) -> Flask:
    """An app whose root is `folder`, with `templates/<name>` files made from `templates`."""
    (folder / "templates").mkdir(exist_ok=True)
    for name, source in templates.items():
        (folder / "templates" / name).write_text(source, encoding="utf-8")
    app = Flask("tests.test_templating", root_path=str(folder))
    app.config.update(DEBUG=False, TESTING=False)
    return app


# -- rendering files and strings -------------------------------------------------------------


async def test_render_template_from_the_templates_folder(app: Flask) -> None:
    @app.get("/")
    def index() -> str:
        return render_template("hello.html", name="World")

    async with client_for(app) as client:
        r = await client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text == "<p>Hello World!</p>"


async def test_render_template_with_a_list_uses_the_first_that_exists(app: Flask) -> None:
    @app.get("/")
    async def index() -> str:
        return render_template(["missing.html", "hello.html", "error.html"], name="L")

    async with client_for(app) as client:
        assert (await client.get("/")).text == "<p>Hello L!</p>"


async def test_render_template_string_with_context(app: Flask) -> None:
    @app.get("/")
    async def index() -> str:
        return render_template_string("{{ a }}+{{ b }}={{ a + b }}", a=1, b=2)

    async with client_for(app) as client:
        assert (await client.get("/")).text == "1+2=3"


def test_rendering_needs_an_application_context(app: Flask) -> None:
    with pytest.raises(RuntimeError, match="application context"):
        render_template_string("x")
    with app.app_context():
        assert render_template_string("{{ config['TESTING'] }}") == "False"


def test_jinja_options_are_used(tmp_path: Path) -> None:
    app = app_in(tmp_path)
    app.jinja_options = {"trim_blocks": True, "lstrip_blocks": True}
    with app.app_context():
        assert render_template_string("{% if true %}\n  yes\n{% endif %}\n") == "  yes\n"


# -- autoescape ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("page.html", True),
        ("page.htm", True),
        ("page.xml", True),
        ("page.xhtml", True),
        ("image.svg", True),
        ("mail.txt", False),
        ("notes.md", False),
    ],
)
def test_autoescape_depends_on_the_extension(tmp_path: Path, name: str, escaped: bool) -> None:
    app = app_in(tmp_path, **{name: "{{ value }}"})
    with app.app_context():
        out = render_template(name, value="<b>&</b>")
    assert out == ("&lt;b&gt;&amp;&lt;/b&gt;" if escaped else "<b>&</b>")


def test_string_templates_are_autoescaped_but_markup_and_safe_are_not(app: Flask) -> None:
    with app.app_context():
        assert render_template_string("{{ v }}", v="<i>") == "&lt;i&gt;"
        assert render_template_string("{{ v }}", v=Markup("<i>")) == "<i>"
        assert render_template_string("{{ v|safe }}", v="<i>") == "<i>"
        assert render_template_string("{% autoescape false %}{{ v }}{% endautoescape %}", v="<")


# -- globals -------------------------------------------------------------------------------


async def test_globals_in_pages_includes_and_imported_macros(app: Flask) -> None:
    app.secret_key = "k"
    app.config["SITE"] = "Site"

    @app.get("/page")
    def globals_page() -> str:
        session["user"] = "ann"
        g.tag = "T"
        return render_template("globals.html")

    async with client_for(app) as client:
        r = await client.get("/page")
    assert r.status_code == 200
    expected = "path=/page user=ann g=T cfg=Site url=/page"
    assert f"[page {expected}]" in r.text
    assert f"[include {expected}]" in r.text
    assert f"[macro {expected} flashes=0]" in r.text
    assert r.headers["vary"] == "Cookie"


def test_get_flashed_messages_is_a_global(app: Flask) -> None:
    app.secret_key = "k"
    with app.test_request_context("/"):
        flash("one", "info")
        out = render_template_string(
            "{% for c, m in get_flashed_messages(with_categories=true) %}{{ c }}:{{ m }}"
            "{% endfor %}"
        )
    assert out == "info:one"


def test_globals_outside_a_request(app: Flask) -> None:
    app.config["SERVER_NAME"] = "example.com"

    @app.get("/here")
    def here() -> str:
        return "x"

    with app.app_context():
        g.tag = "app-only"
        out = render_template_string("{{ g.tag }} {{ url_for('here') }}")
    assert out == "app-only http://example.com/here"


# -- context processors ----------------------------------------------------------------------


async def test_context_processors_sync_and_async_explicit_args_win(app: Flask) -> None:
    @app.context_processor
    def sync_values() -> dict[str, Any]:
        return {"x": "processor-x", "y": "processor-y"}

    @app.context_processor
    async def async_values() -> dict[str, Any]:
        return {"z": f"z-for-{request.path}"}

    @app.get("/async")
    async def in_async() -> str:
        return render_template_string("{{ x }} {{ y }} {{ z }}", x="explicit")

    @app.get("/sync")
    def in_sync() -> str:
        return render_template_string("{{ x }} {{ y }} {{ z }}", x="explicit")

    async with client_for(app) as client:
        for path in ("/async", "/sync"):
            r = await client.get(path)
            assert r.text == f"explicit processor-y z-for-{path}"


async def test_async_processor_that_waits_works_from_a_def_view(app: Flask) -> None:
    @app.context_processor
    async def slow_values() -> dict[str, Any]:
        await asyncio.sleep(0.001)
        return {"user": f"loaded for {request.path}"}

    @app.get("/sync")
    def in_sync() -> str:
        return render_template_string("{{ user }}")

    @app.get("/async")
    async def in_async() -> str:
        return render_template_string("{{ user }}")

    async with client_for(app) as client:
        assert (await client.get("/sync")).text == "loaded for /sync"
        r = await client.get("/async")
    # On the event loop a processor that really waits cannot be finished: a clear error.
    assert r.status_code == 500
    app.testing = True
    async with client_for(app) as client:
        with pytest.raises(RuntimeError, match="'def' view"):
            await client.get("/async")


async def test_blueprint_context_processors_run_after_the_apps(app: Flask) -> None:
    bp = Blueprint("shop", __name__)

    @app.context_processor
    def app_values() -> dict[str, Any]:
        return {"who": "app", "app_only": "A"}

    @bp.context_processor
    def bp_values() -> dict[str, Any]:
        return {"who": "blueprint"}

    @bp.get("/in-bp")
    async def in_bp() -> str:
        return render_template_string("{{ who }} {{ app_only }}")

    @app.get("/in-app")
    async def in_app() -> str:
        return render_template_string("{{ who }} {{ app_only }}")

    app.register_blueprint(bp)
    async with client_for(app) as client:
        assert (await client.get("/in-bp")).text == "blueprint A"
        assert (await client.get("/in-app")).text == "app A"


def test_update_template_context_keeps_existing_values(app: Flask) -> None:
    @app.context_processor
    def values() -> dict[str, Any]:
        return {"a": 1, "b": 2}

    context: dict[str, Any] = {"a": "mine"}
    with app.app_context():
        app.update_template_context(context)
    assert context == {"a": "mine", "b": 2}


# -- filters, tests, globals -----------------------------------------------------------------


def test_template_filter_test_and_global_decorators(app: Flask) -> None:
    @app.template_filter()
    def reverse(s: str) -> str:
        return s[::-1]

    @app.template_filter("shout")
    def make_loud(s: str) -> str:
        return s.upper()

    @app.template_filter
    def bare(s: str) -> str:
        return f"<{s}>"

    @app.template_test()
    def even(n: int) -> bool:
        return n % 2 == 0

    @app.template_test("big")
    def is_big(n: int) -> bool:
        return n > 100

    @app.template_global()
    def answer() -> int:
        return 42

    @app.template_global("site_name")
    def name_of_site() -> str:
        return "Site"

    assert reverse("ab") == "ba"  # the decorators return the function itself
    with app.app_context():
        out = render_template_string(
            "{{ 'abc'|reverse }} {{ 'hi'|shout }} {{ 'x'|bare }} {{ 4 is even }} "
            "{{ 3 is even }} {{ 500 is big }} {{ answer() }} {{ site_name() }}"
        )
    assert out == "cba HI &lt;x&gt; True False True 42 Site"


def test_add_template_filter_test_and_global(app: Flask) -> None:
    app.add_template_filter(lambda s: s * 2, "twice")
    app.add_template_test(lambda n: n == 0, "zero")
    app.add_template_global(lambda: "G", "gee")

    def double(n: int) -> int:
        return n * 2

    app.add_template_filter(double)
    with app.app_context():
        out = render_template_string("{{ 'a'|twice }} {{ 0 is zero }} {{ gee() }} {{ 4|double }}")
    assert out == "aa True G 8"


async def test_template_registration_is_frozen_after_the_first_request(app: Flask) -> None:
    @app.get("/")
    async def index() -> str:
        return "ok"

    async with client_for(app) as client:
        await client.get("/")
    with pytest.raises(AssertionError, match="add_template_filter"):
        app.add_template_filter(str.upper, "upper2")


# -- tojson --------------------------------------------------------------------------------


def test_tojson_is_html_safe_and_uses_app_json(app: Flask) -> None:
    with app.app_context():
        out = render_template_string(
            "<script>var d = {{ data|tojson }};</script>",
            data={"b": "</script><b>&'", "a": 1},
        )
    assert out == (
        '<script>var d = {"a": 1, "b": "\\u003c/script\\u003e\\u003cb\\u003e\\u0026\\u0027"};'
        "</script>"
    )

    class Provider(DefaultJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return super().dumps({"wrapped": obj}, **kwargs)

    app.json = Provider(app)  # replaced after the environment was created
    with app.app_context():
        assert render_template_string("{{ 1|tojson }}") == '{"wrapped": 1}'


# -- loading -------------------------------------------------------------------------------


def test_templates_next_to_a_module_and_inside_a_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "where.html").write_text("beside the module")
    (tmp_path / "tplmod_app.py").write_text("from aioflask import Flask\napp = Flask(__name__)\n")
    package = tmp_path / "tplpkg_app"
    (package / "templates").mkdir(parents=True)
    (package / "templates" / "where.html").write_text("inside the package")
    (package / "__init__.py").write_text("from aioflask import Flask\napp = Flask(__name__)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        import tplmod_app  # type: ignore[import-not-found]
        import tplpkg_app  # type: ignore[import-not-found]

        for module, expected in (
            (tplmod_app, "beside the module"),
            (tplpkg_app, "inside the package"),
        ):
            with module.app.app_context():
                assert render_template("where.html") == expected
    finally:
        sys.modules.pop("tplmod_app", None)
        sys.modules.pop("tplpkg_app", None)


def test_app_templates_first_then_blueprints_in_registration_order(tmp_path: Path) -> None:
    app = app_in(tmp_path, **{"index.html": "app index"})
    for bp_name, files in {
        "one": {"index.html": "one index", "shared.html": "one shared", "one/own.html": "own"},
        "two": {"shared.html": "two shared", "two/only.html": "two only"},
    }.items():
        folder = tmp_path / bp_name / "templates"
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
        bp = Blueprint(
            bp_name, __name__, root_path=str(tmp_path / bp_name), template_folder="templates"
        )
        assert bp.jinja_loader is not None
        app.register_blueprint(bp)
    with app.app_context():
        assert render_template("index.html") == "app index"
        assert render_template("shared.html") == "one shared"
        assert render_template("one/own.html") == "own"
        assert render_template("two/only.html") == "two only"
        names = app.jinja_env.list_templates()
    assert names == ["index.html", "one/own.html", "shared.html", "two/only.html"]


def test_jinja_loader_follows_template_folder(tmp_path: Path) -> None:
    app = app_in(tmp_path, **{"a.html": "from templates"})
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "a.html").write_text("from other")
    loader = app.jinja_loader
    assert isinstance(loader, jinja2.FileSystemLoader)
    assert loader.searchpath == [str(tmp_path / "templates")]
    assert app.jinja_loader is loader  # made once
    app.template_folder = "other"
    assert app.jinja_loader is not loader
    with app.app_context():
        assert render_template("a.html") == "from other"
    app.template_folder = None
    assert app.jinja_loader is None
    with app.app_context(), pytest.raises(jinja2.TemplateNotFound):
        app.jinja_env.get_template("b.html")


def test_explain_template_loading_logs_each_attempt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_in(tmp_path, **{"here.html": "x"})
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    with caplog.at_level(logging.INFO, logger=app.logger.name), app.app_context():
        assert render_template("here.html") == "x"
        with pytest.raises(jinja2.TemplateNotFound):
            render_template("nowhere.html")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Locating template 'here.html'" in text
    assert "found (" in text and "here.html)" in text
    assert "Locating template 'nowhere.html'" in text
    assert "no match" in text and "not found" in text


# -- reloading -----------------------------------------------------------------------------


def _rewrite(path: Path, text: str) -> None:
    path.write_text(text)
    later = time.time() + 10  # a clearly newer mtime, whatever the file system's resolution
    os.utime(path, (later, later))


@pytest.mark.parametrize(
    ("debug", "setting", "reloads"),
    [(False, None, False), (True, None, True), (False, True, True), (True, False, False)],
)
def test_auto_reload_follows_the_setting_then_debug(
    tmp_path: Path, debug: bool, setting: bool | None, reloads: bool
) -> None:
    app = app_in(tmp_path, **{"t.html": "v1"})
    app.config.update(DEBUG=debug, TEMPLATES_AUTO_RELOAD=setting)
    with app.app_context():
        assert render_template("t.html") == "v1"
        _rewrite(tmp_path / "templates" / "t.html", "v2")
        assert render_template("t.html") == ("v2" if reloads else "v1")


def test_switching_debug_on_later_turns_reloading_on(tmp_path: Path) -> None:
    app = app_in(tmp_path, **{"t.html": "v1"})
    with app.app_context():
        assert render_template("t.html") == "v1"
        app.debug = True
        _rewrite(tmp_path / "templates" / "t.html", "v2")
        assert render_template("t.html") == "v2"


# -- macros from Python --------------------------------------------------------------------


def test_get_template_attribute_calls_a_macro(app: Flask) -> None:
    with app.app_context():
        hello = get_template_attribute("_macros.html", "hello")
        assert hello("W") == "Hello W!"


# -- errors (HOSTILE E5) -------------------------------------------------------------------


async def test_missing_template_is_a_plain_500_in_production(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/missing")
    def missing() -> str:
        return render_template("does-not-exist.html")

    @app.get("/braces")
    def braces() -> str:
        return render_template("{bad}{{7*7}}{0.__class__}.html")

    @app.get("/syntax")
    def syntax() -> str:
        return render_template_string("{% for x in %}SECRET-SOURCE")

    async with client_for(app) as client:
        for path in ("/missing", "/braces", "/syntax"):
            r = await client.get(path)
            assert r.status_code == 500
            body = r.text
            assert "Internal Server Error" in body
            for leak in ("templates", "does-not-exist", "{bad}", "49", "SECRET-SOURCE", "Trace"):
                assert leak not in body, (path, leak)
    assert sum(rec.levelno == logging.ERROR for rec in caplog.records) == 3


def test_template_name_with_braces_is_never_code(tmp_path: Path) -> None:
    name = "{bad}{{7*7}}{__import__('os').getpid()}.html"
    app = app_in(tmp_path, **{name: "plain {{ 6 * 7 }}"})
    app.testing = True
    with app.app_context():
        assert render_template(name) == "plain 42"
        with pytest.raises(jinja2.TemplateNotFound) as info:
            render_template("{nope}.html")
    assert info.value.name == "{nope}.html"


# -- streaming -----------------------------------------------------------------------------


async def test_stream_template_from_def_and_async_views(app: Flask) -> None:
    @app.get("/sync")
    def sync_view() -> TemplateStream:
        return stream_template("hello.html", name=request.args["n"])

    @app.get("/async")
    async def async_view() -> TemplateStream:
        return stream_template_string(
            "{% for i in range(3) %}{{ i }}:{{ request.path }};{% endfor %}"
        )

    async with client_for(app) as client:
        r = await client.get("/sync", params={"n": "<s>"})
        assert r.status_code == 200
        assert r.text == "<p>Hello &lt;s&gt;!</p>"
        assert "content-length" not in r.headers  # streamed
        r = await client.get("/async")
        assert r.text == "0:/async;1:/async;2:/async;"
        r = await client.head("/async")
        assert r.status_code == 200 and r.content == b""


def test_stream_template_is_a_plain_iterator_too(app: Flask) -> None:
    with app.test_request_context("/p"):
        stream = stream_template_string(
            "{% for i in range(3) %}{{ i }}{{ request.path }}{% endfor %}"
        )
        assert isinstance(stream, Iterator)
        assert "".join(stream) == "0/p1/p2/p"


def test_stream_template_through_the_sync_test_client(app: Flask) -> None:
    @app.get("/")
    def index() -> TemplateStream:
        return stream_template_string("{% for i in range(4) %}{{ i }}{% endfor %}")

    r = app.test_client().get("/")
    assert r.status_code == 200
    assert r.text == "0123"


async def test_stream_error_after_the_first_chunk_reaches_teardown(app: Flask) -> None:
    seen: list[BaseException | None] = []

    def items() -> Iterator[str]:
        yield "first"
        raise ValueError("boom while streaming")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.get("/")
    def index() -> TemplateStream:
        return stream_template_string("{% for i in items %}{{ i }}{% endfor %}", items=items())

    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(10)
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = _scope("/")
    with pytest.raises(ValueError, match="boom"):
        await app(scope, receive, send)
    bodies = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert bodies == b"first"
    assert len(seen) == 1 and isinstance(seen[0], ValueError)


async def test_stream_stops_rendering_when_the_client_goes_away(app: Flask) -> None:
    closed = threading.Event()
    produced: list[int] = []

    def items() -> Iterator[str]:
        try:
            for i in range(10_000):
                produced.append(i)
                yield "x" * 1024
        finally:
            closed.set()

    @app.get("/")
    def index() -> TemplateStream:
        return stream_template_string("{% for i in items %}{{ i }}{% endfor %}", items=items())

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(10)
        return {"type": "http.disconnect"}

    chunks = 0

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal chunks
        if message["type"] == "http.response.body":
            chunks += 1
            if chunks == 2:
                raise OSError("client went away")

    await app(_scope("/"), receive, send)  # a client that left is not an error
    assert closed.wait(5)
    assert len(produced) < 10_000  # stopped early, not rendered to the end


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1234),
        "server": ("localhost", 80),
    }


async def test_stream_template_sends_pieces_before_the_end_on_a_real_server() -> None:
    """The first part reaches the client while the template is still rendering."""
    app = Flask(__name__)
    release = threading.Event()

    def items() -> Iterator[str]:
        yield "first-part"
        release.wait(5)  # rendering blocks here (a slow query, say) on the worker thread
        yield "second-part"

    @app.get("/stream")
    async def stream() -> TemplateStream:
        return stream_template_string("{% for i in items %}<{{ i }}>{% endfor %}", items=items())

    @app.get("/health")
    async def health() -> str:
        return "ok"

    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            async with client.stream("GET", "/stream") as r:
                pieces = r.aiter_text()
                first = await asyncio.wait_for(pieces.__anext__(), 3)
                assert first == "<first-part>"
                # Rendering is blocked on a worker thread; the loop still serves others.
                assert (await client.get("/health")).text == "ok"
                release.set()
                rest = "".join([piece async for piece in pieces])
            assert rest == "<second-part>"


_BIG_TEMPLATE_APP = """
from aioflask import Flask, render_template_string

app = Flask(__name__)


@app.get("/big")
def big():
    return render_template_string(
        "{% for i in range(n) %}<li>{{ i }} {{ label }}</li>\\n{% endfor %}",
        n=100_000,
        label="item <&>",
    )


@app.get("/health")
async def health():
    return "ok"
"""


async def test_big_template_in_a_def_view_keeps_the_loop_responsive(tmp_path: Path) -> None:
    """HOSTILE C5: 100 000-iteration templates rendered in `def` views, on a real server.

    The server runs in its own process so that only its threads share a GIL:
    the renders run on worker threads while the event loop answers /health.
    """
    (tmp_path / "bigapp.py").write_text(_BIG_TEMPLATE_APP)
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "bigapp:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with serving_process(args, cwd=tmp_path, port=port, path="/health") as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            await client.get("/health")

            # Three renders one after another keep a worker thread busy for a
            # while (one at a time: more would contend for the GIL, which is a
            # CPython property, not the loop being blocked).
            async def renders() -> list[httpx.Response]:
                return [await client.get("/big") for _ in range(3)]

            big = asyncio.ensure_future(renders())
            await asyncio.sleep(0.02)
            latencies: list[float] = []
            while not big.done() and len(latencies) < 100:
                started = time.perf_counter()
                r = await client.get("/health")
                latencies.append(time.perf_counter() - started)
                assert r.text == "ok"
                await asyncio.sleep(0.01)
            responses = await big
            bodies = [resp.content for resp in responses]
    assert all(resp.status_code == 200 for resp in responses)
    text = bodies[0].decode()
    assert text.count("<li>") == 100_000
    assert "item &lt;&amp;&gt;" in text
    assert len(latencies) >= 3, f"only {len(latencies)} /health requests during the renders"
    ordered = sorted(latencies)
    # A loop blocked by the renders would make most /health requests wait for a
    # whole render (about 150 ms each); a responsive one answers in a few ms.
    assert ordered[len(ordered) // 2] < 0.05, (
        f"/health took {[round(x * 1000) for x in ordered]} ms"
    )


# -- the examples of docs/templates.md ---------------------------------------------------------


def _doc_snippets() -> list[Any]:
    from tests.test_quickstart import extract_snippets

    doc = Path(__file__).resolve().parent.parent / "docs" / "templates.md"
    return extract_snippets(doc.read_text(encoding="utf-8"))


def _run_snippet(code: str) -> dict[str, Any]:
    # Run as if it were this module, so `Flask(__name__)` finds tests/templates.
    namespace: dict[str, Any] = {"__name__": __name__}
    exec(compile(code, "docs/templates.md", "exec"), namespace)
    return namespace


async def test_docs_templates_examples(capsys: pytest.CaptureFixture[str]) -> None:
    hello, processor, filters, macro, streaming = _doc_snippets()

    app = _run_snippet(hello.code)["app"]
    async with client_for(app) as client:
        assert (await client.get("/hello/")).status_code == 200

    app = _run_snippet(processor.code)["app"]
    with app.app_context():
        assert render_template_string("{{ site_name }}") == "Example"

    app = _run_snippet(filters.code)["app"]
    with app.app_context():
        out = render_template_string(
            '{{ "abc"|reverse }} {{ 4 is even }} {{ shout("hi") }} {{ "ab cd"|title_case }}'
        )
    assert out == "cba True HI Ab Cd"

    _run_snippet(macro.code)
    assert capsys.readouterr().out == macro.output

    app = _run_snippet(streaming.code)["app"]
    async with client_for(app) as client:
        r = await client.get("/report")
    assert r.status_code == 200
    assert r.text.count("<tr>") == 100_000
    assert r.text.startswith("<table>\n<tr><td>0</td></tr>\n")
