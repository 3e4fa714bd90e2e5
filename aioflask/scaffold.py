"""Registration shared by `Flask` and (later) `Blueprint`: routes, hooks, handlers.

This module does no I/O and reads no context globals: it only records what the
app will call. Each hook registry is keyed by scope, `None` for the app itself
and a dotted blueprint name otherwise, as in Flask, so extensions that poke at
`app.before_request_funcs[None]` keep working.
"""

from __future__ import annotations

import functools
import os
import sys
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ._awaitable import caller_awaits
from .exceptions import HTTPException, default_exceptions
from .typing import (
    AfterRequestCallable,
    BeforeRequestCallable,
    ErrorHandlerCallable,
    RouteCallable,
    TeardownCallable,
    TemplateContextProcessorCallable,
    URLDefaultCallable,
    URLValuePreprocessorCallable,
)

if TYPE_CHECKING:
    import jinja2

    from .wrappers import Response

F = TypeVar("F", bound=Callable[..., Any])
T_route = TypeVar("T_route", bound=RouteCallable)
T_before = TypeVar("T_before", bound=BeforeRequestCallable)
T_after = TypeVar("T_after", bound=AfterRequestCallable)
T_teardown = TypeVar("T_teardown", bound=TeardownCallable)
T_error = TypeVar("T_error", bound=ErrorHandlerCallable)
T_ctx = TypeVar("T_ctx", bound=TemplateContextProcessorCallable)
T_url_pre = TypeVar("T_url_pre", bound=URLValuePreprocessorCallable)
T_url_def = TypeVar("T_url_def", bound=URLDefaultCallable)
T_ws = TypeVar("T_ws", bound=Callable[..., Awaitable[Any]])

ErrorHandlerSpec = dict[
    "str | None", dict["int | None", dict[type[BaseException], ErrorHandlerCallable]]
]


def setupmethod(f: F) -> F:
    """Mark a registration method: it refuses to run once the app has served a request."""

    @functools.wraps(f)
    def wrapper(self: Scaffold, *args: Any, **kwargs: Any) -> Any:
        self._check_setup_finished(f.__name__)
        return f(self, *args, **kwargs)

    return cast(F, wrapper)


def get_root_path(import_name: str) -> str:
    """The folder of the module or package `import_name` (the working directory if unknown)."""
    mod = sys.modules.get(import_name)
    filename = getattr(mod, "__file__", None) if mod is not None else None
    if filename is None:
        import importlib.util

        try:
            spec = importlib.util.find_spec(import_name)
        except (ImportError, ValueError):
            spec = None
        filename = (
            spec.origin if spec is not None and spec.origin not in (None, "built-in") else None
        )
    if filename is None:
        return os.getcwd()
    return os.path.dirname(os.path.abspath(filename))


