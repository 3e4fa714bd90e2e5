"""`Config`: the dict behind `app.config`, with Flask's loaders; and the instance folder.

```python
app.config.from_object("myapp.default_settings")
app.config.from_pyfile("settings.cfg", silent=True)   # relative to root_path
app.config.from_file("config.toml", load=tomllib.load, text=False)
app.config.from_prefixed_env()                         # FLASK_SECRET_KEY=... etc.
```
Every loader takes UPPERCASE names only, so a settings module can hold
imports and helpers without them leaking into the config.
"""

from __future__ import annotations

import errno
import importlib
import importlib.util
import json
import os
import sys
import types
from collections.abc import Callable, Mapping
from typing import IO, Any, Generic, TypeVar, overload

T = TypeVar("T")


class ConfigAttribute(Generic[T]):
    """An attribute that reads and writes one config key (`app.testing` is one).

    `get_converter` turns the stored value into the attribute's value, for
    example `int` for a number set from an environment variable.
    """

    def __init__(self, name: str, get_converter: Callable[[Any], T] | None = None) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    @overload
    def __get__(self, obj: None, owner: None) -> ConfigAttribute[T]: ...

    @overload
    def __get__(self, obj: Any, owner: Any) -> T: ...

    def __get__(self, obj: Any, owner: Any = None) -> T | ConfigAttribute[T]:
        if obj is None:
            return self
        value = obj.config[self.__name__]
        if self.get_converter is not None:
            value = self.get_converter(value)
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: Any, value: Any) -> None:
        obj.config[self.__name__] = value


def _import_string(name: str) -> Any:
    """Import `module`, `module.attr` or `module:attr`."""
    if ":" in name:
        module_name, _, attr = name.partition(":")
        return getattr(importlib.import_module(module_name), attr)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        # Only "this very name is not a module" means `module.attr`; an import
        # failing inside the module is the user's error and is raised as is.
        if e.name != name or "." not in name:
            raise
    module_name, _, attr = name.rpartition(".")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImportError(
            f"Cannot load the config object {name!r}: module {module_name!r} has no "
            f"attribute {attr!r}."
        ) from None


