"""`Request`: Starlette's request with Flask's attributes.

The body is read by the app before the view runs (see `Request._load_body`),
so `form`, `files`, `data`, `json` and `get_json()` are plain attributes in
`def` and `async def` views alike; `await request.get_json()` works too.
"""

from __future__ import annotations

import json as _json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request as _StarletteRequest
from starlette.requests import empty_receive, empty_send
from starlette.types import Receive, Scope, Send

from .._awaitable import maybe_awaitable
from ..datastructures import (
    Accept,
    Authorization,
    CharsetAccept,
    CombinedMultiDict,
    FileStorage,
    ImmutableMultiDict,
    LanguageAccept,
    MIMEAccept,
    RequestHeaders,
    UserAgent,
)
from ..exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType
from ..globals import _cv_app

if TYPE_CHECKING:
    from ..routing import Rule

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_BODILESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_TEXT_EXTRA = frozenset(
    {"application/xml", "application/javascript", "application/ecmascript", "application/xhtml+xml"}
)


def _split_mimetype(value: str) -> tuple[str, dict[str, str]]:
    mimetype, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for item in rest.split(";"):
        key, sep, val = item.partition("=")
        if sep:
            params[key.strip().lower()] = val.strip().strip('"')
    return mimetype.strip().lower(), params


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


def _config(name: str, default: Any) -> Any:
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return default
    return app_ctx.app.config.get(name, default)


