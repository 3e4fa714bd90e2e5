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
import mimetypes
import secrets
from collections.abc import Coroutine, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlencode

import httpx

from ._asgi import PRESERVE_KEY
from ._awaitable import caller_calls_method
from ._environ import one_shot_receive
from ._http import parse_set_header
from ._testing_ws import WebSocketRejected as WebSocketRejected
from ._testing_ws import WebsocketSession as WebsocketSession
from .cli import FlaskCliRunner as FlaskCliRunner
from .ctx import RequestContext
from .datastructures import HeaderSet, MultiDict
from .logging import ERRORS_STREAM_KEY

if TYPE_CHECKING:
    from starlette.types import Message, Receive, Scope, Send

    from .app import Flask
    from .sessions import SessionMixin
    from .wrappers import Request

T = TypeVar("T")

_ROOT_PATH = "aioflask.root_path"  # request extension: the ASGI root_path of one request
_REMOTE_ADDR = "aioflask.remote_addr"  # request extension: the client address the app sees
# The positional arguments after the path, in the order Flask's client takes them.
_POSITIONAL = ("base_url", "subdomain", "url_scheme")


def _environ_header(key: str) -> str | None:
    """The header name of a WSGI environ key (`HTTP_USER_AGENT` is `User-Agent`), or None."""
    if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        return key.replace("_", "-").title()
    if key.startswith("HTTP_"):
        return key[5:].replace("_", "-").title()
    return None


def _without_none(query: Any) -> Any:
    """A query given as a mapping or pairs, without the None values (Werkzeug leaves them out)."""
    if isinstance(query, Mapping):
        items = query.items(multi=True) if isinstance(query, MultiDict) else query.items()
        pairs = []
        for key, value in items:
            for one in value if isinstance(value, (list, tuple)) else [value]:
                if one is not None:
                    pairs.append((key, one))
        return pairs
    if isinstance(query, (list, tuple)):
        return [pair for pair in query if not (isinstance(pair, tuple) and pair[1] is None)]
    return query


def _request_args_from_environ(environ: Mapping[str, Any]) -> dict[str, Any]:
    """`client.open()` arguments for the request a WSGI environ describes."""
    from ._environ import scope_and_body

    scope, body = scope_and_body(environ)
    host = environ.get("HTTP_HOST") or f"{scope['server'][0]}:{scope['server'][1]}"
    headers = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in scope["headers"]
        if name not in (b"host", b"content-length")
    ]
    args: dict[str, Any] = {
        "url": scope["raw_path"].decode("latin-1"),
        "base_url": f"{scope['scheme']}://{host}{scope['root_path']}",
        "method": scope["method"],
        "headers": headers,
        "query_string": scope["query_string"].decode("latin-1"),
    }
    if body:
        args["data"] = body
    if "REMOTE_ADDR" in environ:
        args["environ_overrides"] = {"REMOTE_ADDR": environ["REMOTE_ADDR"]}
    return args


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class TestHeaders(httpx.Headers):
    """httpx's headers plus Werkzeug's `getlist(key)` and `get(key, default, type)`."""

    def getlist(self, key: str) -> list[str]:
        """All values of `key` (`headers.getlist("Set-Cookie")`)."""
        return self.get_list(key)

    def get_all(self, key: str) -> list[str]:
        """All values of `key`, as Werkzeug's `Headers.get_all`."""
        return self.get_list(key)

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:
        """The first value of `key`, converted with `type` (`default` if that fails)."""
        value = super().get(key, None)
        if value is None:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default


class TestResponse(httpx.Response):
    """An `httpx.Response` that also has the attributes Flask tests use.

    `data`, `get_data()`, `get_json()`, `status` (`"200 OK"`), `location`,
    `mimetype`. `json` works both as Flask's property (`rv.json["x"]`) and as
    httpx's method (`r.json()`). `headers.getlist()` works as in Flask, and
    `request.path` is the path that was requested (after redirects, the last).
    """

    __test__ = False  # not a pytest test class
    headers: TestHeaders
    # The redirects followed: our transport makes each of them a `TestResponse` too.
    history: list[TestResponse]  # type: ignore[assignment]  # list[httpx.Response] in httpx

    if TYPE_CHECKING:

        @property
        def request(self) -> TestRequest: ...
        @request.setter
        def request(self, value: httpx.Request) -> None: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers = TestHeaders(self.headers)

    def close(self) -> None:
        """Flask's `rv.close()`: the body was already read, so there is nothing left to release."""
        if not self.is_closed:
            super().close()

    def __enter__(self) -> TestResponse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

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

    @property
    def json(self) -> Any:
        if caller_calls_method():
            return super().json
        return self.get_json()

    @property
    def status(self) -> str:
        return f"{self.status_code} {self.reason_phrase.upper() or 'UNKNOWN'}"

    @property
    def mimetype(self) -> str:
        value: str = self.headers.get("content-type", "")
        return value.partition(";")[0].strip().lower()

    @property
    def content_type(self) -> str | None:
        value: str | None = self.headers.get("content-type")
        return value

    @property
    def location(self) -> str | None:
        value: str | None = self.headers.get("location")
        return value

    def _header_set(self, name: str) -> HeaderSet:
        return parse_set_header(", ".join(self.headers.get_list(name)))

    @property
    def allow(self) -> HeaderSet:
        """The `Allow` header as a case-insensitive set of methods."""
        return self._header_set("allow")

    @property
    def vary(self) -> HeaderSet:
        """The `Vary` header as a case-insensitive set of header names."""
        return self._header_set("vary")


