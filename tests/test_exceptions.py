from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from starlette.types import Message, Scope

from aioflask import exceptions as exc
from aioflask.exceptions import (
    Aborter,
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestedRangeNotSatisfiable,
    RequestRedirect,
    RoutingException,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    abort,
    default_exceptions,
)

EXPECTED_CODES = {
    "BadRequest": 400,
    "Unauthorized": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "NotAcceptable": 406,
    "RequestTimeout": 408,
    "Conflict": 409,
    "Gone": 410,
    "LengthRequired": 411,
    "PreconditionFailed": 412,
    "RequestEntityTooLarge": 413,
    "RequestURITooLarge": 414,
    "UnsupportedMediaType": 415,
    "RequestedRangeNotSatisfiable": 416,
    "ExpectationFailed": 417,
    "ImATeapot": 418,
    "UnprocessableEntity": 422,
    "Locked": 423,
    "FailedDependency": 424,
    "PreconditionRequired": 428,
    "TooManyRequests": 429,
    "RequestHeaderFieldsTooLarge": 431,
    "UnavailableForLegalReasons": 451,
    "InternalServerError": 500,
    "NotImplemented": 501,
    "BadGateway": 502,
    "ServiceUnavailable": 503,
    "GatewayTimeout": 504,
    "HTTPVersionNotSupported": 505,
}


@pytest.mark.parametrize(("name", "code"), sorted(EXPECTED_CODES.items()))
def test_codes_and_default_exceptions(name: str, code: int) -> None:
    cls = getattr(exc, name)
    assert issubclass(cls, HTTPException)
    assert cls.code == code
    assert default_exceptions[code] is cls
    assert cls.description


def test_not_implemented_shadows_builtin_only_in_module() -> None:
    assert exc.NotImplemented is not NotImplemented
    assert exc.NotImplemented.code == 501


def test_default_exceptions_prefers_general_class() -> None:
    assert default_exceptions[400] is BadRequest
    assert 308 not in default_exceptions


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (404, "Not Found"),
        (400, "Bad Request"),
        (413, "Request Entity Too Large"),
        (418, "I'm a teapot"),
        (422, "Unprocessable Entity"),
        (500, "Internal Server Error"),
    ],
)
def test_names(code: int, name: str) -> None:
    assert default_exceptions[code]().name == name


def test_name_unknown() -> None:
    assert HTTPException().name == "Unknown Error"

    class Odd(HTTPException):
        code = 599

    assert Odd().name == "Unknown Error"


def test_description_override() -> None:
    e = NotFound("nothing here")
    assert e.description == "nothing here"
    assert NotFound().description != "nothing here"
    assert e.response is None


def test_get_body_structure() -> None:
    body = NotFound(description="gone away").get_body()
    assert body == (
        "<!doctype html>\n"
        "<html lang=en>\n"
        "<title>404 Not Found</title>\n"
        "<h1>Not Found</h1>\n"
        "<p>gone away</p>\n"
    )


def test_get_body_escapes_description() -> None:
    body = BadRequest(description="<script>alert(1)</script>").get_body()
    assert "<script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_get_description_newlines() -> None:
    assert BadRequest("a\nb<").get_description() == "<p>a<br>b&lt;</p>"
    assert HTTPException().get_description() == "<p></p>"


def test_get_headers_default() -> None:
    assert NotFound().get_headers() == [("Content-Type", "text/html; charset=utf-8")]


def test_method_not_allowed_allow_header() -> None:
    e = MethodNotAllowed(["GET", "HEAD", "OPTIONS"])
    assert ("Allow", "GET, HEAD, OPTIONS") in e.get_headers()
    assert e.valid_methods == ["GET", "HEAD", "OPTIONS"]
    assert all(name != "Allow" for name, _ in MethodNotAllowed().get_headers())
    assert MethodNotAllowed(description="no").description == "no"


