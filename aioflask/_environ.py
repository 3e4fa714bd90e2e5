"""An ASGI scope (and `receive`) made from a WSGI environ dict.

Code written for Flask builds requests as WSGI environs (`EnvironBuilder(...).get_environ()`,
then `app.request_context(environ)`). aioflask's requests are ASGI scopes, so
`Flask.request_context()` turns such a dict into one here. Only the CGI keys are
read, so changes made to the dict (`environ["HTTP_HOST"] = ...`) count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import Message, Receive, Scope


def is_wsgi_environ(value: Mapping[str, Any]) -> bool:
    """True for a WSGI environ (it has `REQUEST_METHOD`), False for an ASGI scope."""
    return "type" not in value and "REQUEST_METHOD" in value


def _wsgi_str(value: str) -> bytes:
    # WSGI strings carry bytes as latin-1 code points; text beyond latin-1 (set by
    # hand, such as an IDNA host) is taken as UTF-8.
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def scope_from_environ(environ: Mapping[str, Any]) -> tuple[Scope, Receive]:
    """The ASGI HTTP scope and a `receive` that hands over `wsgi.input`'s body."""
    scope, body = scope_and_body(environ)
    return scope, one_shot_receive(body)


def one_shot_receive(body: bytes) -> Receive:
    """An ASGI `receive` that hands over `body` in one message, then a disconnect."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def scope_and_body(environ: Mapping[str, Any]) -> tuple[Scope, bytes]:
    """The ASGI HTTP scope of a WSGI environ, and the body read from its `wsgi.input`."""
    headers: list[tuple[bytes, bytes]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key
            if not value:
                continue
        else:
            continue
        headers.append((name.replace("_", "-").lower().encode("latin-1"), _wsgi_str(str(value))))
    scheme = str(environ.get("wsgi.url_scheme", "http"))
    server_port = str(environ.get("SERVER_PORT") or ("443" if scheme == "https" else "80"))
    remote_port = environ.get("REMOTE_PORT")
    raw_path = _wsgi_str(str(environ.get("PATH_INFO", "")) or "/")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")).partition("/")[2] or "1.1",
        "method": str(environ["REQUEST_METHOD"]).upper(),
        "scheme": scheme,
        "path": raw_path.decode("utf-8", "replace"),
        "raw_path": raw_path,
        "root_path": _wsgi_str(str(environ.get("SCRIPT_NAME", ""))).decode("utf-8", "replace"),
        "query_string": _wsgi_str(str(environ.get("QUERY_STRING", ""))),
        "headers": headers,
        "client": (str(environ.get("REMOTE_ADDR", "127.0.0.1")), int(remote_port or 0)),
        "server": (str(environ.get("SERVER_NAME", "localhost")), int(server_port)),
    }
    stream = environ.get("wsgi.input")
    length = str(environ.get("CONTENT_LENGTH") or "0")
    body = b""
    if stream is not None and length.isdigit() and int(length) > 0:
        body = stream.read(int(length))
    return scope, body
