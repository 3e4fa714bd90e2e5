"""Behaviours Flask's own test suite pins, checked against aioflask with Flask-style tests.

Plain `def` tests with the sync `app.test_client()`, as a ported Flask suite
would have them. Each was first compared with Flask 3.1 by running the same
app through both test clients.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import werkzeug.datastructures

from aioflask import (
    Blueprint,
    Flask,
    Response,
    abort,
    after_this_request,
    flash,
    g,
    get_flashed_messages,
    jsonify,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from aioflask.exceptions import Forbidden, HTTPException, InternalServerError, NotFound
from aioflask.views import MethodView, View


def _app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "parity"
    return app


def _allow(rv: Any) -> list[str]:
    return sorted(rv.headers["Allow"].split(", "))


# -- routing and methods ---------------------------------------------------------------------


def test_automatic_options_lists_every_rule_for_the_url() -> None:
    app = _app()

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return "index"

    @app.route("/", methods=["PUT"])
    def index_put() -> str:
        return "put"

    rv = app.test_client().open("/", method="OPTIONS")
    assert rv.status_code == 200
    assert rv.data == b""
    assert _allow(rv) == ["GET", "HEAD", "OPTIONS", "POST", "PUT"]


def test_provide_automatic_options_false_gives_405() -> None:
    app = _app()

    def index() -> str:
        return "index"

    index.provide_automatic_options = False  # type: ignore[attr-defined]
    app.route("/")(index)
    rv = app.test_client().open("/", method="OPTIONS")
    assert rv.status_code == 405
    assert _allow(rv) == ["GET", "HEAD"]


def test_method_dispatch_405_allow_and_head() -> None:
    app = _app()

    @app.route("/more", methods=["GET", "POST"])
    def more() -> str:
        return request.method

    c = app.test_client()
    assert c.post("/more").data == b"POST"
    rv = c.delete("/more")
    assert rv.status_code == 405
    assert _allow(rv) == ["GET", "HEAD", "OPTIONS", "POST"]
    head = c.head("/more")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == "4"  # the body "HEAD" was dropped


def test_methods_given_as_a_string_is_a_type_error() -> None:
    app = _app()
    with pytest.raises(TypeError):
        app.add_url_rule("/", "index", lambda: "", methods="GET POST")


def test_endpoint_decorator_binds_a_rule_added_without_a_view() -> None:
    app = _app()
    app.add_url_rule("/bar", endpoint="bar")

    @app.endpoint("bar")
    def bar() -> str:
        return "bar"

    assert app.test_client().get("/bar").data == b"bar"


def test_one_view_on_several_rules_with_defaults() -> None:
    app = _app()

    @app.route("/")
    @app.route("/<test>/")
    def index(test: str = "a") -> str:
        return test

    c = app.test_client()
    assert (c.get("/").data, c.get("/b/").data) == (b"a", b"b")


def test_trailing_slash_redirect_followed_keeps_post_body() -> None:
    app = _app()

    @app.route("/user/", methods=["GET", "POST"])
    def user() -> str:
        return request.form["status"]

    c = app.test_client()
    rv = c.post("/user", data={"status": "success"})
    assert rv.status_code == 308 and rv.location == "http://localhost/user/"
    followed = c.post("/user", data={"status": "success"}, follow_redirects=True)
    assert followed.data == b"success"
    assert followed.request.path == "/user/"


def test_non_ascii_path() -> None:
    app = _app()

    @app.route("/киртест")
    def index() -> str:
        return "Hello"

    assert app.test_client().get("/киртест").data == b"Hello"


def test_url_processors_pull_and_inject_values() -> None:
    app = _app()

    @app.url_defaults
    def add_lang(endpoint: str, values: dict[str, Any]) -> None:
        if g.lang_code is not None and app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
            values.setdefault("lang_code", g.lang_code)

    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang_code = (values or {}).pop("lang_code", None)

    @app.route("/<lang_code>/")
    def index() -> str:
        return url_for("about")

    @app.route("/<lang_code>/about")
    def about() -> str:
        return url_for("other")

    @app.route("/other")
    def other() -> str:
        return url_for("about", lang_code="en")

    c = app.test_client()
    assert [c.get(p).data for p in ("/de/", "/de/about", "/other")] == [
        b"/de/about",
        b"/other",
        b"/en/about",
    ]


def test_url_build_error_handler_supplies_a_url() -> None:
    app = _app()
    app.url_build_error_handlers.append(lambda error, endpoint, values: "/handled/")
    with app.test_request_context():
        assert url_for("spam") == "/handled/"


# -- hooks -----------------------------------------------------------------------------------


def test_before_request_return_short_circuits_in_order() -> None:
    app = _app()
    evts: list[Any] = []

    @app.before_request
    def first() -> None:
        evts.append(1)

    @app.before_request
    def second() -> str:
        evts.append(2)
        return "hello"

    @app.before_request
    def third() -> str:
        evts.append(3)
        return "bye"

    @app.route("/")
    def index() -> str:
        evts.append("index")
        return "view"

    assert app.test_client().get("/").data == b"hello"
    assert evts == [1, 2]


def test_hook_order_and_after_request_can_edit_data() -> None:
    app = _app()
    called: list[int] = []

    @app.before_request
    def before1() -> None:
        called.append(1)

    @app.before_request
    def before2() -> None:
        called.append(2)

    @app.after_request
    def after1(r: Response) -> Response:
        called.append(4)
        r.data += b"|after"
        return r

    @app.after_request
    def after2(r: Response) -> Response:
        called.append(3)
        return r

    @app.teardown_request
    def finish1(exc: BaseException | None) -> None:
        called.append(6)

    @app.teardown_request
    def finish2(exc: BaseException | None) -> None:
        called.append(5)

    @app.route("/")
    def index() -> str:
        return "42"

    assert app.test_client().get("/").data == b"42|after"
    assert called == [1, 2, 3, 4, 5, 6]


def test_after_this_request_and_teardown_return_ignored() -> None:
    app = _app()
    called: list[bool] = []

    @app.teardown_request  # type: ignore[type-var]  # Flask ignores the return value
    def teardown(exc: BaseException | None) -> str:
        called.append(True)
        return "ignored"

    @app.route("/")
    def index() -> str:
        @after_this_request
        def foo(response: Response) -> Response:
            response.headers["X-Foo"] = "a header"
            return response

        return "Test"

    rv = app.test_client().get("/")
    assert (rv.data, rv.headers["X-Foo"], called) == (b"Test", "a header", [True])


def test_error_handler_sees_g_set_before_a_routing_404() -> None:
    app = _app()

    @app.before_request
    def attach() -> None:
        g.something = "value"

    @app.errorhandler(404)
    def not_found(e: HTTPException) -> tuple[str, int]:
        return g.something, 404

    assert app.test_client().get("/").data == b"value"


def test_500_handler_response_still_goes_through_after_request() -> None:
    app = _app()
    app.testing = False

    @app.errorhandler(500)
    def internal(e: HTTPException) -> tuple[str, int]:
        return "internal server error", 500

    @app.route("/")
    def broken() -> str:
        raise ZeroDivisionError

    @app.after_request
    def after(r: Response) -> Response:
        r.mimetype = "text/x-special"
        return r

    rv = app.test_client().get("/")
    assert (rv.status_code, rv.mimetype, rv.data) == (
        500,
        "text/x-special",
        b"internal server error",
    )


def test_error_in_before_or_after_request_reaches_the_500_handler() -> None:
    app = _app()
    app.testing = False

    @app.before_request
    def before() -> None:
        if request.args.get("trigger") == "before":
            raise ZeroDivisionError

    @app.after_request
    def after(r: Response) -> Response:
        if request.args.get("trigger") == "after":
            raise ZeroDivisionError
        return r

    @app.route("/")
    def index() -> str:
        return "Foo"

    @app.errorhandler(500)
    def internal(e: HTTPException) -> tuple[str, int]:
        return "Hello Server Error", 500

    c = app.test_client()
    for trigger in ("before", "after"):
        rv = c.get(f"/?trigger={trigger}")
        assert (rv.status_code, rv.data) == (500, b"Hello Server Error")


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "propagates"),
    [("TESTING", True), ("PROPAGATE_EXCEPTIONS", True), ("DEBUG", True), (None, False)],
)
def test_exception_propagation(config: str | None, propagates: bool) -> None:
    app = _app()

    @app.route("/")
    def index() -> str:
        raise ZeroDivisionError

    if config is not None:
        app.config[config] = True
    c = app.test_client()
    if propagates:
        with pytest.raises(ZeroDivisionError):
            c.get("/")
    else:
        with warnings.catch_warnings():
            assert c.get("/").status_code == 500


def test_trap_http_exceptions() -> None:
    app = _app()
    app.testing = True

    @app.route("/fail")
    def fail() -> str:
        abort(404)

    c = app.test_client()
    assert c.get("/fail").status_code == 404
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    with pytest.raises(NotFound) as info:
        c.get("/fail")
    assert info.value.code == 404


def test_bad_request_key_error_is_400_unless_debug() -> None:
    app = _app()
    app.testing = True

    @app.route("/key")
    def fail() -> str:
        return request.form["missing_key"]

    @app.route("/abort")
    def allow_abort() -> str:
        abort(400)

    c = app.test_client()
    assert c.get("/key").status_code == 400
    app.debug = True
    with pytest.raises(KeyError) as info:
        c.get("/key")
    assert info.value.args[0] == "missing_key"
    assert c.get("/abort").status_code == 400
    app.debug = False
    app.config["TRAP_BAD_REQUEST_ERRORS"] = False
    assert c.get("/key").status_code == 400


def test_error_handler_lookup_by_class_mro_and_code() -> None:
    class E1(Exception):
        pass

    class E2(Exception):
        pass

    class E3(E1, E2):
        pass

    class ForbiddenSub(Forbidden):
        pass

    app = _app()

    @app.errorhandler(E2)
    def e2(e: Exception) -> str:
        return "E2"

    @app.errorhandler(Exception)
    def generic(e: Exception) -> str:
        return "Exception"

    @app.errorhandler(ForbiddenSub)
    def sub(e: Exception) -> str:
        return "banana"

    @app.errorhandler(403)
    def forbidden(e: Exception) -> str:
        return "apple"

    @app.route("/e3")
    def raise_e3() -> str:
        raise E3

    @app.route("/sub")
    def raise_sub() -> str:
        raise ForbiddenSub

    @app.route("/403")
    def raise_403() -> str:
        abort(403)

    c = app.test_client()
    assert [c.get(p).data for p in ("/e3", "/sub", "/403")] == [b"E2", b"banana", b"apple"]


def test_register_error_handler_rejects_instances_and_unknown_codes() -> None:
    app = _app()
    with pytest.raises(TypeError):
        app.register_error_handler(ValueError(), lambda e: "")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        app.register_error_handler(999, lambda e: "")


@pytest.mark.parametrize("to_handle", [InternalServerError, 500])
def test_500_handler_gets_original_exception(to_handle: Any) -> None:
    app = _app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/error")
    def error() -> str:
        raise KeyError

    @app.route("/abort")
    def do_abort() -> str:
        abort(500)

    @app.errorhandler(to_handle)
    def handler(e: InternalServerError) -> str:
        return f"{type(e).__name__}|{type(e.original_exception).__name__}"

    c = app.test_client()
    assert c.get("/error").data == b"InternalServerError|KeyError"
    assert c.get("/abort").data == b"InternalServerError|NoneType"


def test_http_exception_handler_catches_routing_errors() -> None:
    app = _app()

    @app.errorhandler(HTTPException)
    def any_http(e: HTTPException) -> str:
        return f"{type(e).__name__}:{e.code}"

    @app.route("/slash/")
    def slash() -> str:
        return "slash"

    c = app.test_client()
    assert c.get("/undefined").data == b"NotFound:404"
    assert c.post("/slash/").data == b"MethodNotAllowed:405"
    assert c.get("/slash").status_code == 308  # the redirect is not an error to handle


def test_teardown_sees_none_for_a_handled_exception() -> None:
    app = _app()
    seen: list[BaseException | None] = []

    @app.teardown_request
    def teardown(e: BaseException | None) -> None:
        seen.append(e)

    @app.errorhandler(ZeroDivisionError)
    def handled(e: Exception) -> str:
        return "handled"

    @app.route("/")
    def index() -> str:
        raise ZeroDivisionError

    assert app.test_client().get("/").data == b"handled"
    assert seen == [None]


def test_max_content_length_413_before_the_hooks() -> None:
    app = _app()
    app.config["MAX_CONTENT_LENGTH"] = 64

    @app.before_request
    def always_first() -> None:
        raise AssertionError("not reached")

    @app.route("/accept", methods=["POST"])
    def accept() -> str:
        raise AssertionError("not reached")

    @app.errorhandler(413)
    def catcher(error: HTTPException) -> str:
        return "42"

    assert app.test_client().post("/accept", data={"myfile": "foo" * 100}).data == b"42"


# -- return values ----------------------------------------------------------------------------


def test_view_return_values() -> None:
    app = _app()
    app.testing = True

    @app.route("/full_tuple")
    def full_tuple() -> Any:
        return "Meh", 400, {"X-Foo": "Testing", "Content-Type": "text/plain; charset=utf-8"}

    @app.route("/response_headers")
    def response_headers() -> Any:
        return Response("Hello world", 404, {"Content-Type": "text/html"}), {
            "Content-Type": "text/plain",
            "X-Foo": "Bar",
            "X-Bar": ["Foo", "Baz"],
        }

    @app.route("/response_status")
    def response_status() -> Any:
        return app.response_class("Hello world", 400), 500

    @app.route("/dict")
    def from_dict() -> Any:
        return {"foo": "bar"}, 201

    @app.route("/status_str")
    def status_str() -> Any:
        return "x", "299 Something"

    c = app.test_client()
    rv = c.get("/full_tuple")
    assert (rv.status_code, rv.data, rv.headers["X-Foo"], rv.mimetype) == (
        400,
        b"Meh",
        "Testing",
        "text/plain",
    )
    rv = c.get("/response_headers")
    assert (rv.status_code, rv.headers["Content-Type"]) == (404, "text/plain")
    assert rv.headers.getlist("X-Bar") == ["Foo", "Baz"]
    assert c.get("/response_status").status_code == 500
    rv = c.get("/dict")
    assert (rv.status_code, rv.data, rv.mimetype) == (201, b'{"foo":"bar"}\n', "application/json")
    assert c.get("/status_str").status_code == 299


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "returned None"),
        (("Hello",), "tuple must have the form"),
        (("Hello", 234, {}, "???"), "tuple must have the form"),
        (True, "it was a bool"),
    ],
)
def test_invalid_view_return_values_are_type_errors(value: Any, message: str) -> None:
    app = _app()
    app.testing = True
    app.add_url_rule("/", "index", lambda: value)
    with pytest.raises(TypeError, match=message):
        app.test_client().get("/")


def test_make_response_forms() -> None:
    app = _app()
    with app.test_request_context():
        rv = make_response()
        assert (rv.status_code, rv.data, rv.mimetype) == (200, b"", "text/html")
        rv = make_response("W00t", 404)
        assert (rv.status_code, rv.data) == (404, b"W00t")
        rv = make_response(jsonify({"msg": "W00t"}), 400)
        assert (rv.status_code, rv.mimetype) == (400, "application/json")
        rv = make_response(
            Response("", headers={"Content-Type": "text/html"}), 400, [("X-Foo", "bar")]
        )
        assert (rv.status_code, rv.headers["Content-Type"], rv.headers["X-Foo"]) == (
            400,
            "text/html",
            "bar",
        )


def test_abort_with_a_response_and_redirect_status() -> None:
    app = _app()

    @app.route("/")
    def index() -> str:
        abort(Response("custom", 418))

    @app.route("/moved")
    def moved() -> Response:
        return redirect("http://example.com/x?a=1", 301)

    c = app.test_client()
    assert (c.get("/").status_code, c.get("/").data) == (418, b"custom")
    rv = c.get("/moved")
    assert (rv.status_code, rv.location) == (301, "http://example.com/x?a=1")


# -- sessions and flashing -----------------------------------------------------------------------


def test_session_cookie_attributes_from_config() -> None:
    app = _app()
    app.config.update(
        SERVER_NAME="www.example.com:8080",
        APPLICATION_ROOT="/test",
        SESSION_COOKIE_DOMAIN=".example.com",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
    )

    @app.route("/")
    def index() -> str:
        session["testing"] = 42
        return "Hello"

    rv = app.test_client().get("/", "http://www.example.com:8080/test/")
    cookie = rv.headers["set-cookie"].lower()
    assert "domain=example.com" in cookie
    assert "path=/;" in cookie and "secure" in cookie and "samesite=lax" in cookie
    assert "httponly" not in cookie


def test_session_cookie_path_is_the_application_root() -> None:
    app = _app()
    app.config.update(SERVER_NAME="example.com:8080", APPLICATION_ROOT="/foo")

    @app.route("/")
    def index() -> str:
        session["testing"] = 42
        return "Hello"

    rv = app.test_client().get("/", "http://example.com:8080/foo")
    assert rv.status_code == 200
    assert "path=/foo" in rv.headers["set-cookie"].lower()


def test_invalid_samesite_is_a_value_error() -> None:
    app = _app()
    app.testing = True
    app.config["SESSION_COOKIE_SAMESITE"] = "invalid"

    @app.route("/")
    def index() -> str:
        session["testing"] = 42
        return ""

    with pytest.raises(ValueError):
        app.test_client().get("/")


def test_null_session_refuses_writes() -> None:
    app = Flask(__name__)
    with app.test_request_context():
        assert session.get("missing_key") is None
        with pytest.raises(RuntimeError, match="session is unavailable"):
            session["foo"] = 42
        with pytest.raises(RuntimeError, match="session is unavailable"):
            session.pop("foo")


def test_permanent_session_expires_and_non_permanent_does_not() -> None:
    app = _app()
    permanent = [True]

    @app.route("/")
    def index() -> str:
        session["test"] = 42
        session.permanent = permanent[0]
        return ""

    @app.route("/test")
    def test() -> str:
        return str(session.permanent)

    c = app.test_client()
    assert re.search(r"(?i)\bexpires=", c.get("/").headers["set-cookie"])
    assert c.get("/test").data == b"True"
    permanent[0] = False
    assert not re.search(r"(?i)\bexpires=", app.test_client().get("/").headers["set-cookie"])


def test_session_set_in_after_request_is_saved() -> None:
    app = _app()

    @app.after_request
    def modify(r: Response) -> Response:
        session["foo"] = 42
        return r

    @app.route("/")
    def dump() -> str:
        return repr(session.get("foo"))

    c = app.test_client()
    assert (c.get("/").data, c.get("/").data) == (b"None", b"42")


@pytest.mark.parametrize(
    ("permanent", "refresh", "expect_header"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_session_refresh_each_request(permanent: bool, refresh: bool, expect_header: bool) -> None:
    app = _app()
    app.config["SESSION_REFRESH_EACH_REQUEST"] = refresh

    @app.route("/bump")
    def bump() -> str:
        rv = session["foo"] = session.get("foo", 0) + 1
        session.permanent = permanent
        return str(rv)

    @app.route("/read")
    def read() -> str:
        return str(session.get("foo", 0))

    with app.test_client() as c:
        assert [c.get("/bump").data for _ in range(3)] == [b"1", b"2", b"3"]
        rv = c.get("/read")
        assert (rv.headers.get("set-cookie") is not None) == expect_header
        assert rv.data == b"3"


def test_session_access_adds_vary_cookie() -> None:
    app = _app()

    @app.route("/set")
    def set_session() -> str:
        session["test"] = "test"
        return ""

    @app.route("/get")
    def get() -> str:
        return str(session.get("test"))

    @app.route("/vary-header-set")
    def vary_header_set() -> Response:
        response = Response()
        response.vary.update(("Accept-Encoding", "Accept-Language"))
        session["test"] = "test"
        return response

    @app.route("/no-vary-header")
    def no_vary_header() -> str:
        return ""

    c = app.test_client()
    assert c.get("/set").headers["Vary"] == "Cookie"
    assert c.get("/get").headers["Vary"] == "Cookie"
    assert c.get("/vary-header-set").headers["Vary"] == "Accept-Encoding, Accept-Language, Cookie"
    assert "Vary" not in c.get("/no-vary-header").headers


def test_vary_header_set_discard_and_remove() -> None:
    response = Response()
    assert isinstance(response.vary, werkzeug.datastructures.HeaderSet)
    response.vary.update(["Accept", "Cookie", "accept"])
    assert response.headers["Vary"] == "Accept, Cookie"
    # Werkzeug's HeaderSet (Flask's too) matches the stored spelling against the
    # argument as given, so only a lower-case name removes the header text.
    response.vary.discard("accept")
    assert response.headers["Vary"] == "Cookie"
    with pytest.raises(KeyError):
        response.vary.remove("Accept")
    response.vary.remove("cookie")
    assert "Vary" not in response.headers


def test_session_cookie_name_may_depend_on_the_request() -> None:
    from aioflask.sessions import SecureCookieSessionInterface

    class PathAware(SecureCookieSessionInterface):
        def get_cookie_name(self, app: Flask) -> str:
            if request.url.endswith("dynamic"):
                return "dynamic_cookie_name"
            return super().get_cookie_name(app)

    app = _app()
    app.session_interface = PathAware()

    @app.post("/set")
    @app.post("/set_dynamic")
    def set_value() -> str:
        session["value"] = request.form["value"]
        return "set"

    @app.get("/get")
    @app.get("/get_dynamic")
    def get_value() -> str:
        return str(session.get("value", "None"))

    c = app.test_client()
    c.post("/set", data={"value": "42"})
    c.post("/set_dynamic", data={"value": "616"})
    assert (c.get("/get").data, c.get("/get_dynamic").data) == (b"42", b"616")


def test_session_interface_error_is_a_500_and_leaves_no_context() -> None:
    from aioflask.sessions import SessionInterface, SessionMixin

    class Failing(SessionInterface):
        def open_session(  # type: ignore[override]  # a Flask-style sync interface
            self, app: Flask, request: Any
        ) -> SessionMixin | None:
            raise ValueError("boom")

    app = Flask(__name__)
    app.session_interface = Failing()

    @app.route("/")
    def index() -> str:
        raise AssertionError("not reached")

    assert app.test_client().get("/").status_code == 500


def test_flash_categories_and_filters() -> None:
    app = _app()
    app.testing = True

    @app.route("/")
    def index() -> str:
        flash("Hello World")
        flash("Hello World", "error")
        flash("Careful", "warning")
        return ""

    @app.route("/with_categories")
    def with_categories() -> str:
        return repr(get_flashed_messages(with_categories=True))

    @app.route("/filtered")
    def filtered() -> str:
        return repr(get_flashed_messages(category_filter=["message", "warning"]))

    c = app.test_client()
    c.get("/")
    assert c.get("/with_categories").data == (
        b"[('message', 'Hello World'), ('error', 'Hello World'), ('warning', 'Careful')]"
    )
    c = app.test_client()
    c.get("/")
    assert c.get("/filtered").data == b"['Hello World', 'Careful']"


def test_flash_marks_the_session_modified() -> None:
    app = _app()
    with app.test_request_context():
        assert not session.modified
        flash("Zap")
        session.modified = False
        flash("Zip")
        assert session.modified
        assert get_flashed_messages() == ["Zap", "Zip"]


def test_large_cookie_warns_with_the_app_limit() -> None:
    app = _app()
    app.config["MAX_COOKIE_SIZE"] = 100
    assert Response().max_cookie_size == Flask.default_config["MAX_COOKIE_SIZE"]
    with app.app_context():
        assert Response().max_cookie_size == 100

    @app.route("/")
    def index() -> Response:
        r = Response("", status=204)
        r.set_cookie("foo", "bar" * 100)
        return r

    c = app.test_client()
    with pytest.warns(UserWarning, match="cookie is too large"):
        c.get("/")
    app.config["MAX_COOKIE_SIZE"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c.get("/")


# -- the test client -----------------------------------------------------------------------------


def test_client_base_url_defaults_to_the_config() -> None:
    app = _app()
    app.config["SERVER_NAME"] = "example.com:1234"
    app.config["APPLICATION_ROOT"] = "/foo"

    @app.route("/")
    def index() -> str:
        return f"{request.url} {request.script_root} {request.path}"

    with app.test_request_context():
        assert request.url == "http://example.com:1234/foo/"
    rv = app.test_client().get("/")
    assert rv.data == b"http://example.com:1234/foo/ /foo /"
    assert rv.request.path == "/"


def test_client_url_scheme_and_preferred_scheme() -> None:
    app = _app()

    @app.route("/")
    def index() -> str:
        return request.url

    c = app.test_client()
    assert c.get("/", url_scheme="https").data == b"https://localhost/"
    app.config["PREFERRED_URL_SCHEME"] = "https"
    assert c.get("/").data == b"https://localhost/"


def test_client_base_url_positional_and_keyword_with_a_path() -> None:
    app = _app()

    @app.route("/p")
    def index() -> str:
        return f"{request.url} {request.script_root}"

    c = app.test_client()
    assert c.get("/p", "http://example.com/root").data == b"http://example.com/root/p /root"
    assert c.get("/p", base_url="https://ex.org/").data == b"https://ex.org/p "
    with pytest.raises(TypeError):
        c.get("/p", "http://a/", base_url="http://b/")


def test_client_full_url_request() -> None:
    app = _app()

    @app.route("/action", methods=["POST"])
    def action() -> str:
        return "x"

    with app.test_client() as c:
        rv = c.post("http://domain.com/action?vodka=42", data={"gin": 43})
        assert rv.status_code == 200
        assert "gin" in request.form and "vodka" in request.args
        assert request.host == "domain.com"


def test_response_close_and_with_block() -> None:
    app = _app()
    app.add_url_rule("/", "index", lambda: "hello")
    rv = app.test_client().get("/")
    assert rv.data == b"hello"
    rv.close()
    rv.close()
    with app.test_client().get("/") as rv2:
        assert rv2.data == b"hello"


def test_redirect_keeps_session_under_with_client() -> None:
    app = _app()

    @app.route("/", methods=["GET", "POST"])
    def index() -> Any:
        if request.method == "POST":
            return redirect("/getsession")
        session["data"] = "foo"
        return "index"

    @app.route("/getsession")
    def get_session() -> str:
        return str(session.get("data", "<missing>"))

    with app.test_client() as c:
        assert c.get("/getsession").data == b"<missing>"
        assert c.get("/").data == b"index"
        assert session.get("data") == "foo"
        rv = c.post("/", data={}, follow_redirects=True)
        assert rv.data == b"foo"
        assert session.get("data") == "foo"
        assert rv.request.path == "/getsession"
        assert [r.status_code for r in rv.history] == [302]


def test_session_transaction() -> None:
    app = _app()

    @app.route("/")
    def index() -> str:
        return str(session["foo"])

    with app.test_client() as c:
        with c.session_transaction() as sess:
            assert len(sess) == 0
            sess["foo"] = [42]
        assert c.get("/").data == b"[42]"
        req = request._get_current_object()  # type: ignore[attr-defined]
        with c.session_transaction() as sess:
            assert sess["foo"] == [42]
            assert request._get_current_object() is req  # type: ignore[attr-defined]


def test_session_transaction_errors() -> None:
    with pytest.raises(RuntimeError, match="Session backend did not open a session"):
        with Flask(__name__).test_client().session_transaction():
            pass
    with pytest.raises(TypeError, match="Cookies are disabled"):
        with _app().test_client(use_cookies=False).session_transaction():
            pass


def test_with_client_keeps_g_and_500_does_not() -> None:
    app = _app()

    @app.route("/")
    def index() -> str:
        g.value = 42
        return "Hello World!"

    @app.route("/other")
    def other() -> str:
        raise ZeroDivisionError

    with app.test_client() as c:
        assert c.get("/").data == b"Hello World!"
        assert g.value == 42
    with app.test_client() as c:
        rv = c.get("/other")
        assert not hasattr(g, "value")
        assert rv.status_code == 500
    with pytest.raises(RuntimeError):
        g.value  # noqa: B018 - the context ended with the block


def test_json_request_and_response() -> None:
    app = _app()

    @app.route("/echo", methods=["POST"])
    def echo() -> Response:
        return jsonify(request.get_json())

    data = {"a": 1, "b": [1, 2, 3], "c": None, "d": "ü"}
    with app.test_client() as c:
        rv = c.post("/echo", json=data)
        assert request.is_json and request.get_json() == data
        assert rv.is_json and rv.get_json() == data


# -- contexts --------------------------------------------------------------------------------------


def test_teardown_on_pop_and_exception_scope() -> None:
    app = _app()
    buffer: list[BaseException | None] = []

    @app.teardown_request
    def end(exception: BaseException | None) -> None:
        buffer.append(exception)

    ctx = app.test_request_context()
    ctx.push()
    assert buffer == []
    ctx.pop()
    assert buffer == [None]
    try:
        raise Exception("dummy")
    except Exception:
        pass
    with app.test_request_context():
        try:
            raise Exception("dummy")
        except Exception:
            pass
    assert buffer == [None, None]


def test_app_context_teardown_and_nested_refcounts() -> None:
    app = _app()
    called: list[str] = []

    @app.teardown_request
    def teardown_req(error: BaseException | None = None) -> None:
        called.append("request")

    @app.teardown_appcontext
    def teardown_app(error: BaseException | None = None) -> None:
        called.append("app")

    @app.route("/")
    def index() -> str:
        with app.app_context():
            with app.test_request_context():
                pass
        return ""

    assert app.test_client().get("/").status_code == 200
    assert called == ["request", "app", "request", "app"]


def test_handled_error_gives_teardown_appcontext_none() -> None:
    app = _app()
    app.config["PROPAGATE_EXCEPTIONS"] = True
    cleanup: list[BaseException | None] = []

    @app.teardown_appcontext
    def cleanup_fn(exception: BaseException | None) -> None:
        cleanup.append(exception)

    @app.route("/")
    def index() -> str:
        raise Exception("dummy")

    @app.errorhandler(Exception)
    def handler(f: Exception) -> Response:
        return jsonify(str(f))

    with app.app_context():
        assert app.test_client().get("/").get_json() == "dummy"
    assert cleanup == [None]  # the request reused the app context already pushed


def test_url_for_in_app_context_needs_server_name() -> None:
    app = _app()

    @app.route("/")
    def index() -> str:
        return ""

    with app.app_context():
        with pytest.raises(RuntimeError):
            url_for("index")
    app.config["SERVER_NAME"] = "localhost"
    app.config["PREFERRED_URL_SCHEME"] = "https"
    with app.app_context():
        assert url_for("index") == "https://localhost/"


def test_g_namespace_methods() -> None:
    app = _app()
    with app.app_context():
        assert g.get("foo") is None and g.get("foo", "bar") == "bar"
        assert "foo" not in g
        g.foo = "bar"
        assert "foo" in g
        assert g.setdefault("bar", "baz") == "baz" and g.setdefault("bar", "x") == "baz"
        assert g.pop("bar") == "baz" and g.pop("bar", "more") == "more"
        with pytest.raises(KeyError):
            g.pop("bar")
        assert list(g) == ["foo"]


def test_custom_app_ctx_globals_class() -> None:
    class CustomGlobals:
        def __init__(self) -> None:
            self.spam = "eggs"

    app = _app()
    app.app_ctx_globals_class = CustomGlobals  # type: ignore[assignment]
    from aioflask import render_template_string

    with app.app_context():
        assert render_template_string("{{ g.spam }}") == "eggs"


# -- JSON ------------------------------------------------------------------------------------------


def test_jsonify_forms_and_sorting() -> None:
    app = _app()
    with app.test_request_context():
        assert jsonify(1, 2).data == b"[1,2]\n"
        assert jsonify().data == b"null\n"
        assert jsonify(b=1, a=2).data == b'{"a":2,"b":1}\n'
        with pytest.raises(TypeError):
            jsonify("args", kwargs="too")
    app.debug = True
    with app.test_request_context():
        assert jsonify({"a": 1}).data == b'{\n  "a": 1\n}\n'


def test_bad_json_is_400_with_detail_only_in_debug() -> None:
    app = _app()

    @app.route("/json", methods=["POST"])
    def return_json() -> Response:
        return jsonify(foo=str(request.get_json()))

    c = app.test_client()
    assert c.post("/json", data="malformed", content_type="application/json").status_code == 400
    rv = c.post("/json", data="x=1", content_type="text/plain")
    assert rv.status_code == 415
    app.debug = True
    rv = c.post("/json", data="", content_type="application/json")
    assert rv.status_code == 400 and b"Failed to decode JSON object" in rv.data


def test_json_structured_suffix_is_json() -> None:
    app = _app()

    @app.route("/json", methods=["POST"])
    def j() -> str:
        return repr((request.is_json, request.get_json()))

    c = app.test_client()
    assert c.post("/json", data='"foo"', content_type="application/x+json").data == b"(True, 'foo')"


def test_custom_json_provider_class() -> None:
    from aioflask.json.provider import DefaultJSONProvider

    class X:
        def __init__(self, val: int) -> None:
            self.val = val

    class MyProvider(DefaultJSONProvider):
        def default(self, o: Any) -> Any:
            if isinstance(o, X):
                return f"<{o.val}>"
            return super().default(o)

    class MyApp(Flask):
        json_provider_class = MyProvider

    app = MyApp(__name__)

    @app.route("/")
    def index() -> Any:
        return {"x": X(42)}

    assert app.test_client().get("/").get_json() == {"x": "<42>"}


# -- blueprints and class-based views -------------------------------------------------------


def test_blueprint_error_handlers_and_nesting() -> None:
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)
    grandchild = Blueprint("grandchild", __name__)

    @parent.errorhandler(403)
    def parent_forbidden(e: HTTPException) -> tuple[str, int]:
        return "Parent no", 403

    @child.route("/no")
    def child_no() -> str:
        abort(403)

    @grandchild.errorhandler(403)
    def grandchild_forbidden(e: HTTPException) -> tuple[str, int]:
        return "Grandchild no", 403

    @grandchild.route("/no")
    def grandchild_no() -> str:
        abort(403)

    child.register_blueprint(grandchild, url_prefix="/grandchild")
    parent.register_blueprint(child, url_prefix="/child")
    app = _app()
    app.register_blueprint(parent, url_prefix="/parent")

    @app.errorhandler(403)
    def app_forbidden(e: HTTPException) -> tuple[str, int]:
        return "App no", 403

    @app.route("/no")
    def app_no() -> str:
        abort(403)

    c = app.test_client()
    assert [c.get(p).data for p in ("/no", "/parent/child/no", "/parent/child/grandchild/no")] == [
        b"App no",
        b"Parent no",
        b"Grandchild no",
    ]


@pytest.mark.parametrize(
    ("prefix", "rule", "url"),
    [
        ("", "/", "/"),
        ("/", "", "/"),
        ("/foo", "", "/foo"),
        ("/foo/", "", "/foo/"),
        ("/foo/", "/bar", "/foo/bar"),
        ("/foo/", "//bar", "/foo/bar"),
        ("/foo//", "/bar", "/foo/bar"),
    ],
)
def test_blueprint_prefix_slash_joining(prefix: str, rule: str, url: str) -> None:
    bp = Blueprint("test", __name__, url_prefix=prefix)
    bp.add_url_rule(rule, "index", lambda: ("", 204))
    app = _app()
    app.register_blueprint(bp)
    assert app.test_client().get(url).status_code == 204


def test_blueprint_url_value_preprocessor_with_prefix_variable() -> None:
    bp = Blueprint("frontend", __name__, url_prefix="/<lang_code>")

    @bp.url_defaults
    def add_lang(endpoint: str, values: dict[str, Any]) -> None:
        values.setdefault("lang_code", g.lang_code)

    @bp.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang_code = (values or {}).pop("lang_code")

    @bp.route("/")
    def index() -> str:
        return url_for(".about")

    @bp.route("/about")
    def about() -> str:
        return url_for(".index")

    app = _app()
    app.register_blueprint(bp)
    c = app.test_client()
    assert (c.get("/de/").data, c.get("/de/about").data) == (b"/de/about", b"/de/")


def test_blueprint_name_rules() -> None:
    with pytest.raises(ValueError):
        Blueprint("app.ui", __name__)
    with pytest.raises(ValueError):
        Blueprint("", __name__)
    app = _app()
    app.register_blueprint(Blueprint("bp", __name__))
    with pytest.raises(ValueError):
        app.register_blueprint(Blueprint("bp", __name__))


def _add_header(view: Callable[..., Any]) -> Callable[..., Any]:
    # Written for Flask: a plain def that works on the view's response.
    @functools.wraps(view)
    def wrapped(**kwargs: Any) -> Response:
        response = make_response(view(**kwargs))
        response.headers["X-Decorated"] = "yes"
        return response

    return wrapped


def test_sync_class_view_decorator_can_work_on_the_response() -> None:
    class Greeting(View):
        decorators = [_add_header]
        methods = ["GET", "POST"]
        init_every_request = False

        def __init__(self, word: str) -> None:
            self.word = word

        def dispatch_request(self) -> str:
            return self.word + request.method

    class Items(MethodView):
        decorators = [_add_header]

        def get(self) -> str:
            return "items"

    app = _app()
    app.add_url_rule("/", view_func=Greeting.as_view("greeting", "hi"))
    app.add_url_rule("/items", view_func=Items.as_view("items"))
    c = app.test_client()
    for rv, body in ((c.get("/"), b"hiGET"), (c.post("/"), b"hiPOST"), (c.get("/items"), b"items")):
        assert (rv.status_code, rv.data, rv.headers["X-Decorated"]) == (200, body, "yes")
    assert c.put("/").status_code == 405


def test_method_view_inherits_handlers_and_head_uses_get() -> None:
    class Base(MethodView):
        def get(self) -> str:
            return "GET"

    class Child(Base):
        def delete(self) -> str:
            return "DELETE"

    app = _app()
    app.add_url_rule("/", view_func=Child.as_view("index"))
    c = app.test_client()
    assert (c.get("/").data, c.delete("/").data) == (b"GET", b"DELETE")
    assert sorted(Child.methods or ()) == ["DELETE", "GET"]
    head = c.head("/")
    assert (head.status_code, head.data, head.headers["Content-Length"]) == (200, b"", "3")