if TYPE_CHECKING:
    from collections.abc import Generator

    class TestRequest(httpx.Request):
        """For type checkers: `response.request`, an `httpx.Request` with Flask's `path`."""

        path: str

    class AwaitableResponse(TestResponse):
        """For type checkers: what the client's request methods return.

        At run time it is a finished `TestResponse` in sync code, and a
        coroutine to `await` for one when an event loop is running (async tests).
        """

        def __await__(self) -> Generator[Any, None, TestResponse]: ...


class _TestCookiePolicy(DefaultCookiePolicy):
    """The jar's rules, except that `Secure` cookies go over plain http too.

    Tests talk to `http://localhost`; as with Flask's test client, an app with
    `SESSION_COOKIE_SECURE = True` keeps its session from one request to the next.
    """

    def return_ok_secure(self, cookie: Cookie, request: Any) -> bool:
        return True


class TestCookie:
    """A cookie the test client holds, as `client.get_cookie()` returns it.

    It has the attribute names of Flask's (Werkzeug's) test cookie: `key`,
    `value`, `decoded_key`, `decoded_value`, `expires` (an aware `datetime`
    or None), `domain`, `path`, `secure`, `http_only`, `same_site`; `name`
    is `key`, and `jar_cookie` is the `http.cookiejar.Cookie` it was read
    from. It is a snapshot: changing it does not change the client's cookies.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, jar_cookie: Cookie) -> None:
        self.jar_cookie = jar_cookie
        self.key: str = jar_cookie.name
        self.value: str = jar_cookie.value or ""
        self.domain: str = _cookie_domain(jar_cookie.domain)
        self.origin_only: bool = not jar_cookie.domain_specified
        self.path: str = jar_cookie.path
        self.secure: bool = jar_cookie.secure
        self.http_only: bool = jar_cookie.has_nonstandard_attr("HttpOnly")
        self.same_site: str | None = jar_cookie.get_nonstandard_attr("SameSite")
        self.partitioned: bool = jar_cookie.has_nonstandard_attr("Partitioned")
        self.max_age: int | None = None  # the jar keeps only the expiry time it implies
        self.expires: datetime | None = (
            None
            if jar_cookie.expires is None
            else datetime.fromtimestamp(jar_cookie.expires, timezone.utc)
        )

    @property
    def name(self) -> str:
        return self.key

    @property
    def decoded_key(self) -> str:
        return unquote(self.key)

    @property
    def decoded_value(self) -> str:
        value = self.value
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        return unquote(value)

    def __repr__(self) -> str:
        return f"<TestCookie {self.key}={self.value!r} domain={self.domain!r} path={self.path!r}>"


class _AppTransport(httpx.ASGITransport):
    def __init__(self, client: FlaskClient) -> None:
        super().__init__(app=self._call_app)
        self._client = client
        self._errors_stream: Any = None  # the `errors_stream=` of the request being sent

    async def _call_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = self._client
        if client._preserving:
            kept = client._kept
            if kept is not None and not kept[0]._tokens:
                # An earlier hop of the same call (a followed redirect): only the
                # last request's context is kept, so this one ends now.
                client._kept = None
                kept[0].reattach()
                await kept[0].apop(kept[1])
            scope[PRESERVE_KEY] = client._keep_context
        if self._errors_stream is not None:
            scope[ERRORS_STREAM_KEY] = self._errors_stream
        await client.application(scope, receive, send)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # The base URL's path is the app's mount point (WSGI's SCRIPT_NAME). The
        # scope is built before httpx's first await, so setting it here is safe.
        root = request.extensions.get(_ROOT_PATH, "")
        self.root_path = root
        remote_addr = request.extensions.get(_REMOTE_ADDR)
        self.client = (remote_addr or "127.0.0.1", 123)
        self._errors_stream = request.extensions.get(ERRORS_STREAM_KEY)
        response = await super().handle_async_request(request)
        # Flask tests read `response.request.path` (below the root); httpx's request has `url`.
        path = request.url.path
        if root and (path == root or path.startswith(root + "/")):
            path = path[len(root) :] or "/"
        setattr(request, "path", path)  # noqa: B010 - not a declared attribute
        return TestResponse(
            response.status_code,
            headers=response.headers,
            stream=response.stream,
            extensions=response.extensions,
        )


class _Lifespan:
    """Runs the app's ASGI lifespan around `async with client`.

    As uvicorn does in its default mode, an app (or middleware) that raises
    instead of answering the lifespan protocol is taken not to support it.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.to_app: asyncio.Queue[Message] = asyncio.Queue()
        self.from_app: asyncio.Queue[Message] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.supported = True

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        await self.app(scope, self.to_app.get, self.from_app.put)

    async def _expect(self, stage: str) -> None:
        task = self.task
        if task is None:
            raise RuntimeError("The lifespan was not started.")
        await self.to_app.put({"type": f"lifespan.{stage}"})
        reply = asyncio.ensure_future(self.from_app.get())
        await asyncio.wait({reply, task}, return_when=asyncio.FIRST_COMPLETED)
        if not reply.done():  # the lifespan call ended without answering
            reply.cancel()
            if stage == "startup" and task.exception() is not None:
                self.supported = False
                return
            task.result()  # re-raises an error from shutdown
            raise RuntimeError(f"The app's lifespan ended without answering '{stage}'.")
        message = reply.result()
        if message["type"] == f"lifespan.{stage}.failed":
            raise RuntimeError(f"Lifespan {stage} failed: {message.get('message', '')}")

    async def startup(self) -> None:
        self.task = asyncio.ensure_future(self._run())
        await self._expect("startup")

    async def shutdown(self) -> None:
        if not self.supported:
            return
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
        # Without a base URL of its own, the client addresses requests as Flask's
        # does: SERVER_NAME, APPLICATION_ROOT and PREFERRED_URL_SCHEME from the config.
        self._config_base = "base_url" not in kwargs
        kwargs.setdefault("base_url", "http://localhost")
        kwargs.setdefault("follow_redirects", False)
        super().__init__(transport=_AppTransport(self), **kwargs)
        self.application = app
        self.use_cookies = use_cookies
        self._preserving = False
        self._kept: tuple[RequestContext, BaseException | None] | None = None
        self._lifespan: _Lifespan | None = None
        #: Werkzeug-style defaults for every request: `REMOTE_ADDR` is the client
        #: address the app sees, and `HTTP_<NAME>` keys are headers a request
        #: does not set itself (`client.environ_base["HTTP_USER_AGENT"] = "Foo"`).
        self.environ_base: dict[str, Any] = {"REMOTE_ADDR": "127.0.0.1"}
        if "user-agent" not in {name.lower() for name in (kwargs.get("headers") or {})}:
            # Flask's client introduces itself as Werkzeug; so does this one.
            self.headers["User-Agent"] = _werkzeug_user_agent()

    def build_request(self, *args: Any, **kwargs: Any) -> httpx.Request:
        return self._with_secure_cookies(super().build_request(*args, **kwargs))

    def _build_redirect_request(
        self, request: httpx.Request, response: httpx.Response
    ) -> httpx.Request:
        return self._with_secure_cookies(super()._build_redirect_request(request, response))

    def _with_secure_cookies(self, request: httpx.Request) -> httpx.Request:
        if request.url.scheme == "http" and any(c.secure for c in self.cookies.jar):
            # httpx leaves `Secure` cookies out over http; Flask's test client sends
            # them (see `_TestCookiePolicy`), so the Cookie header is made again.
            jar = CookieJar(_TestCookiePolicy())
            for cookie in self.cookies.jar:
                jar.set_cookie(cookie)
            request.headers.pop("Cookie", None)
            httpx.Cookies(jar).set_cookie_header(request)
        return request

    # -- Flask's keyword arguments ------------------------------------------------------
    def _translate(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        # httpx's headers: case-insensitive, and repeated names are kept.
        headers = httpx.Headers(kwargs.pop("headers", None))
        content_type = kwargs.pop("content_type", None)
        if "query_string" in kwargs:
            kwargs["params"] = _without_none(kwargs.pop("query_string"))
        json_value = kwargs.pop("json", None)
        if json_value is not None:  # as in Werkzeug, `json=None` sends no body
            kwargs["content"] = self.application.json.dumps(json_value)
            headers.setdefault("Content-Type", "application/json")
        data = kwargs.pop("data", None)
        if isinstance(data, (str, bytes)):
            kwargs["content"] = data
        elif isinstance(data, Mapping):
            fields, files = _split_files(data)
            if "files" in kwargs:  # httpx's own `files=`: httpx encodes both together
                kwargs["data"] = fields
            elif files or _is_multipart(content_type):
                # Werkzeug's encoder, as Flask's client uses: empty file names and
                # an explicit multipart content type come out as they do there.
                kwargs["content"], content_type = _encode_multipart(fields, files)
            else:
                kwargs["content"] = urlencode(fields, doseq=True)
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif data is not None:
            kwargs["content"] = data
        if content_type is not None:
            headers["Content-Type"] = content_type
        environ = {**getattr(self, "environ_base", {}), **(kwargs.pop("environ_base", None) or {})}
        overrides = kwargs.pop("environ_overrides", None) or {}
        for key, value in environ.items():
            name = _environ_header(key)
            if name is not None and name not in headers:
                headers[name] = str(value)
        for key, value in overrides.items():
            name = _environ_header(key)
            if name is not None:
                headers[name] = str(value)
        extensions: dict[str, Any] = {}
        remote_addr = overrides.get("REMOTE_ADDR", environ.get("REMOTE_ADDR"))
        if remote_addr:
            extensions[_REMOTE_ADDR] = str(remote_addr)
        errors_stream = kwargs.pop("errors_stream", None)
        if errors_stream is not None:
            extensions[ERRORS_STREAM_KEY] = errors_stream
        if extensions:
            kwargs["extensions"] = extensions
        kwargs.pop("buffered", None)
        base_url = kwargs.pop("base_url", None)
        if headers:
            kwargs["headers"] = headers
        if base_url is not None:
            kwargs["_base_url"] = base_url
        for name in ("subdomain", "url_scheme"):
            if name in kwargs:
                kwargs["_" + name] = kwargs.pop(name)
        return kwargs

    def _default_base(self, url: str, kwargs: dict[str, Any]) -> tuple[str | None, str]:
        """Flask's default base URL for `url` from the config, and `url` reduced to its path."""
        config = self.application.config
        scheme = kwargs.pop("_url_scheme", None) or config["PREFERRED_URL_SCHEME"]
        subdomain = kwargs.pop("_subdomain", None)
        server_name = config["SERVER_NAME"]
        root = str(config["APPLICATION_ROOT"]).strip("/")
        if not (server_name or root or subdomain or scheme != "http") or not self._config_base:
            return None, url
        target = httpx.URL(url)
        host = target.netloc.decode("ascii") or server_name or "localhost"
        if subdomain:
            host = f"{subdomain}.{host}"
        path = target.raw_path.decode("ascii") if target.is_absolute_url else url
        return f"{target.scheme or scheme}://{host}/{root}", path

    async def _send_flask(self, method: str, url: str, kwargs: dict[str, Any]) -> TestResponse:
        base_url = kwargs.pop("_base_url", None)
        if base_url is None:
            base_url, url = self._default_base(url, kwargs)
        else:
            kwargs.pop("_url_scheme", None)
            kwargs.pop("_subdomain", None)
        if base_url is not None:
            base = httpx.URL(base_url)
            root = base.path.rstrip("/")
            # Below the base URL's path, as in Flask (httpx's `join` would replace its last part).
            url = str(base.copy_with(path=root + "/")) + url.lstrip("/")
            if root:
                kwargs["extensions"] = {**kwargs.get("extensions", {}), _ROOT_PATH: root}
        if not self.use_cookies:
            self.cookies.clear()
        response = await super().request(method, url, **kwargs)
        return response  # type: ignore[return-value]

    def open(
        self,
        url: str | EnvironBuilder | dict[str, Any] = "/",
        *args: Any,
        method: str = "GET",
        **kwargs: Any,
    ) -> AwaitableResponse:
        """Send a request; a coroutine inside an event loop, a response outside one.

        Positional arguments after `url` are Flask's: `base_url`, `subdomain`, `url_scheme`.
        `url` may also be an `EnvironBuilder`, whose request is sent (keyword
        arguments given here win over the builder's).
        """
        if isinstance(url, dict):  # a WSGI environ, as `EnvironBuilder.get_environ()` gives
            if args:
                raise TypeError("open() takes no positional arguments after an environ")
            return self.open(**_request_args_from_environ(url), **kwargs)
        if isinstance(url, EnvironBuilder):
            if args:
                raise TypeError("open() takes no positional arguments after an EnvironBuilder")
            path, *args_list = url.args
            merged = {**url.kwargs, **kwargs}
            merged.setdefault("method", method)
            return self.open(path, *args_list, **merged)
        if args:
            if len(args) > len(_POSITIONAL):
                raise TypeError(f"open() takes at most {len(_POSITIONAL) + 1} positional arguments")
            for name, value in zip(_POSITIONAL, args, strict=False):
                if name in kwargs:
                    raise TypeError(f"open() got multiple values for argument {name!r}")
                kwargs[name] = value
        kwargs = self._translate(kwargs)
        coro = self._send_flask(method.upper(), url, kwargs)
        # Both are typed as `AwaitableResponse`: a response that may be awaited.
        if _loop_running():
            return self._open_async(coro)  # type: ignore[return-value]
        return self._run_sync(coro)  # type: ignore[return-value]

    def _run_sync(self, coro: Coroutine[Any, Any, T]) -> T:
        self._end_kept()
        try:
            return asyncio.run(self._then_background(coro))
        finally:  # also when the view's exception propagates (TESTING)
            if self._kept is not None:
                self._kept[0].reattach()

    async def _then_background(self, coro: Coroutine[Any, Any, T]) -> T:
        # The loop ends with this call: let the background tasks the request
        # started finish first (BACKGROUND_TASK_SHUTDOWN_TIMEOUT), as a server would.
        try:
            return await coro
        finally:
            if self.application.background_tasks:
                from .background import wait_for_background_tasks

                await wait_for_background_tasks(self.application)

    async def _open_async(self, coro: Coroutine[Any, Any, T]) -> T:
        # `with client:` in an async test: the request runs in the test's own
        # task, so the kept context is bound there after the await.
        kept, self._kept = self._kept, None
        if kept is not None and kept[0]._tokens:
            await kept[0].apop(kept[1])
        try:
            return await coro
        finally:
            if self._kept is not None:
                self._kept[0].reattach()

    # The request methods override httpx's coroutines with sync-or-async ones.
    def request(self, method: str, url: Any, **kwargs: Any) -> AwaitableResponse:  # type: ignore[override]
        return self.open(str(url), method=method, **kwargs)

    def get(self, url: Any = "/", *args: Any, **kwargs: Any) -> AwaitableResponse:  # type: ignore[override]
        return self.open(str(url), *args, method="GET", **kwargs)

    def post(self, url: Any = "/", *args: Any, **kwargs: Any) -> AwaitableResponse:  # type: ignore[override]
        return self.open(str(url), *args, method="POST", **kwargs)

    def put(self, url: Any = "/", *args: Any, **kwargs: Any) -> AwaitableResponse:  # type: ignore[override]
        return self.open(str(url), *args, method="PUT", **kwargs)

    def patch(self, url: Any = "/", *args: Any, **kwargs: Any) -> AwaitableResponse:  # type: ignore[override]
        return self.open(str(url), *args, method="PATCH", **kwargs)

    def delete(self, url: Any = "/", *args: Any, **kwargs: Any) -> AwaitableResponse:  # type: ignore[override]
        return self.open(str(url), *args, method="DELETE", **kwargs)

    def head(self, url: Any = "/", *args: Any, **kwargs: Any) -> AwaitableResponse:  # type: ignore[override]
        return self.open(str(url), *args, method="HEAD", **kwargs)

    def options(self, url: Any = "/", *args: Any, **kwargs: Any) -> AwaitableResponse:  # type: ignore[override]
        return self.open(str(url), *args, method="OPTIONS", **kwargs)

    def trace(self, url: Any = "/", *args: Any, **kwargs: Any) -> AwaitableResponse:
        return self.open(str(url), *args, method="TRACE", **kwargs)

    # -- WebSockets ------------------------------------------------------------------------
    def websocket_connect(
        self,
        path: str,
        subprotocols: Iterable[str] | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        *,
        http_response: bool = True,
        timeout: float = 5.0,
    ) -> WebsocketSession:
        """Open a WebSocket to the app in-process, for `async with` in an async test.

        ```python
        async with client.websocket_connect("/ws") as ws:
            await ws.send_text("hi")
            assert await ws.receive_text() == "echo: hi"
        ```
        The client's cookies are sent with the handshake. A refused handshake
        raises `WebSocketRejected`. `http_response=False` hides the ASGI
        `websocket.http.response` extension (the app then refuses with a close
        code); `timeout` bounds every wait. See `aioflask._testing_ws`.
        """
        return WebsocketSession(
            self, path, subprotocols, headers, http_response=http_response, timeout=timeout
        )

    # -- cookies ---------------------------------------------------------------------------
    def get_cookie(self, key: str, domain: str = "", path: str = "/") -> TestCookie | None:
        """The stored cookie named `key` (a `TestCookie`), or None.

        `domain` (any when empty) and `path` must match, as in Flask's client.
        """
        for cookie in self.cookies.jar:
            if cookie.name == key and cookie.path == path and _same_domain(cookie.domain, domain):
                return TestCookie(cookie)
        return None

    def set_cookie(
        self, key: str, value: str = "", domain: str = "localhost", path: str = "/"
    ) -> None:
        """Store a cookie to send with later requests to `domain`.

        It replaces a stored cookie of the same name and path whose domain
        differs only by a leading dot (`.example.com` as a server sets it).
        """
        if domain:
            self.delete_cookie(key, domain, path)
        if domain and "." not in domain:
            # http.cookiejar files a dotless host such as `localhost` under
            # `localhost.local`; a cookie stored as plain `localhost` is never sent.
            domain += ".local"
        self.cookies.set(key, value, domain=domain, path=path)

    def delete_cookie(self, key: str, domain: str = "", path: str = "/") -> None:
        """Remove a stored cookie (from any domain when `domain` is empty)."""
        for cookie in list(self.cookies.jar):
            if cookie.name == key and cookie.path == path and _same_domain(cookie.domain, domain):
                self.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)

    # -- sessions -------------------------------------------------------------------------------
    @contextmanager
    def session_transaction(self, *args: Any, **kwargs: Any) -> Iterator[SessionMixin]:
        """Open the session the client's next request would see, and store changes back.

        ```python
        with client.session_transaction() as sess:
            sess["user_id"] = 1
        client.get("/")   # the view sees session["user_id"] == 1
        ```
        Takes the arguments of `app.test_request_context` (the session may
        depend on the request, e.g. its host or path).
        """
        if not self.use_cookies:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        app = self.application
        interface = app.session_interface
        ctx = app.test_request_context(*args, **kwargs)
        request = ctx.request
        probe = httpx.Request("GET", request.url)
        self.cookies.set_cookie_header(probe)
        cookie = probe.headers.get("cookie")
        if cookie:
            request.scope["headers"].append((b"cookie", cookie.encode("latin-1")))
            request.__dict__.pop("_headers", None)  # re-read with the jar's cookies
            request.__dict__.pop("_aio_cookies", None)
        with ctx:
            sess = _finish(interface.open_session(app, request))
        if sess is None:
            raise RuntimeError("Session backend did not open a session.")
        yield sess
        if interface.is_null_session(sess):
            return
        response = app.response_class()
        with ctx:
            _finish(interface.save_session(app, sess, response))
        headers = [("set-cookie", value) for value in response.headers.getlist("set-cookie")]
        self.cookies.extract_cookies(httpx.Response(200, headers=headers, request=probe))

    # -- `with client:` keeps the last request's context -----------------------------------
    def _keep_context(self, ctx: RequestContext, exc: BaseException | None) -> None:
        if ctx._session is None:
            # The request never touched its session, which aioflask then never opens.
            # Flask's kept context always has one (`request_ctx._session.accessed`
            # is False), so open it now, unless the interface can only be awaited.
            try:
                ctx._session = ctx.app._open_session_now(ctx.request)
            except Exception:
                pass
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
            from ._threads import _run_coro_blocking

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
        try:
            await self._lifespan.startup()
        except BaseException:
            self._lifespan = None
            await super().__aexit__()
            raise
        return self

    async def __aexit__(
        self,
        et: type[BaseException] | None = None,
        ev: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        try:
            if self._lifespan is not None:
                await self._lifespan.shutdown()  # waits for background tasks too
            if self.application.background_tasks:  # an app without a lifespan
                from .background import wait_for_background_tasks

                await wait_for_background_tasks(self.application)
        finally:
            self._lifespan = None
            await super().__aexit__(et, ev, tb)


def _finish(coro: Coroutine[Any, Any, T]) -> T:
    """Run a session-interface coroutine from sync code, in the current context."""
    if not _loop_running():
        return asyncio.run(coro)  # copies the context, so `request` is bound inside
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError(
        "The session interface awaited I/O inside 'session_transaction', which runs "
        "synchronously; call it from a test without a running event loop."
    )


def _cookie_domain(domain: str) -> str:
    """A cookie domain without a leading dot or the `.local` the jar adds to dotless hosts."""
    domain = domain.lstrip(".").lower()
    if domain.endswith(".local") and "." not in domain[:-6]:
        domain = domain[:-6]
    return domain


def _same_domain(stored: str, wanted: str) -> bool:
    """Compare cookie domains, ignoring a leading dot and the `.local` of dotless hosts."""
    if not wanted:
        return True
    return _cookie_domain(stored) == _cookie_domain(wanted)


def _is_file(value: Any) -> bool:
    return isinstance(value, tuple) or hasattr(value, "read")


def _split_files(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    fields: dict[str, Any] = {}
    files: list[tuple[str, Any]] = []
    pairs = data.items(multi=True) if isinstance(data, MultiDict) else data.items()
    for key, value in pairs:
        values = value if isinstance(value, list) else [value]
        for item in values:
            if _is_file(item):
                files.append((key, _file_tuple(item)))
            else:
                fields.setdefault(key, []).append(item)
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}, files


def _werkzeug_user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"Werkzeug/{version('werkzeug')}"
    except PackageNotFoundError:  # pragma: no cover - Werkzeug is a dependency
        return "Werkzeug"


def _is_multipart(content_type: str | None) -> bool:
    return content_type is not None and content_type.split(";")[0].strip().lower() == (
        "multipart/form-data"
    )


def _form_param(text: str) -> str:
    # Browsers' escaping of quoted Content-Disposition parameters (WHATWG HTML).
    return text.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def _encode_multipart(fields: Mapping[str, Any], files: list[tuple[str, Any]]) -> tuple[bytes, str]:
    """A multipart body and its content type (with the boundary) for the test client.

    Fields first, then files, each file part keeping its file name even when
    it is empty (Flask's client does; such parts are files, not fields).
    """
    boundary = f"aioflask-{secrets.token_hex(16)}"
    delimiter = f"--{boundary}\r\n".encode("ascii")
    out = bytearray()
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            out += delimiter
            out += f'Content-Disposition: form-data; name="{_form_param(key)}"\r\n\r\n'.encode()
            out += item if isinstance(item, bytes) else str(item).encode()
            out += b"\r\n"
    for key, (filename, fileobj, *rest) in files:
        content_type = rest[0] if rest and rest[0] else None
        if content_type is None:
            guessed = mimetypes.guess_type(filename)[0] if filename else None
            content_type = guessed or "application/octet-stream"
        content = fileobj.read()
        out += delimiter
        out += (
            f'Content-Disposition: form-data; name="{_form_param(key)}"; '
            f'filename="{_form_param(filename)}"\r\nContent-Type: {content_type}\r\n\r\n'
        ).encode()
        out += content.encode() if isinstance(content, str) else content
        out += b"\r\n"
    out += f"--{boundary}--\r\n".encode("ascii")
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def _file_tuple(item: Any) -> Any:
    if isinstance(item, tuple):
        fileobj, filename, *rest = item
        if isinstance(fileobj, (bytes, str)):
            fileobj = io.BytesIO(fileobj.encode() if isinstance(fileobj, str) else fileobj)
        return (filename, fileobj, *rest)
    name = getattr(item, "name", "file")
    return (str(name).rsplit("/", 1)[-1], item)


def _describe_request(
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
    errors_stream: Any = None,
    **_ignored: Any,
) -> tuple[httpx.URL, httpx.Request]:
    """The base URL and the encoded request that Flask's test arguments describe."""
    # A full URL as the path: its scheme and host are the base.
    if base_url is None and not path.startswith("/") and "://" in path:
        full = httpx.URL(path)
        base_url = f"{full.scheme}://{full.netloc.decode('ascii')}/"
        path = full.raw_path.decode("ascii")
    if base_url is None:
        server_name = app.config["SERVER_NAME"] or "localhost"
        scheme = url_scheme or app.config["PREFERRED_URL_SCHEME"]
        if subdomain:
            server_name = f"{subdomain}.{server_name}"
        root = str(app.config["APPLICATION_ROOT"]).rstrip("/")
        base_url = f"{scheme}://{server_name}{root}/"
    kwargs: dict[str, Any] = {"headers": headers, "content_type": content_type}
    if errors_stream is not None:
        kwargs["errors_stream"] = errors_stream
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
    url = base.join(path.lstrip("/"))
    hreq = httpx.Request(method.upper(), url, **translated)
    hreq.read()
    return base, hreq


def build_request(app: Flask, *args: Any, **kwargs: Any) -> Request:
    """A `Request` for `app.test_request_context(...)`, with its body already read.

    Takes the arguments of `EnvironBuilder`.
    """
    base, hreq = _describe_request(app, *args, **kwargs)
    method = hreq.method
    url = hreq.url  # includes `query_string` given as params
    body = hreq.content
    root_path = base.path.rstrip("/")
    raw_path = url.raw_path.split(b"?", 1)[0]

    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": base.scheme,
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "root_path": root_path,
        "query_string": url.query,
        "headers": [(k.lower(), v) for k, v in hreq.headers.raw],
        "client": ("127.0.0.1", 0),
        "server": (base.host, base.port or (443 if base.scheme == "https" else 80)),
    }
    errors_stream = hreq.extensions.get(ERRORS_STREAM_KEY)
    if errors_stream is not None:
        scope[ERRORS_STREAM_KEY] = errors_stream
    receive = one_shot_receive(body)

    from ._threads import _run_coro_blocking

    request = app.request_class(scope, receive)
    # No app context is active while the body is read, so the limits are
    # handed over from the config for the duration of the read.
    config = app.config
    request.max_content_length = config.get("MAX_CONTENT_LENGTH")
    request.max_form_memory_size = config.get("MAX_FORM_MEMORY_SIZE")
    request.max_form_parts = config.get("MAX_FORM_PARTS")
    try:
        _run_coro_blocking(request._load_body())
    except Exception as exc:  # raised when the body is used, as Flask does
        request._aio_body_error = exc
        request._aio_form_error = exc
    finally:
        request.max_content_length = None
        request.max_form_memory_size = None
        request.max_form_parts = None
    return request


