"""The `aioflask` command: app discovery, `run`, `routes`, `shell`, `app.cli` (FLASK_API.md §14).

In-process tests use click's `CliRunner`; the tests at the end run the real
`aioflask` script as a subprocess serving on 127.0.0.1.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner, Result

from aioflask import Flask, current_app
from aioflask.cli import (
    AppGroup,
    FlaskCliRunner,
    FlaskGroup,
    NoAppException,
    ScriptInfo,
    cli,
    find_best_app,
    locate_app,
    prepare_import,
    split_app_path,
    with_appcontext,
)
from aioflask.debug import DebugMiddleware
from tests.docsnippets import python_blocks, run_block
from tests.processes import AIOFLASK, free_port, run_command, serving_process

ENV_KEYS = (
    "FLASK_APP",
    "AIOFLASK_APP",
    "FLASK_DEBUG",
    "FLASK_RUN_FROM_CLI",
    "FLASK_SKIP_DOTENV",
    "FLASK_RUN_PORT",
)

HELLO = """
import click
from aioflask import Flask

app = Flask(__name__)

@app.route("/")
async def index():
    return "hello from the module"

@app.route("/user/<int:id>", methods=["GET", "POST"])
def user(id):
    return str(id)

@app.cli.command("greet")
@click.argument("name")
def greet(name):
    click.echo(f"hello {name} from {app.name}")

@app.shell_context_processor
def extra():
    return {"answer": 42}
"""


@pytest.fixture(autouse=True)
def _restore_cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start without the command's variables, and restore them after each test.

    The command sets some of them (`FLASK_RUN_FROM_CLI`, `FLASK_DEBUG`) in
    this very process; left behind, they would turn a later test's
    `app.run()` into a no-op.
    """
    for key in ENV_KEYS:
        monkeypatch.setenv(key, "")  # so monkeypatch restores it even if a command sets it
        monkeypatch.delenv(key)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run in an empty folder; restore `sys.path` and `sys.modules` after."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    importlib.invalidate_caches()
    return path


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


# -- discovery -------------------------------------------------------------------------------


def test_prepare_import_from_file_dotted_and_package(workdir: Path) -> None:
    write(workdir / "pkg" / "__init__.py", "")
    write(workdir / "pkg" / "sub" / "__init__.py", "")
    write(workdir / "pkg" / "sub" / "mod.py", "")
    write(workdir / "single.py", "")
    assert prepare_import("single.py") == "single"
    assert prepare_import("single") == "single"
    assert prepare_import("pkg/sub/mod.py") == "pkg.sub.mod"
    assert prepare_import("pkg/sub/__init__.py") == "pkg.sub"
    assert prepare_import("pkg.sub.mod") == "pkg.sub.mod"
    assert sys.path[0] == str(workdir)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hello", ("hello", None)),
        ("hello:app", ("hello", "app")),
        ("pkg.mod:create_app('a:b')", ("pkg.mod", "create_app('a:b')")),
        ("C:\\proj\\hello.py", ("C:\\proj\\hello.py", None)),
        ("C:\\proj\\hello.py:app", ("C:\\proj\\hello.py", "app")),
        ("/srv/hello.py:application", ("/srv/hello.py", "application")),
    ],
)
def test_split_app_path(value: str, expected: tuple[str, str | None]) -> None:
    assert split_app_path(value) == expected


@pytest.mark.parametrize(
    ("source", "spec", "expected_name"),
    [
        ("app = Flask('by_app')", None, "by_app"),
        ("application = Flask('by_application')", None, "by_application"),
        ("other = Flask('single_instance')", None, "single_instance"),
        ("app = Flask('a')\napplication = Flask('b')", None, "a"),
        ("def create_app():\n    return Flask('factory')", None, "factory"),
        ("def make_app():\n    return Flask('make')", None, "make"),
        ("api = Flask('named')\nweb = Flask('web')", "api", "named"),
        ("def create_app(env='x'):\n    return Flask('f_' + env)", "create_app", "f_x"),
        ("def create_app(env):\n    return Flask('f_' + env)", "create_app('dev')", "f_dev"),
        (
            "def factory(env, *, debug=False):\n    return Flask(f'{env}_{debug}')",
            "factory('prod', debug=True)",
            "prod_True",
        ),
    ],
)
def test_locate_app(workdir: Path, source: str, spec: str | None, expected_name: str) -> None:
    write(workdir / "discover_me.py", "from aioflask import Flask\n" + source + "\n")
    app = locate_app(prepare_import("discover_me.py"), spec)
    assert isinstance(app, Flask)
    assert app.name == expected_name