def test_retry_after_seconds_and_datetime() -> None:
    assert ("Retry-After", "120") in TooManyRequests(retry_after=120).get_headers()
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert ("Retry-After", "Tue, 02 Jan 2024 03:04:05 GMT") in ServiceUnavailable(
        retry_after=when
    ).get_headers()
    naive = datetime(2024, 1, 2, 3, 4, 5)
    assert ("Retry-After", "Tue, 02 Jan 2024 03:04:05 GMT") in TooManyRequests(
        retry_after=naive
    ).get_headers()
    assert all(name != "Retry-After" for name, _ in TooManyRequests().get_headers())


def test_content_range() -> None:
    headers = RequestedRangeNotSatisfiable(length=1000).get_headers()
    assert ("Content-Range", "bytes */1000") in headers
    headers = RequestedRangeNotSatisfiable().get_headers()
    assert all(name != "Content-Range" for name, _ in headers)


def test_unauthorized_www_authenticate() -> None:
    assert all(name != "WWW-Authenticate" for name, _ in Unauthorized().get_headers())
    headers = Unauthorized(www_authenticate='Basic realm="x"').get_headers()
    assert ("WWW-Authenticate", 'Basic realm="x"') in headers
    headers = Unauthorized(www_authenticate=["Basic", "Bearer"]).get_headers()
    assert [v for k, v in headers if k == "WWW-Authenticate"] == ["Basic", "Bearer"]


def test_internal_server_error_original() -> None:
    original = ValueError("boom")
    e = InternalServerError(original_exception=original)
    assert e.original_exception is original
    assert InternalServerError().original_exception is None


def test_bad_request_key_error() -> None:
    e = BadRequestKeyError("name")
    assert isinstance(e, KeyError)
    assert isinstance(e, BadRequest)
    assert e.code == 400
    assert e.args == ("name",)
    assert "name" not in e.description
    assert str(e).startswith("400 Bad Request: ")
    with pytest.raises(KeyError):
        raise e
    assert BadRequestKeyError().args == ()


def test_bad_request_key_error_show_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    e = BadRequestKeyError("secret_field")
    monkeypatch.setattr(BadRequestKeyError, "show_exception", True)
    assert "KeyError: 'secret_field'" in e.description
    assert "KeyError: &#39;secret_field&#39;" in e.get_body()


def test_bad_request_key_error_custom_description() -> None:
    e = BadRequestKeyError("k", description="custom")
    assert e.description == "custom"
    assert BadRequestKeyError("k").description == BadRequest.description


def test_str_and_repr() -> None:
    assert str(NotFound("x")) == "404 Not Found: x"
    assert repr(NotFound()) == "<NotFound '404: Not Found'>"
    assert str(HTTPException()) == "??? Unknown Error: None"
    assert repr(HTTPException()) == "<HTTPException '???: Unknown Error'>"


def test_request_redirect() -> None:
    e = RequestRedirect("http://example.com/a/?x=<y>")
    assert isinstance(e, RoutingException)
    assert isinstance(e, HTTPException)
    assert e.code == 308
    assert e.new_url == "http://example.com/a/?x=<y>"
    assert ("Location", "http://example.com/a/?x=<y>") in e.get_headers()
    body = e.get_body()
    assert "<y>" not in body
    assert 'href="http://example.com/a/?x=&lt;y&gt;"' in body


def test_routing_exception_is_plain() -> None:
    assert not issubclass(RoutingException, HTTPException)


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
    assert info.value.get_response() is response


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


def test_get_response_builds_response() -> None:
    pytest.importorskip("aioflask.wrappers")
    response = NotFound(description="<x>").get_response()
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert b"&lt;x&gt;" in response.body
    allowed = MethodNotAllowed(["GET", "POST"]).get_response()
    assert allowed.headers["allow"] == "GET, POST"
    redirect = RequestRedirect("/new/").get_response()
    assert redirect.status_code == 308
    assert redirect.headers["location"] == "/new/"


async def test_exception_is_asgi_app() -> None:
    pytest.importorskip("aioflask.wrappers")
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    await NotFound()(scope, receive, send)
    assert messages[0]["type"] == "http.response.start"
    assert messages[0]["status"] == 404
    body = b"".join(m.get("body", b"") for m in messages[1:])
    assert b"<title>404 Not Found</title>" in body
