"""The test client: an `httpx.AsyncClient` bound to the app that also works synchronously.

Async tests:

```python
async with app.test_client() as client:   # runs the lifespan (before_serving...)
    r = await client.get("/")
```

Flask-style sync tests, unchanged but for the import line:

```python
client = app.test_client()
rv = client.post("/login", data={"username": "a"})
assert rv.status_code == 302 and rv.headers["Location"] == "/"
with client:
    client.get("/")
    assert session["user_id"] == 1      # the request's context is kept until the block ends
```

Each request method returns a coroutine when an event loop is running in
the calling thread and a finished response otherwise.
"""

from __future__ import annotations

import asyncio
import io
import json as _json
from collections.abc import Coroutine, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

import httpx

from ._asgi import PRESERVE_KEY
from ._awaitable import caller_calls_method
from .ctx import RequestContext

if TYPE_CHECKING:
    from starlette.types import Message, Receive, Scope, Send

    from .app import Flask
    from .wrappers import Request

T = TypeVar("T")


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class TestResponse(httpx.Response):
    """An `httpx.Response` that also has the attributes Flask tests use.

    `data`, `get_data()`, `get_json()`, `status` (`"200 OK"`), `location`,
    `mimetype`. `json` works both as Flask's property (`rv.json["x"]`) and as
    httpx's method (`r.json()`).
    """

    __test__ = False  # not a pytest test class

    @property
    def data(self) -> bytes:
        return self.content

    def get_data(self, as_text: bool = False) -> bytes | str:
        return self.text if as_text else self.content

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        if not (force or self.is_json):
            return None
        try:
            return _json.loads(self.content)
        except ValueError:
            if silent:
                return None
            raise

    @property
    def is_json(self) -> bool:
        mt = self.mimetype
        return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))

    @property  # type: ignore[override]  # both Flask's property and httpx's method
    def json(self) -> Any:
        if caller_calls_method():
            return super().json
        return self.get_json()

    @property
    def status(self) -> str:
        return f"{self.status_code} {self.reason_phrase.upper()}"

    @property
    def mimetype(self) -> str:
        return self.headers.get("content-type", "").partition(";")[0].strip().lower()

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def location(self) -> str | None:
        return self.headers.get("location")


class _AppTransport(httpx.ASGITransport):
    def __init__(self, client: FlaskClient) -> None:
        super().__init__(app=self._call_app)
        self._client = client

    async def _call_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = self._client
        if client._preserving:
            scope[PRESERVE_KEY] = client._keep_context
        await client.application(scope, receive, send)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        return TestResponse(
            response.status_code,
            headers=response.headers,
            stream=response.stream,
            extensions=response.extensions,
        )


