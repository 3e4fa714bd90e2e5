"""Names that extensions and Flask's own tests import from `flask`, present in aioflask."""

from __future__ import annotations

import importlib.metadata
import io
import logging
import platform
import sys
from typing import Any, cast

import click
import pytest
from click.testing import CliRunner

import aioflask
from aioflask import Flask, request
from aioflask.globals import app_ctx, request_ctx
from aioflask.testing import EnvironBuilder, FlaskCliRunner


@pytest.fixture
def app() -> Flask:
    app = Flask("names")
    app.config.update(TESTING=True, SECRET_KEY="k")
    return app


def test_version_names_the_flask_api() -> None:
    assert aioflask.__version__ == "3.1.3"


# -- flask.globals ---------------------------------------------------------------------------------
def test_request_ctx_is_the_pushed_request_context(app: Flask) -> None:
    assert not request_ctx
    with app.test_request_context("/here") as ctx:
        assert request_ctx
        assert cast(Any, request_ctx)._get_current_object() is ctx
        assert request_ctx.request is cast(Any, request)._get_current_object()
        request_ctx.extension_state = 1  # type: ignore[attr-defined]
        assert ctx.extension_state == 1
    assert not request_ctx


def test_app_ctx_is_the_pushed_app_context(app: Flask) -> None:
    assert not app_ctx
    with app.app_context() as ctx:
        assert cast(Any, app_ctx)._get_current_object() is ctx
        assert app_ctx.app is app
    assert not app_ctx


def test_popping_through_request_ctx_clears_leaks(app: Flask) -> None:
    # What Flask's test suite does after every test to find leaked contexts.
    app.test_request_context().push()
    app.test_request_context().push()
    popped = 0
    while request_ctx and popped < 5:
        request_ctx.pop()
        popped += 1
    assert popped == 2
    assert not request_ctx


# -- flask.testing ---------------------------------------------------------------------------------
def test_environ_builder_takes_scheme_and_host_from_a_full_url(app: Flask) -> None:
    builder = EnvironBuilder(app, "https://example.com/a?b=1")
    assert builder.url_scheme == "https"
    assert builder.host == "example.com"
    assert builder.script_root == ""
    assert builder.path == "/a"
    assert builder.query_string == "b=1"


def test_environ_builder_defaults_come_from_the_config(app: Flask) -> None:
    app.config.update(SERVER_NAME="example.com:1234", APPLICATION_ROOT="/foo")
    builder = EnvironBuilder(app, "/bar")
    assert builder.host == "example.com:1234"
    assert builder.script_root == "/foo"
    assert builder.path == "/bar"
    assert builder.url == "http://example.com:1234/foo/bar"


def test_environ_builder_encodes_json_with_the_app(app: Flask) -> None:
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    builder = EnvironBuilder(app, json="\u20ac")
    assert builder.input_stream.read().decode("utf8") == '"\u20ac"'
    assert builder.content_type == "application/json"


def test_environ_builder_gives_a_request_and_an_environ(app: Flask) -> None:
    builder = EnvironBuilder(app, "/form", method="POST", data={"x": "1"})
    req = builder.get_request()
    assert req.method == "POST" and req.path == "/form"
    environ = builder.get_environ()
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["PATH_INFO"] == "/form"
    assert environ["wsgi.input"].read() == b"x=1"
    builder.close()


def test_client_opens_an_environ_builder(app: Flask) -> None:
    @app.route("/echo", methods=["PUT"])
    def echo() -> str:
        return f"{request.method} {request.path} {request.args['q']}"

    builder = EnvironBuilder(app, "/echo", method="PUT", query_string={"q": "v"})
    rv = app.test_client().open(builder)
    assert rv.text == "PUT /echo v"


def test_flask_cli_runner_is_importable_from_testing(app: Flask) -> None:
    from aioflask.cli import FlaskCliRunner as from_cli

    assert FlaskCliRunner is from_cli
    runner = app.test_cli_runner()
    assert isinstance(runner, FlaskCliRunner) and isinstance(runner, CliRunner)

    @app.cli.command("hello")
    def hello() -> None:
        click.echo("hi")

    assert runner.invoke(args=["hello"]).output == "hi\n"


# -- flask.helpers ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"), [("", False), ("0", False), ("False", False), ("1", True), ("on", True)]
)
def test_get_debug_flag(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    from aioflask.helpers import get_debug_flag

    monkeypatch.setenv("FLASK_DEBUG", value)
    assert get_debug_flag() is expected


def test_get_load_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    from aioflask.helpers import get_load_dotenv

    monkeypatch.delenv("FLASK_SKIP_DOTENV", raising=False)
    assert get_load_dotenv() is True
    assert get_load_dotenv(False) is False
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")
    assert get_load_dotenv() is False
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "no")
    assert get_load_dotenv(False) is True


