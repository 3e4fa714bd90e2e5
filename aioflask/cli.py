"""The `aioflask` command: finding the app, `run`, `shell`, `routes`, and `app.cli` groups.

`aioflask --app hello run` serves `hello.py`'s app with uvicorn. The command
is Flask's `flask` command rebuilt for aioflask: the same options, the same
environment variables (`FLASK_APP`, `FLASK_DEBUG`, `FLASK_RUN_PORT`, ...) and
the same rules for finding the application, so scripts and `.flaskenv` files
keep working. Custom commands go on `app.cli`, an `AppGroup`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import sys
import traceback
from collections.abc import Callable
from functools import update_wrapper
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

import click
from click.core import ParameterSource
from click.testing import CliRunner, Result

from .app import Flask
from .globals import _cv_app

if TYPE_CHECKING:
    from collections.abc import Sequence

F = TypeVar("F", bound=Callable[..., Any])

#: Environment variables naming the app, in order of preference.
APP_ENVVARS = ("AIOFLASK_APP", "FLASK_APP")
_NOT_FOUND_HINT = (
    "Pass '--app module:name', set the FLASK_APP (or AIOFLASK_APP) environment variable, "
    "or put a 'wsgi.py' or 'app.py' file in the current directory."
)


class NoAppException(click.UsageError):
    """The application could not be found or loaded; the message says why and what to do."""


# -- finding the application -----------------------------------------------------------------------
def _is_flask_not_aioflask(obj: object) -> bool:
    cls = type(obj)
    return cls.__name__ == "Flask" and cls.__module__.partition(".")[0] == "flask"


def _check_app(obj: object, where: str) -> Flask:
    if isinstance(obj, Flask):
        return obj
    if _is_flask_not_aioflask(obj):
        raise NoAppException(
            f"{where} is a flask.Flask application, not an aioflask one. Change "
            "'from flask import ...' to 'from aioflask import ...' in that module."
        )
    raise NoAppException(f"{where} gave {type(obj).__name__!r}, not an aioflask application.")


def _raised_by_the_call(func: Callable[..., Any], exc: BaseException) -> bool:
    """True when a TypeError came from calling `func` (wrong arguments), not from inside it."""
    code = getattr(func, "__code__", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is code:
            return False
        tb = tb.tb_next
    return True


def find_best_app(module: ModuleType) -> Flask:
    """Pick the application in `module`, following Flask's rules.

    An attribute `app` or `application` wins; otherwise the only `Flask`
    instance in the module; otherwise a `create_app` or `make_app` factory
    called without arguments. Anything else is a `NoAppException`.
    """
    name = module.__name__
    for attr in ("app", "application"):
        candidate = getattr(module, attr, None)
        if isinstance(candidate, Flask):
            return candidate
    apps = {key: v for key, v in vars(module).items() if isinstance(v, Flask)}
    if len(apps) == 1:
        return next(iter(apps.values()))
    if len(apps) > 1:
        names = ", ".join(sorted(apps))
        raise NoAppException(
            f"The module {name!r} holds several aioflask applications ({names}). "
            f"Name the one to use: '--app {name}:{min(apps)}'."
        )
    for attr in ("create_app", "make_app"):
        factory = getattr(module, attr, None)
        if not inspect.isfunction(factory):
            continue
        try:
            obj = factory()
        except TypeError as e:
            if not _raised_by_the_call(factory, e):
                raise
            raise NoAppException(
                f"The factory {attr!r} in module {name!r} cannot be called without arguments. "
                f"Give them in the app value, for example: --app \"{name}:{attr}('dev')\"."
            ) from e
        return _check_app(obj, f"The factory '{name}:{attr}'")
    for value in vars(module).values():
        if _is_flask_not_aioflask(value):
            _check_app(value, f"The application in {name!r}")
    raise NoAppException(
        f"The module {name!r} has no aioflask application (named 'app' or 'application') "
        f"and no factory ('create_app' or 'make_app'). Name it: '--app {name}:name'."
    )


def find_app_by_string(module: ModuleType, app_name: str) -> Flask:
    """Resolve `name` or `factory(literal, args)` inside `module` to an application."""
    mod = module.__name__
    try:
        expr = ast.parse(app_name.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(
            f"Could not read {app_name!r} as a name or a call. Use '--app {mod}:name' or "
            f"'--app \"{mod}:factory(args)\"'."
        ) from None
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    if isinstance(expr, ast.Call):
        if not isinstance(expr.func, ast.Name):
            raise NoAppException(f"The factory in {app_name!r} must be a plain name.")
        try:
            args = [ast.literal_eval(arg) for arg in expr.args]
            kwargs = {
                kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg is not None
            }
        except ValueError:
            raise NoAppException(
                f"The arguments in {app_name!r} must be Python literals (strings, numbers, "
                "lists, ...); names and expressions are not evaluated."
            ) from None
        attr_name = expr.func.id
    elif isinstance(expr, ast.Name):
        attr_name = expr.id
    else:
        raise NoAppException(
            f"Could not read {app_name!r} as a name or a call. Use '--app {mod}:name' or "
            f"'--app \"{mod}:factory(args)\"'."
        )
    try:
        attr = getattr(module, attr_name)
    except AttributeError:
        raise NoAppException(f"The module {mod!r} has no attribute {attr_name!r}.") from None
    obj: object = attr
    if inspect.isfunction(attr):
        try:
            obj = attr(*args, **kwargs)
        except TypeError as e:
            if not _raised_by_the_call(attr, e):
                raise
            raise NoAppException(
                f"The factory '{mod}:{attr_name}' was called with the wrong arguments "
                f"({e}). Give them in the app value, for example: "
                f"--app \"{mod}:{attr_name}('dev')\"."
            ) from e
    return _check_app(obj, f"'{mod}:{app_name}'")


def prepare_import(path: str) -> str:
    """Turn a file path or dotted name into a module name and put its folder on `sys.path`.

    `hello`, `hello.py`, `src/hello.py` and `pkg/sub/__init__.py` all work; for
    a file inside a package the package root is what goes on `sys.path`.
    """
    path = os.path.realpath(path)
    stem, ext = os.path.splitext(path)
    if ext == ".py":
        path = stem
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    parts: list[str] = []
    while True:
        path, part = os.path.split(path)
        parts.append(part)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if not sys.path or sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(parts))


def locate_app(module_name: str, app_name: str | None, raise_if_not_found: bool = True) -> Any:
    """Import `module_name` and find the app in it (`app_name` as in `module:name`).

    Returns None when the module does not exist and `raise_if_not_found` is
    false. An ImportError raised *inside* the module is reported with its
    traceback, so a typo in the app's own imports is not mistaken for a
    missing app.
    """
    try:
        importlib.import_module(module_name)
    except ImportError as e:
        missing = getattr(e, "name", None)
        is_ours = isinstance(e, ModuleNotFoundError) and missing is not None
        if is_ours and (module_name == missing or module_name.startswith(f"{missing}.")):
            if not raise_if_not_found:
                return None
            raise NoAppException(
                f"Could not import {module_name!r}: no such module. Check the app name and "
                "that you are in the right directory."
            ) from None
        raise NoAppException(
            f"Importing {module_name!r} raised an ImportError:\n\n{traceback.format_exc()}"
        ) from None
    module = sys.modules[module_name]
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def split_app_path(value: str) -> tuple[str, str | None]:
    """Split `module:name` at the first colon that does not start a Windows path (`C:\\`)."""
    start = 0
    while True:
        index = value.find(":", start)
        if index == -1:
            return value, None
        if value[index + 1 : index + 2] not in ("\\", "/"):
            return value[:index], value[index + 1 :]
        start = index + 1


def get_debug_flag() -> bool:
    """Debug mode as the `FLASK_DEBUG` environment variable sets it (off for 0/false/no)."""
    value = os.environ.get("FLASK_DEBUG", "")
    return value.lower() not in ("", "0", "false", "no")


class ScriptInfo:
    """What the command knows about the app to load, handed to commands as `ctx.obj`.

    `app_import_path` is the `--app` value; `create_app` a callable that
    returns the app instead (custom scripts and the test runner use it).
    `load_app()` finds the app once and caches it. `data` is free for
    commands to share state.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: Callable[..., Flask] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = load_dotenv_defaults
        self.data: dict[Any, Any] = {}
        self._loaded_app: Flask | None = None

    def load_app(self) -> Flask:
        """Find, import or create the application (once), and apply `FLASK_DEBUG`."""
        if self._loaded_app is not None:
            return self._loaded_app
        app: Flask | None = None
        if self.create_app is not None:
            app = _check_app(self.create_app(), "The 'create_app' callable")
        elif self.app_import_path:
            path, name = split_app_path(self.app_import_path)
            app = locate_app(prepare_import(path), name)
        else:
            for candidate in ("wsgi.py", "app.py"):
                app = locate_app(prepare_import(candidate), None, raise_if_not_found=False)
                if app is not None:
                    break
        if app is None:
            raise NoAppException(f"Could not find an aioflask application. {_NOT_FOUND_HINT}")
        if self.set_debug_flag:
            app.debug = get_debug_flag()
        self._loaded_app = app
        return app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: F) -> F:
    """Run a click command inside the loaded app's application context.

    Commands added with `@app.cli.command()` get this automatically. An
    `async def` command is run to completion on a new event loop.
    """

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        if _cv_app.get(None) is None:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        rv = ctx.invoke(f, *args, **kwargs)
        if inspect.iscoroutine(rv):
            from ._threads import _run_coro_blocking

            rv = _run_coro_blocking(rv)
        return rv

    return cast(F, update_wrapper(decorator, f))