@pytest.mark.parametrize(
    ("source", "spec", "message"),
    [
        ("a = Flask('a')\nb = Flask('b')", None, "several aioflask applications (a, b)"),
        ("x = 1", None, "has no aioflask application"),
        ("def create_app(env):\n    return Flask(env)", None, "cannot be called without"),
        ("app = Flask('a')", "missing", "has no attribute 'missing'"),
        ("app = Flask('a')", "app(", "Could not read 'app('"),
        ("app = Flask('a')", "app.attr", "Could not read 'app.attr'"),
        ("def f(x):\n    return Flask(x)", "f(some_name)", "must be Python literals"),
        ("def f():\n    return Flask('a')", "f(1, 2)", "called with the wrong arguments"),
        ("def f():\n    return 'nope'", "f()", "gave 'str', not an aioflask application"),
        ("import flask\napp = flask.Flask('real_flask')", None, "is a flask.Flask application"),
        ("import flask\napp = flask.Flask('real_flask')", "app", "'from aioflask import"),
        ("class C:\n    pass", "C.method()", "must be a plain name"),
    ],
)
def test_locate_app_errors(workdir: Path, source: str, spec: str | None, message: str) -> None:
    write(workdir / "broken_app.py", "from aioflask import Flask\n" + source + "\n")
    with pytest.raises(NoAppException, match=message.replace("(", r"\(").replace(")", r"\)")):
        locate_app(prepare_import("broken_app.py"), spec)


def test_type_error_inside_a_factory_is_not_hidden(workdir: Path) -> None:
    write(
        workdir / "typeerr.py",
        "def create_app():\n    return len(1)\n",
    )
    with pytest.raises(TypeError, match="has no len"):
        locate_app(prepare_import("typeerr.py"), None)


def test_missing_module(workdir: Path) -> None:
    with pytest.raises(NoAppException, match="Could not import 'no_such_mod_xyz': no such module"):
        locate_app(prepare_import("no_such_mod_xyz"), None)
    assert locate_app("no_such_mod_xyz", None, raise_if_not_found=False) is None


def test_import_error_inside_the_module_shows_its_traceback(workdir: Path) -> None:
    write(workdir / "bad_imports.py", "import not_installed_xyz_123\n")
    with pytest.raises(NoAppException) as info:
        locate_app(prepare_import("bad_imports.py"), None)
    message = info.value.format_message()
    assert "Importing 'bad_imports' raised an ImportError" in message
    assert "Traceback" in message and "not_installed_xyz_123" in message


def test_find_best_app_prefers_app_over_others() -> None:
    import types

    module = types.ModuleType("fake_module")
    module.other = Flask("other")  # type: ignore[attr-defined]
    module.app = Flask("main")  # type: ignore[attr-defined]
    assert find_best_app(module).name == "main"


@pytest.mark.parametrize("files", [["wsgi.py", "app.py"], ["app.py"]])
def test_script_info_finds_wsgi_then_app_in_the_working_directory(
    workdir: Path, files: list[str]
) -> None:
    for name in files:
        stem = name[:-3]
        write(workdir / name, f"from aioflask import Flask\napp = Flask('from_{stem}')\n")
    app = ScriptInfo().load_app()
    assert app.name == f"from_{files[0][:-3]}"
    assert ScriptInfo().load_app() is not app or True  # each ScriptInfo loads on its own


def test_script_info_without_any_app(workdir: Path) -> None:
    with pytest.raises(NoAppException, match="Could not find an aioflask application"):
        ScriptInfo().load_app()