# -- flask.logging ---------------------------------------------------------------------------------
def test_wsgi_errors_stream_is_stderr_or_the_requests_stream(app: Flask) -> None:
    from aioflask.logging import wsgi_errors_stream

    assert wsgi_errors_stream._get_current_object() is sys.stderr  # type: ignore[attr-defined]
    stream = io.StringIO()
    with app.test_request_context():
        assert wsgi_errors_stream._get_current_object() is sys.stderr  # type: ignore[attr-defined]
        request.environ["wsgi.errors"] = stream
        wsgi_errors_stream.write("oops")
    assert stream.getvalue() == "oops"


def test_has_level_handler() -> None:
    from aioflask.logging import has_level_handler

    parent = logging.getLogger("aioflask_names_parent")
    child = logging.getLogger("aioflask_names_parent.child")
    child.setLevel(logging.INFO)
    saved = logging.root.handlers[:]
    logging.root.handlers.clear()
    try:
        assert not has_level_handler(child)
        handler = logging.StreamHandler(io.StringIO())
        parent.addHandler(handler)
        assert has_level_handler(child)
        handler.setLevel(logging.ERROR)
        assert not has_level_handler(child)
        parent.removeHandler(handler)
    finally:
        logging.root.handlers[:] = saved


# -- flask.cli -------------------------------------------------------------------------------------
def test_get_version_prints_the_versions(capsys: pytest.CaptureFixture[str]) -> None:
    from aioflask.cli import get_version

    class FakeContext:
        resilient_parsing = False
        color = None
        exited = False

        def exit(self) -> None:
            self.exited = True

    ctx: Any = FakeContext()
    get_version(ctx, None, True)
    out = capsys.readouterr().out
    assert f"Python {platform.python_version()}" in out
    assert "aioflask " in out and "(the Flask 3.1.3 API)" in out
    assert ctx.exited
    get_version(ctx, None, False)  # the option was not given: nothing printed
    assert capsys.readouterr().out == ""


def test_builtin_commands_under_flask_names() -> None:
    from aioflask import _commands, cli

    assert cli.run_command is _commands.run_command
    assert cli.shell_command is _commands.shell_command
    assert cli.routes_command is _commands.routes_command
    assert isinstance(cli.run_command, click.Command)
    with pytest.raises(AttributeError, match="no_such_name"):
        cli.no_such_name  # noqa: B018


def test_get_cookie_has_werkzeugs_attribute_names(app: Flask) -> None:
    from datetime import datetime, timezone

    from aioflask import make_response
    from aioflask.testing import TestCookie

    @app.route("/set")
    def set_cookie() -> Any:
        response = make_response("ok")
        response.set_cookie("flavour", "oat%20meal", max_age=3600, httponly=True, samesite="Lax")
        return response

    client = app.test_client()
    client.get("/set")
    cookie = client.get_cookie("flavour")
    assert isinstance(cookie, TestCookie)
    assert cookie.key == cookie.name == "flavour"
    assert cookie.value == "oat%20meal" and cookie.decoded_value == "oat meal"
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure
    assert cookie.path == "/" and cookie.domain == "localhost"
    assert cookie.expires is not None
    remaining = (cookie.expires - datetime.now(timezone.utc)).total_seconds()
    assert 3500 < remaining <= 3600
    assert cookie.jar_cookie.name == "flavour"


def test_test_response_allow_vary_and_get_all(app: Flask) -> None:
    @app.route("/", methods=["GET", "POST"])
    def index() -> Any:
        return "", 200, [("Vary", "Cookie"), ("Vary", "Accept-Encoding")]

    client = app.test_client()
    rv = client.options("/")
    assert sorted(rv.allow) == ["GET", "HEAD", "OPTIONS", "POST"]
    rv = client.get("/")
    assert "cookie" in rv.vary and "accept-encoding" in rv.vary
    assert rv.headers.get_all("Vary") == ["Cookie", "Accept-Encoding"]


def test_environ_base_sets_the_client_address_and_default_headers(app: Flask) -> None:
    @app.route("/")
    def index() -> Any:
        return {"addr": request.remote_addr, "ua": request.headers.get("User-Agent")}

    client = app.test_client()
    assert client.environ_base["REMOTE_ADDR"] == "127.0.0.1"
    werkzeug_ua = f"Werkzeug/{importlib.metadata.version('werkzeug')}"
    assert client.get("/").json == {"addr": "127.0.0.1", "ua": werkzeug_ua}  # as Flask's
    own = app.test_client(headers={"user-agent": "Custom"})  # httpx's client-wide headers
    assert own.get("/").json["ua"] == "Custom"
    client.environ_base["REMOTE_ADDR"] = "192.168.0.22"
    client.environ_base["HTTP_USER_AGENT"] = "Foo"
    assert client.get("/").json == {"addr": "192.168.0.22", "ua": "Foo"}
    # A request's own header wins over the default; environ_overrides wins over both.
    assert client.get("/", headers={"User-Agent": "Mine"}).json["ua"] == "Mine"
    rv = client.get(
        "/",
        headers={"User-Agent": "Mine"},
        environ_overrides={"HTTP_USER_AGENT": "Forced", "REMOTE_ADDR": "10.0.0.9"},
    )
    assert rv.json == {"addr": "10.0.0.9", "ua": "Forced"}
    assert client.get("/", environ_base={"REMOTE_ADDR": "10.1.1.1"}).json["addr"] == "10.1.1.1"


