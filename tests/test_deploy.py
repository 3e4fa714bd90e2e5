"""Serving: `app.run()`, the debug traceback page (HOSTILE E1/E2), workers and proxies.

`uvicorn.run` is replaced where only its arguments matter; the tests at the
end start real uvicorn processes on 127.0.0.1.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import sys
import textwrap
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import Message

from aioflask import Flask, request, url_for
from aioflask._serve import find_import_spec, is_loopback, load_app_for_server
from aioflask.debug import DebugMiddleware, render_traceback
from tests.docsnippets import python_blocks, run_block
from tests.processes import free_port, serving_process
from tests.serving import serve

Calls = list[tuple[Any, dict[str, Any]]]


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    for key in ("FLASK_RUN_FROM_CLI", "FLASK_DEBUG", "FLASK_SKIP_DOTENV"):
        monkeypatch.delenv(key, raising=False)
    calls: Calls = []

    def fake_run(target: Any, **kwargs: Any) -> None:
        kwargs["env"] = {k: v for k, v in os.environ.items() if k.startswith("AIOFLASK_SERVE")}
        kwargs["from_cli"] = os.environ.get("FLASK_RUN_FROM_CLI")
        calls.append((target, kwargs))

    monkeypatch.setattr("uvicorn.run", fake_run)
    return calls


@pytest.fixture
def module_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app that is a global of an importable module, as `app.run(debug=True)` needs."""
    (tmp_path / "served_mod.py").write_text(
        "from aioflask import Flask\napp = Flask(__name__)\n"
        "@app.route('/')\nasync def index():\n    return 'served'\n"
    )
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    importlib.invalidate_caches()
    module = importlib.import_module("served_mod")
    yield module.app
    sys.modules.pop("served_mod", None)


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


# -- app.run -------------------------------------------------------------------------------------


def test_run_defaults(app: Flask, uvicorn_calls: Calls) -> None:
    app.run(load_dotenv=False)
    [(target, kwargs)] = uvicorn_calls
    assert target is app
    assert (kwargs["host"], kwargs["port"], kwargs["log_level"]) == ("127.0.0.1", 5000, "info")


def test_run_uses_server_name_for_host_and_port(app: Flask, uvicorn_calls: Calls) -> None:
    app.config["SERVER_NAME"] = "localhost:8123"
    app.run(load_dotenv=False)
    assert (uvicorn_calls[0][1]["host"], uvicorn_calls[0][1]["port"]) == ("localhost", 8123)


def test_run_passes_uvicorn_options(app: Flask, uvicorn_calls: Calls) -> None:
    app.run(port=5001, load_dotenv=False, timeout_keep_alive=2, threaded=True)
    kwargs = uvicorn_calls[0][1]
    assert (kwargs["port"], kwargs["timeout_keep_alive"]) == (5001, 2)
    assert "threaded" not in kwargs


def test_run_debug_reloads_a_module_level_app(module_app: Flask, uvicorn_calls: Calls) -> None:
    module_app.run(debug=True, load_dotenv=False)
    [(target, kwargs)] = uvicorn_calls
    assert target == "aioflask._serve:load_app_for_server"
    assert kwargs["factory"] is True and kwargs["reload"] is True
    assert kwargs["log_level"] == "debug"
    assert kwargs["env"] == {
        "AIOFLASK_SERVE_APP": "served_mod:app",
        "AIOFLASK_SERVE_DEBUG": "1",
        "AIOFLASK_SERVE_DEBUGGER": "1",
    }
    assert kwargs["from_cli"] == "true"  # a module-level app.run() in the child is a no-op
    assert "FLASK_RUN_FROM_CLI" not in os.environ  # restored afterwards


def test_run_debug_without_reloader_serves_the_debug_page(
    module_app: Flask, uvicorn_calls: Calls
) -> None:
    module_app.run(debug=True, use_reloader=False, load_dotenv=False)
    target = uvicorn_calls[0][0]
    assert isinstance(target, DebugMiddleware) and target.app is module_app
    module_app.run(debug=True, reload=False, use_debugger=False, load_dotenv=False)
    assert uvicorn_calls[1][0] is module_app


