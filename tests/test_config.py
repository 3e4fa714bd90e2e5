"""`Config` loaders, `ConfigAttribute` and the instance folder (FLASK_API.md §3)."""

from __future__ import annotations

import importlib
import json
import os
import sys
import textwrap
import types
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask
import pytest

from aioflask import Config, Flask
from aioflask.config import ConfigAttribute, find_instance_path
from tests.docsnippets import python_blocks, run_block


@pytest.fixture
def importable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on `sys.path` for throwaway modules, removed from `sys.modules` afterwards."""
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    importlib.invalidate_caches()
    return path


# -- from_object ---------------------------------------------------------------------------------


class Settings:
    SECRET_KEY = "from-class"
    DEBUG_TOOLBAR = True
    lowercase = "ignored"
    _Private = "ignored"


def test_from_object_with_a_class_takes_uppercase_names_only(tmp_path: Path) -> None:
    config = Config(tmp_path)
    config.from_object(Settings)
    assert config == {"SECRET_KEY": "from-class", "DEBUG_TOOLBAR": True}


@pytest.mark.parametrize(
    "spec", ["cfgmod", "cfgmod.Production", "cfgmod:Production", "pkgcfg.settings"]
)
def test_from_object_with_an_import_string(importable: Path, spec: str) -> None:
    write(
        importable / "cfgmod.py",
        """
        import os  # not a setting
        NAME = "module"
        class Production:
            NAME = "production"
        """,
    )
    write(importable / "pkgcfg" / "__init__.py", "")
    write(importable / "pkgcfg" / "settings.py", "NAME = 'package module'\n")
    config = Config(importable)
    config.from_object(spec)
    expected = {
        "cfgmod": "module",
        "cfgmod.Production": "production",
        "cfgmod:Production": "production",
        "pkgcfg.settings": "package module",
    }[spec]
    assert config == {"NAME": expected}
    # Flask reads the same names from the same string.
    ref = flask.Config(str(importable))
    ref.from_object(spec)
    assert dict(ref) == dict(config)


def test_from_object_reports_an_import_error_inside_the_module(importable: Path) -> None:
    write(importable / "brokencfg.py", "import not_installed_anywhere_xyz\nNAME = 1\n")
    with pytest.raises(ModuleNotFoundError, match="not_installed_anywhere_xyz"):
        Config(importable).from_object("brokencfg")


def test_from_object_missing_attribute_is_a_clear_import_error(importable: Path) -> None:
    write(importable / "cfgattr.py", "NAME = 1\n")
    with pytest.raises(ImportError, match="'cfgattr' has no attribute 'Nope'"):
        Config(importable).from_object("cfgattr.Nope")


def test_from_object_missing_module_raises(importable: Path) -> None:
    with pytest.raises(ModuleNotFoundError):
        Config(importable).from_object("no_such_config_module_xyz")


# -- files ---------------------------------------------------------------------------------------


def test_from_pyfile_relative_to_root_path(tmp_path: Path) -> None:
    write(
        tmp_path / "settings.cfg",
        """
        import os
        SECRET_KEY = "pyfile"
        MAX_CONTENT_LENGTH = 1024 * 1024
        helper = "lowercase, ignored"
        HERE = os.path.basename(__file__)
        """,
    )
    config = Config(tmp_path)
    assert config.from_pyfile("settings.cfg") is True
    assert config == {
        "SECRET_KEY": "pyfile",
        "MAX_CONTENT_LENGTH": 1048576,
        "HERE": "settings.cfg",
    }


def test_from_pyfile_missing_file(tmp_path: Path) -> None:
    config = Config(tmp_path)
    assert config.from_pyfile("missing.cfg", silent=True) is False
    with pytest.raises(FileNotFoundError, match="Unable to load configuration file"):
        config.from_pyfile("missing.cfg")


def test_from_pyfile_errors_in_the_file_propagate(tmp_path: Path) -> None:
    write(tmp_path / "bad.cfg", "SECRET_KEY = 1 / 0\n")
    with pytest.raises(ZeroDivisionError):
        Config(tmp_path).from_pyfile("bad.cfg", silent=True)


def test_from_file_json(tmp_path: Path) -> None:
    write(tmp_path / "config.json", '{"SECRET_KEY": "json", "lower": 1, "NESTED": {"a": 1}}')
    config = Config(tmp_path)
    assert config.from_file("config.json", load=json.load) is True
    assert config == {"SECRET_KEY": "json", "NESTED": {"a": 1}}


def test_from_file_toml_in_binary_mode(tmp_path: Path) -> None:
    tomllib = pytest.importorskip("tomllib")
    write(tmp_path / "config.toml", 'SECRET_KEY = "toml"\nPORT = 8080\nlower = true\n')
    config = Config(tmp_path)
    config.from_file("config.toml", load=tomllib.load, text=False)
    assert config == {"SECRET_KEY": "toml", "PORT": 8080}


def test_from_file_missing(tmp_path: Path) -> None:
    config = Config(tmp_path)
    assert config.from_file("nope.json", load=json.load, silent=True) is False
    with pytest.raises(FileNotFoundError, match="Unable to load configuration file"):
        config.from_file("nope.json", load=json.load)


def test_from_envvar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "prod.cfg", "SECRET_KEY = 'from envvar'\n")
    monkeypatch.setenv("MYAPP_SETTINGS", str(tmp_path / "prod.cfg"))
    config = Config("/somewhere/else")
    assert config.from_envvar("MYAPP_SETTINGS") is True
    assert config["SECRET_KEY"] == "from envvar"


def test_from_envvar_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MYAPP_SETTINGS", raising=False)
    config = Config(tmp_path)
    assert config.from_envvar("MYAPP_SETTINGS", silent=True) is False
    with pytest.raises(RuntimeError, match="'MYAPP_SETTINGS' is not set"):
        config.from_envvar("MYAPP_SETTINGS")


def test_from_envvar_silent_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYAPP_SETTINGS", str(tmp_path / "gone.cfg"))
    assert Config(tmp_path).from_envvar("MYAPP_SETTINGS", silent=True) is False


# -- mappings and the environment ------------------------------------------------------------------


def test_from_mapping_and_keywords(tmp_path: Path) -> None:
    config = Config(tmp_path)
    assert config.from_mapping({"A": 1, "b": 2}, C=3, d=4) is True
    assert config == {"A": 1, "C": 3}


def test_from_mapping_keywords_win(tmp_path: Path) -> None:
    config = Config(tmp_path)
    config.from_mapping({"A": 1}, A=2)
    assert config["A"] == 2


ENV = {
    "FLASK_SECRET_KEY": "plain string",
    "FLASK_PORT": "8080",
    "FLASK_FEATURE": "true",
    "FLASK_LIST": "[1, 2]",
    "FLASK_BROKEN_JSON": "{not json",
    "FLASK_DB__HOST": "db.local",
    "FLASK_DB__PORT": "5432",
    "FLASK_DB__OPTIONS__SSL": "false",
    "MYAPP_NAME": '"quoted"',
    "FLASKY_OTHER": "not ours",
}


def _set_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(("FLASK", "MYAPP_")):
            monkeypatch.delenv(key)
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)


def test_from_prefixed_env_default_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _set_env(monkeypatch)
    config = Config(tmp_path, {"DB": {"NAME": "kept"}})
    assert config.from_prefixed_env() is True
    assert config == {
        "SECRET_KEY": "plain string",
        "PORT": 8080,
        "FEATURE": True,
        "LIST": [1, 2],
        "BROKEN_JSON": "{not json",
        "DB": {"NAME": "kept", "HOST": "db.local", "PORT": 5432, "OPTIONS": {"SSL": False}},
    }
    ref = flask.Config(str(tmp_path), {"DB": {"NAME": "kept"}})
    ref.from_prefixed_env()
    assert dict(ref) == dict(config)


def test_from_prefixed_env_custom_prefix_and_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_env(monkeypatch)
    config = Config(tmp_path)
    config.from_prefixed_env("MYAPP")
    assert config == {"NAME": "quoted"}
    raw = Config(tmp_path)
    raw.from_prefixed_env(loads=str.upper)
    assert raw["PORT"] == "8080"
    assert raw["SECRET_KEY"] == "PLAIN STRING"


def test_app_config_reads_flask_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert Flask(__name__).config["DEBUG"] is True
    monkeypatch.setenv("FLASK_DEBUG", "false")
    assert Flask(__name__).config["DEBUG"] is False


@pytest.mark.parametrize(
    ("namespace", "kwargs", "expected"),
    [
        ("IMAGE_STORE_", {}, {"type": "fs", "path": "/var/app/images"}),
        ("IMAGE_STORE_", {"lowercase": False}, {"TYPE": "fs", "PATH": "/var/app/images"}),
        (
            "IMAGE_STORE_",
            {"trim_namespace": False},
            {"image_store_type": "fs", "image_store_path": "/var/app/images"},
        ),
        ("NOTHING_", {}, {}),
    ],
)
def test_get_namespace(
    tmp_path: Path, namespace: str, kwargs: dict[str, Any], expected: dict[str, Any]
) -> None:
    values = {
        "IMAGE_STORE_TYPE": "fs",
        "IMAGE_STORE_PATH": "/var/app/images",
        "IMAGE_STORE": "not in the namespace",
        "OTHER": 1,
    }
    config = Config(tmp_path, values)
    assert config.get_namespace(namespace, **kwargs) == expected
    assert flask.Config(str(tmp_path), values).get_namespace(namespace, **kwargs) == expected


def test_config_repr_and_root_path(tmp_path: Path) -> None:
    config = Config(tmp_path, {"A": 1})
    assert config.root_path == str(tmp_path)
    assert repr(config) == "<Config {'A': 1}>"


def test_config_attribute() -> None:
    class Holder:
        config: dict[str, Any]
        timeout = ConfigAttribute[timedelta](
            "TIMEOUT", get_converter=lambda v: timedelta(seconds=v)
        )
        name = ConfigAttribute[str]("NAME")

        def __init__(self) -> None:
            self.config = {"TIMEOUT": 5, "NAME": "x"}

    holder = Holder()
    assert holder.timeout == timedelta(seconds=5)
    holder.name = "y"
    assert holder.config["NAME"] == "y"
    assert isinstance(Holder.__dict__["name"], ConfigAttribute)


# -- instance folder ---------------------------------------------------------------------------


def test_instance_relative_config_loads_from_the_instance_folder(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    write(instance / "config.py", "SECRET_KEY = 'instance secret'\n")
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    assert app.config.root_path == str(instance)
    assert app.config.from_pyfile("config.py") is True
    assert app.secret_key == "instance secret"
    with app.open_instance_resource("notes.txt", "w") as f:
        f.write("writable")
    assert (instance / "notes.txt").read_text() == "writable"


def test_config_root_is_the_app_root_by_default() -> None:
    app = Flask(__name__)
    assert app.config.root_path == app.root_path


def test_relative_instance_path_is_an_error() -> None:
    with pytest.raises(ValueError, match="must be absolute"):
        Flask(__name__, instance_path="relative/instance")


def _both_instance_paths(import_name: str) -> tuple[str, str]:
    ours = Flask(import_name).instance_path
    ref = flask.Flask(import_name).instance_path
    return ours, ref


def test_instance_path_for_a_module(importable: Path) -> None:
    write(importable / "single_module_app.py", "")
    importlib.import_module("single_module_app")
    ours, ref = _both_instance_paths("single_module_app")
    assert ours == ref == str(importable / "instance")


def test_instance_path_for_a_package_is_beside_it(importable: Path) -> None:
    write(importable / "pkg_app" / "__init__.py", "")
    write(importable / "pkg_app" / "views.py", "")
    importlib.import_module("pkg_app.views")
    for name in ("pkg_app", "pkg_app.views"):
        ours, ref = _both_instance_paths(name)
        assert ours == ref == str(importable / "instance")


def test_instance_path_for_main_is_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A script run as `python hello.py`: its `__main__` has no import spec.
    script = types.ModuleType("__main__")
    script.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", script)
    monkeypatch.chdir(tmp_path)
    assert find_instance_path("__main__", "main") == str(tmp_path / "instance")


def test_instance_path_for_an_installed_package(importable: Path) -> None:
    site = importable / "prefix" / "lib" / "python3.99" / "site-packages"
    write(site / "installed_app" / "__init__.py", "")
    sys.path.insert(0, str(site))
    importlib.import_module("installed_app")
    ours, ref = _both_instance_paths("installed_app")
    assert ours == ref == str(importable / "prefix" / "var" / "installed_app-instance")


@pytest.mark.parametrize(("line", "code"), python_blocks("config.md"))
def test_docs_examples(tmp_path: Path, line: int, code: str) -> None:
    run_block("config.md", line, code, tmp_path)
