"""Finding the application for the `aioflask` command (Flask's discovery rules).

`--app` values look like `module`, `path/to/module.py`, `module:name` or
`module:factory('literal', args)`; see `locate_app`. Everything here is
re-exported from `aioflask.cli`, where Flask keeps the same names.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import sys
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

import click

from .app import Flask


class NoAppException(click.UsageError):
    """The application could not be found or loaded; the message says why and what to do."""


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