class EnvironBuilder:
    """A test request described once and used several times, as Flask's `EnvironBuilder`.

    Takes the arguments of `app.test_request_context()`: `path` (or a full
    URL), `base_url`, `subdomain`, `url_scheme`, and `method`, `data`, `json`,
    `headers`, `query_string`, `content_type`. The base URL comes from the
    app's `SERVER_NAME`, `APPLICATION_ROOT` and `PREFERRED_URL_SCHEME` when
    none is given, and `json` is encoded with `app.json`.

    ```python
    builder = EnvironBuilder(app, "/login", method="POST", data={"name": "a"})
    rv = client.open(builder)
    with app.test_request_context(*builder.args, **builder.kwargs): ...
    request = builder.get_request()
    ```
    `get_environ()` gives the WSGI-style dict that `request.environ` holds
    (for code that reads one); aioflask itself runs on ASGI scopes.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, app: Flask, path: str = "/", *args: Any, **kwargs: Any) -> None:
        self.app = app
        self.args = (path, *args)
        self.kwargs = kwargs
        base, hreq = _describe_request(app, path, *args, **kwargs)
        self.url_scheme: str = base.scheme
        self.host: str = base.netloc.decode("ascii")
        self.script_root: str = base.path.rstrip("/")
        self.path: str = "/" + hreq.url.path[len(self.script_root) :].lstrip("/")
        self.method: str = hreq.method
        self.query_string: str = hreq.url.query.decode("ascii")
        self.headers = TestHeaders(hreq.headers)
        self.url = str(hreq.url)
        self.body: bytes = hreq.content

    @property
    def input_stream(self) -> io.BytesIO:
        """The encoded body, as a fresh binary stream."""
        return io.BytesIO(self.body)

    @property
    def content_type(self) -> str | None:
        value: str | None = self.headers.get("content-type")
        return value

    def get_request(self, cls: type[Request] | None = None) -> Request:
        """A new request object (the app's `request_class`) for this description."""
        request = build_request(self.app, *self.args, **self.kwargs)
        if cls is not None and not isinstance(request, cls):
            raise TypeError(f"the app's request class is not a {cls.__name__}")
        return request

    def get_environ(self) -> dict[str, Any]:
        """A WSGI-style environ for this request, with its body as `wsgi.input`."""
        environ = dict(self.get_request().environ)
        # The client's address is the client's to add (`client.environ_base`), as in Flask.
        for key in ("REMOTE_ADDR", "REMOTE_PORT", "asgi.scope"):
            environ.pop(key, None)
        environ["wsgi.input"] = self.input_stream
        environ.setdefault("CONTENT_LENGTH", str(len(self.body)))
        return environ

    def close(self) -> None:
        """Nothing to release: the body is held in memory. Kept for Flask's API."""
