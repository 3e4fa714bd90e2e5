"""`aioflask.flask_alias`: code that imports `flask` gets aioflask's modules.

Installing the alias changes `sys.modules` for the whole interpreter (and this
suite also imports the real Flask), so every check runs in a fresh Python.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.processes import clean_env

REAL_FLASK = importlib.util.find_spec("flask") is not None


def run_python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `code` in a new interpreter; fail with its output unless it exits 0."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_import_flask_gives_aioflask() -> None:
    run_python(
        """
        import aioflask.flask_alias
        import flask
        import aioflask
        from flask import Flask, request, current_app, g, session

        assert flask is aioflask
        assert request is aioflask.request and current_app is aioflask.current_app
        assert Flask is aioflask.Flask and g is aioflask.g and session is aioflask.session
        assert aioflask.flask_alias.installed()
        """
    )


@pytest.mark.skipif(not REAL_FLASK, reason="the real Flask is not installed")
def test_alias_wins_over_the_installed_flask() -> None:
    run_python(
        """
        import os
        import aioflask.flask_alias
        import flask
        import aioflask

        here = os.path.dirname(aioflask.__file__)
        assert os.path.dirname(flask.__file__) == here, flask.__file__
        """
    )


def test_submodules_are_aioflask_modules() -> None:
    run_python(
        """
        import importlib
        import aioflask.flask_alias

        names = [
            "globals", "ctx", "sessions", "json", "json.tag", "json.provider", "testing",
            "signals", "helpers", "wrappers", "views", "blueprints", "templating", "cli",
            "logging", "config", "app", "typing", "debughelpers", "exceptions", "scaffold",
        ]
        for name in names:
            alias = importlib.import_module("flask." + name)
            assert alias is importlib.import_module("aioflask." + name), name

        import flask.json.tag
        from flask.globals import request_ctx, app_ctx
        from flask.json.provider import DefaultJSONProvider
        import aioflask.globals, aioflask.json.provider
        assert request_ctx is aioflask.globals.request_ctx
        assert app_ctx is aioflask.globals.app_ctx
        assert DefaultJSONProvider is aioflask.json.provider.DefaultJSONProvider

        # A module keeps its own identity: the alias does not rename it.
        import aioflask.cli
        assert aioflask.cli.__name__ == "aioflask.cli"
        assert aioflask.cli.__spec__.name == "aioflask.cli"
        """
    )


def test_importing_flask_websocket_keeps_the_websocket_proxy() -> None:
    run_python(
        """
        import aioflask.flask_alias
        import flask.websocket
        import aioflask
        from aioflask.globals import websocket

        assert aioflask.websocket is websocket
        assert flask.websocket.WebSocketDisconnect is not None
        """
    )


def test_unknown_submodule_names_what_is_missing() -> None:
    run_python(
        """
        import aioflask.flask_alias

        try:
            import flask.no_such_module
        except ModuleNotFoundError as exc:
            assert exc.name == "flask.no_such_module", exc.name
            assert "'aioflask.no_such_module'" in str(exc), str(exc)
        else:
            raise AssertionError("imported a module that does not exist")
        """
    )


@pytest.mark.skipif(not REAL_FLASK, reason="the real Flask is not installed")
def test_real_flask_imported_first_is_an_error() -> None:
    run_python(
        """
        import flask

        try:
            import aioflask.flask_alias
        except RuntimeError as exc:
            message = str(exc)
        else:
            raise AssertionError("the alias was installed over the real Flask")
        assert "'flask' was already imported" in message, message
        assert "before anything imports flask" in message, message
        assert "-p aioflask.flask_alias" in message, message
        import sys
        assert sys.modules["flask"] is flask
        """
    )


def test_any_foreign_flask_module_is_an_error() -> None:
    run_python(
        """
        import sys, types
        sys.modules["flask"] = types.ModuleType("flask")

        try:
            import aioflask.flask_alias
        except RuntimeError as exc:
            assert "'flask' was already imported" in str(exc), str(exc)
        else:
            raise AssertionError("the alias replaced a module named flask")
        """
    )


def test_install_twice_and_uninstall() -> None:
    run_python(
        """
        import sys
        from aioflask import flask_alias

        flask_alias.install()
        flask_alias.install()
        assert sum(f is flask_alias._finder for f in sys.meta_path) == 1
        import flask.cli
        flask_alias.uninstall()
        assert not flask_alias.installed()
        assert not any(k == "flask" or k.startswith("flask.") for k in sys.modules)
        import aioflask.cli  # aioflask's own modules stay
        """
    )


def test_a_flask_extension_works_with_an_aioflask_app(tmp_path: Path) -> None:
    (tmp_path / "fake_ext.py").write_text(
        textwrap.dedent(
            """
            from flask import current_app, g, request
            from flask.globals import request_ctx
            import flask.signals


            class Greeter:
                def __init__(self, app=None):
                    self.finished = []
                    if app is not None:
                        self.init_app(app)

                def init_app(self, app):
                    app.extensions["greeter"] = self
                    app.before_request(self._remember_user)
                    flask.signals.request_finished.connect(self._finished, app)

                def _remember_user(self):
                    g.user = request.args.get("user", "anonymous")
                    request_ctx.greeter_seen = True

                def _finished(self, sender, response, **extra):
                    self.finished.append(response.status_code)


            def greeting():
                seen = getattr(request_ctx._get_current_object(), "greeter_seen", False)
                return f"{current_app.name} greets {g.user} (seen={seen})"
            """
        )
    )
    run_python(
        """
        import aioflask.flask_alias
        from aioflask import Flask
        import fake_ext

        app = Flask("demo")
        greeter = fake_ext.Greeter(app)

        @app.route("/")
        def index():
            return fake_ext.greeting()

        rv = app.test_client().get("/?user=bob")
        assert rv.status_code == 200
        assert rv.text == "demo greets bob (seen=True)", rv.text
        assert greeter.finished == [200]
        assert app.extensions["greeter"] is greeter
        """,
        cwd=tmp_path,
    )


def test_usable_as_a_pytest_plugin(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_third_party.py").write_text(
        textwrap.dedent(
            """
            import flask
            from flask.globals import request_ctx


            def test_flask_is_aioflask():
                app = flask.Flask(__name__)
                assert flask.__name__ == "aioflask"
                with app.test_request_context("/x"):
                    assert request_ctx.request.path == "/x"
                assert not request_ctx
            """
        )
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "aioflask.flask_alias",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