class Config(dict):  # type: ignore[type-arg]  # str -> Any, as Flask's
    """A dict of settings that can be filled from objects, files and the environment.

    `root_path` is the folder relative file names are resolved against: the
    app's `root_path`, or its `instance_path` with
    `Flask(__name__, instance_relative_config=True)`. Only UPPERCASE keys are
    taken by the `from_*` loaders.
    """

    def __init__(
        self, root_path: str | os.PathLike[str], defaults: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(defaults or {})
        self.root_path = os.fspath(root_path)

    def from_object(self, obj: object | str) -> None:
        """Load the uppercase attributes of an object, or of what an import string names.

        A string may be `package.module`, `package.module.Class` or
        `package.module:Class`. Classes work too (their attributes are read
        without making an instance).
        """
        if isinstance(obj, str):
            obj = _import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Run a Python file and load its uppercase names; the path is relative to `root_path`.

        With `silent=True` a missing file returns False instead of raising.
        """
        filename = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = filename
        try:
            with open(filename, mode="rb") as config_file:
                exec(compile(config_file.read(), filename, "exec"), module.__dict__)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        self.from_object(module)
        return True

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file whose path is in the environment variable `variable_name`."""
        path = os.environ.get(variable_name)
        if not path:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set, so no configuration "
                "file could be loaded. Set it to the path of a configuration file."
            )
        return self.from_pyfile(path, silent=silent)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[IO[Any]], Mapping[str, Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a file with `load`, then its uppercase top-level keys.

        `json.load` reads JSON; `tomllib.load` reads TOML but needs `text=False`
        (binary mode). The path is relative to `root_path`; `silent=True`
        returns False for a missing file.
        """
        filename = os.path.join(self.root_path, filename)
        try:
            with open(filename, "r" if text else "rb") as f:
                obj = load(f)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        return self.from_mapping(obj)

    def from_mapping(self, mapping: Mapping[str, Any] | None = None, **kwargs: Any) -> bool:
        """Load the uppercase keys of a mapping and of the keyword arguments."""
        values: dict[str, Any] = {}
        if mapping is not None:
            values.update(mapping)
        values.update(kwargs)
        for key, value in values.items():
            if key.isupper():
                self[key] = value
        return True

    def from_prefixed_env(
        self, prefix: str = "FLASK", *, loads: Callable[[str], Any] = json.loads
    ) -> bool:
        """Load the environment variables that start with `PREFIX_`, without the prefix.

        The prefix is `FLASK` by default, as in Flask, so existing deployments
        keep working; pass `prefix="MYAPP"` for your own. Each value goes
        through `loads` (JSON by default: `1` is an int, `true` a bool, `[1]` a
        list), and stays a string when it does not parse. `__` nests:
        `FLASK_DB__HOST=db` sets `config["DB"]["HOST"]`, creating the dict.
        Variables are applied in sorted order.
        """
        start = f"{prefix}_"
        for name in sorted(os.environ):
            if not name.startswith(start):
                continue
            raw = os.environ[name]
            try:
                value: Any = loads(raw)
            except Exception:
                value = raw
            *parents, leaf = name[len(start) :].split("__")
            target: dict[str, Any] = self
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, Any]:
        """The keys that start with `namespace` (such as `"IMAGE_STORE_"`), as a new dict.

        ```python
        app.config["IMAGE_STORE_PATH"] = "/var/images"
        app.config.get_namespace("IMAGE_STORE_")  # {"path": "/var/images"}
        ```
        """
        rv: dict[str, Any] = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            name = key[len(namespace) :] if trim_namespace else key
            rv[name.lower() if lowercase else name] = value
        return rv

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


# -- the instance folder ---------------------------------------------------------------------------
def _import_location(import_name: str) -> str:
    """The `sys.path` entry `import_name` is imported from (the working directory if unknown)."""
    top = import_name.partition(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):  # `__main__` without a spec, or an invalid name
        spec = None
    if spec is None:
        return os.getcwd()
    locations = list(spec.submodule_search_locations or ())
    if not locations:  # a plain module
        return os.path.dirname(spec.origin) if spec.origin else os.getcwd()
    if spec.origin not in (None, "namespace"):  # a package with an __init__.py
        return os.path.dirname(os.path.dirname(spec.origin))
    # A namespace package may span folders: use the one holding the submodule.
    chosen = locations[0]
    try:
        sub = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        sub = None
    where = (sub.origin if sub is not None else None) or ""
    for location in locations:
        if where.startswith(os.path.join(location, "")):
            chosen = location
    return os.path.dirname(chosen)


def _install_prefix(location: str) -> str | None:
    """The installation prefix when `location` is the interpreter's or a site-packages dir."""
    py_prefix = os.path.abspath(sys.prefix)
    if location == py_prefix or location.startswith(os.path.join(py_prefix, "")):
        return py_prefix
    parent, folder = os.path.split(location)
    if folder.lower() != "site-packages":
        return None
    grandparent, lib = os.path.split(parent)
    if lib.lower() == "lib":  # prefix/Lib/site-packages (Windows)
        return grandparent
    if os.path.basename(grandparent).lower() == "lib":  # prefix/lib/pythonX.Y/site-packages
        return os.path.dirname(grandparent)
    return parent


def find_instance_path(import_name: str, app_name: str) -> str:
    """Flask's default instance folder for an app created in module `import_name`.

    `instance` next to the module, or next to the top-level package (not
    inside it); for an installed package, `<prefix>/var/<app_name>-instance`.
    """
    location = _import_location(import_name)
    prefix = _install_prefix(location)
    if prefix is None:
        return os.path.join(location, "instance")
    return os.path.join(prefix, "var", f"{app_name}-instance")
