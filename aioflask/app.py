"""The `Flask` application object: registry, request pipeline and ASGI entry point."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
import sys
import weakref
from collections.abc import Awaitable, Callable, Iterable, ValuesView
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast, overload
from urllib.parse import quote

from starlette.types import Receive, Scope, Send

from . import _asgi, _asgi_ws, _pipeline
from ._threads import WorkerPool, _run_coro_blocking, default_pool
from .config import Config
from .ctx import AppContext, RequestContext, _AppCtxGlobals, _is_async_callable
from .exceptions import (
    Aborter,
    HTTPException,
    RequestRedirect,
    SecurityError,
)
from .globals import _cv_request
from .json.provider import DefaultJSONProvider, JSONProvider
from .routing import BuildError, Map, Rule
from .routing.hosts import normalize_host, subdomain_of
from .scaffold import Scaffold, _endpoint_from_view_func, _methods_of, setupmethod
from .sessions import SecureCookieSessionInterface, SessionInterface, SessionMixin
from .templating import DispatchingJinjaLoader, Environment
from .typing import ASGIApp, LifespanCallable, RouteCallable, TeardownCallable
from .wrappers import Request, Response

if TYPE_CHECKING:
    import jinja2

    from .blueprints import Blueprint
    from .cli import AppGroup, FlaskCliRunner
    from .testing import FlaskClient

T = TypeVar("T")
T_teardown = TypeVar("T_teardown", bound=TeardownCallable)
T_lifespan = TypeVar("T_lifespan", bound=LifespanCallable)
T_shell = TypeVar("T_shell", bound=Callable[[], "dict[str, Any] | Awaitable[dict[str, Any]]"])
T_template = TypeVar("T_template", bound=Callable[..., Any])


_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"
_VALID_HOST_HEADER = re.compile(r"(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def host_is_trusted(host: str, trusted_hosts: Iterable[str]) -> bool:
    """True when `host` (port ignored) is one of `trusted_hosts`.

    An entry starting with a dot, such as `.example.com`, also admits every
    subdomain. Malformed host values are never trusted.
    """
    if not _VALID_HOST_HEADER.fullmatch(host):
        return False
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower()
    for ref in trusted_hosts:
        ref = ref.lower()
        if ref.startswith("."):
            if name == ref[1:] or name.endswith(ref):
                return True
        elif name == ref:
            return True
    return False


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() not in ("", "0", "false", "no")


class Flask(Scaffold):
    """The application: routes, hooks and configuration, and an ASGI app.

    ```python
    from aioflask import Flask

    app = Flask(__name__)

    @app.get("/")
    async def index():
        return "Hello"
    ```
    Serve it with `uvicorn module:app`. `app.asgi_app` is the inner ASGI
    callable; wrap it with ASGI middleware the way Flask apps wrap
    `app.wsgi_app`: `app.asgi_app = Middleware(app.asgi_app)`.
    """

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    session_interface: SessionInterface = SecureCookieSessionInterface()
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    app_ctx_globals_class = _AppCtxGlobals
    config_class = Config
    aborter_class = Aborter
    url_rule_class = Rule
    url_map_class = Map
    test_client_class: type[FlaskClient] | None = None
    test_cli_runner_class: type[FlaskCliRunner] | None = None
    jinja_options: dict[str, Any] = {}
    #: The class of `jinja_env`; a subclass of `aioflask.templating.Environment`.
    jinja_environment: type[Environment] = Environment

    default_config: dict[str, Any] = {
        "DEBUG": None,
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": None,
        "SECRET_KEY": None,
        "SECRET_KEY_FALLBACKS": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
        "USE_X_SENDFILE": False,
        "TRUSTED_HOSTS": None,
        "SERVER_NAME": None,
        "APPLICATION_ROOT": "/",
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_PARTITIONED": False,
        "SESSION_COOKIE_SAMESITE": None,
        "SESSION_REFRESH_EACH_REQUEST": True,
        # Flask's default is None (unlimited). aioflask reads bodies before the
        # view runs, so an unbounded default would let any client fill memory.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 1_000,
        # Not in Flask: an optional cap on urlencoded fields (None: Flask's rule,
        # the body as a whole is bounded by MAX_FORM_MEMORY_SIZE); seconds to wait
        # for each chunk of a body; the whole body may take BODY_DEADLINE seconds
        # plus one second per BODY_MIN_RATE bytes (408 past either; None turns a
        # limit off); seconds one send of a response may block on a client that
        # does not read (then the connection is dropped); worker threads for
        # `def` code. See docs/request-body.md, docs/responses.md, docs/async.md.
        "MAX_FORM_FIELDS": None,
        "BODY_TIMEOUT": 60.0,
        "BODY_DEADLINE": 30.0,
        "BODY_MIN_RATE": 1024,
        "RESPONSE_TIMEOUT": 60.0,
        "WORKER_THREADS": 100,
        "SEND_FILE_MAX_AGE_DEFAULT": None,
        "TRAP_BAD_REQUEST_ERRORS": None,
        "TRAP_HTTP_EXCEPTIONS": False,
        "EXPLAIN_TEMPLATE_LOADING": False,
        "PREFERRED_URL_SCHEME": "http",
        "TEMPLATES_AUTO_RELOAD": None,
        "MAX_COOKIE_SIZE": 4093,
        "PROVIDE_AUTOMATIC_OPTIONS": True,
        # Seconds running background tasks get at shutdown before they are
        # cancelled (None: wait for them without limit). See `aioflask.background`.
        "BACKGROUND_TASK_SHUTDOWN_TIMEOUT": 5.0,
    }

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError("If an instance path is provided it must be absolute.")
        self.instance_path = instance_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = _env_flag("FLASK_DEBUG")
        self.config = self.config_class(
            self.instance_path if instance_relative_config else self.root_path, defaults
        )
        self.aborter = self.aborter_class()
        self.json: JSONProvider = self.json_provider_class(self)
        self.url_map = self.url_map_class()
        self.url_build_error_handlers: list[Callable[[Exception, str, dict[str, Any]], str]] = []
        self.teardown_appcontext_funcs: list[TeardownCallable] = []
        self.shell_context_processors: list[
            Callable[[], dict[str, Any] | Awaitable[dict[str, Any]]]
        ] = []
        from .cli import AppGroup

        #: The app's click command group: `@app.cli.command()` adds `aioflask` commands.
        self.cli: AppGroup = AppGroup(name=self.name)
        self.before_serving_funcs: list[LifespanCallable] = []
        self.after_serving_funcs: list[LifespanCallable] = []
        #: Running background tasks (strong references; see `add_background_task`).
        self.background_tasks: set[asyncio.Task[None]] = set()
        self.blueprints: dict[str, Blueprint] = {}
        self.extensions: dict[str, Any] = {}
        self.subdomain_matching = subdomain_matching
        self.url_map.host_matching = host_matching
        self._got_first_request = False
        self._async_cache: dict[Any, bool] = {}
        self._worker_pool: WorkerPool | None = None
        self._jinja_env: jinja2.Environment | None = None
        self._logger: logging.Logger | None = None
        if self.has_static_folder:
            if bool(static_host) != host_matching:
                # Flask asserts this too: with host matching the static route needs a host.
                raise AssertionError(
                    "Invalid static_host/host_matching combination: with host_matching=True "
                    "pass static_host='example.com' (or static_folder=None); static_host "
                    "needs host_matching=True."
                )
            # The view holds the app weakly: a bound method would make a reference
            # cycle, and an app could then only be freed by the garbage collector.
            app_ref = weakref.ref(self)

            async def static(filename: str) -> Response:
                app = app_ref()
                assert app is not None, "the app was freed"
                return await app._serve_static(filename)

            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=static,
            )

    # -- identity and config-backed attributes -----------------------------------------------------
    @property
    def name(self) -> str:  # type: ignore[override]
        """The import name, or the running script's stem when it is `__main__`."""
        if self.import_name == "__main__":
            fn: str | None = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return self.import_name

    @property
    def debug(self) -> bool:
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if self.config["TEMPLATES_AUTO_RELOAD"] is None and self._jinja_env is not None:
            self._jinja_env.auto_reload = value

    @property
    def testing(self) -> bool:
        return bool(self.config["TESTING"])

    @testing.setter
    def testing(self, value: bool) -> None:
        self.config["TESTING"] = value

    @property
    def secret_key(self) -> str | bytes | None:
        return self.config["SECRET_KEY"]  # type: ignore[no-any-return]

    @secret_key.setter
    def secret_key(self, value: str | bytes | None) -> None:
        self.config["SECRET_KEY"] = value

    @property
    def permanent_session_lifetime(self) -> timedelta:
        value = self.config["PERMANENT_SESSION_LIFETIME"]
        return value if isinstance(value, timedelta) else timedelta(seconds=value)

    @permanent_session_lifetime.setter
    def permanent_session_lifetime(self, value: timedelta | int) -> None:
        self.config["PERMANENT_SESSION_LIFETIME"] = value

    @property
    def logger(self) -> logging.Logger:
        """A `logging.Logger` named after the app (see `aioflask.logging`)."""
        if self._logger is None:
            from .logging import create_logger

            self._logger = create_logger(self)
        return self._logger

    @property
    def jinja_env(self) -> jinja2.Environment:
        """The Jinja environment, created on first use by `create_jinja_environment()`."""
        if self._jinja_env is None:
            self._jinja_env = self.create_jinja_environment()
        return self._jinja_env

    def create_jinja_environment(self) -> Environment:
        """Build `jinja_env` (an instance of `jinja_environment`); override to change it."""
        from .templating import create_environment

        return create_environment(self)

    def create_global_jinja_loader(self) -> jinja2.BaseLoader:
        """The loader `jinja_env` uses: the app's and blueprints' template folders.

        Override to load templates from elsewhere; `jinja_options["loader"]`
        also replaces it.
        """
        return DispatchingJinjaLoader(self)

    # -- registration ------------------------------------------------------------------------------
    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the application. "
                "It has already handled its first request, so changes would not be applied "
                "consistently. Make sure all imports, decorators, functions, etc. needed to "
                "set up the application are done before running it."
            )

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Register a URL rule; `route` is the decorator form.

        `view_func` may be omitted to add a rule usable only for `url_for` (bind a
        function to it later with `endpoint`). Methods default to
        `view_func.methods` or `["GET"]`; HEAD is added for GET and OPTIONS is
        answered automatically unless disabled. `stream_body=True` (or a
        `stream_body = True` attribute on the view) leaves the request body
        unread for the view to stream; see `docs/request-body.md`.
        """
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)  # type: ignore[arg-type]
        stream_body = options.pop("stream_body", None)
        if stream_body is None:
            stream_body = getattr(view_func, "stream_body", False)
        methods = _methods_of(view_func, options.pop("methods", None))
        required = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            provide_automatic_options = "OPTIONS" not in methods and bool(
                self.config["PROVIDE_AUTOMATIC_OPTIONS"]
            )
        if provide_automatic_options:
            required.add("OPTIONS")
        methods |= required
        rule_obj = self.url_rule_class(rule, endpoint=endpoint, methods=methods, **options)
        rule_obj.provide_automatic_options = provide_automatic_options
        rule_obj.stream_body = bool(stream_body)  # type: ignore[attr-defined]  # read per request
        self.url_map.add(rule_obj)
        if view_func is not None:
            old = self.view_functions.get(endpoint)
            if old is not None and old != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing endpoint function: "
                    f"{endpoint}"
                )
            self.view_functions[endpoint] = view_func

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Register a blueprint's views, hooks and handlers on the app.

        Options override the blueprint's own settings: `url_prefix`,
        `subdomain`, `url_defaults`, and `name` (register the same blueprint
        again under another name). Other options reach `record` callbacks in
        `state.options`. See `aioflask.Blueprint`.
        """
        blueprint.register(self, options)

    def iter_blueprints(self) -> ValuesView[Blueprint]:
        """The registered blueprints, in registration order (nested ones included)."""
        return self.blueprints.values()

    @setupmethod
    def teardown_appcontext(self, f: T_teardown) -> T_teardown:
        """Run `f(exc)` when the application context ends (after each request, too)."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setupmethod
    def shell_context_processor(self, f: T_shell) -> T_shell:
        """Add names to `aioflask shell`: `f()` returns a dict merged into its namespace."""
        self.shell_context_processors.append(f)
        return f

    def make_shell_context(self) -> dict[str, Any]:
        """The namespace of `aioflask shell`: `app`, `g`, then each processor's dict."""
        from .globals import g

        namespace: dict[str, Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            namespace.update(self.ensure_sync(processor)())
        return namespace

    @setupmethod
    def before_serving(self, f: T_lifespan) -> T_lifespan:
        """Run `f()` once when the server starts (ASGI lifespan startup), in an app context."""
        self.before_serving_funcs.append(f)
        return f

    @setupmethod
    def after_serving(self, f: T_lifespan) -> T_lifespan:
        """Run `f()` once when the server stops (ASGI lifespan shutdown), in an app context."""
        self.after_serving_funcs.append(f)
        return f

    def add_background_task(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run `func(*args, **kwargs)` in the background, after the response is sent.

        Called during a request, the task starts once the response is out;
        elsewhere it starts at once. It runs in a new application context
        (wrap `func` with `copy_current_request_context` to keep `request`),
        errors are logged on `app.logger`, and at shutdown the server waits
        `BACKGROUND_TASK_SHUTDOWN_TIMEOUT` seconds for it. `func` may be
        `async def` or plain `def` (run on a worker thread). See
        `aioflask.background`.
        """
        from .background import add_background_task

        add_background_task(self, func, *args, **kwargs)

    # -- templates ---------------------------------------------------------------------------------
    @overload
    def template_filter(self, name: T_template) -> T_template: ...
    @overload
    def template_filter(self, name: str | None = None) -> Callable[[T_template], T_template]: ...
    @setupmethod
    def template_filter(self, name: Any = None) -> Any:
        """Register a Jinja filter: `@app.template_filter()` or `@app.template_filter("name")`.

        The filter is named after the function unless `name` is given. The
        bare form `@app.template_filter` works too (as in Flask 3.2).
        """
        if callable(name):
            self.add_template_filter(name)
            return name

        def decorator(f: T_template) -> T_template:
            self.add_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register `f` as a Jinja filter (the non-decorator form of `template_filter`)."""
        self.jinja_env.filters[name or f.__name__] = f

    @overload
    def template_test(self, name: T_template) -> T_template: ...
    @overload
    def template_test(self, name: str | None = None) -> Callable[[T_template], T_template]: ...
    @setupmethod
    def template_test(self, name: Any = None) -> Any:
        """Register a Jinja test, used as `{% if n is prime %}`: `@app.template_test()`."""
        if callable(name):
            self.add_template_test(name)
            return name

        def decorator(f: T_template) -> T_template:
            self.add_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_test(self, f: Callable[..., bool], name: str | None = None) -> None:
        """Register `f` as a Jinja test (the non-decorator form of `template_test`)."""
        self.jinja_env.tests[name or f.__name__] = f

    @overload
    def template_global(self, name: T_template) -> T_template: ...
    @overload
    def template_global(self, name: str | None = None) -> Callable[[T_template], T_template]: ...
    @setupmethod
    def template_global(self, name: Any = None) -> Any:
        """Make a function available in every template: `@app.template_global()`."""
        if callable(name):
            self.add_template_global(name)
            return name

        def decorator(f: T_template) -> T_template:
            self.add_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Add `f` to the Jinja globals (the non-decorator form of `template_global`)."""
        self.jinja_env.globals[name or f.__name__] = f

    def update_template_context(self, context: dict[str, Any]) -> None:
        """Add the context processors' values to `context` in place; its own values win."""
        from .templating import update_template_context

        update_template_context(self, context)

    # -- contexts ----------------------------------------------------------------------------------
    def app_context(self) -> AppContext:
        """A new application context: `with app.app_context(): ...`."""
        return AppContext(self)

    def request_context(self, scope: Scope, receive: Receive | None = None) -> RequestContext:
        """A request context for an ASGI scope; the URL is matched right away.

        A WSGI environ dict (as Flask code builds with `EnvironBuilder(...).get_environ()`)
        is accepted too: its CGI keys and `wsgi.input` become the scope and the body.
        """
        from ._environ import is_wsgi_environ, scope_from_environ

        if receive is None and is_wsgi_environ(scope):
            scope, receive = scope_from_environ(scope)
        request = self.request_class(scope, receive) if receive else self.request_class(scope)
        ctx = RequestContext(self, request)
        self.match_request(request)
        return ctx

    def test_request_context(self, *args: Any, **kwargs: Any) -> RequestContext:
        """A request context for a made-up request, for tests and the shell.

        Takes `path`, `method`, `data`, `json`, `headers`, `query_string`,
        `base_url`, `content_type`; the body is available at once.
        ```python
        with app.test_request_context("/hello", method="POST", data={"x": "1"}):
            assert request.form["x"] == "1"
        ```
        """
        from .testing import build_request

        request = build_request(self, *args, **kwargs)
        ctx = RequestContext(self, request)
        self.match_request(request)
        return ctx

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> FlaskClient:
        """A test client: an `httpx.AsyncClient` bound to this app that also works synchronously.

        See `aioflask.testing.FlaskClient`.
        """
        from .testing import FlaskClient

        cls = self.test_client_class or FlaskClient
        return cls(self, use_cookies=use_cookies, **kwargs)

    def test_cli_runner(self, **kwargs: Any) -> FlaskCliRunner:
        """A click test runner whose `invoke()` runs this app's commands (`app.cli`).

        See `aioflask.cli.FlaskCliRunner`.
        """
        from .cli import FlaskCliRunner

        cls = self.test_cli_runner_class or FlaskCliRunner
        return cls(self, **kwargs)

    # -- ASGI --------------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point; it calls `self.asgi_app`, which middleware may replace."""
        await self.asgi_app(scope, receive, send)

    async def _asgi_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The inner ASGI app: handles `http`, `websocket` and `lifespan` scopes.

        Wrap it to add ASGI middleware: `app.asgi_app = Middleware(app.asgi_app)`.
        """
        kind = scope["type"]
        if kind == "http":
            await _asgi.handle_http(self, scope, receive, send)
        elif kind == "websocket":
            await _asgi_ws.handle_websocket(self, scope, receive, send)
        elif kind == "lifespan":
            await _asgi.handle_lifespan(self, scope, receive, send)
        else:
            raise RuntimeError(
                f"aioflask cannot handle the ASGI scope type {kind!r}: this app serves "
                "'http', 'websocket' and 'lifespan' scopes only."
            )

    # At run time `asgi_app` is the method above, so a subclass may still override
    # it with `async def asgi_app(self, scope, receive, send)` and call
    # `super().asgi_app(...)`. Type checkers see an attribute holding any ASGI
    # callable instead, so that `app.asgi_app = Middleware(app.asgi_app)` checks
    # without `# type: ignore` (assigning to a method is an error for them).
    if TYPE_CHECKING:
        #: The inner ASGI app: handles `http`, `websocket` and `lifespan` scopes.
        #: Wrap it to add ASGI middleware: `app.asgi_app = Middleware(app.asgi_app)`.
        asgi_app: ASGIApp
    else:
        asgi_app = _asgi_app

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: Any,
    ) -> None:
        """Serve the app with uvicorn (blocking); for development.

        `host` defaults to 127.0.0.1 and `port` to 5000 (or `SERVER_NAME`'s).
        In debug mode the server reloads on code changes and unhandled errors
        show a traceback page (`use_reloader`/`reload` and `use_debugger` turn
        them off). Other keyword arguments go to `uvicorn.run` (`workers=4`).
        Does nothing under the `aioflask run` command. See `docs/cli.md`.
        """
        from ._serve import run_app

        run_app(self, host, port, debug, load_dotenv, options)

    # -- calling user code -------------------------------------------------------------------------
    def _is_async(self, f: Any) -> bool:
        try:
            return self._async_cache[f]
        except (KeyError, TypeError):
            result = _is_async_callable(f)
            cache = self._async_cache
            if len(cache) >= 1024:
                # Per-call callables (partials, bound methods of per-request objects)
                # would otherwise grow it, and keep them alive, forever.
                cache.clear()
            try:
                cache[f] = result
            except TypeError:  # unhashable callable
                pass
            return result

    async def ensure_async_call(self, f: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Call a view, hook or handler: await it if async, else run it on the request's thread.

        Keyword arguments are passed through whatever their names (a rule variable
        may be called `f`, `func` or `self`).
        """
        if self._is_async(f):
            return await f(*args, **kwargs)
        return await self._call_sync(f, *args, **kwargs)

    async def _call_sync(self, f: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        ctx = _cv_request.get(None)
        if ctx is not None:
            rv = await ctx.run_sync(f, *args, **kwargs)
        else:
            pool = self.worker_pool
            worker = await pool.acquire()
            try:
                rv = await worker.run(f, *args, **kwargs)
            finally:
                pool.release(worker)
        if inspect.isawaitable(rv):
            rv = await rv
        return rv

    @property
    def worker_pool(self) -> WorkerPool:
        """The threads that run this app's `def` views, hooks and handlers.

        Sized by `WORKER_THREADS` when first used. Apps that keep the default
        share one pool; a request holds one thread from its first `def`
        callable to its end, so the size is the number of requests that can
        run sync code at once (the rest wait for a thread, off the loop).
        """
        pool = self._worker_pool
        if pool is None:
            size = self.config.get("WORKER_THREADS") or default_pool.max_workers
            pool = default_pool if size == default_pool.max_workers else WorkerPool(size)
            self._worker_pool = pool
        return pool

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Return a function callable from sync code (async functions are run to completion)."""
        if not self._is_async(func):
            return func

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return _run_coro_blocking(func(*args, **kwargs))

        return wrapper

    # -- sessions ----------------------------------------------------------------------------------
    async def _open_session(self, ctx: RequestContext) -> None:
        """Open the session before the hooks run, awaiting the interface (`lazy_open = False`)."""
        interface = self.session_interface
        # A Flask-style interface's plain `def open_session` runs on the request's thread.
        session = await self.ensure_async_call(interface.open_session, self, ctx.request)
        ctx._session = session if session is not None else interface.make_null_session(self)

    def _open_session_now(self, request: Request) -> SessionMixin:
        interface = self.session_interface
        coro = interface.open_session(self, request)
        if not inspect.iscoroutine(coro):  # a Flask-style `def open_session`
            session = cast("SessionMixin | None", coro)
            return session if session is not None else interface.make_null_session(self)
        try:
            coro.send(None)
        except StopIteration as stop:
            session = stop.value
        else:
            coro.close()
            raise RuntimeError(
                f"{type(interface).__name__}.open_session awaited something while the session "
                "was opened on first use. Set 'lazy_open = False' on the interface so the "
                "session is opened before the view runs."
            )
        return session if session is not None else interface.make_null_session(self)

    # -- routing -----------------------------------------------------------------------------------
    def match_request(self, request: Request) -> None:
        """Match the URL; a routing error is stored on the request and raised in dispatch."""
        try:
            if self.subdomain_matching or self.url_map.host_matching:
                request.url_rule, request.view_args = self.url_map.match(
                    request.path, request.method, subdomain=self._request_subdomain(request)
                )
            else:
                request.url_rule, request.view_args = self.url_map.match(
                    request.path, request.method
                )
        except RequestRedirect as e:
            qs = request.query_string.decode("latin-1")
            url = f"{request.scheme}://{request.host}{quote(request.script_root)}{quote(e.new_url)}"
            request.routing_exception = RequestRedirect(f"{url}?{qs}" if qs else url)
        except HTTPException as e:
            request.routing_exception = e
        trusted = self.config["TRUSTED_HOSTS"]
        if trusted and not host_is_trusted(request.headers.get("host") or request.host, trusted):
            request.routing_exception = SecurityError(
                description="The request's Host header is not one this server accepts."
            )

    def _request_subdomain(self, request: Request) -> str | None:
        """The subdomain `request` is routed on; None means `url_map.default_subdomain`.

        With host matching it is the whole host (rules match on their `host`).
        As in Flask, only with `subdomain_matching` on is it read from the
        host (relative to `SERVER_NAME`, so "" when that is unset); otherwise
        every host is served by the rules of the default subdomain.
        """
        if self.url_map.host_matching:
            return normalize_host(request.host, request.scheme)
        if not self.subdomain_matching:
            return None
        server_name = self.config["SERVER_NAME"]
        if not server_name:
            return ""
        return subdomain_of(request.host, server_name, request.scheme)

    def url_for(
        self,
        endpoint: str,
        /,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        """Build the URL of an endpoint; see `aioflask.url_for`."""
        req_ctx = _cv_request.get(None)
        if req_ctx is not None:
            request = req_ctx.request
            if endpoint[:1] == ".":
                bp = request.blueprint
                endpoint = f"{bp}{endpoint}" if bp is not None else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
            script_root = request.script_root
            scheme = request.scheme
            # As in Flask, a configured SERVER_NAME is the base of absolute URLs.
            host: str | None = normalize_host(self.config["SERVER_NAME"] or request.host, scheme)
            current = self._request_subdomain(request)
        else:
            if _external is None:
                _external = True
            host = self.config["SERVER_NAME"]
            current = None
            if host is None and _external and not self.url_map.host_matching:
                raise RuntimeError(
                    "Unable to build URLs outside an active request without 'SERVER_NAME' "
                    "configured. Also configure 'APPLICATION_ROOT' and "
                    "'PREFERRED_URL_SCHEME' as needed."
                )
            script_root = str(self.config["APPLICATION_ROOT"]).rstrip("/")
            scheme = self.config["PREFERRED_URL_SCHEME"]
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        self.inject_url_defaults(endpoint, values)
        try:
            path, rule = self.url_map._build_rule(endpoint, values, _method)
        except BuildError as error:
            values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
            return self.handle_url_build_error(error, endpoint, values)
        domain = rule._build_subdomain(values)
        if domain != (self.url_map.default_subdomain if current is None else current):
            _external = True  # a rule on another subdomain needs the host in its URL
            if host is None and not (self.url_map.host_matching and domain):
                raise RuntimeError(
                    f"Unable to build the URL of {endpoint!r} (subdomain {domain!r}) outside "
                    "an active request without 'SERVER_NAME' configured."
                )
        if self.url_map.host_matching:
            host = domain or host  # the rule's own host
        elif domain and host is not None:
            host = f"{domain}.{host}"
        url = quote(script_root) + path
        if rule.websocket:
            # As in Werkzeug, a WebSocket URL is always absolute, with ws:// or wss://.
            if host is None:
                raise RuntimeError(
                    f"Unable to build the WebSocket URL of {endpoint!r} outside an active "
                    "request without 'SERVER_NAME' configured (WebSocket URLs are absolute)."
                )
            secure = (_scheme or scheme) in ("https", "wss")
            url = f"{'wss' if secure else 'ws'}://{host}{url}"
        elif _external:
            url = f"{_scheme or scheme}://{host}{url}"
        if _anchor is not None:
            url = f"{url}#{quote(_anchor, safe=_ANCHOR_SAFE)}"
        return url

    def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        """Run the `url_defaults` functions of the app and the endpoint's blueprints on `values`."""
        names: list[str | None] = [None]
        if "." in endpoint:
            parts = endpoint.split(".")[:-1]
            names.extend(".".join(parts[: i + 1]) for i in range(len(parts)))
        for name in names:
            for func in self.url_default_functions.get(name, ()):
                func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, Any]
    ) -> str:
        """Give `url_build_error_handlers` a chance to return a URL, else re-raise."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv
        if error is sys.exc_info()[1]:
            raise
        raise error

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response; relative locations stay relative, as in Flask."""
        from .helpers import _make_redirect

        return _make_redirect(self.response_class, location, code)

    # -- the pipeline, error handling and teardown (their code is in _pipeline.py) ----
    #: True once a pipeline method is replaced on the instance or overridden in a
    #: subclass; the server then calls the app's own methods (see _pipeline.py).
    _aio_custom_pipeline: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _pipeline.PIPELINE_METHODS.isdisjoint(vars(cls)):
            cls._aio_custom_pipeline = True

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _pipeline.PIPELINE_METHODS:
            object.__setattr__(self, "_aio_custom_pipeline", True)
        object.__setattr__(self, name, value)

    full_dispatch_request = _pipeline.full_dispatch_request
    preprocess_request = _pipeline.preprocess_request
    dispatch_request = _pipeline.dispatch_request
    make_default_options_response = _pipeline.make_default_options_response
    finalize_request = _pipeline.finalize_request
    process_response = _pipeline.process_response
    _save_session = _pipeline._save_session
    make_response = _pipeline.make_response
    trap_http_exception = _pipeline.trap_http_exception
    _find_error_handler = _pipeline._find_error_handler
    handle_http_exception = _pipeline.handle_http_exception
    handle_user_exception = _pipeline.handle_user_exception
    handle_exception = _pipeline.handle_exception
    log_exception = _pipeline.log_exception
    do_teardown_request = _pipeline.do_teardown_request
    do_teardown_request_sync = _pipeline.do_teardown_request_sync
    do_teardown_appcontext = _pipeline.do_teardown_appcontext
    do_teardown_appcontext_sync = _pipeline.do_teardown_appcontext_sync

    # -- instance folder ---------------------------------------------------------------------------
    def auto_find_instance_path(self) -> str:
        """The default `instance_path`: `instance` beside the app's module or package.

        For an installed package it is `<prefix>/var/<app name>-instance`, as in Flask.
        """
        from .config import find_instance_path

        return find_instance_path(self.import_name, self.name)

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> Any:
        """Open a file relative to `instance_path`; unlike `open_resource`, writing is allowed."""
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    # -- static files: `send_static_file` and `get_send_file_max_age` are on Scaffold ------------
    def open_resource(self, resource: str, mode: str = "rb", encoding: str | None = None) -> Any:
        """Open a file relative to `root_path` for reading (e.g. `schema.sql`)."""
        if mode not in ("r", "rt", "rb"):
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