class _Lifespan:
    """Runs the app's ASGI lifespan around `async with client`."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.to_app: asyncio.Queue[Message] = asyncio.Queue()
        self.from_app: asyncio.Queue[Message] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        await self.app(scope, self.to_app.get, self.from_app.put)

    async def _expect(self, stage: str) -> None:
        await self.to_app.put({"type": f"lifespan.{stage}"})
        message = await self.from_app.get()
        if message["type"] == f"lifespan.{stage}.failed":
            raise RuntimeError(f"Lifespan {stage} failed: {message.get('message', '')}")

    async def startup(self) -> None:
        self.task = asyncio.ensure_future(self._run())
        await self._expect("startup")

    async def shutdown(self) -> None:
        await self._expect("shutdown")
        if self.task is not None:
            await self.task


class FlaskClient(httpx.AsyncClient):
    """A test client for `app`: `httpx.AsyncClient` plus Flask's test-client surface.

    Keyword arguments of the request methods follow Flask's: `data` (a dict
    of fields, with `(file, filename[, content_type])` tuples for uploads, or
    str/bytes), `json`, `query_string`, `headers`, `content_type`,
    `follow_redirects`, `base_url`. Cookies are kept between requests.
    """

    __test__ = False

    def __init__(self, app: Flask, use_cookies: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("base_url", "http://localhost")
        kwargs.setdefault("follow_redirects", False)
        super().__init__(transport=_AppTransport(self), **kwargs)
        self.application = app
        self.use_cookies = use_cookies
        self._preserving = False
        self._kept: tuple[RequestContext, BaseException | None] | None = None
        self._lifespan: _Lifespan | None = None

    # -- Flask's keyword arguments ------------------------------------------------------
    def _translate(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        headers = dict(kwargs.pop("headers", None) or {})
        content_type = kwargs.pop("content_type", None)
        if "query_string" in kwargs:
            kwargs["params"] = kwargs.pop("query_string")
        if "json" in kwargs:
            kwargs["content"] = self.application.json.dumps(kwargs.pop("json"))
            headers.setdefault("Content-Type", "application/json")
        data = kwargs.pop("data", None)
        if isinstance(data, (str, bytes)):
            kwargs["content"] = data
        elif isinstance(data, Mapping):
            fields, files = _split_files(data)
            if files:
                kwargs["files"] = files
                kwargs["data"] = fields
            else:
                kwargs["content"] = urlencode(fields, doseq=True)
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif data is not None:
            kwargs["content"] = data
        if content_type is not None:
            headers["Content-Type"] = content_type
        for unsupported in ("environ_base", "environ_overrides", "buffered"):
            kwargs.pop(unsupported, None)
        base_url = kwargs.pop("base_url", None)
        if headers:
            kwargs["headers"] = headers
        if base_url is not None:
            kwargs["_base_url"] = base_url
        return kwargs

    async def _send_flask(self, method: str, url: str, kwargs: dict[str, Any]) -> TestResponse:
        base_url = kwargs.pop("_base_url", None)
        if base_url is not None:
            url = str(httpx.URL(base_url).join(url.lstrip("/")))
        if not self.use_cookies:
            self.cookies.clear()
        response = await super().request(method, url, **kwargs)
        return response  # type: ignore[return-value]

    def open(self, url: str = "/", method: str = "GET", **kwargs: Any) -> Any:
        """Send a request; a coroutine inside an event loop, a response outside one."""
        kwargs = self._translate(kwargs)
        coro = self._send_flask(method.upper(), url, kwargs)
        if _loop_running():
            return coro
        return self._run_sync(coro)

    def _run_sync(self, coro: Coroutine[Any, Any, T]) -> T:
        self._end_kept()
        result = asyncio.run(coro)
        if self._kept is not None:
            self._kept[0].reattach()
        return result

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.open(str(url), method=method, **kwargs)

    def get(self, url: Any = "/", **kwargs: Any) -> Any:  # type: ignore[override]
        return self.open(str(url), "GET", **kwargs)

    def post(self, url: Any = "/", **kwargs: Any) -> Any:  # type: ignore[override]
        return self.open(str(url), "POST", **kwargs)

    def put(self, url: Any = "/", **kwargs: Any) -> Any:  # type: ignore[override]
        return self.open(str(url), "PUT", **kwargs)

    def patch(self, url: Any = "/", **kwargs: Any) -> Any:  # type: ignore[override]
        return self.open(str(url), "PATCH", **kwargs)

    def delete(self, url: Any = "/", **kwargs: Any) -> Any:  # type: ignore[override]
        return self.open(str(url), "DELETE", **kwargs)

    def head(self, url: Any = "/", **kwargs: Any) -> Any:  # type: ignore[override]
        return self.open(str(url), "HEAD", **kwargs)

    def options(self, url: Any = "/", **kwargs: Any) -> Any:  # type: ignore[override]
        return self.open(str(url), "OPTIONS", **kwargs)

    def trace(self, url: Any = "/", **kwargs: Any) -> Any:
        return self.open(str(url), "TRACE", **kwargs)

    # -- cookies ---------------------------------------------------------------------------
    def get_cookie(self, key: str, domain: str = "", path: str = "/") -> Any:
        """The stored cookie named `key` (an `http.cookiejar.Cookie`), or None."""
        for cookie in self.cookies.jar:
            if cookie.name == key and (not domain or cookie.domain.lstrip(".") == domain):
                return cookie
        return None

    def set_cookie(self, key: str, value: str = "", domain: str = "localhost", path: str = "/") -> None:  # type: ignore[override]
        """Store a cookie to send with later requests."""
        self.cookies.set(key, value, domain=domain, path=path)

    def delete_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> None:
        """Remove a stored cookie."""
        for cookie in list(self.cookies.jar):
            if cookie.name == key:
                self.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)

    # -- `with client:` keeps the last request's context -----------------------------------
    def _keep_context(self, ctx: RequestContext, exc: BaseException | None) -> None:
        self._kept = (ctx, exc)

    def _end_kept(self) -> None:
        kept, self._kept = self._kept, None
        if kept is None:
            return
        ctx, exc = kept
        ctx.detach()

        async def teardown() -> None:
            ctx.reattach()
            await ctx.apop(exc)

        if _loop_running():
            from .app import _run_coro_blocking

            _run_coro_blocking(teardown())
        else:
            asyncio.run(teardown())

    def __enter__(self) -> FlaskClient:
        if self._preserving:
            raise RuntimeError("Cannot nest client invocations.")
        self._preserving = True
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._preserving = False
        self._end_kept()

    async def __aenter__(self) -> FlaskClient:
        await super().__aenter__()
        self._lifespan = _Lifespan(self.application)
        await self._lifespan.startup()
        return self

    async def __aexit__(
        self,
        et: type[BaseException] | None = None,
        ev: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        try:
            if self._lifespan is not None:
                await self._lifespan.shutdown()
        finally:
            self._lifespan = None
            await super().__aexit__(et, ev, tb)


def _is_file(value: Any) -> bool:
    return isinstance(value, tuple) or hasattr(value, "read")


def _split_files(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    fields: dict[str, Any] = {}
    files: list[tuple[str, Any]] = []
    for key, value in data.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if _is_file(item):
                files.append((key, _file_tuple(item)))
            else:
                fields.setdefault(key, []).append(item)
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}, files


def _file_tuple(item: Any) -> Any:
    if isinstance(item, tuple):
        fileobj, filename, *rest = item
        if isinstance(fileobj, (bytes, str)):
            fileobj = io.BytesIO(fileobj.encode() if isinstance(fileobj, str) else fileobj)
        return (filename, fileobj, *rest)
    name = getattr(item, "name", "file")
    return (str(name).rsplit("/", 1)[-1], item)


def build_request(
    app: Flask,
    path: str = "/",
    base_url: str | None = None,
    subdomain: str | None = None,
    url_scheme: str | None = None,
    *,
    method: str = "GET",
    data: Any = None,
    json: Any = None,
    headers: Any = None,
    query_string: Any = None,
    content_type: str | None = None,
    **_ignored: Any,
) -> Request:
    """A `Request` for `app.test_request_context(...)`, with its body already read."""
    if base_url is None:
        server_name = app.config["SERVER_NAME"] or "localhost"
        scheme = url_scheme or app.config["PREFERRED_URL_SCHEME"]
        if subdomain:
            server_name = f"{subdomain}.{server_name}"
        root = str(app.config["APPLICATION_ROOT"]).rstrip("/")
        base_url = f"{scheme}://{server_name}{root}/"
    kwargs: dict[str, Any] = {"headers": headers, "content_type": content_type}
    if query_string is not None:
        kwargs["query_string"] = query_string
    if json is not None:
        kwargs["json"] = json
    if data is not None:
        kwargs["data"] = data
    dummy = FlaskClient.__new__(FlaskClient)
    dummy.application = app
    translated = FlaskClient._translate(dummy, {k: v for k, v in kwargs.items() if v is not None})
    translated.pop("_base_url", None)
    base = httpx.URL(base_url)
    url = base.join(path.lstrip("/")) if "?" not in path else httpx.URL(str(base.join(path.lstrip("/"))))
    hreq = httpx.Request(method.upper(), url, **translated)
    body = hreq.read()
    root_path = base.path.rstrip("/")
    raw_path = url.raw_path.split(b"?", 1)[0]
    from urllib.parse import unquote

    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": base.scheme,
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "root_path": root_path,
        "query_string": url.query,
        "headers": [(k.lower(), v) for k, v in hreq.headers.raw],
        "client": ("127.0.0.1", 0),
        "server": (base.host, base.port or (443 if base.scheme == "https" else 80)),
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    from .app import _run_coro_blocking

    request = app.request_class(scope, receive)
    try:
        _run_coro_blocking(request._load_body())
    except Exception as exc:  # surfaced when the body is used
        request._aio_form_error = exc
        request._body = body
    return request
