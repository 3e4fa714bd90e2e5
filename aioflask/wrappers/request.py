"""`Request`: Starlette's request with Flask's attributes.

URL, header and cookie attributes live here; the body (`form`, `files`,
`data`, `json`, `stream`, limits) lives in `_body.py`. For ordinary routes the
app reads the body before the view runs, so those are plain attributes in
`def` and `async def` views alike; `await request.get_json()` works too.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from starlette.requests import empty_receive, empty_send
from starlette.types import Receive, Scope, Send

from ..datastructures import (
    Accept,
    Authorization,
    CharsetAccept,
    CombinedMultiDict,
    ImmutableMultiDict,
    LanguageAccept,
    MIMEAccept,
    RequestHeaders,
    UserAgent,
    parse_accept_header,
)
from ._accessors import RequestHeaderAccessors
from ._body import BodyRequest
from ._body import _split_mimetype as _split_mimetype  # used by response.py

_VALID_HOST = re.compile(r"(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")

if TYPE_CHECKING:
    from ..routing import Rule


_COOKIE_ESCAPE = re.compile(rb"\\([0-3][0-7]{2}|.)")


def _cookie_unescape(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    return bytes([int(escaped, 8)]) if len(escaped) == 3 else escaped


def _cookie_unquote(value: str) -> str:
    """Undo the backslash and octal escapes `dump_cookie` puts in a quoted value."""
    if "\\" not in value:
        return value
    raw = _COOKIE_ESCAPE.sub(_cookie_unescape, value.encode("utf-8"))
    return raw.decode("utf-8", "replace")


class Request(RequestHeaderAccessors, BodyRequest):
    """The request object: Starlette's `Request` with Flask's attributes.

    Routing sets `url_rule`, `view_args` and `endpoint`. Limits for the body
    (`max_content_length`, `max_form_memory_size`, `max_form_parts`) default to
    the app config and can be changed per request in a `before_request` hook
    only for bodies the route streams itself; the body of ordinary routes is
    read before the hooks run.
    """

    url_rule: Rule | None = None
    view_args: dict[str, Any] | None = None
    routing_exception: Exception | None = None
    # Lazily computed attributes (class-level None avoids AttributeError round trips).
    _path: str | None = None
    _headers: RequestHeaders | None = None  # type: ignore[assignment]  # None until first use
    _args: ImmutableMultiDict[str, str] | None = None
    _aio_cookies: ImmutableMultiDict[str, str] | None = None

    def __init__(self, scope: Scope, receive: Receive = empty_receive, send: Send = empty_send):
        # Starlette's __init__ only checks the scope type and stores these.
        self.scope = scope
        self._receive = receive
        self._send = send
        self._stream_consumed = False
        self._is_disconnected = False
        self._form = None

    @property
    def method(self) -> str:
        """The HTTP method, upper-cased (as Werkzeug does)."""
        return self.scope["method"].upper()  # type: ignore[no-any-return]

    # -- URL parts -------------------------------------------------------------
    @property
    def script_root(self) -> str:
        """The prefix the app is mounted under (ASGI `root_path`), without a trailing slash."""
        return str(self.scope.get("root_path", "")).rstrip("/")

    @property
    def path(self) -> str:
        """The decoded path below `script_root`, e.g. `/user/John Doe`.

        It always starts with `/`: an odd request target that does not (such
        as `@evil.com`, which h11 passes through) gets one, as in Werkzeug, so
        it can never run into the host part of `url` or `base_url`.
        """
        path = self._path
        if path is not None:
            return path
        path = self.scope["path"]
        root = self.scope.get("root_path", "")
        if root and (path == root or path.startswith(root + "/")):
            path = path[len(root) :] or "/"
        if not path.startswith("/"):
            path = "/" + path
        self._path = path
        return path

    @property
    def query_string(self) -> bytes:
        return self.scope.get("query_string", b"")  # type: ignore[no-any-return]

    @property
    def full_path(self) -> str:
        """`path` plus `?` plus the query string (the `?` is always there, as in Flask)."""
        return f"{self.path}?{self.query_string.decode('latin-1')}"

    @property
    def scheme(self) -> str:
        return str(self.scope.get("scheme", "http"))

    @property
    def is_secure(self) -> bool:
        return self.scheme in ("https", "wss")

    @property
    def host(self) -> str:
        """The `Host` header, or the server address when it is missing or malformed.

        A header that is not a plain `name[:port]` (for example
        `evil.example/abc?x=`) is ignored, so it can never leak into URLs built
        from it; `TRUSTED_HOSTS` rejects such requests with 400.
        """
        host = self.headers.get("host")
        if host and _VALID_HOST.fullmatch(host):
            return host
        server = self.scope.get("server")
        if not server:
            return "localhost"
        name, port = server[0], server[1]
        default = 443 if self.is_secure else 80
        return name if port in (None, default) else f"{name}:{port}"

    @property
    def host_url(self) -> str:
        return f"{self.scheme}://{self.host}/"

    @property
    def url_root(self) -> str:
        """Scheme, host and script root, with a trailing slash."""
        return f"{self.scheme}://{self.host}{quote(self.script_root)}/"

    root_url = url_root

    @property
    def base_url(self) -> str:  # type: ignore[override]  # Flask's meaning: URL without query
        """The full URL without the query string."""
        return f"{self.scheme}://{self.host}{quote(self.script_root + self.path)}"

    @property
    def url(self) -> str:  # type: ignore[override]  # Flask's request.url is a str
        """The full URL, query string included."""
        qs = self.query_string
        base = self.base_url
        return f"{base}?{qs.decode('latin-1')}" if qs else base

    @property
    def remote_addr(self) -> str | None:
        client = self.scope.get("client")
        return client[0] if client else None

    @property
    def access_route(self) -> list[str]:
        forwarded = self.headers.get("x-forwarded-for")
        if forwarded:
            return [part.strip() for part in forwarded.split(",") if part.strip()]
        return [self.remote_addr] if self.remote_addr else []

    # -- headers and friends ----------------------------------------------------
    @property
    def headers(self) -> RequestHeaders:  # type: ignore[override]  # Werkzeug's, not Starlette's
        headers = self._headers
        if headers is None:
            headers = self._headers = RequestHeaders(scope=self.scope)
        return headers

    @property
    def args(self) -> ImmutableMultiDict[str, str]:
        """The query string as a multi-dict (`&` separates fields, `;` does not)."""
        args = self._args
        if args is None:
            qs = self.query_string.decode("latin-1")
            pairs = parse_qsl(qs, keep_blank_values=True, separator="&") if qs else []
            args = self._args = ImmutableMultiDict(pairs)
        return args

    @property
    def cookies(self) -> ImmutableMultiDict[str, str]:  # first value wins
        """Request cookies; when a name repeats, `cookies[name]` is the first one."""
        cookies = self._aio_cookies
        if cookies is None:
            pairs: list[tuple[str, str]] = []
            for header in self.headers.getlist("cookie"):
                if not header.isascii():  # the bytes are UTF-8, read as Latin-1 by ASGI
                    header = header.encode("latin-1").decode("utf-8", "replace")
                for chunk in header.split(";"):
                    key, _, val = chunk.partition("=")
                    key = key.strip()
                    if not key:  # nameless cookies are never read
                        continue
                    val = val.strip()
                    if len(val) >= 2 and val[0] == val[-1] == '"':
                        val = _cookie_unquote(val[1:-1])
                    pairs.append((key, val))
            cookies = self._aio_cookies = ImmutableMultiDict(pairs)
        return cookies

    @property
    def content_encoding(self) -> str | None:
        return self.headers.get("content-encoding")

    @property
    def referrer(self) -> str | None:
        return self.headers.get("referer")

    @property
    def origin(self) -> str | None:
        return self.headers.get("origin")

    @property
    def user_agent(self) -> UserAgent:
        return UserAgent(self.headers.get("user-agent", ""))

    @property
    def authorization(self) -> Authorization | None:
        return Authorization.from_header(self.headers.get("authorization"))

    @property
    def accept_mimetypes(self) -> MIMEAccept:
        return parse_accept_header(self.headers.get("accept"), MIMEAccept)

    @property
    def accept_languages(self) -> LanguageAccept:
        """The `Accept-Language` header (`request.accept_languages.best_match(["en", "fr"])`)."""
        return parse_accept_header(self.headers.get("accept-language"), LanguageAccept)

    @property
    def accept_charsets(self) -> CharsetAccept:
        return parse_accept_header(self.headers.get("accept-charset"), CharsetAccept)

    @property
    def accept_encodings(self) -> Accept:
        return parse_accept_header(self.headers.get("accept-encoding"))

    @property
    def environ(self) -> dict[str, Any]:
        """A WSGI-style dict made from the ASGI scope, for code that reads `request.environ`.

        Holds the CGI keys (`REQUEST_METHOD`, `PATH_INFO`, `QUERY_STRING`,
        `REMOTE_ADDR`, `HTTP_*`, ...), `wsgi.url_scheme`, and the scope itself
        under `asgi.scope`. Built on first use; changing it changes nothing.
        """
        cached: dict[str, Any] | None = self.__dict__.get("_environ")
        if cached is not None:
            return cached
        scope = self.scope
        client = scope.get("client") or (None, None)
        server = scope.get("server") or (None, None)
        secure = self.is_secure
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": self.script_root.encode("utf-8").decode("latin-1"),
            "PATH_INFO": self.path.encode("utf-8").decode("latin-1"),
            "QUERY_STRING": self.query_string.decode("latin-1"),
            "SERVER_NAME": server[0] or self.host.partition(":")[0],
            "SERVER_PORT": str(server[1] or (443 if secure else 80)),
            "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
            "REMOTE_ADDR": client[0],
            "REMOTE_PORT": client[1],
            "wsgi.url_scheme": self.scheme,
            "asgi.scope": scope,
        }
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").upper().replace("-", "_")
            if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                name = "HTTP_" + name
            value = raw_value.decode("latin-1")
            if name in environ:  # repeated headers are joined, as a WSGI server does
                value = environ[name] + ("; " if name == "HTTP_COOKIE" else ",") + value
            environ[name] = value
        self._environ = environ
        return environ

    @property
    def endpoint(self) -> str | None:
        return self.url_rule.endpoint if self.url_rule is not None else None

    @property
    def blueprint(self) -> str | None:
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The current blueprint and its parents, innermost first (`['a.b', 'a']`)."""
        rule = self.url_rule
        if rule is None:
            return []
        # Cached on the rule: every request routed to it has the same answer.
        cached: list[str] | None = getattr(rule, "_blueprints", None)
        if cached is None:
            name = self.blueprint
            parts = name.split(".") if name is not None else []
            cached = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
            rule._blueprints = cached  # type: ignore[attr-defined]  # cache slot on the rule
        return cached

    # -- the body (see _body.py) -------------------------------------------------------------
    def _has_header(self, name: bytes) -> bool:
        """True when the raw scope has a header `name` (lower-case bytes); no parsing."""
        for key, _ in self.scope["headers"]:
            if key == name:
                return True
        return False

    @property
    def values(self) -> CombinedMultiDict[str, str]:  # type: ignore[override]  # Flask's attribute
        """`args` and `form` together; for GET only `args`, as in Flask."""
        if self.method == "GET":
            return CombinedMultiDict([self.args])
        return CombinedMultiDict([self.args, self.form])
