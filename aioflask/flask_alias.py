"""Let code written for Flask import aioflask: `import flask` gives `aioflask`.

Opt in with one line, before anything imports `flask`:

```python
import aioflask.flask_alias  # noqa: F401  (importing it installs the alias)
```

or, for a test suite you do not want to touch, load it as a pytest plugin:

```sh
pytest -p aioflask.flask_alias
```

From then on `import flask`, `from flask import request` and
`import flask.globals` (any `flask.X`) return aioflask's own module objects,
so `flask.request is aioflask.request`, and an extension that does
`from flask import current_app` works with an `aioflask.Flask` app. A
`flask.X` with no `aioflask.X` raises `ModuleNotFoundError` naming both.

The alias wins over an installed Flask: it is consulted before the normal
import path. It cannot replace a Flask that was already imported, since code
would then hold two different `request` objects; `install()` raises
`RuntimeError` in that case.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["FlaskAliasFinder", "install", "installed", "uninstall"]

_ALIAS = "flask"
_TARGET = "aioflask"


def _target_name(fullname: str) -> str | None:
    """`aioflask.X` for `flask.X` (and `aioflask` for `flask`); None for any other name."""
    if fullname == _ALIAS:
        return _TARGET
    if fullname.startswith(_ALIAS + "."):
        return _TARGET + fullname[len(_ALIAS) :]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands out the already-imported `aioflask.X` module for `flask.X`; runs no code."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._own_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        # importlib keeps the __name__, __file__ and __loader__ of a module a
        # loader hands back, but sets its __spec__ to the alias's spec.
        module = importlib.import_module(self.target)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The module ran when aioflask imported it; only its own spec is put back.
        module.__spec__ = self._own_spec


class FlaskAliasFinder(importlib.abc.MetaPathFinder):
    """A `sys.meta_path` finder that answers for `flask` and `flask.*` with aioflask's modules."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        name = _target_name(fullname)
        if name is None:
            return None
        if name not in sys.modules and importlib.util.find_spec(name) is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: the flask alias maps it to {name!r}, "
                f"which aioflask does not have.",
                name=fullname,
            )
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(name))


_finder = FlaskAliasFinder()


def _foreign_flask_modules() -> list[str]:
    """Names of `flask` modules in `sys.modules` that are not aioflask's."""
    foreign = []
    for key, module in list(sys.modules.items()):
        name = _target_name(key)
        if name is not None and module is not sys.modules.get(name):
            foreign.append(key)
    return sorted(foreign)


def installed() -> bool:
    """True when `import flask` gives aioflask."""
    return _finder in sys.meta_path


def install() -> None:
    """Make `flask` and `flask.*` imports give aioflask's modules (idempotent).

    Raises `RuntimeError` if the real Flask (or any module under the `flask`
    name that is not aioflask's) was imported before: install the alias
    before anything imports flask.
    """
    foreign = _foreign_flask_modules()
    if foreign:
        first = sys.modules[foreign[0]]
        where = getattr(first, "__file__", None) or "an unknown location"
        raise RuntimeError(
            f"Cannot alias 'flask' to 'aioflask': {foreign[0]!r} was already imported "
            f"from {where}, so some code already holds the real Flask. Install the alias "
            "before anything imports flask: put 'import aioflask.flask_alias' first in your "
            "entry point, or run pytest with '-p aioflask.flask_alias'."
        )
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    # Register the aioflask modules already loaded under their flask names now. A
    # later first import of one of them would otherwise set it as an attribute of
    # its parent package, which for `flask.websocket` would replace the
    # `websocket` proxy on the package with the module.
    for key, module in list(sys.modules.items()):
        if key == _TARGET or key.startswith(_TARGET + "."):
            sys.modules.setdefault(_ALIAS + key[len(_TARGET) :], module)


def uninstall() -> None:
    """Undo `install()`: remove the finder and the `flask` entries it made in `sys.modules`."""
    while _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for key in list(sys.modules):
        name = _target_name(key)
        if name is not None and sys.modules[key] is sys.modules.get(name):
            del sys.modules[key]


install()
