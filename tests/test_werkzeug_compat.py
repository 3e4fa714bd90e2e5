"""Werkzeug's exceptions and containers work in aioflask apps as they do in Flask.

Flask code imports these from Werkzeug (`from werkzeug.exceptions import
NotFound`); extensions check `isinstance` against Werkzeug's classes. Every
request here goes through `app.test_client()`.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import werkzeug.datastructures
import werkzeug.exceptions
import werkzeug.routing
from werkzeug.wrappers import Response as WerkzeugResponse

import aioflask
from aioflask import Flask, Response, request


async def test_werkzeug_not_found_raised_in_a_view_is_a_404_page(app: Flask) -> None:
    @app.get("/")
    async def index() -> str:
        raise werkzeug.exceptions.NotFound()

    async with app.test_client() as client:
        r = await client.get("/")
    assert r.status_code == 404
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text == werkzeug.exceptions.NotFound().get_body()


async def test_werkzeug_handler_catches_aioflask_abort(app: Flask) -> None:
    seen: list[Any] = []

    @app.errorhandler(werkzeug.exceptions.HTTPException)
    def handle(e: werkzeug.exceptions.HTTPException) -> tuple[str, int]:
        seen.append(e)
        return f"handled {e.code}", e.code or 500

    @app.get("/")
    def index() -> str:
        aioflask.abort(404)

    async with app.test_client() as client:
        r = await client.get("/")
    assert (r.status_code, r.text) == (404, "handled 404")
    assert isinstance(seen[0], werkzeug.exceptions.NotFound)


async def test_handler_registered_by_code_catches_werkzeug_class(app: Flask) -> None:
    @app.errorhandler(410)
    def gone(e: Exception) -> tuple[str, int]:
        return "gone here", 410

    @app.get("/")
    def index() -> str:
        raise werkzeug.exceptions.Gone()

    async with app.test_client() as client:
        r = await client.get("/")
    assert (r.status_code, r.text) == (410, "gone here")


async def test_flask_documented_generic_json_handler(app: Flask) -> None:
    # The pattern from Flask's "Handling Application Errors" page.
    @app.errorhandler(werkzeug.exceptions.HTTPException)
    def handle_exception(e: werkzeug.exceptions.HTTPException) -> Any:
        response = e.get_response()
        response.data = json.dumps({"code": e.code, "name": e.name, "description": e.description})
        response.content_type = "application/json"
        return response

    @app.get("/teapot")
    def teapot() -> str:
        aioflask.abort(418)

    async with app.test_client() as client:
        missing = await client.get("/nowhere")
        teapot_r = await client.get("/teapot")
        wrong = await client.post("/teapot")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    assert missing.json()["name"] == "Not Found"
    assert missing.json()["description"] == werkzeug.exceptions.NotFound.description
    assert (teapot_r.status_code, teapot_r.json()["code"]) == (418, 418)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, HEAD, OPTIONS"
    assert wrong.json()["code"] == 405


async def test_view_may_return_a_werkzeug_response(app: Flask) -> None:
    @app.get("/")
    def index() -> Any:
        return WerkzeugResponse("from werkzeug", status=202, headers={"X-W": "1"})

    async with app.test_client() as client:
        r = await client.get("/")
    assert (r.status_code, r.text, r.headers["x-w"]) == (202, "from werkzeug", "1")
    assert r.headers["content-length"] == str(len("from werkzeug"))


async def test_form_and_files_are_werkzeug_containers(app: Flask) -> None:
    @app.post("/")
    def upload() -> dict[str, Any]:
        f = request.files["f"]
        return {
            "form_is_multidict": isinstance(request.form, werkzeug.datastructures.MultiDict),
            "args_is_multidict": isinstance(request.args, werkzeug.datastructures.MultiDict),
            "values": isinstance(request.values, werkzeug.datastructures.CombinedMultiDict),
            "file_is_filestorage": isinstance(f, werkzeug.datastructures.FileStorage),
            "files_is_multidict": isinstance(request.files, werkzeug.datastructures.MultiDict),
            "name": request.form["name"],
            "body": f.read().decode(),
        }

    async with app.test_client() as client:
        r = await client.post("/", data={"name": "x", "f": (io.BytesIO(b"hello"), "a.txt")})
    assert r.json() == {
        "form_is_multidict": True,
        "args_is_multidict": True,
        "values": True,
        "file_is_filestorage": True,
        "files_is_multidict": True,
        "name": "x",
        "body": "hello",
    }


async def test_request_headers_are_werkzeug_headers(app: Flask) -> None:
    @app.get("/")
    def index() -> dict[str, Any]:
        headers = request.headers
        return {
            "is_headers": isinstance(headers, werkzeug.datastructures.Headers),
            "get": headers.get("x-thing"),
            "in": "X-THING" in headers,
            "getlist": headers.getlist("X-Thing"),
            "typed": headers.get("X-Number", type=int),
        }

    async with app.test_client() as client:
        r = await client.get("/", headers={"X-Thing": "a", "X-Number": "7"})
    assert r.json() == {"is_headers": True, "get": "a", "in": True, "getlist": ["a"], "typed": 7}


async def test_response_headers_are_werkzeug_headers_in_after_request(app: Flask) -> None:
    seen: list[bool] = []

    @app.after_request
    def check(response: Response) -> Response:
        seen.append(isinstance(response.headers, werkzeug.datastructures.Headers))
        response.headers.add("X-Added", "1")
        return response

    @app.get("/")
    def index() -> str:
        return "ok"

    async with app.test_client() as client:
        r = await client.get("/")
    assert seen == [True]
    assert (r.text, r.headers["x-added"]) == ("ok", "1")


async def test_response_headers_can_be_replaced_in_after_request(app: Flask) -> None:
    # What Flask-CORS does when the headers are not a Werkzeug `Headers`.
    @app.after_request
    def replace(response: Response) -> Response:
        headers = werkzeug.datastructures.Headers(response.headers)
        headers["X-Replaced"] = "yes"
        headers.add("Set-Cookie", "a=1")
        headers.add("Set-Cookie", "b=2")
        response.headers = headers
        return response

    @app.get("/")
    def index() -> str:
        return "body"

    async with app.test_client() as client:
        r = await client.get("/")
    assert r.text == "body"
    assert r.headers["x-replaced"] == "yes"
    assert r.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert r.headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    "value",
    [{"X-One": "1"}, [("X-One", "1")]],
    ids=["dict", "list"],
)
def test_response_headers_assignment_accepts_dict_and_list(value: Any) -> None:
    response = Response("x")
    response.headers = value
    assert isinstance(response.headers, werkzeug.datastructures.Headers)
    assert response.raw_headers == [(b"x-one", b"1")]


async def test_missing_form_key_is_a_werkzeug_bad_request_key_error(app: Flask) -> None:
    caught: list[BaseException] = []

    @app.errorhandler(werkzeug.exceptions.BadRequestKeyError)
    def handle(e: werkzeug.exceptions.BadRequestKeyError) -> Any:
        caught.append(e)
        return e

    @app.post("/")
    def index() -> str:
        return request.form["missing"]

    async with app.test_client() as client:
        r = await client.post("/", data={"other": "1"})
    assert r.status_code == 400
    assert isinstance(caught[0], KeyError)


async def test_unmatched_method_is_405_with_allow(app: Flask) -> None:
    @app.route("/", methods=["GET", "PUT"])
    def index() -> str:
        return "x"

    async with app.test_client() as client:
        r = await client.delete("/")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, OPTIONS, PUT"


async def test_method_not_allowed_raised_from_a_view(app: Flask) -> None:
    @app.get("/")
    def index() -> str:
        raise werkzeug.exceptions.MethodNotAllowed(valid_methods=["POST"])

    async with app.test_client() as client:
        r = await client.get("/")
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert "<h1>Method Not Allowed</h1>" in r.text


async def test_view_returning_an_http_exception_instance(app: Flask) -> None:
    @app.get("/")
    def index() -> Any:
        return werkzeug.exceptions.Conflict(description="already there")

    async with app.test_client() as client:
        r = await client.get("/")
    assert r.status_code == 409
    assert "already there" in r.text


async def test_abort_with_a_made_response(app: Flask) -> None:
    @app.get("/")
    def index() -> str:
        aioflask.abort(aioflask.make_response("made", 451, {"X-M": "1"}))

    async with app.test_client() as client:
        r = await client.get("/")
    assert (r.status_code, r.text, r.headers["x-m"]) == (451, "made", "1")


async def test_werkzeug_abort_with_a_werkzeug_response(app: Flask) -> None:
    @app.get("/")
    def index() -> str:
        werkzeug.exceptions.abort(WerkzeugResponse("w", status=403))

    async with app.test_client() as client:
        r = await client.get("/")
    assert (r.status_code, r.text) == (403, "w")


async def test_trailing_slash_redirect_is_werkzeugs_request_redirect(app: Flask) -> None:
    caught: list[BaseException] = []

    @app.get("/dir/")
    def directory() -> str:
        return "dir"

    @app.before_request
    def look() -> None:
        if request.routing_exception is not None:
            caught.append(request.routing_exception)

    async with app.test_client() as client:
        r = await client.get("/dir")
    assert r.status_code == 308
    assert r.headers["location"].endswith("/dir/")
    assert isinstance(caught[0], werkzeug.routing.RequestRedirect)


def test_build_error_is_werkzeugs(app: Flask) -> None:
    with app.test_request_context("/"), pytest.raises(werkzeug.routing.BuildError):
        aioflask.url_for("nowhere")