def test_errors_stream_receives_the_requests_log_records(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aioflask.logging import default_handler, wsgi_errors_stream

    # Without pytest's capture handler, the app's logger gets `default_handler`.
    monkeypatch.setattr(logging.root, "handlers", [])
    monkeypatch.setattr(app.logger, "handlers", [])
    app.logger.addHandler(default_handler)

    @app.route("/")
    def index() -> str:
        app.logger.error("noted")
        return ""

    @app.route("/boom")
    async def boom() -> str:
        raise Exception("kaput")

    app.testing = False
    stream = io.StringIO()
    app.test_client().get("/", errors_stream=stream)
    assert "ERROR in test_flask_names: noted" in stream.getvalue()
    stream = io.StringIO()
    rv = app.test_client().get("/boom", errors_stream=stream)
    assert rv.status_code == 500
    assert "Exception on /boom [GET]" in stream.getvalue()
    assert "Exception: kaput" in stream.getvalue()
    with app.test_request_context(errors_stream=stream):
        assert cast(Any, wsgi_errors_stream)._get_current_object() is stream


def test_with_statement_through_the_context_proxies(app: Flask) -> None:
    with app.test_request_context() as ctx:
        pushed_app_ctx = cast(Any, app_ctx)._get_current_object()
        with app_ctx as again:
            assert again is pushed_app_ctx
        with request_ctx as same:
            assert same is ctx
        assert request_ctx  # still pushed once
    assert not request_ctx


async def test_async_with_through_the_context_proxies(app: Flask) -> None:
    async with app.app_context() as ctx:
        async with app_ctx as same:
            assert same is ctx
        assert app_ctx
    assert not app_ctx


def test_url_for_takes_self_as_a_value(app: Flask) -> None:
    from aioflask import url_for

    @app.route("/<self>")
    def view(self: str) -> str:
        return self

    with app.test_request_context():
        assert url_for("view", self="me") == "/me"
        assert app.url_for("view", self="you") == "/you"


def test_app_cli_is_named_after_the_app(app: Flask) -> None:
    assert app.cli.name == app.name == "names"


def test_jsonify_rejects_args_and_kwargs_together(app: Flask) -> None:
    from aioflask import jsonify

    with app.app_context(), pytest.raises(TypeError, match="args or kwargs"):
        jsonify(1, a=2)


def test_set_cookie_replaces_the_servers_cookie_of_that_domain(app: Flask) -> None:
    from aioflask import make_response

    @app.route("/set")
    def set_cookie() -> Any:
        response = make_response("ok")
        response.set_cookie("remember", "server", domain=".example.com")
        return response

    @app.route("/read")
    def read() -> Any:
        return request.cookies.get("remember", "")

    client = app.test_client()
    client.get("http://www.example.com/set")
    assert client.get("http://www.example.com/read").text == "server"
    client.set_cookie("remember", "mine", domain="example.com")
    assert client.get("http://www.example.com/read").text == "mine"
    assert len([c for c in client.cookies.jar if c.name == "remember"]) == 1


def test_create_global_jinja_loader_can_be_overridden() -> None:
    from jinja2 import BaseLoader, DictLoader

    from aioflask import render_template

    class MyFlask(Flask):
        def create_global_jinja_loader(self) -> BaseLoader:
            return DictLoader({"index.html": "Hello {{ who }}!"})

    app = MyFlask("names")
    with app.app_context():
        assert render_template("index.html", who="loader") == "Hello loader!"


def test_jinja_environment_class_attribute() -> None:
    from aioflask.templating import Environment

    class CustomEnvironment(Environment):
        pass

    class CustomFlask(Flask):
        jinja_environment = CustomEnvironment

    app = CustomFlask("names")
    assert isinstance(app.jinja_env, CustomEnvironment)
    assert app.jinja_env.app is app
    assert isinstance(Flask("plain").jinja_env, Environment)


def test_request_context_match_request(app: Flask) -> None:
    @app.route("/here")
    def here() -> str:
        return ""

    with app.test_request_context("/here") as ctx:
        request.url_rule = None
        ctx.match_request()
        assert request.endpoint == "here"


def test_request_context_takes_a_wsgi_environ(app: Flask) -> None:
    @app.route("/echo", methods=["POST"])
    def echo() -> str:
        return f"{request.host} {request.args['q']} {request.get_data(as_text=True)}"

    builder = EnvironBuilder(app, "/echo", method="POST", data=b"body", query_string="q=1")
    wsgi = builder.get_environ()
    wsgi["HTTP_HOST"] = "example.org"  # a change to the dict counts
    with app.request_context(wsgi):
        assert request.path == "/echo" and request.method == "POST"
        assert request.remote_addr == "127.0.0.1"
        response = app.full_dispatch_request()
    assert response.get_data() == b"example.org 1 body"

    wsgi = EnvironBuilder(app, "/echo").get_environ()
    wsgi["HTTP_HOST"] = "ąśźäüжŠßя.com"  # not latin-1: taken as UTF-8
    with app.request_context(wsgi):
        assert request.headers["Host"].encode("latin-1").decode("utf-8") == "ąśźäüжŠßя.com"


def test_client_opens_a_wsgi_environ(app: Flask) -> None:
    @app.route("/who", methods=["POST"])
    def who() -> str:
        return f"{request.remote_addr} {request.args['x']} {request.get_data(as_text=True)}"

    builder = EnvironBuilder(app, "/who", method="POST", data=b"hi", query_string="x=2")
    wsgi = builder.get_environ()
    assert "REMOTE_ADDR" not in wsgi  # the client supplies it
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    assert client.open(wsgi).text == "127.0.0.2 2 hi"
    wsgi = builder.get_environ()
    wsgi["REMOTE_ADDR"] = "10.0.0.3"
    assert client.open(wsgi).text == "10.0.0.3 2 hi"


def test_query_string_leaves_out_none_values(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return request.query_string.decode()

    client = app.test_client()
    assert client.get("/", query_string={"page": None, "n": 3, "m": [1, 2]}).text == "n=3&m=1&m=2"
    assert client.get("/", query_string=[("a", None), ("b", "1")]).text == "b=1"
    with app.test_request_context(query_string={"page": None, "per_page": 5}):
        assert request.args.to_dict() == {"per_page": "5"}


def test_secure_session_cookie_is_sent_over_plain_http(app: Flask) -> None:
    from aioflask import session

    app.config["SESSION_COOKIE_SECURE"] = True

    @app.route("/set")
    def set_value() -> str:
        session["n"] = 1
        return ""

    @app.route("/get")
    def get_value() -> str:
        return str(session.get("n"))

    client = app.test_client()
    assert "secure" in client.get("/set").headers["set-cookie"].lower()
    assert client.get("/get").text == "1"


def test_secure_cookie_follows_a_redirect_over_plain_http(app: Flask) -> None:
    from aioflask import redirect, session

    app.config["SESSION_COOKIE_SECURE"] = True

    @app.route("/set")
    def set_value() -> Any:
        session["n"] = 2
        return redirect("/get")

    @app.route("/get")
    def get_value() -> str:
        return str(session.get("n"))

    client = app.test_client()
    client.get("/set")
    assert client.get("/set", follow_redirects=True).text == "2"


def test_debug_mode_explains_a_redirect_that_drops_form_data(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aioflask.debughelpers import FormDataRoutingRedirect
    from aioflask.exceptions import RequestRedirect

    @app.route("/user/", methods=["GET", "POST"])
    def user() -> str:
        return request.form.get("status", "lost")

    client = app.test_client()
    app.debug = True
    # The router's own 308 keeps the method and body.
    assert client.post("/user", data={"status": "ok"}, follow_redirects=True).text == "ok"
    monkeypatch.setattr(RequestRedirect, "code", 301)
    with pytest.raises(FormDataRoutingRedirect, match="canonical URL 'http://localhost/user/'"):
        client.post("/user", data={"status": "x"})
    assert client.get("/user").status_code == 301  # GET is redirected as usual
    app.debug = False
    assert client.post("/user", data={"status": "x"}).status_code == 301


def test_kept_context_has_an_unaccessed_session(app: Flask) -> None:
    from aioflask import session

    @app.post("/")
    def do_set() -> str:
        session["value"] = request.form["value"]
        return "set"

    @app.get("/nothing")
    def nothing() -> str:
        return ""

    client = app.test_client()
    with client:
        rv = client.get("/nothing")
        assert "cookie" not in rv.vary
        kept = cast(Any, request_ctx)._session
        assert kept is not None and not kept.accessed and not kept.modified
    with client:
        client.post("/", data={"value": "42"})
        kept = cast(Any, request_ctx)._session
        assert kept.accessed and kept.modified
    with client:
        client.get("/nothing")
        assert session["value"] == "42"  # the cookie's session, opened for the kept context
