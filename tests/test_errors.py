"""Error handling: abort, error handlers and their lookup, 500 pages, propagation, setup errors."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from starlette.responses import PlainTextResponse

from aioflask import Flask, Response, abort, make_response, request, session
from aioflask.exceptions import (
    BadRequest,
    BadRequestKeyError,
    Forbidden,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
)


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


async def get(app: Flask, path: str = "/", method: str = "GET") -> httpx.Response:
    async with client_for(app) as client:
        return await client.request(method, path)


def app_records(app: Flask, caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [rec for rec in caplog.records if rec.name == app.logger.name]


# -- abort ---------------------------------------------------------------------------------


async def test_abort_404_gives_the_default_page(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        abort(404)

    r = await get(app)
    assert r.status_code == 404
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.text.startswith(
        "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>"
    )
    assert r.text.endswith("</p>\n")


async def test_abort_description_is_escaped(app: Flask) -> None:
    @app.route("/")
    async def index() -> str:
        abort(400, description="<script>alert(1)</script>")

    r = await get(app)
    assert r.status_code == 400
    assert "<script>" not in r.text
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>" in r.text


async def test_abort_with_a_response_sends_it(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        abort(make_response("custom", 402))

    r = await get(app)
    assert r.status_code == 402
    assert r.text == "custom"


async def test_abort_with_a_starlette_response_sends_it(app: Flask) -> None:
    app.secret_key = "test key"

    @app.route("/")
    def index() -> str:
        session["seen"] = True
        abort(PlainTextResponse("plain custom", 402))

    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = "yes"
        return response

    r = await get(app)
    assert (r.status_code, r.text) == (402, "plain custom")
    assert r.headers["X-After"] == "yes"
    assert r.headers["Set-Cookie"].startswith("session=")


async def test_abort_unknown_code_is_a_500(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    @app.route("/")
    def index() -> str:
        abort(999)

    r = await get(app)
    assert r.status_code == 500
    [record] = app_records(app, caplog)
    assert record.exc_info is not None and record.exc_info[0] is LookupError


async def test_raised_http_exception_subclass(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        raise Forbidden("no entry")

    r = await get(app)
    assert r.status_code == 403
    assert "<p>no entry</p>" in r.text


# -- handlers and lookup -----------------------------------------------------------------


@pytest.mark.parametrize("key", [404, NotFound], ids=["code", "class"])
async def test_404_handler_by_code_or_class(app: Flask, key: Any) -> None:
    @app.errorhandler(key)
    def not_found(e: NotFound) -> Any:
        assert isinstance(e, NotFound)
        return f"handled {e.code}", 404

    @app.route("/abort")
    def aborts() -> str:
        abort(404)

    @app.route("/raise")
    async def raises() -> str:
        raise NotFound()

    for path in ("/abort", "/raise", "/unmatched"):
        r = await get(app, path)
        assert r.status_code == 404, path
        assert r.text == "handled 404", path


async def test_handler_return_value_goes_through_make_response(app: Flask) -> None:
    @app.errorhandler(404)
    async def not_found(e: NotFound) -> Any:
        return {"error": e.name}, 404, {"X-Handled": "yes"}

    r = await get(app, "/missing")
    assert r.status_code == 404
    assert r.headers["X-Handled"] == "yes"
    assert r.json() == {"error": "Not Found"}


async def test_handler_without_status_answers_200(app: Flask) -> None:
    @app.errorhandler(404)
    def not_found(e: NotFound) -> str:
        return "soft 404"

    r = await get(app, "/missing")
    assert r.status_code == 200


class AppError(Exception):
    pass


class SpecificError(AppError):
    pass


class OtherError(AppError):
    pass


async def test_handler_for_custom_exception_and_mro(app: Flask) -> None:
    @app.errorhandler(AppError)
    def base(e: AppError) -> Any:
        return f"base:{type(e).__name__}", 400

    @app.errorhandler(SpecificError)
    def specific(e: SpecificError) -> Any:
        return "specific", 409

    @app.route("/<name>")
    def index(name: str) -> str:
        raise {"specific": SpecificError, "other": OtherError, "base": AppError}[name]()

    r = await get(app, "/specific")
    assert (r.status_code, r.text) == (409, "specific")
    r = await get(app, "/other")
    assert (r.status_code, r.text) == (400, "base:OtherError")
    r = await get(app, "/base")
    assert (r.status_code, r.text) == (400, "base:AppError")


async def test_handler_for_exception_catches_everything_unhandled(app: Flask) -> None:
    @app.errorhandler(Exception)
    def anything(e: Exception) -> Any:
        return f"caught {type(e).__name__}", 418

    @app.route("/")
    def index() -> str:
        raise ZeroDivisionError

    r = await get(app)
    assert (r.status_code, r.text) == (418, "caught ZeroDivisionError")
    # HTTP exceptions match `Exception` too (HTTPException subclasses Exception).
    r = await get(app, "/missing")
    assert (r.status_code, r.text) == (418, "caught NotFound")


async def test_code_handlers_win_over_class_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def generic(e: HTTPException) -> Any:
        return f"generic {e.code}", e.code

    @app.errorhandler(404)
    def not_found(e: NotFound) -> Any:
        return "code 404", 404

    @app.route("/forbidden")
    def forbidden() -> str:
        abort(403)

    assert (await get(app, "/missing")).text == "code 404"
    r = await get(app, "/forbidden")
    assert (r.status_code, r.text) == (403, "generic 403")


async def test_method_not_allowed_handler(app: Flask) -> None:
    @app.errorhandler(MethodNotAllowed)
    def not_allowed(e: MethodNotAllowed) -> Any:
        return f"allowed: {','.join(sorted(e.valid_methods or []))}", 405

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return "x"

    r = await get(app, method="DELETE")
    assert r.status_code == 405
    assert r.text == "allowed: GET,HEAD,OPTIONS,POST"


async def test_redirects_do_not_reach_http_exception_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def generic(e: HTTPException) -> Any:
        return "handled", 500

    @app.route("/dir/")
    def directory() -> str:
        return "x"

    r = await get(app, "/dir")
    assert r.status_code == 308
    assert r.headers["Location"] == "http://localhost/dir/"


async def test_handler_registered_with_register_error_handler(app: Flask) -> None:
    def handler(e: AppError) -> Any:
        return "registered", 400

    app.register_error_handler(AppError, handler)

    @app.route("/")
    def index() -> str:
        raise SpecificError()

    assert (await get(app)).text == "registered"


# -- unhandled exceptions: the 500 page --------------------------------------------------


async def test_unhandled_exception_gives_plain_500_and_logs_once(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.route("/boom")
    def boom() -> str:
        raise ValueError("secret detail 1234")

    r = await get(app, "/boom")
    assert r.status_code == 500
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>500 Internal Server Error</title>" in r.text
    assert "secret detail 1234" not in r.text
    assert "ValueError" not in r.text
    assert "Traceback" not in r.text
    [record] = app_records(app, caplog)
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Exception on /boom [GET]"
    assert record.exc_info is not None
    assert record.exc_info[0] is ValueError
    assert "secret detail 1234" in caplog.text
    assert "Traceback" in caplog.text


@pytest.mark.parametrize("key", [500, InternalServerError, HTTPException])
async def test_500_handler_receives_internal_server_error_with_original(
    app: Flask, key: Any
) -> None:
    seen: list[Any] = []
    error = ValueError("v")

    @app.errorhandler(key)
    def server_error(e: Any) -> Any:
        seen.append(e)
        return "custom 500", 500

    @app.route("/")
    async def index() -> str:
        raise error

    r = await get(app)
    assert (r.status_code, r.text) == (500, "custom 500")
    [received] = seen
    assert isinstance(received, InternalServerError)
    assert received.original_exception is error


async def test_raised_internal_server_error_has_no_original(app: Flask) -> None:
    seen: list[Any] = []

    @app.errorhandler(500)
    def server_error(e: InternalServerError) -> Any:
        seen.append(e.original_exception)
        return "custom 500", 500

    @app.route("/")
    def index() -> str:
        abort(500)

    assert (await get(app)).text == "custom 500"
    assert seen == [None]


async def test_error_handler_that_raises_gives_plain_500(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    @app.errorhandler(KeyError)
    def broken(e: KeyError) -> str:
        calls.append("handler")
        raise ValueError("in handler")

    @app.route("/")
    def index() -> str:
        raise KeyError("x")

    r = await get(app)
    assert r.status_code == 500
    assert "Internal Server Error" in r.text
    assert "in handler" not in r.text
    assert calls == ["handler"]
    [record] = app_records(app, caplog)
    assert record.exc_info is not None and record.exc_info[0] is ValueError


async def test_404_handler_that_raises_gives_plain_500(app: Flask) -> None:
    @app.errorhandler(404)
    async def broken(e: NotFound) -> str:
        raise RuntimeError("oops")

    r = await get(app, "/missing")
    assert r.status_code == 500


async def test_500_handler_that_raises_gives_plain_500_without_recursion(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    @app.errorhandler(500)
    def broken(e: InternalServerError) -> str:
        calls.append("500 handler")
        raise RuntimeError("handler failed")

    @app.route("/")
    def index() -> str:
        raise ValueError("view failed")

    r = await get(app)
    assert r.status_code == 500
    assert "<title>500 Internal Server Error</title>" in r.text
    assert "failed" not in r.text
    assert calls == ["500 handler"]


async def test_after_request_error_while_building_500_is_logged(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.after_request
    def broken(response: Response) -> Response:
        if response.status_code == 500:
            raise RuntimeError("after failed")
        return response

    @app.route("/")
    def index() -> str:
        raise ValueError("view failed")

    r = await get(app)
    assert r.status_code == 500
    assert len(app_records(app, caplog)) == 2


# -- propagation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [{"TESTING": True}, {"PROPAGATE_EXCEPTIONS": True}, {"DEBUG": True}],
    ids=["testing", "propagate", "debug"],
)
async def test_exceptions_propagate_in_testing_and_debug(
    app: Flask, config: dict[str, Any]
) -> None:
    app.config.update(config)

    @app.route("/")
    async def index() -> str:
        raise ZeroDivisionError("propagated")

    with pytest.raises(ZeroDivisionError, match="propagated"):
        await get(app)


async def test_propagate_false_wins_over_testing(app: Flask) -> None:
    app.config.update(TESTING=True, PROPAGATE_EXCEPTIONS=False)

    @app.route("/")
    def index() -> str:
        raise ZeroDivisionError

    assert (await get(app)).status_code == 500


async def test_http_exceptions_do_not_propagate_in_testing(app: Flask) -> None:
    app.testing = True

    @app.route("/")
    def index() -> str:
        abort(404)

    assert (await get(app)).status_code == 404


async def test_handled_exceptions_do_not_propagate_in_testing(app: Flask) -> None:
    app.testing = True

    @app.errorhandler(AppError)
    def handle(e: AppError) -> Any:
        return "handled", 400

    @app.route("/")
    def index() -> str:
        raise AppError()

    assert (await get(app)).text == "handled"


async def test_trap_http_exceptions(app: Flask) -> None:
    app.config.update(TESTING=True, TRAP_HTTP_EXCEPTIONS=True)

    @app.route("/")
    def index() -> str:
        abort(404)

    with pytest.raises(NotFound):
        await get(app)


# -- bad request keys ---------------------------------------------------------------------


def _form_app(app: Flask) -> None:
    @app.route("/form", methods=["POST"])
    def form() -> str:
        return request.form["missing"]


async def test_missing_form_key_is_400_in_production(app: Flask) -> None:
    _form_app(app)
    async with client_for(app) as client:
        r = await client.post("/form", data={"other": "1"})
    assert r.status_code == 400
    assert "<title>400 Bad Request</title>" in r.text
    assert "missing" not in r.text


def test_bad_request_key_error_is_a_key_error() -> None:
    assert issubclass(BadRequestKeyError, KeyError)
    assert issubclass(BadRequestKeyError, BadRequest)


async def test_missing_form_key_can_be_caught_as_key_error(app: Flask) -> None:
    @app.route("/form", methods=["POST"])
    def form() -> str:
        try:
            return request.form["missing"]
        except KeyError:
            return "default"

    async with client_for(app) as client:
        assert (await client.post("/form", data={"a": "1"})).text == "default"


async def test_missing_form_key_propagates_in_debug(app: Flask) -> None:
    app.debug = True
    _form_app(app)
    async with client_for(app) as client:
        with pytest.raises(BadRequestKeyError):
            await client.post("/form", data={"other": "1"})


async def test_missing_form_key_shown_in_debug_when_not_trapped(app: Flask) -> None:
    app.config.update(DEBUG=True, TRAP_BAD_REQUEST_ERRORS=False)
    _form_app(app)
    async with client_for(app) as client:
        r = await client.post("/form", data={"other": "1"})
    assert r.status_code == 400
    assert "KeyError: &#39;missing&#39;" in r.text


async def test_trapped_bad_request_still_reaches_class_handlers(app: Flask) -> None:
    app.config["TRAP_BAD_REQUEST_ERRORS"] = True
    _form_app(app)

    @app.errorhandler(HTTPException)
    def generic(e: HTTPException) -> Any:
        return f"generic {e.code}", e.code

    async with client_for(app) as client:
        r = await client.post("/form", data={"other": "1"})
    assert (r.status_code, r.text) == (400, "generic 400")


async def test_key_error_handler_catches_missing_form_key(app: Flask) -> None:
    # BadRequestKeyError is a KeyError too, so the class handler matches through its MRO.
    @app.errorhandler(KeyError)
    def key_error(e: KeyError) -> Any:
        return f"key error: {type(e).__name__}", 422

    _form_app(app)
    async with client_for(app) as client:
        r = await client.post("/form", data={"other": "1"})
    assert (r.status_code, r.text) == (422, "key error: BadRequestKeyError")


# -- registration errors ------------------------------------------------------------------


def test_errorhandler_for_unknown_code_is_value_error(app: Flask) -> None:
    def handler(e: Exception) -> str:
        return "x"

    with pytest.raises(ValueError, match="999"):
        app.errorhandler(999)(handler)


def test_errorhandler_for_an_instance_is_type_error(app: Flask) -> None:
    with pytest.raises(TypeError, match="instance"):
        app.register_error_handler(NotFound(), lambda e: "x")  # type: ignore[arg-type]


def test_errorhandler_for_a_non_exception_class_is_value_error(app: Flask) -> None:
    with pytest.raises(ValueError, match="not a subclass of Exception"):
        app.register_error_handler(int, lambda e: "x")  # type: ignore[arg-type]


async def test_setup_methods_fail_after_the_first_request(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return "x"

    await get(app)

    def late() -> str:
        return "late"

    with pytest.raises(AssertionError, match="first request"):
        app.add_url_rule("/late", view_func=late)
    with pytest.raises(AssertionError):
        app.route("/late2")
    with pytest.raises(AssertionError):
        app.before_request(late)
    with pytest.raises(AssertionError):
        app.errorhandler(404)
    # The app keeps serving what was registered before.
    assert (await get(app)).text == "x"


def test_duplicate_endpoint_with_another_function_is_an_error(app: Flask) -> None:
    @app.route("/a")
    def view() -> str:
        return "a"

    def other() -> str:
        return "b"

    app.add_url_rule("/a2", "view", view)  # same function: fine
    with pytest.raises(AssertionError, match="overwriting an existing endpoint function: view"):
        app.add_url_rule("/b", "view", other)


def test_methods_as_a_string_is_type_error(app: Flask) -> None:
    with pytest.raises(TypeError, match="list of strings"):

        @app.route("/", methods="GET")
        def index() -> str:
            return "x"


@pytest.mark.parametrize("shortcut", ["get", "post", "put", "delete", "patch"])
def test_method_shortcut_rejects_methods(app: Flask, shortcut: str) -> None:
    with pytest.raises(TypeError, match="route"):
        getattr(app, shortcut)("/", methods=["GET"])
