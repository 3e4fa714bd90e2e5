"""JSON helpers that follow the current application's settings.

Inside an application context, `dumps`, `dump`, `loads` and `load` go through
`current_app.json`, the application's JSON provider, so its options and any
custom provider apply. Outside one they use the standard library's `json`
with the same `default` hook for dates, decimals, UUIDs, dataclasses and
`Markup`. `jsonify` builds a JSON response and needs an application context.
"""

from __future__ import annotations

import json as _json
from typing import IO, TYPE_CHECKING, Any, AnyStr

from ..globals import _cv_app, _get_app
from .provider import _default, _loads

if TYPE_CHECKING:
    from ..wrappers import Response

__all__ = ["dump", "dumps", "jsonify", "load", "loads"]


def dumps(obj: Any, **kwargs: Any) -> str:
    """Serialize `obj` to a JSON string.

    Uses `current_app.json.dumps` inside an application context; otherwise
    `json.dumps` with the extra-types `default` hook. `kwargs` are passed on.
    """
    ctx = _cv_app.get(None)
    if ctx is not None:
        return ctx.app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def dump(obj: Any, fp: IO[str], **kwargs: Any) -> None:
    """Serialize `obj` as JSON into the text file `fp`, like `dumps`."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        ctx.app.json.dump(obj, fp, **kwargs)
        return
    kwargs.setdefault("default", _default)
    _json.dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: Any) -> Any:
    """Parse a JSON document given as text or UTF-8 bytes.

    Uses `current_app.json.loads` inside an application context; otherwise
    `json.loads`. Nesting too deep to parse raises `json.JSONDecodeError`
    (a `ValueError`), not `RecursionError`.
    """
    ctx = _cv_app.get(None)
    if ctx is not None:
        return ctx.app.json.loads(s, **kwargs)
    return _loads(s, **kwargs)


def load(fp: IO[AnyStr], **kwargs: Any) -> Any:
    """Parse the JSON document read from the file `fp`, like `loads`."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        return ctx.app.json.load(fp, **kwargs)
    return _loads(fp.read(), **kwargs)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """Return an `application/json` response holding the arguments as JSON.

    `jsonify(obj)` serializes `obj`; several positional arguments become a
    list and keyword arguments an object (not both at once). Returning a
    dict or list from a view does the same. Calls `current_app.json.response`,
    so it needs an application context and raises `RuntimeError` without one.
    """
    ctx = _cv_app.get(None)
    app = ctx.app if ctx is not None else _get_app()
    return app.json.response(*args, **kwargs)