def test_script_info_caches_and_applies_flask_debug(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def create() -> Flask:
        calls.append(1)
        return Flask("created")

    monkeypatch.setenv("FLASK_DEBUG", "1")
    info = ScriptInfo(create_app=create)
    app = info.load_app()
    assert info.load_app() is app
    assert calls == [1]
    assert app.debug is True
    assert ScriptInfo(create_app=lambda: Flask("x"), set_debug_flag=False).load_app().debug in (
        True,
        False,
    )


# -- the command group -----------------------------------------------------------------------


def test_routes_table(workdir: Path) -> None:
    write(workdir / "hello.py", HELLO)
    result = invoke("--app", "hello", "routes")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "Endpoint  Methods    Rule",
        "--------  ---------  -----------------------",
        "index     GET        /",
        "static    GET        /static/<path:filename>",
        "user      GET, POST  /user/<int:id>",
    ]


def test_routes_all_methods_and_sort(workdir: Path) -> None:
    write(workdir / "hello.py", HELLO)
    result = invoke("--app", "hello", "routes", "--all-methods", "--sort", "rule")
    lines = result.output.splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Rule"]
    assert [line.split()[0] for line in lines[2:]] == ["index", "static", "user"]
    assert "GET, HEAD, OPTIONS, POST" in lines[4]
    by_methods = invoke("--app", "hello", "routes", "-s", "methods").output.splitlines()
    # Ties keep the URL map's order (the static route comes first), as in Flask.
    assert [line.split()[0] for line in by_methods[2:]] == ["static", "index", "user"]


def test_routes_show_subdomains_when_a_rule_has_one() -> None:
    app = Flask("subs", static_folder=None)
    app.add_url_rule("/a", subdomain="api", endpoint="a")
    app.add_url_rule("/b", endpoint="b")
    group = FlaskGroup(create_app=lambda: app)
    lines = CliRunner().invoke(group, ["routes", "--sort", "domain"]).output.splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Subdomain", "Rule"]
    assert [line.split() for line in lines[2:]] == [["b", "GET", "/b"], ["a", "GET", "api", "/a"]]


def test_routes_show_hosts_with_host_matching() -> None:
    app = Flask("hosts", static_folder=None, host_matching=True)
    app.add_url_rule("/a", host="a.example.com", endpoint="a")
    app.add_url_rule("/b", host="b.example.com", endpoint="b")
    group = FlaskGroup(create_app=lambda: app)
    lines = CliRunner().invoke(group, ["routes"]).output.splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Host", "Rule"]
    assert [line.split() for line in lines[2:]] == [
        ["a", "GET", "a.example.com", "/a"],
        ["b", "GET", "b.example.com", "/b"],
    ]


def test_routes_without_routes(workdir: Path) -> None:
    write(
        workdir / "empty.py",
        "from aioflask import Flask\napp = Flask(__name__, static_folder=None)\n",
    )
    assert invoke("--app", "empty", "routes").output == "No routes were registered.\n"


def test_custom_command_from_the_app(workdir: Path) -> None:
    write(workdir / "hello.py", HELLO)
    result = invoke("--app", "hello", "greet", "bob")
    assert (result.exit_code, result.output) == (0, "hello bob from hello\n")


def test_help_lists_app_commands(workdir: Path) -> None:
    write(workdir / "hello.py", HELLO)
    result = invoke("--app", "hello", "--help")
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line}
    assert listed == {"greet", "routes", "run", "shell"}