class AppGroup(click.Group):
    """A click group whose commands run inside the app context (`app.cli`, `bp.cli`).

    `command()` wraps each callback with `with_appcontext` unless given
    `with_appcontext=False`; `group()` makes nested groups `AppGroup`s too.
    """

    @overload
    def command(self, __func: Callable[..., Any]) -> click.Command: ...

    @overload
    def command(
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], click.Command]: ...

    def command(
        self, *args: Any, **kwargs: Any
    ) -> click.Command | Callable[[Callable[..., Any]], click.Command]:
        """Like `click.Group.command`, with the callback wrapped by `with_appcontext`.

        Pass `with_appcontext=False` for a command that must not load the app.
        """
        wrap = kwargs.pop("with_appcontext", True)
        if len(args) == 1 and callable(args[0]) and not kwargs:  # bare @group.command
            return self.command()(args[0])

        def decorator(f: Callable[..., Any]) -> click.Command:
            if wrap:
                f = with_appcontext(f)
            return cast(click.Command, click.Group.command(self, *args, **kwargs)(f))

        return decorator

    @overload
    def group(self, __func: Callable[..., Any]) -> click.Group: ...

    @overload
    def group(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Group]: ...

    def group(
        self, *args: Any, **kwargs: Any
    ) -> click.Group | Callable[[Callable[..., Any]], click.Group]:
        """Like `click.Group.group`, making an `AppGroup` by default."""
        kwargs.setdefault("cls", AppGroup)
        return cast(
            "click.Group | Callable[[Callable[..., Any]], click.Group]",
            super().group(*args, **kwargs),
        )