class Request(_StarletteRequest):
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
    #: Set when reading the body failed outside a request (`test_request_context`).
    _aio_body_error: Exception | None = None
    # Lazily computed attributes (class-level None avoids AttributeError round trips).
    _path: str | None = None
    _headers: RequestHeaders | None = None  # type: ignore[assignment]  # None until first use
    _args: ImmutableMultiDict[str] | None = None
    _aio_cookies: ImmutableMultiDict[str] | None = None
    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None

    def __init__(self, scope: Scope, receive: Receive = empty_receive, send: Send = empty_send):
        # Starlette's __init__ only checks the scope type and stores these.
        self.scope = scope
        self._receive = receive
        self._send = send
        self._stream_consumed = False
        self._is_disconnected = False
        self._form = None
        self._aio_form: ImmutableMultiDict[str] | None = None
        self._aio_files: ImmutableMultiDict[FileStorage] | None = None
        self._aio_form_error: Exception | None = None
        self._uploads: list[UploadFile] = []

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
        """The decoded path below `script_root`, e.g. `/user/John Doe`."""
        path = self._path
        if path is not None:
            return path
        path = self.scope["path"]
        root = self.scope.get("root_path", "")
        if root and (path == root or path.startswith(root + "/")):
            path = path[len(root) :] or "/"
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
        """The `Host` header, or the server address when the header is missing."""
        host = self.headers.get("host")
        if host:
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
    def headers(self) -> RequestHeaders:
        headers = self._headers
        if headers is None:
            headers = self._headers = RequestHeaders(scope=self.scope)
        return headers

    @property
    def args(self) -> ImmutableMultiDict[str]:
        """The query string as a multi-dict (`&` separates fields, `;` does not)."""
        args = self._args
        if args is None:
            qs = self.query_string.decode("latin-1")
            pairs = parse_qsl(qs, keep_blank_values=True, separator="&") if qs else []
            args = self._args = ImmutableMultiDict(pairs)
        return args

    @property
    def cookies(self) -> ImmutableMultiDict[str]:  # type: ignore[override]  # first value wins
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
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased; `''` when absent."""
        ct = self.content_type
        return _split_mimetype(ct)[0] if ct else ""

    @property
    def mimetype_params(self) -> dict[str, str]:
        ct = self.content_type
        return _split_mimetype(ct)[1] if ct else {}

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        if value is None:
            return None
        try:
            n = int(value)
        except ValueError:
            return None
        return n if n >= 0 else None

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
        return MIMEAccept(self.headers.get("accept"))

    @property
    def accept_languages(self) -> LanguageAccept:
        """The `Accept-Language` header (`request.accept_languages.best_match(["en", "fr"])`)."""
        return LanguageAccept(self.headers.get("accept-language"))

    @property
    def accept_charsets(self) -> CharsetAccept:
        return CharsetAccept(self.headers.get("accept-charset"))

    @property
    def accept_encodings(self) -> Accept:
        return Accept(self.headers.get("accept-encoding"))

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
    def is_json(self) -> bool:
        """True for `application/json` and `application/*+json`."""
        mt = self.mimetype
        return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))

    # -- routing results ---------------------------------------------------------
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

    # -- limits ---------------------------------------------------------------------
    @property
    def max_content_length(self) -> int | None:
        """Largest accepted body in bytes (`MAX_CONTENT_LENGTH`); 413 beyond it."""
        if self._max_content_length is not None:
            return self._max_content_length
        return _config("MAX_CONTENT_LENGTH", None)  # type: ignore[no-any-return]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:
        if self._max_form_memory_size is not None:
            return self._max_form_memory_size
        return _config("MAX_FORM_MEMORY_SIZE", 500_000)  # type: ignore[no-any-return]

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @property
    def max_form_parts(self) -> int | None:
        if self._max_form_parts is not None:
            return self._max_form_parts
        return _config("MAX_FORM_PARTS", 1000)  # type: ignore[no-any-return]

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    # -- the body ----------------------------------------------------------------------
    def _has_header(self, name: bytes) -> bool:
        """True when the raw scope has a header `name` (lower-case bytes); no parsing."""
        for key, _ in self.scope["headers"]:
            if key == name:
                return True
        return False

    def _expects_body(self) -> bool:
        for key, value in self.scope["headers"]:
            if key == b"content-length":
                return value.strip() not in (b"0", b"")
            if key == b"transfer-encoding":
                return True
        # Neither header: over HTTP/1.1 there is no body, but HTTP/2 and 3 may
        # stream one without Content-Length, so methods that carry a body read it
        # (an empty body costs one `receive()`).
        return self.scope["method"] not in _BODILESS_METHODS

    async def _load_body(self) -> None:
        """Read the whole body (bounded by `max_content_length`) and parse forms.

        Called by the app before `before_request` hooks run. Raises
        `RequestEntityTooLarge` (413) as soon as the declared or received
        size passes the limit, without reading the rest.
        """
        if "_body" in self.__dict__:  # read already (cheaper than hasattr when absent)
            return
        if not self._expects_body():
            self._body = b""
            return
        limit = self.max_content_length
        declared = self.content_length
        if limit is not None and declared is not None and declared > limit:
            raise RequestEntityTooLarge()
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                if chunk:
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise RequestEntityTooLarge()
                    chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            elif message["type"] == "http.disconnect":
                self._is_disconnected = True
                from ..exceptions import ClientDisconnected

                raise ClientDisconnected()
        self._stream_consumed = True
        self._body = b"".join(chunks)
        if self.mimetype in _FORM_TYPES:
            await self._parse_form()

    async def _parse_form(self) -> None:
        # Parsed up front so that spooling uploads to disk happens off the
        # event loop; a parse error is kept and raised when form/files is used.
        max_parts = self.max_form_parts
        max_mem = self.max_form_memory_size
        body = self._body
        if self.mimetype == "application/x-www-form-urlencoded":
            self._parse_urlencoded(body, max_parts, max_mem)
            return

        async def stream() -> Any:
            yield body
            yield b""

        try:
            parser = MultiPartParser(
                self.headers,
                stream(),
                max_files=max_parts if max_parts is not None else float("inf"),
                max_fields=max_parts if max_parts is not None else float("inf"),
                max_part_size=max_mem if max_mem is not None else 2**62,
            )
            data = await parser.parse()
        except MultiPartException as exc:
            message = str(exc.message)
            if message.startswith(("Too many", "Part exceeded", "Field exceeded")):
                self._aio_form_error = RequestEntityTooLarge()
            else:
                self._aio_form_error = BadRequest(description="The form data could not be parsed.")
            return
        fields: list[tuple[str, str]] = []
        files: list[tuple[str, FileStorage]] = []
        for key, value in data.multi_items():
            if isinstance(value, UploadFile):
                self._uploads.append(value)
                files.append((key, FileStorage.from_upload(value, name=key)))
            else:
                fields.append((key, value))
        self._aio_form = ImmutableMultiDict(fields)
        self._aio_files = ImmutableMultiDict(files)

    def _parse_urlencoded(self, body: bytes, max_parts: int | None, max_mem: int | None) -> None:
        # As Werkzeug: the body is UTF-8 text (raw non-ASCII bytes included, as
        # curl sends them), `MAX_FORM_MEMORY_SIZE` bounds the whole body and
        # `MAX_FORM_PARTS` the number of fields; either limit gives 413.
        if max_mem is not None and len(body) > max_mem:
            self._aio_form_error = RequestEntityTooLarge()
            return
        try:
            pairs = parse_qsl(
                body.decode("utf-8", "replace"),
                keep_blank_values=True,
                max_num_fields=max_parts,
                separator="&",
            )
        except ValueError:  # more fields than max_num_fields
            self._aio_form_error = RequestEntityTooLarge()
            return
        self._aio_form = ImmutableMultiDict(pairs)
        self._aio_files = ImmutableMultiDict()

    def _body_or_fail(self) -> bytes:
        try:
            return self._body
        except AttributeError:
            error = self._aio_body_error
            if error is not None:  # reading the body failed (e.g. 413 in a test request)
                raise error from None
            raise RuntimeError(
                "The request body has not been read: this route streams its body. "
                "Use 'async for chunk in request.stream()' or 'await request.get_data()'."
            ) from None

    @property
    def form(self) -> ImmutableMultiDict[str]:  # type: ignore[override]  # Flask's attribute
        """Form fields (urlencoded or multipart); `form['missing']` gives a 400."""
        if self._aio_form_error is not None:
            raise self._aio_form_error
        if self._aio_form is None:
            self._body_or_fail()
            self._aio_form = ImmutableMultiDict()
        return self._aio_form

    @property
    def files(self) -> ImmutableMultiDict[FileStorage]:
        """Uploaded files of a multipart form, as `FileStorage` objects."""
        if self._aio_form_error is not None:
            raise self._aio_form_error
        if self._aio_files is None:
            self._body_or_fail()
            self._aio_files = ImmutableMultiDict()
        return self._aio_files

    @property
    def values(self) -> CombinedMultiDict[str]:  # type: ignore[override]  # Flask's attribute
        """`args` and `form` together; for GET only `args`, as in Flask."""
        if self.method == "GET":
            return CombinedMultiDict([self.args])
        return CombinedMultiDict([self.args, self.form])

    @property
    def data(self) -> bytes:
        """The raw body; empty when it was parsed as form data (as in Flask)."""
        value = b"" if self.mimetype in _FORM_TYPES else self._body_or_fail()
        return maybe_awaitable(value)

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> Any:
        """The raw body as bytes (or str with `as_text=True`); awaitable too."""
        body = self._body_or_fail()
        if parse_form_data and self.mimetype in _FORM_TYPES:
            body = b""
        value: bytes | str = body.decode("utf-8", "replace") if as_text else body
        return maybe_awaitable(value)

    @property
    def json(self) -> Any:
        """The parsed JSON body: 415 when the body is not JSON, 400 when it is invalid."""
        return maybe_awaitable(self._get_json())

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """Parse the body as JSON.

        Unless `force`, the content type must be JSON (else 415). Invalid JSON
        gives 400. With `silent`, both failures return None instead.
        """
        return maybe_awaitable(self._get_json(force, silent))

    def _get_json(self, force: bool = False, silent: bool = False) -> Any:
        cached = self.__dict__.get("_aio_json")
        if cached is not None:
            return cached[0]
        if not (force or self.is_json):
            if silent:
                return None
            return self.on_json_loading_failed(None)
        body = self._body_or_fail()
        try:
            app_ctx = _cv_app.get(None)
            value = app_ctx.app.json.loads(body) if app_ctx else _json.loads(body)
        except (ValueError, RecursionError) as exc:
            if silent:
                return None
            return self.on_json_loading_failed(exc if isinstance(exc, ValueError) else None)
        self._aio_json = (value,)
        return value

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Called when JSON can't be read: `e` is None for a wrong content type (415)."""
        if e is None and not self.is_json:
            raise UnsupportedMediaType(
                description="Did not attempt to load JSON data because the request "
                "Content-Type was not 'application/json'."
            )
        app_ctx = _cv_app.get(None)
        if app_ctx is not None and app_ctx.app.debug and e is not None:
            raise BadRequest(description=f"Failed to decode JSON object: {e}")
        raise BadRequest(
            description="The browser (or proxy) sent a request that this server "
            "could not understand: the JSON body is not valid."
        )

    async def body(self) -> bytes:
        if "_body" not in self.__dict__:
            await self._load_body()
        return self._body

    def _close_sync(self) -> None:
        for upload in self._uploads:
            upload.file.close()
        self._uploads = []

    async def close(self) -> None:
        """Close uploaded files (their spooled temporary files are removed)."""
        self._close_sync()
