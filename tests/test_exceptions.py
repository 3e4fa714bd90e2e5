from __future__ import annotations

from typing import Any

import pytest
import werkzeug.exceptions
import werkzeug.routing
from starlette.types import Message, Scope
from werkzeug.wrappers import Response as WerkzeugResponse

from aioflask import exceptions as exc
from aioflask._convert import exception_response
from aioflask.exceptions import (
    Aborter,
    BadRequest,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestRedirect,
    RoutingException,
    abort,
    default_exceptions,
)
from aioflask.wrappers import Response


@pytest.mark.parametrize("name", exc.__all__)
def test_every_class_is_werkzeugs(name: str) -> None:
    value = getattr(exc, name)
    if name in ("Aborter", "abort"):
        return
    if name in ("RequestRedirect", "RoutingException"):
        assert value is getattr(werkzeug.routing, name)
    else:
        assert value is getattr(werkzeug.exceptions, name)


def test_aborter_is_a_werkzeug_aborter() -> None:
    assert issubclass(Aborter, werkzeug.exceptions.Aborter)
    assert default_exceptions[404] is werkzeug.exceptions.NotFound


def test_werkzeug_abort_is_caught_as_aioflask_class() -> None:
    with pytest.raises(NotFound):
        werkzeug.exceptions.abort(404)
    with pytest.raises(werkzeug.exceptions.NotFound):
        abort(404)


def test_routing_exception_is_plain() -> None:
    assert not issubclass(RoutingException, HTTPException)
    assert issubclass(RequestRedirect, HTTPException)


def test_abort_codes() -> None:
    with pytest.raises(NotFound):
        abort(404)
    with pytest.raises(BadRequest) as info:
        abort(400, description="missing field")
    assert info.value.description == "missing field"
    with pytest.raises(MethodNotAllowed) as mna:
        abort(405, valid_methods=["GET"])
    assert ("Allow", "GET") in mna.value.get_headers()


def test_abort_unknown_code() -> None:
    with pytest.raises(LookupError, match="no exception for 999"):
        abort(999)
    with pytest.raises(LookupError):
        abort("404")


def test_abort_with_response_object() -> None:
    from starlette.responses import Response

    response = Response("teapot", status_code=418)
    with pytest.raises(HTTPException) as info:
        abort(response)
    assert info.value.response is response


def test_abort_with_an_exception_instance_raises_it() -> None:
    error = NotFound(description="gone")
    with pytest.raises(NotFound) as info:
        abort(error)
    assert info.value is error


def test_abort_with_a_werkzeug_response() -> None:
    response = WerkzeugResponse("teapot", status=418)
    with pytest.raises(HTTPException) as info:
        abort(response)
    assert info.value.response is response


def test_aborter_mapping_and_extra() -> None:
    class Custom(HTTPException):
        code = 499
        description = "custom"

    aborter = Aborter(extra={499: Custom})
    with pytest.raises(Custom):
        aborter(499)
    with pytest.raises(NotFound):
        aborter(404)
    only = Aborter(mapping={499: Custom})
    with pytest.raises(LookupError):
        only(404)


def test_abort_uses_app_aborter() -> None:
    from aioflask.globals import _cv_app

    class Custom(HTTPException):
        code = 499

    class FakeApp:
        aborter = Aborter(extra={499: Custom})

    class FakeCtx:
        app: Any = FakeApp()

    token = _cv_app.set(FakeCtx())  # type: ignore[arg-type]
    try:
        with pytest.raises(Custom):
            abort(499)
    finally:
        _cv_app.reset(token)
    with pytest.raises(LookupError):
        abort(499)


def test_exception_response_builds_an_aioflask_response() -> None:
    response = exception_response(NotFound(description="<x>"))
    assert type(response) is Response
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert b"&lt;x&gt;" in response.body
    assert b"<title>404 Not Found</title>" in response.body
    allowed = exception_response(MethodNotAllowed(["GET", "POST"]))
    assert allowed.headers["allow"] == "GET, POST"


def test_exception_response_for_a_redirect() -> None:
    redirect = exception_response(RequestRedirect("/new/"))
    assert type(redirect) is Response
    assert redirect.status_code == 308
    assert redirect.headers["location"] == "/new/"


def test_exception_response_uses_the_carried_response() -> None:
    mine = Response("mine", status=409)
    assert exception_response(HTTPException(response=mine)) is mine  # type: ignore[arg-type]
    theirs = exception_response(HTTPException(response=WerkzeugResponse("w", status=410)))
    assert (theirs.status_code, theirs.get_data()) == (410, b"w")


def test_exception_response_honours_an_overridden_get_response() -> None:
    class Custom(BadRequest):
        def get_response(self, environ: Any = None, scope: Any = None) -> Any:
            return WerkzeugResponse("custom", status=422, headers={"X-Custom": "1"})

    response = exception_response(Custom())
    assert response.status_code == 422
    assert response.headers["X-Custom"] == "1"
    assert response.get_data() == b"custom"


async def test_exception_response_is_an_asgi_app() -> None:
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    await exception_response(NotFound())(scope, receive, send)
    assert messages[0]["type"] == "http.response.start"
    assert messages[0]["status"] == 404
    body = b"".join(m.get("body", b"") for m in messages[1:])
    assert b"<title>404 Not Found</title>" in body


def test_get_body_escapes_description() -> None:
    # The page aioflask sends is Werkzeug's `get_body()`, which escapes the text.
    response = exception_response(BadRequest(description="<script>alert(1)</script>\nnext"))
    assert b"<script>" not in response.body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;<br>next" in response.body
