"""How a view's return value becomes a response: Flask 3.1's `make_response` rules."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.responses import Response as StarletteResponse
from starlette.types import Receive, Scope, Send

from aioflask import Flask, Response, current_app, make_response, request, session
from aioflask.datastructures import Headers
from aioflask.exceptions import NotFound


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


async def get(app: Flask, path: str = "/", method: str = "GET") -> httpx.Response:
    async with client_for(app) as client:
        return await client.request(method, path)


# -- bodies ------------------------------------------------------------------------------


async def test_response_instance_is_sent_unchanged(app: Flask) -> None:
    @app.route("/")
    def index() -> Response:
        return Response("made", status=203, headers={"X-Made": "yes"}, mimetype="text/plain")

    r = await get(app)
    assert r.status_code == 203
    assert r.headers["X-Made"] == "yes"
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.text == "made"


async def test_same_response_object_is_passed_through(app: Flask) -> None:
    made: list[Response] = []
    seen: list[Response] = []

    @app.route("/")
    def index() -> Response:
        made.append(Response("x"))
        return made[0]

    @app.after_request
    def record(response: Response) -> Response:
        seen.append(response)
        return response

    await get(app)
    assert seen[0] is made[0]


@pytest.mark.parametrize("body", ["héllo", "héllo".encode(), bytearray("héllo".encode())])
async def test_str_and_bytes_give_200_html(app: Flask, body: Any) -> None:
    @app.route("/")
    def index() -> Any:
        return body

    r = await get(app)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Content-Length"] == str(len("héllo".encode()))
    assert r.text == "héllo"


async def test_dict_gives_json(app: Flask) -> None:
    @app.route("/")
    def index() -> dict[str, Any]:
        return {"b": 1, "a": [1, 2]}

    r = await get(app)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.content == b'{"a":[1,2],"b":1}\n'


async def test_top_level_list_gives_json(app: Flask) -> None:
    @app.route("/")
    async def index() -> list[Any]:
        return [1, "two", None]

    r = await get(app)
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == [1, "two", None]


async def test_sync_generator_is_streamed(app: Flask) -> None:
    @app.route("/")
    def index() -> Iterator[Any]:
        def chunks() -> Iterator[Any]:
            yield "a"
            yield b"b"
            yield "c"

        return chunks()

    r = await get(app)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.text == "abc"


async def test_plain_iterator_is_streamed(app: Flask) -> None:
    @app.route("/")
    def index() -> Iterator[str]:
        return iter(["x", "y"])

    assert (await get(app)).text == "xy"


async def test_sync_generator_body_runs_off_the_event_loop(app: Flask) -> None:
    loop_thread = threading.get_ident()
    threads: list[int] = []

    @app.route("/")
    async def index() -> Iterator[str]:
        def chunks() -> Iterator[str]:
            threads.append(threading.get_ident())
            yield "a"

        return chunks()

    assert (await get(app)).text == "a"
    assert threads and threads[0] != loop_thread


async def test_async_generator_is_streamed_with_status_and_headers(app: Flask) -> None:
    @app.route("/")
    async def index() -> Any:
        async def chunks() -> AsyncIterator[str]:
            yield "one "
            yield "two"

        return chunks(), 201, {"X-Gen": "1"}

    r = await get(app)
    assert r.status_code == 201
    assert r.headers["X-Gen"] == "1"
    assert r.text == "one two"


async def test_streamed_response_sees_the_request(app: Flask) -> None:
    # aioflask keeps the request context alive while the body is sent.
    @app.route("/")
    async def index() -> Any:
        async def chunks() -> AsyncIterator[str]:
            yield request.args["name"]

        return chunks()

    async with client_for(app) as client:
        r = await client.get("/", params={"name": "ann"})
    assert r.text == "ann"


async def test_starlette_response_is_sent_as_is(app: Flask) -> None:
    @app.route("/")
    async def index() -> StarletteResponse:
        return PlainTextResponse("plain", status_code=207, headers={"X-S": "1"})

    r = await get(app)
    assert r.status_code == 207
    assert r.headers["X-S"] == "1"
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.text == "plain"


async def test_starlette_response_status_and_headers_from_tuple(app: Flask) -> None:
    @app.route("/")
    async def index() -> Any:
        return (
            StarletteResponse(b"raw", media_type="text/csv", headers={"X-S": "1"}),
            201,
            {"X-S": "2"},
        )

    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = "yes"
        return response

    r = await get(app)
    assert r.status_code == 201
    assert r.headers.get_list("X-S") == ["2"]
    assert r.headers["X-After"] == "yes"
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.content == b"raw"


async def test_raw_asgi_callable_is_sent_as_is(app: Flask) -> None:
    async def raw(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 203, "headers": [(b"x-raw", b"1")]})
        await send({"type": "http.response.body", "body": b"raw body"})

    @app.route("/")
    async def index() -> Any:
        return raw

    r = await get(app)
    assert r.status_code == 203
    assert r.headers["X-Raw"] == "1"
    assert r.text == "raw body"


async def test_raw_asgi_callable_gets_headers_added_by_hooks_and_session(app: Flask) -> None:
    app.secret_key = "test key"

    async def raw(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 203, "headers": [(b"x-raw", b"1")]})
        await send({"type": "http.response.body", "body": b"raw body"})

    @app.route("/")
    async def index() -> Any:
        session["user"] = "ann"
        return raw

    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = "yes"
        return response

    r = await get(app)
    assert (r.status_code, r.text) == (203, "raw body")
    assert r.headers["X-Raw"] == "1"
    assert r.headers["X-After"] == "yes"
    assert r.headers["Set-Cookie"].startswith("session=")


async def test_starlette_response_gets_the_session_cookie(app: Flask) -> None:
    app.secret_key = "test key"

    @app.route("/")
    async def index() -> Any:
        session["user"] = "ann"
        return PlainTextResponse("plain")

    r = await get(app)
    assert r.text == "plain"
    assert r.headers["Set-Cookie"].startswith("session=")
    assert r.headers["Vary"] == "Cookie"


async def test_http_exception_instance_returned_is_its_error_page(app: Flask) -> None:
    @app.route("/")
    def index() -> Any:
        return NotFound()

    r = await get(app)
    assert r.status_code == 404
    assert "<title>404 Not Found</title>" in r.text


# -- tuples ------------------------------------------------------------------------------


async def test_body_and_int_status(app: Flask) -> None:
    @app.route("/")
    def index() -> Any:
        return "created", 201

    r = await get(app)
    assert r.status_code == 201
    assert r.text == "created"


@pytest.mark.parametrize(
    ("status", "code", "line"),
    [
        ("201 CREATED", 201, "201 CREATED"),
        ("418 I'm a teapot", 418, "418 I'm a teapot"),
        ("201", 201, "201 CREATED"),
        (b"202 ACCEPTED", 202, "202 ACCEPTED"),
        ("299 Custom Words", 299, "299 Custom Words"),
    ],
)
async def test_string_status_keeps_its_reason_phrase(
    app: Flask, status: Any, code: int, line: str
) -> None:
    lines: list[str] = []

    @app.route("/")
    def index() -> Any:
        return "body", status

    @app.after_request
    def after(response: Response) -> Response:
        lines.append(response.status)
        return response

    r = await get(app)
    assert r.status_code == code
    assert lines == [line]


async def test_string_status_on_json_body(app: Flask) -> None:
    lines: list[str] = []

    @app.route("/")
    def index() -> Any:
        return {"a": 1}, "201 WHATEVER"

    @app.after_request
    def after(response: Response) -> Response:
        lines.append(response.status)
        return response

    r = await get(app)
    assert r.status_code == 201
    assert r.json() == {"a": 1}
    assert lines == ["201 WHATEVER"]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-A": "1", "X-B": "2"},
        [("X-A", "1"), ("X-B", "2")],
        (("X-A", "1"), ("X-B", "2")),
        Headers([("X-A", "1"), ("X-B", "2")]),
    ],
    ids=["dict", "list", "tuple", "Headers"],
)
async def test_body_and_headers(app: Flask, headers: Any) -> None:
    @app.route("/")
    def index() -> Any:
        return "body", headers

    r = await get(app)
    assert r.status_code == 200
    assert r.headers["X-A"] == "1"
    assert r.headers["X-B"] == "2"
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.text == "body"


@pytest.mark.parametrize(
    "headers",
    [{"X-A": "1"}, [("X-A", "1")], Headers({"X-A": "1"})],
    ids=["dict", "list", "Headers"],
)
async def test_body_status_and_headers(app: Flask, headers: Any) -> None:
    @app.route("/")
    def index() -> Any:
        return {"ok": True}, 202, headers

    r = await get(app)
    assert r.status_code == 202
    assert r.headers["X-A"] == "1"
    assert r.json() == {"ok": True}


async def test_tuple_status_overrides_a_responses_status(app: Flask) -> None:
    @app.route("/")
    def index() -> Any:
        return Response("x", status=200), 202, {"X-A": "1"}

    r = await get(app)
    assert r.status_code == 202
    assert r.headers["X-A"] == "1"


async def test_tuple_headers_replace_existing_headers_including_set_cookie(app: Flask) -> None:
    @app.route("/")
    def index() -> Any:
        response = Response("x", headers={"X-Orig": "1"})
        response.set_cookie("a", "1")
        return response, 200, {"X-Orig": "2", "Set-Cookie": "b=2"}

    r = await get(app)
    assert r.headers.get_list("X-Orig") == ["2"]
    assert r.headers.get_list("Set-Cookie") == ["b=2"]


async def test_tuple_header_list_with_repeated_names_keeps_all(app: Flask) -> None:
    @app.route("/")
    def index() -> Any:
        return "x", [("X-L", "1"), ("X-L", "2"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]

    r = await get(app)
    assert r.headers.get_list("X-L") == ["1", "2"]
    assert r.headers.get_list("Set-Cookie") == ["a=1", "b=2"]


async def test_tuple_headers_object_with_repeated_names_keeps_all(app: Flask) -> None:
    @app.route("/")
    def index() -> Any:
        return {"a": 1}, Headers([("X-L", "1"), ("X-L", "2")])

    r = await get(app)
    assert r.headers.get_list("X-L") == ["1", "2"]


async def test_two_tuple_with_tuple_of_pairs_is_headers_not_status(app: Flask) -> None:
    @app.route("/")
    def index() -> Any:
        return "x", (("X-T", "1"),)

    r = await get(app)
    assert r.status_code == 200
    assert r.headers["X-T"] == "1"


# -- invalid return values ---------------------------------------------------------------


def _error_app(app: Flask, value: Any) -> None:
    @app.route("/", endpoint="the_view")
    def broken() -> Any:
        return value


@pytest.mark.parametrize("value", [None, 5, {1, 2}, 1.5, object()], ids=repr)
async def test_invalid_return_is_500_in_production(
    app: Flask, value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _error_app(app, value)
    r = await get(app)
    assert r.status_code == 500
    assert "Internal Server Error" in r.text
    assert "TypeError" not in r.text
    assert "the_view" not in r.text
    [record] = [rec for rec in caplog.records if rec.name == app.logger.name]
    assert record.exc_info is not None
    assert record.exc_info[0] is TypeError


async def test_none_return_raises_type_error_naming_the_endpoint(app: Flask) -> None:
    app.testing = True
    _error_app(app, None)
    with pytest.raises(TypeError) as info:
        await get(app)
    message = str(info.value)
    assert "'the_view'" in message
    assert "did not return a valid response" in message
    assert "None" in message


@pytest.mark.parametrize(("value", "type_name"), [(5, "int"), ({1}, "set")])
async def test_unsupported_type_raises_type_error_naming_view_and_type(
    app: Flask, value: Any, type_name: str
) -> None:
    app.testing = True
    _error_app(app, value)
    with pytest.raises(TypeError) as info:
        await get(app)
    message = str(info.value)
    assert "the_view" in message
    assert "did not return a valid response" in message
    assert type_name in message


@pytest.mark.parametrize("value", [("a", 200, {}, "extra"), ("only",), ()], ids=len)
async def test_tuple_of_wrong_length_raises_type_error(app: Flask, value: Any) -> None:
    app.testing = True
    _error_app(app, value)
    with pytest.raises(TypeError, match="tuple"):
        await get(app)


async def test_none_body_in_tuple_raises_type_error(app: Flask) -> None:
    app.testing = True
    _error_app(app, (None, 404))
    with pytest.raises(TypeError, match="the_view"):
        await get(app)


# -- the make_response helper ------------------------------------------------------------


async def test_make_response_helper_without_await(app: Flask) -> None:
    @app.route("/")
    def index() -> Response:
        resp = make_response("x", 404)
        resp.headers["X-Something"] = "A value"
        return resp

    r = await get(app)
    assert r.status_code == 404
    assert r.headers["X-Something"] == "A value"
    assert r.text == "x"


async def test_make_response_helper_in_async_view(app: Flask) -> None:
    @app.route("/")
    async def index() -> Response:
        resp = make_response({"a": 1})
        resp.set_cookie("k", "v")
        return resp

    r = await get(app)
    assert r.json() == {"a": 1}
    assert r.headers["Set-Cookie"].startswith("k=v")


async def test_make_response_helper_forms(app: Flask) -> None:
    results: dict[str, Any] = {}

    @app.route("/")
    def index() -> str:
        empty = make_response()
        results["empty"] = (empty.status, empty.content_type, empty.get_data())
        results["tuple"] = make_response(("x", "418 I'm a teapot")).status
        several = make_response("x", 201, {"X-A": "1"})
        results["several"] = (several.status, several.headers["X-A"])
        existing = Response("r")
        results["same"] = make_response(existing) is existing
        return "ok"

    r = await get(app)
    assert r.text == "ok"
    assert results == {
        "empty": ("200 OK", "text/html; charset=utf-8", b""),
        "tuple": "418 I'm a teapot",
        "several": ("201 CREATED", "1"),
        "same": True,
    }


async def test_make_response_helper_raises_for_invalid_values(app: Flask) -> None:
    errors: list[str] = []

    @app.route("/")
    def index() -> str:
        bad_values: list[Any] = [None, 5, ("a", 1, {}, 2)]
        for bad in bad_values:
            try:
                make_response(bad)
            except TypeError as e:
                errors.append(str(e))
        return "ok"

    assert (await get(app)).text == "ok"
    assert len(errors) == 3


async def test_app_make_response_is_a_plain_method(app: Flask) -> None:
    # As in Flask, extensions call it from sync code.
    @app.route("/")
    def index() -> Response:
        response = current_app.make_response(("x", 201, {"X-A": "1"}))
        assert isinstance(response, Response)
        return response

    r = await get(app)
    assert r.status_code == 201
    assert r.headers["X-A"] == "1"


async def test_bytearray_status(app: Flask) -> None:
    @app.route("/")
    def index() -> Any:
        return "x", bytearray(b"202 ACCEPTED")

    assert (await get(app)).status_code == 202


async def test_head_request_drops_body_but_keeps_content_length(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return "twelve chars"

    r = await get(app, method="HEAD")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["Content-Length"] == "12"