def test_run_workers_need_the_import_string(module_app: Flask, uvicorn_calls: Calls) -> None:
    module_app.run(workers=2, load_dotenv=False)
    [(target, kwargs)] = uvicorn_calls
    assert target == "aioflask._serve:load_app_for_server"
    assert kwargs["workers"] == 2 and kwargs["reload"] is False
    assert kwargs["env"]["AIOFLASK_SERVE_DEBUGGER"] == "0"


def test_run_debug_with_an_app_made_in_a_function_serves_without_reload(
    uvicorn_calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    def factory() -> Flask:
        return Flask("made_in_a_function")

    app = factory()
    app.run(debug=True, load_dotenv=False)
    [(target, kwargs)] = uvicorn_calls
    assert isinstance(target, DebugMiddleware)
    assert "reload" not in kwargs
    assert "Cannot reload" in caplog.text


def test_run_is_a_no_op_under_the_command(
    app: Flask, uvicorn_calls: Calls, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    app.run()
    assert uvicorn_calls == []
    assert "Ignoring a call to 'app.run()'" in capsys.readouterr().err


def test_run_reads_flask_debug_from_the_environment(
    app: Flask, uvicorn_calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app.run(use_reloader=False)
    assert app.debug is True
    assert isinstance(uvicorn_calls[0][0], DebugMiddleware)


@pytest.mark.parametrize(
    ("host", "warned"),
    [
        ("127.0.0.1", False),
        ("127.0.0.2", False),
        ("localhost", False),
        ("::1", False),
        ("[::1]", False),
        ("0.0.0.0", True),
        ("::", True),
        ("192.168.1.10", True),
        ("myhost.example", True),
    ],
)
def test_debug_mode_warns_about_reachable_hosts(
    app: Flask, uvicorn_calls: Calls, caplog: pytest.LogCaptureFixture, host: str, warned: bool
) -> None:
    app.run(host=host, debug=True, use_reloader=False, load_dotenv=False)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert bool(warnings) is warned
    if warned:
        assert repr(host) in warnings[0].getMessage()
        assert warnings[0].name == app.logger.name
    assert is_loopback(host) is not warned


def test_production_mode_does_not_warn(
    app: Flask, uvicorn_calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    app.run(host="0.0.0.0", load_dotenv=False)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_find_import_spec_for_the_main_script(monkeypatch: pytest.MonkeyPatch) -> None:
    main = types.ModuleType("__main__")
    main.__file__ = "/srv/project/hello.py"
    main.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", main)
    app = Flask("__main__", root_path="/srv/project")
    main.app = app  # type: ignore[attr-defined]
    assert find_import_spec(app) == "/srv/project/hello.py:app"
    main.__spec__ = importlib.machinery.ModuleSpec("project.hello", None)
    assert find_import_spec(app) == "project.hello:app"
    del main.app
    assert find_import_spec(app) is None


def test_load_app_for_server(module_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIOFLASK_SERVE_APP", "served_mod:app")
    monkeypatch.setenv("AIOFLASK_SERVE_DEBUG", "1")
    monkeypatch.setenv("AIOFLASK_SERVE_DEBUGGER", "1")
    loaded = load_app_for_server()
    assert isinstance(loaded, DebugMiddleware) and loaded.app is module_app
    assert module_app.debug is True
    monkeypatch.setenv("AIOFLASK_SERVE_DEBUG", "0")
    monkeypatch.setenv("AIOFLASK_SERVE_DEBUGGER", "0")
    assert load_app_for_server() is module_app
    assert module_app.debug is False


# -- the debug page ------------------------------------------------------------------------------


class SecretError(Exception):
    pass


def failing_app(debug: bool = True) -> Flask:
    app = Flask(__name__)
    app.config.update(DEBUG=debug, TESTING=False)

    @app.route("/boom")
    def boom() -> str:
        token = "<img src=x onerror=alert(1)>"
        raise SecretError(f"secret-value {token}")

    @app.route("/chained")
    async def chained() -> str:
        try:
            dict[str, int]()["missing"]
        except KeyError as e:
            raise RuntimeError("lookup failed") from e
        return ""

    @app.route("/ok")
    async def ok() -> str:
        return "fine"

    return app


async def test_debug_page_shows_an_escaped_traceback(caplog: pytest.LogCaptureFixture) -> None:
    app = failing_app()
    async with client_for(DebugMiddleware(app)) as client:
        r = await client.get("/boom?x=<b>")
        ok = await client.get("/ok")
    assert r.status_code == 500
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["cache-control"] == "no-store"
    page = r.text
    assert "SecretError" in page
    assert "secret-value &lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img" not in page
    assert "raise SecretError(f&#34;secret-value {token}&#34;)" in page  # the source line
    assert f'File "{__file__}"' in page and "<b>boom</b>" in page
    assert "While handling GET /boom" in page
    # No console, no script: nothing in the page can run code.
    assert "<script" not in page and "console" not in page.lower().replace("no console", "")
    assert (ok.status_code, ok.text) == (200, "fine")
    [record] = [rec for rec in caplog.records if rec.levelno == logging.ERROR]
    assert record.getMessage() == "Exception on /boom [GET]"
    assert record.name == app.logger.name


async def test_debug_page_shows_the_exception_chain() -> None:
    async with client_for(DebugMiddleware(failing_app())) as client:
        page = (await client.get("/chained")).text
    # The summary at the top names the last error; the tracebacks follow, oldest first.
    assert page.index("RuntimeError: lookup failed") < page.index("KeyError: &#39;missing&#39;")
    assert page.index("KeyError: &#39;missing&#39;") < page.rindex("RuntimeError: lookup failed")
    assert "The above exception was the direct cause of the following exception" in page


def test_render_traceback_for_implicit_context() -> None:
    try:
        try:
            raise ValueError("first")
        except ValueError:
            raise TypeError("second")  # noqa: B904 - the implicit context is the point
    except TypeError as e:
        page = render_traceback(e)
    assert "During handling of the above exception, another exception occurred" in page


async def test_production_never_shows_a_traceback() -> None:
    # Not in debug mode, the app answers 500 itself; the middleware sees nothing.
    async with client_for(DebugMiddleware(failing_app(debug=False))) as client:
        r = await client.get("/boom")
    assert r.status_code == 500
    for leak in ("secret-value", "SecretError", "Traceback", __file__):
        assert leak not in r.text


async def test_testing_mode_still_propagates_through_the_test_client() -> None:
    app = failing_app()
    app.testing = True
    async with client_for(app) as client:
        with pytest.raises(SecretError):
            await client.get("/boom")


async def test_debug_middleware_cannot_replace_a_started_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask(__name__)
    app.config.update(DEBUG=True, TESTING=False)

    @app.route("/stream")
    async def stream() -> Any:
        async def body() -> Any:
            yield "first chunk"
            raise SecretError("mid-stream")

        return body()

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/stream",
        "raw_path": b"/stream",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }
    with pytest.raises(SecretError):
        await DebugMiddleware(app)(scope, receive, send)
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 1 and starts[0]["status"] == 200


async def test_debug_middleware_passes_lifespan_through() -> None:
    app = Flask(__name__)
    started: list[str] = []

    @app.before_serving
    async def startup() -> None:
        started.append("yes")

    async with app.test_client():
        pass
    wrapped = DebugMiddleware(app)
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    out: list[Message] = []

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        out.append(message)

    await wrapped({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert [m["type"] for m in out] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert started == ["yes", "yes"]


def test_debug_page_through_a_real_server() -> None:
    with serve(DebugMiddleware(failing_app())) as base:
        r = httpx.get(base + "/boom")
        after = httpx.get(base + "/ok")
    assert r.status_code == 500 and "SecretError" in r.text
    assert after.status_code == 200


# -- proxies ----------------------------------------------------------------------------------


def proxied_app() -> Flask:
    app = Flask(__name__)

    @app.route("/where")
    async def where() -> dict[str, Any]:
        return {
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "is_secure": request.is_secure,
            "url": url_for("where", _external=True),
        }

    return app


FORWARDED = {
    "X-Forwarded-For": "203.0.113.7, 10.0.0.2",
    "X-Forwarded-Proto": "https",
    "Host": "shop.example",
}


def test_uvicorn_proxy_headers_from_a_trusted_proxy() -> None:
    with serve(proxied_app(), proxy_headers=True, forwarded_allow_ips="127.0.0.1") as base:
        data = httpx.get(base + "/where", headers=FORWARDED).json()
    # The last untrusted hop in X-Forwarded-For is the client.
    assert data == {
        "remote_addr": "10.0.0.2",
        "scheme": "https",
        "is_secure": True,
        "url": "https://shop.example/where",
    }


def test_uvicorn_ignores_proxy_headers_from_untrusted_peers() -> None:
    with serve(proxied_app(), proxy_headers=True, forwarded_allow_ips="10.9.9.9") as base:
        data = httpx.get(base + "/where", headers=FORWARDED).json()
    assert data == {
        "remote_addr": "127.0.0.1",
        "scheme": "http",
        "is_secure": False,
        "url": "http://shop.example/where",
    }


# -- slow clients (HOSTILE H4) ------------------------------------------------------------------


def test_server_stays_responsive_while_clients_dribble_headers(app: Flask) -> None:
    """Slowloris: uvicorn keeps such connections open (hence the proxy in deploying.md),
    but other clients are still served promptly."""

    @app.route("/health")
    async def health() -> str:
        return "ok"

    with serve(app) as base:
        port = int(base.rsplit(":", 1)[1])
        slow = [socket.create_connection(("127.0.0.1", port), timeout=2) for _ in range(20)]
        try:
            for sock in slow:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
            timings = []
            for round_ in range(3):
                for sock in slow:
                    sock.sendall(f"X-Slow-{round_}: still typing\r\n".encode())
                started = time.perf_counter()
                r = httpx.get(base + "/health", timeout=2)
                timings.append(time.perf_counter() - started)
                assert (r.status_code, r.text) == (200, "ok")
                time.sleep(0.2)
        finally:
            for sock in slow:
                sock.close()
        assert httpx.get(base + "/health", timeout=2).status_code == 200
    assert max(timings) < 0.5, timings


# -- several worker processes -----------------------------------------------------------------

WORKER_APP = """
import os
from aioflask import Flask, session

app = Flask(__name__)
app.secret_key = os.environ["DEPLOY_TEST_SECRET"]

@app.get("/login")
async def login():
    session["user"] = f"made-by-{os.getpid()}"
    return {"pid": os.getpid()}

@app.get("/whoami")
async def whoami():
    return {"pid": os.getpid(), "user": session.get("user")}
"""


def test_session_made_by_one_worker_is_read_by_another(tmp_path: Path) -> None:
    """Two uvicorn worker processes share nothing but SECRET_KEY, and that is enough."""
    (tmp_path / "workerapp.py").write_text(textwrap.dedent(WORKER_APP))
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "workerapp:app",
        "--workers",
        "2",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    env = {"DEPLOY_TEST_SECRET": "shared between workers", "PYTHONPATH": str(tmp_path)}
    with serving_process(args, tmp_path, port, env=env, path="/whoami") as server:
        login = httpx.get(server.base_url + "/login")
        maker = login.json()["pid"]
        cookie = login.cookies["session"]
        pids = {maker}
        answers: list[dict[str, Any]] = []
        deadline = time.monotonic() + 15
        while len(pids) < 2 and time.monotonic() < deadline and len(answers) < 400:
            # A new client each time: a new connection, which either worker may accept.
            with httpx.Client(cookies={"session": cookie}) as client:
                data = client.get(server.base_url + "/whoami").json()
            answers.append(data)
            pids.add(data["pid"])
    assert len(pids) == 2, f"only one worker answered in {len(answers)} requests"
    other = [a for a in answers if a["pid"] != maker]
    assert other and all(a["user"] == f"made-by-{maker}" for a in other)
    assert all(a["user"] == f"made-by-{maker}" for a in answers)


@pytest.mark.parametrize(("line", "code"), python_blocks("deploying.md"))
def test_docs_examples(tmp_path: Path, line: int, code: str) -> None:
    run_block("deploying.md", line, code, tmp_path)