def test_app_from_environment_variables(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(workdir / "first.py", "from aioflask import Flask\napp = Flask('first')\n")
    write(workdir / "second.py", "from aioflask import Flask\napp = Flask('second')\n")

    @click.command("which")
    @with_appcontext
    def which() -> None:
        click.echo(current_app.name)

    group = FlaskGroup()
    group.add_command(which)
    monkeypatch.setenv("FLASK_APP", "first")
    assert CliRunner().invoke(group, ["which"]).output == "first\n"
    monkeypatch.setenv("AIOFLASK_APP", "second")
    assert CliRunner().invoke(group, ["which"]).output == "second\n"
    assert CliRunner().invoke(group, ["--app", "first", "which"]).output == "first\n"


def test_no_app_is_a_usage_error(workdir: Path) -> None:
    result = CliRunner().invoke(cli, ["routes"])
    assert result.exit_code == 2
    assert "Could not find an aioflask application" in result.output
    unknown = CliRunner().invoke(cli, ["--app", "nope_xyz", "custom"])
    assert unknown.exit_code == 2
    assert "Could not import 'nope_xyz'" in unknown.output


@pytest.mark.parametrize(("flag", "expected"), [("--debug", True), ("--no-debug", False)])
def test_debug_option_sets_flask_debug(workdir: Path, flag: str, expected: bool) -> None:
    write(
        workdir / "dbg.py",
        """
        import click, os
        from aioflask import Flask, current_app
        app = Flask(__name__)

        @app.cli.command()
        def show():
            click.echo(f"{current_app.debug} {os.environ['FLASK_DEBUG']}")
        """,
    )
    result = invoke("--app", "dbg", flag, "show")
    assert result.output == f"{expected} {int(expected)}\n"


def test_version(workdir: Path) -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("Python ")
    names = ["aioflask", "starlette", "uvicorn", "Werkzeug"]
    assert [line.split()[0] for line in lines[1:]] == names
    assert f"Werkzeug {importlib.metadata.version('werkzeug')}" in lines


def test_dotenv_files(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("dotenv")
    write(workdir / "envapp.py", "from aioflask import Flask\napp = Flask('envapp')\n")
    write(workdir / ".flaskenv", "FLASK_APP=envapp\nDOTENV_A=flaskenv\nDOTENV_B=flaskenv\n")
    write(workdir / ".env", "DOTENV_B=env\nDOTENV_C=env\n")
    write(workdir / "custom.env", "DOTENV_C=custom\n")
    for key in ("DOTENV_A", "DOTENV_B", "DOTENV_C"):
        monkeypatch.setenv(key, "")
        monkeypatch.delenv(key)
    monkeypatch.setenv("DOTENV_A", "real environment")

    @click.command("env")
    def show_env() -> None:
        click.echo(" ".join(os.environ[k] for k in ("DOTENV_A", "DOTENV_B", "DOTENV_C")))

    group = FlaskGroup()
    group.add_command(show_env)
    result = CliRunner().invoke(group, ["-e", "custom.env", "env"])
    assert result.output == "real environment env custom\n"
    assert os.environ["FLASK_APP"] == "envapp"


def test_skip_dotenv(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(workdir / ".flaskenv", "DOTENV_SKIPPED=loaded\n")
    monkeypatch.setenv("DOTENV_SKIPPED", "")
    monkeypatch.delenv("DOTENV_SKIPPED")
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")
    CliRunner().invoke(cli, ["--help"])
    assert "DOTENV_SKIPPED" not in os.environ


def test_plugin_commands_from_entry_points(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command()
    def plugin() -> None:
        click.echo("from a plugin")

    class FakeEntryPoint:
        name = "plug"

        def load(self) -> click.Command:
            return plugin

    seen: list[str] = []

    def entry_points(group: str) -> list[FakeEntryPoint]:
        seen.append(group)
        return [FakeEntryPoint()]

    monkeypatch.setattr("importlib.metadata.entry_points", entry_points)
    result = CliRunner().invoke(FlaskGroup(), ["plug"])
    assert (result.exit_code, result.output) == (0, "from a plugin\n")
    assert seen == ["aioflask.commands"]


def test_custom_flask_group_with_create_app(workdir: Path) -> None:
    group = FlaskGroup(create_app=lambda: Flask("made_by_script"))

    @group.command()
    def name() -> None:
        click.echo(current_app.name)

    assert CliRunner().invoke(group, ["name"]).output == "made_by_script\n"


def test_app_run_is_a_no_op_under_the_command(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A module-level app.run() must not start a server while a command imports it.
    write(
        workdir / "runs.py",
        "from aioflask import Flask\napp = Flask(__name__)\napp.run()\n",
    )
    result = invoke("--app", "runs", "routes")
    assert result.exit_code == 0
    assert "static" in result.output
    assert os.environ["FLASK_RUN_FROM_CLI"] == "true"


# -- run (in process, uvicorn.run replaced) ----------------------------------------------------


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    calls: list[tuple[Any, dict[str, Any]]] = []

    def fake_run(target: Any, **kwargs: Any) -> None:
        kwargs["env"] = {k: v for k, v in os.environ.items() if k.startswith("AIOFLASK_SERVE")}
        calls.append((target, kwargs))

    monkeypatch.setattr("uvicorn.run", fake_run)
    return calls


def test_run_serves_the_app_object(
    workdir: Path, uvicorn_calls: list[tuple[Any, dict[str, Any]]]
) -> None:
    write(workdir / "hello.py", HELLO)
    result = invoke("--app", "hello", "run", "--port", "5123", "--host", "127.0.0.2")
    assert result.exit_code == 0, result.output
    assert " * Serving aioflask app 'hello'" in result.output
    assert " * Debug mode: off" in result.output
    [(target, kwargs)] = uvicorn_calls
    assert isinstance(target, Flask) and target.name == "hello"
    assert (kwargs["host"], kwargs["port"], kwargs["log_level"]) == ("127.0.0.2", 5123, "info")
    assert "reload" not in kwargs


def test_run_port_from_the_environment(
    workdir: Path, uvicorn_calls: list[tuple[Any, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(workdir / "hello.py", HELLO)
    monkeypatch.setenv("FLASK_RUN_PORT", "5999")
    invoke("--app", "hello", "run")
    assert uvicorn_calls[0][1]["port"] == 5999


def test_run_debug_reloads_through_the_factory(
    workdir: Path, uvicorn_calls: list[tuple[Any, dict[str, Any]]]
) -> None:
    write(workdir / "hello.py", HELLO)
    result = invoke("--app", "hello", "run", "--debug")
    assert " * Debug mode: on" in result.output
    [(target, kwargs)] = uvicorn_calls
    assert target == "aioflask._serve:load_app_for_server"
    assert kwargs["factory"] is True and kwargs["reload"] is True
    assert kwargs["reload_dirs"] == [str(workdir)]
    assert kwargs["env"] == {
        "AIOFLASK_SERVE_APP": "hello",
        "AIOFLASK_SERVE_DEBUG": "1",
        "AIOFLASK_SERVE_DEBUGGER": "1",
    }
    assert not any(key.startswith("AIOFLASK_SERVE") for key in os.environ)


def test_run_debug_without_reload_serves_the_debug_page(
    workdir: Path, uvicorn_calls: list[tuple[Any, dict[str, Any]]]
) -> None:
    write(workdir / "hello.py", HELLO)
    invoke("--app", "hello", "run", "--debug", "--no-reload")
    [(target, kwargs)] = uvicorn_calls
    assert isinstance(target, DebugMiddleware)
    assert kwargs["log_level"] == "debug"
    invoke("--app", "hello", "run", "--debug", "--no-reload", "--no-debugger")
    assert isinstance(uvicorn_calls[1][0], Flask)


def test_run_cert_and_key(workdir: Path, uvicorn_calls: list[tuple[Any, dict[str, Any]]]) -> None:
    write(workdir / "hello.py", HELLO)
    write(workdir / "cert.pem", "cert")
    write(workdir / "key.pem", "key")
    invoke("--app", "hello", "run", "--cert", "cert.pem", "--key", "key.pem")
    kwargs = uvicorn_calls[0][1]
    assert (kwargs["ssl_certfile"], kwargs["ssl_keyfile"]) == ("cert.pem", "key.pem")
    alone = CliRunner().invoke(cli, ["--app", "hello", "run", "--cert", "cert.pem"])
    assert alone.exit_code == 2
    assert "'--cert' needs a '--key' file too" in alone.output


def test_run_cert_and_key_are_checked_while_parsing(workdir: Path) -> None:
    from aioflask.cli import run_command

    write(workdir / "cert.pem", "cert")
    write(workdir / "key.pem", "key")
    with pytest.raises(click.BadParameter, match="needs a '--key'"):
        run_command.make_context("run", ["--cert", "cert.pem"])
    with pytest.raises(click.BadParameter, match="needs a '--cert'"):
        run_command.make_context("run", ["--key", "key.pem"])
    for args in (
        ["--cert", "cert.pem", "--key", "key.pem"],
        ["--key", "key.pem", "--cert", "cert.pem"],
    ):
        assert run_command.make_context("run", args).params["cert"] == ("cert.pem", "key.pem")
    with pytest.raises(click.BadParameter, match="does not make ad-hoc certificates"):
        run_command.make_context("run", ["--cert", "adhoc"])


def test_run_extra_files_and_exclude_patterns(
    workdir: Path, uvicorn_calls: list[tuple[Any, dict[str, Any]]]
) -> None:
    write(workdir / "hello.py", HELLO)
    write(workdir / "conf" / "settings.toml", "")
    invoke(
        "--app",
        "hello",
        "run",
        "--reload",
        "--extra-files",
        "conf/settings.toml",
        "--exclude-patterns",
        f"*.tmp{os.pathsep}build/*",
    )
    kwargs = uvicorn_calls[0][1]
    assert kwargs["reload_dirs"] == [str(workdir), str(workdir / "conf")]
    assert kwargs["reload_includes"] == ["settings.toml"]
    assert kwargs["reload_excludes"] == ["*.tmp", "build/*"]


# -- app.cli, with_appcontext, the test runner ------------------------------------------------


def test_test_cli_runner_invokes_app_commands(app: Flask) -> None:
    @app.cli.command("hello")
    @click.option("--name", default="World")
    def hello(name: str) -> None:
        click.echo(f"Hello, {name} from {current_app.name}!")

    runner = app.test_cli_runner()
    assert isinstance(runner, FlaskCliRunner)
    result = runner.invoke(args=["hello", "--name", "Flask"])
    assert (result.exit_code, result.output) == (0, f"Hello, Flask from {app.name}!\n")


def test_test_cli_runner_reaches_the_builtin_commands(app: Flask) -> None:
    @app.get("/ping")
    async def ping() -> str:
        return "pong"

    result = app.test_cli_runner().invoke(cli, ["routes"])
    assert result.exit_code == 0
    assert "ping      GET      /ping" in result.output


def test_test_cli_runner_class(app: Flask) -> None:
    class MyRunner(FlaskCliRunner):
        pass

    app.test_cli_runner_class = MyRunner
    assert isinstance(app.test_cli_runner(), MyRunner)


def test_add_command_and_groups_get_the_app_context(app: Flask) -> None:
    @click.command("init-db")
    @with_appcontext
    def init_db() -> None:
        click.echo(f"initialised for {current_app.name}")

    app.cli.add_command(init_db)

    @app.cli.group()
    def users() -> None:
        """Manage users."""

    @users.command("create")
    @click.argument("name")
    def create(name: str) -> None:
        click.echo(f"created {name} in {current_app.name}")

    assert isinstance(users, AppGroup)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).output == f"initialised for {app.name}\n"
    assert runner.invoke(args=["users", "create", "ada"]).output == f"created ada in {app.name}\n"


def test_command_without_appcontext(app: Flask) -> None:
    from aioflask import has_app_context

    @app.cli.command(with_appcontext=False)
    def bare() -> None:
        click.echo(str(has_app_context()))

    @app.cli.command
    def plain() -> None:
        click.echo(str(has_app_context()))

    runner = app.test_cli_runner()
    assert runner.invoke(args=["bare"]).output == "False\n"
    assert runner.invoke(args=["plain"]).output == "True\n"


def test_async_command_runs_in_the_app_context(app: Flask) -> None:
    teardowns: list[str] = []

    @app.teardown_appcontext
    def done(exc: BaseException | None) -> None:
        teardowns.append("done")

    @app.cli.command()
    async def fetch() -> None:
        import asyncio

        await asyncio.sleep(0)
        click.echo(f"async in {current_app.name}")

    result = app.test_cli_runner().invoke(args=["fetch"])
    assert (result.exit_code, result.output) == (0, f"async in {app.name}\n")
    assert teardowns == ["done"]


def test_shell_namespace_through_the_runner(app: Flask) -> None:
    @app.shell_context_processor
    def extra() -> dict[str, Any]:
        return {"answer": 42}

    @app.shell_context_processor
    async def more() -> dict[str, Any]:
        return {"async_value": "yes"}

    namespace = app.make_shell_context()
    assert namespace["app"] is app and namespace["answer"] == 42
    assert namespace["async_value"] == "yes"
    result = app.test_cli_runner().invoke(
        cli, ["shell"], input="print(answer, async_value, app.name, g)\n"
    )
    assert result.exit_code == 0
    assert f"42 yes {app.name} <aioflask.g of {app.name!r}>" in result.output
    assert f"App: {app.import_name}" in result.output


def test_commands_with_errors_in_the_app_show_a_clean_message(workdir: Path) -> None:
    write(workdir / "twoapps.py", "from aioflask import Flask\na = Flask('a')\nb = Flask('b')\n")
    result = CliRunner().invoke(cli, ["--app", "twoapps", "routes"])
    assert result.exit_code == 2
    assert "--app twoapps:a" in result.output


# -- the real command, as a subprocess --------------------------------------------------------


def test_aioflask_run_serves_on_a_real_port(tmp_path: Path) -> None:
    write(tmp_path / "hello.py", HELLO)
    port = free_port()
    args = [AIOFLASK, "--app", "hello", "run", "--port", str(port)]
    with serving_process(args, tmp_path, port) as server:
        r = httpx.get(server.base_url + "/user/7")
        missing = httpx.get(server.base_url + "/missing")
    assert (r.status_code, r.text) == (200, "7")
    assert missing.status_code == 404
    assert server.process.returncode is not None
    output = server.output()
    assert " * Serving aioflask app 'hello'" in output
    assert " * Debug mode: off" in output


def test_python_m_aioflask_routes_and_custom_command(tmp_path: Path) -> None:
    write(tmp_path / "hello.py", HELLO)
    routes = run_command([sys.executable, "-m", "aioflask", "--app", "hello", "routes"], tmp_path)
    assert routes.returncode == 0, routes.stderr
    assert routes.stdout.splitlines()[2] == "index     GET        /"
    greet = run_command([AIOFLASK, "greet", "ada"], tmp_path, env={"FLASK_APP": "hello"})
    assert (greet.returncode, greet.stdout) == (0, "hello ada from hello\n")


def test_shell_with_piped_input(tmp_path: Path) -> None:
    write(tmp_path / "hello.py", HELLO)
    result = run_command(
        [AIOFLASK, "--app", "hello", "shell"],
        tmp_path,
        input="print(answer, app.name, app.url_map is not None)\n",
    )
    assert result.returncode == 0, result.stderr
    assert "42 hello True" in result.stdout
    assert "App: hello" in result.stderr


def test_discovery_of_app_py_in_the_working_directory(tmp_path: Path) -> None:
    write(tmp_path / "app.py", "from aioflask import Flask\napplication = Flask('found_me')\n")
    result = run_command([AIOFLASK, "shell"], tmp_path, input="print(app.name)\n")
    assert "found_me" in result.stdout


def test_missing_app_exits_with_a_usage_error(tmp_path: Path) -> None:
    result = run_command([AIOFLASK, "routes"], tmp_path)
    assert result.returncode == 2
    assert "Could not find an aioflask application" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_run_shows_the_traceback_page_and_reloads(tmp_path: Path) -> None:
    source = """
        from aioflask import Flask
        app = Flask(__name__)

        @app.route("/")
        def index():
            return "version one"

        @app.route("/boom")
        def boom():
            raise ValueError("<script>alert('x')</script>")
        """
    module = write(tmp_path / "devapp.py", source)
    port = free_port()
    args = [AIOFLASK, "--app", "devapp", "run", "--debug", "--port", str(port)]
    with serving_process(args, tmp_path, port) as server:
        page = httpx.get(server.base_url + "/boom")
        changed = module.read_text().replace("version one", "version two")
        module.write_text(changed)
        seen = []
        for attempt in range(150):  # the reloader restarts the server: about a second
            if attempt % 20 == 19:
                # The file watcher may have started after the first write: write again.
                module.write_text(changed)
            try:
                seen.append(httpx.get(server.base_url + "/", timeout=1).text)
            except httpx.TransportError:
                seen.append("")
            if seen[-1] == "version two":
                break
            import time

            time.sleep(0.1)
    assert page.status_code == 500
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "ValueError" in page.text and "raise ValueError" in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
    assert "<script" not in page.text
    assert seen[-1] == "version two", seen
    assert " * Debug mode: on" in server.output()


@pytest.mark.parametrize(("line", "code"), python_blocks("cli.md"))
def test_docs_examples(tmp_path: Path, line: int, code: str) -> None:
    run_block("cli.md", line, code, tmp_path)