# -- dotenv ----------------------------------------------------------------------------------------
def _dotenv_wanted() -> bool:
    value = os.environ.get("FLASK_SKIP_DOTENV", "")
    return not value or value.lower() in ("0", "false", "no")


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Load `.flaskenv`, then `.env`, then `path` into `os.environ` (python-dotenv needed).

    Later files win over earlier ones, and variables already set in the
    environment win over all files. Without python-dotenv this does nothing
    (and says so when such files exist). Returns True if anything was read.
    """
    try:
        import dotenv
    except ImportError:
        if path or os.path.isfile(".env") or os.path.isfile(".flaskenv"):
            click.secho(
                " * Tip: .env files are present; install python-dotenv to use them.",
                fg="yellow",
                err=True,
            )
        return False
    values: dict[str, str | None] = {}
    if load_defaults:
        for name in (".flaskenv", ".env"):
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                values.update(dotenv.dotenv_values(found, encoding="utf-8"))
    if path is not None and os.path.isfile(path):
        values.update(dotenv.dotenv_values(path, encoding="utf-8"))
    for key, value in values.items():
        if value is not None and key not in os.environ:
            os.environ[key] = value
    return bool(values)


# -- the group's own options -----------------------------------------------------------------------
def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool | None:
    source = ctx.get_parameter_source(param.name or "debug")
    if source in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
        return None  # not given: FLASK_DEBUG (if any) stays as it is
    # An environment variable, so that app factories see it while they run.
    os.environ["FLASK_DEBUG"] = "1" if value else "0"
    return value


def _load_env_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    try:
        import dotenv  # noqa: F401
    except ImportError:
        if value is not None:
            raise click.BadParameter(
                "python-dotenv must be installed to load an env file: pip install python-dotenv",
                ctx=ctx,
                param=param,
            ) from None
    info = ctx.ensure_object(ScriptInfo)
    defaults = info.load_dotenv_defaults and _dotenv_wanted()
    if value is not None or defaults:
        load_dotenv(value, load_defaults=defaults)
    return value


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    lines = [f"Python {sys.version.split()[0]}"]
    for dist in ("aioflask", "starlette", "uvicorn"):
        try:
            lines.append(f"{dist} {version(dist)}")
        except Exception:  # not installed as a distribution (a source checkout)
            lines.append(f"{dist} unknown")
    click.echo("\n".join(lines), color=ctx.color)
    ctx.exit()


_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    help="Load environment variables from this file; it wins over '.env' and '.flaskenv', "
    "and variables already set win over all files. Needs python-dotenv.",
    is_eager=True,
    expose_value=False,
    callback=_load_env_file,
)
_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    envvar=list(APP_ENVVARS),
    help="The application or factory to load, as 'module:name' ('module' may be a dotted "
    "name or a file path; 'name' may be 'factory(args)' with literal arguments, and may be "
    "left out for 'app', 'application', 'create_app' or 'make_app').",
    is_eager=True,
    expose_value=False,
    callback=_set_app,
)
_debug_option = click.Option(
    ["--debug/--no-debug"],
    help="Turn debug mode on or off (sets FLASK_DEBUG).",
    expose_value=False,
    callback=_set_debug,
)
_version_option = click.Option(
    ["--version"],
    help="Show the aioflask, Starlette, uvicorn and Python versions.",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_show_version,
)


class FlaskGroup(AppGroup):
    """The `aioflask` command group: built-in commands plus the app's `app.cli` commands.

    Build your own for a project script: `FlaskGroup(create_app=make_my_app)`.
    `add_default_commands` adds `run`, `shell` and `routes`;
    `load_dotenv` loads `.flaskenv`/`.env`; `set_debug_flag` applies
    `FLASK_DEBUG` to the loaded app. Commands from installed packages are
    read from the `aioflask.commands` entry-point group.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: Callable[..., Flask] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: Any,
    ) -> None:
        params: list[click.Parameter] = list(extra.pop("params", None) or ())
        # --env-file first: it is eager and may define FLASK_APP for --app.
        params.extend((_env_file_option, _app_option, _debug_option))
        if add_version_option:
            params.append(_version_option)
        extra.setdefault("context_settings", {}).setdefault("auto_envvar_prefix", "FLASK")
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        self._plugins_loaded = False
        if add_default_commands:
            from ._commands import routes_command, run_command, shell_command

            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)

    def _load_plugin_commands(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group="aioflask.commands"):
            self.add_command(ep.load(), ep.name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A built-in or plugin command, else one from the app (loading it if needed)."""
        self._load_plugin_commands()
        rv = super().get_command(ctx, cmd_name)
        if rv is not None:
            return rv
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
            return None
        current = _cv_app.get(None)
        if current is None or current.app is not app:
            ctx.with_resource(app.app_context())
        return app.cli.get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Built-in, plugin and app commands; a broken app is reported, not fatal."""
        self._load_plugin_commands()
        names = set(super().list_commands(ctx))
        try:
            names.update(ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx))
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(names)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Make the context, with a `ScriptInfo` as `ctx.obj`."""
        # An `app.run()` at module level (outside `if __name__ == "__main__":`)
        # would block every command while the app is imported: make it a no-op.
        os.environ["FLASK_RUN_FROM_CLI"] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Read `--env-file`/`--app` from the environment early when only help is asked for."""
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)


cli = FlaskGroup(
    name="aioflask",
    help="Run and manage aioflask applications.\n\n"
    "Name the application with the '--app' option or the FLASK_APP (or AIOFLASK_APP) "
    "environment variable, or put a 'wsgi.py' or 'app.py' file in the current directory.",
)


def main() -> None:
    """Entry point of the `aioflask` script and of `python -m aioflask`."""
    cli.main()


class FlaskCliRunner(CliRunner):
    """A click `CliRunner` for an app's commands; see `Flask.test_cli_runner`.

    `invoke()` runs `app.cli` unless another command is given, with a
    `ScriptInfo` that hands out this app, so commands need no `--app`.
    """

    def __init__(self, app: Flask, **kwargs: Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]  # `cli` is optional, as in Flask
        self,
        cli: click.Command | None = None,
        args: str | Sequence[str] | None = None,
        **kwargs: Any,
    ) -> Result:
        """Run `cli` (default: `app.cli`) with `args`; see `click.testing.CliRunner.invoke`."""
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            app = self.app
            kwargs["obj"] = ScriptInfo(create_app=lambda: app)
        return super().invoke(cli, args, **kwargs)
