"""The `aioflask` command: finding the app, `run`, `shell`, `routes`, and `app.cli` groups.

`aioflask --app hello run` serves `hello.py`'s app with uvicorn. The command
is Flask's `flask` command rebuilt for aioflask: the same options, the same
environment variables (`FLASK_APP`, `FLASK_DEBUG`, `FLASK_RUN_PORT`, ...) and
the same rules for finding the application, so scripts and `.flaskenv` files
keep working. Custom commands go on `app.cli`, an `AppGroup`.
"""

from __future__ import annotations

import inspect
import os
import sys
import traceback
from collections.abc import Callable
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

import click
from click.core import ParameterSource
from click.testing import CliRunner, Result

from ._discovery import NoAppException as NoAppException
from ._discovery import _check_app
from ._discovery import find_app_by_string as find_app_by_string
from ._discovery import find_best_app as find_best_app
from ._discovery import locate_app as locate_app
from ._discovery import prepare_import as prepare_import
from ._discovery import split_app_path as split_app_path
from .app import Flask
from .globals import _cv_app
from .helpers import get_debug_flag as get_debug_flag
from .helpers import get_load_dotenv as get_load_dotenv

if TYPE_CHECKING:
    from collections.abc import Sequence

F = TypeVar("F", bound=Callable[..., Any])

#: Environment variables naming the app, in order of preference.
APP_ENVVARS = ("AIOFLASK_APP", "FLASK_APP")
_NOT_FOUND_HINT = (
    "Pass '--app module:name', set the FLASK_APP (or AIOFLASK_APP) environment variable, "
    "or put a 'wsgi.py' or 'app.py' file in the current directory."
)


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
    defaults = info.load_dotenv_defaults and get_load_dotenv()
    if value is not None or defaults:
        load_dotenv(value, load_defaults=defaults)
    return value


def get_version(ctx: click.Context, param: click.Parameter | None, value: bool) -> None:
    """The `--version` option's callback: the versions of Python, aioflask and what it runs on.

    Named as in Flask, whose tests and tools call it directly.
    """
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    from . import __version__ as flask_api

    lines = [f"Python {sys.version.split()[0]}"]
    for label in ("aioflask", "starlette", "uvicorn", "Werkzeug"):
        try:
            lines.append(f"{label} {version(label.lower())}")
        except Exception:  # not installed as a distribution (a source checkout)
            lines.append(f"{label} unknown")
    lines[1] += f" (the Flask {flask_api} API)"
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
    callback=get_version,
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


def __getattr__(name: str) -> Any:
    # The built-in commands, under Flask's names (`from flask.cli import run_command`).
    # They live in `_commands`, which imports this module, so they are looked up late.
    if name in ("run_command", "shell_command", "routes_command"):
        from . import _commands

        return getattr(_commands, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