class Scaffold:
    """The registries and decorators common to an app and a blueprint."""

    name: str

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.root_path = root_path if root_path is not None else get_root_path(import_name)
        self._static_folder: str | None = None
        self._static_url_path: str | None = None
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        self.view_functions: dict[str, RouteCallable] = {}
        self.error_handler_spec: ErrorHandlerSpec = defaultdict(lambda: defaultdict(dict))
        self.before_request_funcs: dict[str | None, list[BeforeRequestCallable]] = defaultdict(list)
        self.after_request_funcs: dict[str | None, list[AfterRequestCallable]] = defaultdict(list)
        self.teardown_request_funcs: dict[str | None, list[TeardownCallable]] = defaultdict(list)
        self.template_context_processors: dict[
            str | None, list[TemplateContextProcessorCallable]
        ] = defaultdict(list)
        self.url_value_preprocessors: dict[str | None, list[URLValuePreprocessorCallable]] = (
            defaultdict(list)
        )
        self.url_default_functions: dict[str | None, list[URLDefaultCallable]] = defaultdict(list)
        self.before_websocket_funcs: dict[str | None, list[BeforeRequestCallable]] = defaultdict(
            list
        )
        self.after_websocket_funcs: dict[str | None, list[AfterRequestCallable]] = defaultdict(list)

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    # -- static folder ----------------------------------------------------------
    @property
    def static_folder(self) -> str | None:
        """Absolute path of the static folder, or None."""
        if self._static_folder is None:
            return None
        return os.path.join(self.root_path, self._static_folder)

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        self._static_folder = os.fspath(value).rstrip("/\\") if value is not None else None

    @property
    def has_static_folder(self) -> bool:
        return self.static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """URL prefix of the static route: `/` + the folder's basename by default."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self._static_folder is not None:
            return ("/" + os.path.basename(self._static_folder)).rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        self._static_url_path = value.rstrip("/") if value is not None else None

    # The file handling itself lives in `sending.py`; these methods only pick the
    # folder and the cache policy, so that blueprints and apps share them.
    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """How many seconds browsers may cache a file from `send_file` or the static route.

        Called with the file's name; None (the default, from the app's
        `SEND_FILE_MAX_AGE_DEFAULT`) sends `Cache-Control: no-cache`, so the
        browser revalidates each time and gets a cheap 304 while the file is
        unchanged. Override it to cache some files longer, such as assets
        with a content hash in their name.
        """
        from .sending import configured_max_age

        return configured_max_age()

    def send_static_file(self, filename: str) -> Response:
        """Send `filename` from `static_folder`: the view behind the `static` endpoint.

        Uses `send_from_directory`, so paths that escape the folder, missing
        files and folders give 404, with caching from `get_send_file_max_age`.
        """
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static files.")
        from .sending import _off_loop, _static_response

        call = functools.partial(_static_response, self, filename)
        if caller_awaits():  # `await app.send_static_file(...)`, Quart's spelling
            return _off_loop(call)  # type: ignore[return-value]  # awaited back to a Response
        return call()

    async def _serve_static(self, filename: str) -> Response:
        # The view registered for the static route. `send_static_file` stats the
        # file, so it runs on a pooled thread that is not kept for the rest of the
        # request: a long download holds no request worker.
        from .ctx import _is_async_callable
        from .sending import _off_loop

        if _is_async_callable(self.send_static_file):  # overridden with `async def`
            return await self.send_static_file(filename)  # type: ignore[no-any-return, misc]
        return await _off_loop(functools.partial(self.send_static_file, filename))

    # -- templates ------------------------------------------------------------------
    @property
    def jinja_loader(self) -> jinja2.BaseLoader | None:
        """A Jinja `FileSystemLoader` for `template_folder` (relative to `root_path`), or None.

        The app's Jinja environment searches the app's loader first, then each
        registered blueprint's, in registration order. The loader is made on
        first use and made again if `template_folder` or `root_path` changes.
        """
        folder = self.template_folder
        if folder is None:
            return None
        key = (self.root_path, os.fspath(folder))
        cached: tuple[tuple[str, str], jinja2.BaseLoader] | None = self.__dict__.get(
            "_jinja_loader_cache"
        )
        if cached is not None and cached[0] == key:
            return cached[1]
        import jinja2  # imported here: apps without templates never load Jinja

        loader = jinja2.FileSystemLoader(os.path.join(*key))
        self.__dict__["_jinja_loader_cache"] = (key, loader)
        return loader

    # -- routes -------------------------------------------------------------------
    def _method_route(
        self, method: str, rule: str, options: dict[str, Any]
    ) -> Callable[[T_route], T_route]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to pass 'methods'.")
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """Shortcut for `route(rule, methods=["GET"])`."""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """Shortcut for `route(rule, methods=["POST"])`."""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """Shortcut for `route(rule, methods=["PUT"])`."""
        return self._method_route("PUT", rule, options)

    def delete(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """Shortcut for `route(rule, methods=["DELETE"])`."""
        return self._method_route("DELETE", rule, options)

    def patch(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """Shortcut for `route(rule, methods=["PATCH"])`."""
        return self._method_route("PATCH", rule, options)

    @setupmethod
    def route(self, rule: str, **options: Any) -> Callable[[T_route], T_route]:
        """Register the decorated view for a URL rule.

        Options are those of `add_url_rule`: `methods`, `endpoint`, `defaults`,
        `strict_slashes`, `provide_automatic_options`. The view may be `def` or
        `async def`. Decorators stack, so one view can serve several rules.
        """

        def decorator(f: T_route) -> T_route:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        raise NotImplementedError

    @setupmethod
    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Bind the decorated function to an endpoint added without a view."""

        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    @setupmethod
    def websocket(self, rule: str, **options: Any) -> Callable[[T_ws], T_ws]:
        """Register the decorated `async def` handler for WebSocket connections to `rule`.

        Options are those of `route` (`endpoint`, `defaults`, `strict_slashes`);
        rule variables are passed as keyword arguments, as to a view. Inside,
        the `websocket` global is the connection. See `docs/websockets.md`.
        """

        def decorator(f: T_ws) -> T_ws:
            from .ctx import _is_async_callable

            if not _is_async_callable(f):
                raise TypeError(
                    f"The WebSocket handler {getattr(f, '__name__', f)!r} must be declared "
                    "with 'async def': receiving and sending are awaited."
                )
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, websocket=True, **options)
            return f

        return decorator

    # -- hooks --------------------------------------------------------------------------
    @setupmethod
    def before_request(self, f: T_before) -> T_before:
        """Run `f()` before each request; a non-None return value is used as the response."""
        self.before_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def after_request(self, f: T_after) -> T_after:
        """Run `f(response)` after each request; it must return a response (reverse order)."""
        self.after_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def teardown_request(self, f: T_teardown) -> T_teardown:
        """Run `f(exc)` when the request ends, always, with the unhandled exception or None."""
        self.teardown_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def before_websocket(self, f: T_before) -> T_before:
        """Run `f()` before each WebSocket handler; a non-None return value refuses the connection.

        The value is made into a response (as a view's would be) and sent as
        the HTTP answer to the handshake; `abort(403)` works the same way.
        """
        self.before_websocket_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def after_websocket(self, f: T_after) -> T_after:
        """Run `f(response)` after each WebSocket handler (reverse registration order).

        `response` is the refusal response when the connection was refused
        before the handshake, else None; return a replacement, or None to keep it.
        """
        self.after_websocket_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def context_processor(self, f: T_ctx) -> T_ctx:
        """Register a function returning a dict merged into every template's context."""
        self.template_context_processors[None].append(f)
        return f

    @setupmethod
    def url_value_preprocessor(self, f: T_url_pre) -> T_url_pre:
        """Run `f(endpoint, view_args)` before `before_request`, to pop or rewrite URL values."""
        self.url_value_preprocessors[None].append(f)
        return f

    @setupmethod
    def url_defaults(self, f: T_url_def) -> T_url_def:
        """Run `f(endpoint, values)` while building URLs, to fill in values in place."""
        self.url_default_functions[None].append(f)
        return f

    # -- error handlers -----------------------------------------------------------------
    @setupmethod
    def errorhandler(
        self, code_or_exception: type[BaseException] | int
    ) -> Callable[[T_error], T_error]:
        """Register a handler for an HTTP status code or an exception class.

        ```python
        @app.errorhandler(404)
        def page_not_found(error):
            return render_template("404.html"), 404
        ```
        """

        def decorator(f: T_error) -> T_error:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    @setupmethod
    def register_error_handler(
        self, code_or_exception: type[BaseException] | int, f: ErrorHandlerCallable
    ) -> None:
        """The non-decorator form of `errorhandler`."""
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[BaseException] | int,
    ) -> tuple[type[BaseException], int | None]:
        exc_class: type[BaseException]
        if isinstance(exc_class_or_code, int):
            try:
                exc_class = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP error code. Use a "
                    "subclass of HTTPException with that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, BaseException):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers can only be "
                "registered for exception classes or HTTP error codes."
            )
        if not isinstance(exc_class, type) or not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{getattr(exc_class, '__name__', exc_class)}' is not a subclass of "
                "Exception. Handlers can only be registered for exception classes or "
                "HTTP error codes."
            )
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None


def _endpoint_from_view_func(view_func: Callable[..., Any]) -> str:
    if view_func is None:
        raise TypeError("Give either 'endpoint' or 'view_func' to add_url_rule.")
    return view_func.__name__


def _methods_of(view_func: Any, methods: Iterable[str] | str | None) -> set[str]:
    if methods is None:
        methods = getattr(view_func, "methods", None) or ("GET",)
    if isinstance(methods, str):
        raise TypeError(
            "Allowed methods must be a list of strings, for example: @app.route(..., "
            "methods=['POST'])"
        )
    return {m.upper() for m in methods}
