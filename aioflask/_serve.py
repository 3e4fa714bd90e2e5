"""Starting uvicorn for `app.run()` and `aioflask run`.

Serving an app object directly is simple, but uvicorn can only reload on code
changes, or start several worker processes, from an *import string* that
each new process imports itself. aioflask hands uvicorn the factory
`aioflask._serve:load_app_for_server` and tells it, through environment
variables, which app to load (the `--app` value, or `module:name` worked out
for `app.run()`) and whether debug mode and the traceback page are on.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Flask

SPEC_ENV = "AIOFLASK_SERVE_APP"
DEBUG_ENV = "AIOFLASK_SERVE_DEBUG"
DEBUGGER_ENV = "AIOFLASK_SERVE_DEBUGGER"
FACTORY = "aioflask._serve:load_app_for_server"


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach: `localhost`, 127.0.0.0/8, `::1`."""
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def warn_if_reachable(app: Flask, host: str) -> None:
    """Log a warning when debug mode is on and `host` is reachable from other machines."""
    if app.debug and not is_loopback(host):
        app.logger.warning(
            "Debug mode is on and the server listens on %r, which other machines can reach. "
            "The debug error page shows source code and exception messages: bind 127.0.0.1 "
            "or turn debug mode off.",
            host,
        )


def find_import_spec(app: Flask) -> str | None:
    """`module:name` under which a new process can import `app`, or None.

    Works when the app is a global of the module it was created in; for the
    running script (`__main__`) the module is its file or `python -m` name.
    """
    module = sys.modules.get(app.import_name)
    if module is None:
        return None
    name = next((key for key, value in vars(module).items() if value is app), None)
    if name is None:
        return None
    if app.import_name != "__main__":
        return f"{app.import_name}:{name}"
    spec = getattr(module, "__spec__", None)
    if spec is not None and spec.name not in ("__main__", ""):
        return f"{spec.name}:{name}"
    filename = getattr(module, "__file__", None)
    return f"{os.path.abspath(filename)}:{name}" if filename else None


@contextlib.contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _watch_dirs(app: Flask) -> list[str]:
    cwd = os.getcwd()
    dirs = [cwd]
    root = os.path.abspath(app.root_path)
    if os.path.commonpath([cwd, root]) != cwd and not root.startswith(sys.prefix):
        dirs.append(root)
    return dirs


def serve(
    app: Flask,
    *,
    host: str,
    port: int,
    reload: bool,
    debugger: bool,
    spec: str | None = None,
    reload_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> None:
    """Run uvicorn (blocking), reloading and with the traceback page as asked.

    `spec` is how a new process finds the app: an `--app` value, `""` for
    the `wsgi.py`/`app.py` discovery, or None to work it out from `app`.
    Other keyword arguments go to `uvicorn.run`.
    """
    import uvicorn

    warn_if_reachable(app, host)
    if app.debug and not app.logger.level:
        app.logger.setLevel(logging.DEBUG)
    options.setdefault("log_level", "debug" if app.debug else "info")
    workers = int(options.get("workers") or 1)
    if reload or workers > 1:
        if spec is None:
            spec = find_import_spec(app)
        if spec is None:
            app.logger.warning(
                "Cannot %s: the new processes must import the app, and %r is not a global of "
                "module %r. Serving in one process without reloading. Create the app at module "
                "level, or serve it with 'aioflask --app module:name run'.",
                "reload" if reload else "start several workers",
                app,
                app.import_name,
            )
            reload, options["workers"] = False, None
        else:
            env = {
                SPEC_ENV: spec,
                DEBUG_ENV: "1" if app.debug else "0",
                DEBUGGER_ENV: "1" if debugger else "0",
                # The new processes import the module again: keep a module-level
                # `app.run()` there from starting a second server.
                "FLASK_RUN_FROM_CLI": "true",
            }
            if reload:
                extra = dict(reload_options or {})
                dirs = options.get("reload_dirs") or _watch_dirs(app)
                dirs = [dirs] if isinstance(dirs, str) else list(dirs)
                dirs += [d for d in extra.pop("reload_dirs", ()) if d not in dirs]
                options.update(extra, reload_dirs=dirs)
            with _environ(env):
                uvicorn.run(FACTORY, factory=True, host=host, port=port, reload=reload, **options)
            return
    from .debug import DebugMiddleware

    target: Any = DebugMiddleware(app, app.logger) if debugger else app
    uvicorn.run(target, host=host, port=port, **options)


def load_app_for_server() -> Any:
    """The uvicorn factory run in reloaded and worker processes (see the module docs)."""
    from .cli import ScriptInfo
    from .debug import DebugMiddleware

    spec = os.environ.get(SPEC_ENV, "")
    app = ScriptInfo(app_import_path=spec or None, set_debug_flag=False).load_app()
    app.debug = os.environ.get(DEBUG_ENV) == "1"
    if app.debug and not app.logger.level:
        app.logger.setLevel(logging.DEBUG)
    if os.environ.get(DEBUGGER_ENV) == "1":
        return DebugMiddleware(app, app.logger)
    return app


def run_app(
    app: Flask,
    host: str | None,
    port: int | None,
    debug: bool | None,
    load_dotenv: bool,
    options: dict[str, Any],
) -> None:
    """`Flask.run`: defaults as in Flask, then `serve`."""
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        if SPEC_ENV not in os.environ:  # quiet in the processes `serve` started
            print(
                " * Ignoring a call to 'app.run()': the 'aioflask' command is serving the app "
                "already. Put 'app.run()' under 'if __name__ == \"__main__\":'.",
                file=sys.stderr,
            )
        return
    if load_dotenv:
        from .cli import load_dotenv as load
        from .helpers import get_debug_flag, get_load_dotenv

        if get_load_dotenv():
            load()
        if "FLASK_DEBUG" in os.environ:
            app.debug = get_debug_flag()
    if debug is not None:
        app.debug = bool(debug)
    server_name = app.config.get("SERVER_NAME") or ""
    name_host, _, name_port = server_name.partition(":")
    reload = options.pop("use_reloader", None)
    reload = options.pop("reload", reload)
    debugger = options.pop("use_debugger", None)
    options.pop("threaded", None)  # Werkzeug's; sync views always get worker threads here
    serve(
        app,
        host=host or name_host or "127.0.0.1",
        port=int(port or name_port or 5000),
        reload=app.debug if reload is None else bool(reload),
        debugger=app.debug if debugger is None else bool(debugger),
        **options,
    )
