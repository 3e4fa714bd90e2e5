"""JSON providers: the object behind `app.json`.

An application creates one provider (`app.json_provider_class(app)`) and uses
it for `jsonify`, for dicts and lists returned from views, and for
`request.get_json()`. Subclass `JSONProvider` (or `DefaultJSONProvider`) to use
another JSON library or change the output; set the subclass as the
application's `json_provider_class`, or assign an instance to `app.json`.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
import weakref
from collections.abc import Callable
from datetime import date, datetime, time, timezone
from email.utils import format_datetime
from typing import IO, TYPE_CHECKING, Any, AnyStr, cast

if TYPE_CHECKING:
    from ..app import Flask
    from ..wrappers import Response

__all__ = ["DefaultJSONProvider", "JSONProvider"]


class JSONProvider:
    """Base class of JSON providers; subclasses implement `dumps` and `loads`.

    The application is kept as a weak proxy in `self._app`, so the provider
    does not keep its application alive. `dump`, `load` and `response` are
    built on `dumps` and `loads`.
    """

    def __init__(self, app: Flask) -> None:
        self._app: Flask = cast("Flask", weakref.proxy(app))

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize `obj` to a JSON string; `kwargs` go to the JSON library."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement dumps(); subclass DefaultJSONProvider "
            "to reuse the standard library implementation."
        )

    def dump(self, obj: Any, fp: IO[str], **kwargs: Any) -> None:
        """Serialize `obj` as JSON and write it to the text file `fp`."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a JSON document given as text or UTF-8 bytes."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement loads(); subclass DefaultJSONProvider "
            "to reuse the standard library implementation."
        )

    def load(self, fp: IO[AnyStr], **kwargs: Any) -> Any:
        """Parse the JSON document read from the file `fp` (text or binary)."""
        return self.loads(fp.read(), **kwargs)

    @staticmethod
    def _prepare_response_obj(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Apply the `jsonify` argument rules and return the object to serialize."""
        if kwargs:
            if args:
                raise TypeError(
                    "jsonify() and app.json.response() take either args or kwargs "
                    "(positional or keyword arguments), not both; pass a single dict instead."
                )
            return kwargs
        if len(args) == 1:
            return args[0]
        return list(args) if args else None

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """Serialize the arguments as JSON and return an `application/json` response.

        One positional argument is serialized as is, several become a list,
        keyword arguments become an object, and no arguments give `null`.
        Mixing positional and keyword arguments raises `TypeError`.
        """
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype="application/json")


def _as_utc(value: date) -> datetime:
    """Return `value` as an aware UTC datetime; naive values count as UTC already."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), tzinfo=timezone.utc)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    if value.tzinfo is not timezone.utc:
        return value.astimezone(timezone.utc)
    return value


def _default(o: Any) -> Any:
    """Convert the extra types Flask's JSON output supports, or raise `TypeError`."""
    if isinstance(o, date):
        return format_datetime(_as_utc(o), usegmt=True)
    if isinstance(o, (decimal.Decimal, uuid.UUID)):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _loads(s: str | bytes | bytearray, **kwargs: Any) -> Any:
    """`json.loads` that reports over-deep nesting as a decode error, not `RecursionError`."""
    try:
        return json.loads(s, **kwargs)
    except RecursionError:
        # A body like "[[[[..." nests deeper than the interpreter allows. That
        # is bad input, so surface it as the ValueError a parse error would be
        # (the request then answers 400 rather than 500).
        doc = s if isinstance(s, str) else ""
        raise json.JSONDecodeError("JSON document is nested too deeply", doc, 0) from None


class DefaultJSONProvider(JSONProvider):
    """JSON through the standard library's `json`, with Flask's defaults.

    Besides the usual JSON types it serializes `date` and `datetime` as HTTP
    date strings (naive values are taken as UTC), `Decimal` and `UUID` as
    strings, dataclass instances as dicts, and objects with an `__html__`
    method (such as `Markup`) as their HTML string. Change `ensure_ascii`,
    `sort_keys`, `compact` or `mimetype` on the instance or in a subclass.
    """

    default: Callable[[Any], Any] = staticmethod(_default)
    """Called for objects `json` cannot serialize; returns a serializable value or
    raises `TypeError`."""

    ensure_ascii = True
    """Escape non-ASCII characters as `\\uXXXX` sequences."""

    sort_keys = True
    """Sort object keys in the output (all keys must then be strings)."""

    compact: bool | None = None
    """`response()` formatting: `True` for no whitespace, `False` for indented
    output, `None` for indented in debug mode and compact otherwise."""

    mimetype = "application/json"
    """The mimetype of responses built by `response()`."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize `obj` with `json.dumps`.

        `default`, `ensure_ascii` and `sort_keys` come from this provider's
        attributes unless given in `kwargs`; other `kwargs` go to
        `json.dumps` unchanged.
        """
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON text or UTF-8 bytes with `json.loads`.

        Input nested too deeply to parse raises `json.JSONDecodeError` (a
        `ValueError`) instead of `RecursionError`.
        """
        return _loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """Serialize the arguments as JSON and return a response with `mimetype`.

        The argument rules are those of `jsonify`: one positional argument
        as is, several as a list, keyword arguments as an object, none as
        `null`. The body ends with a newline. It is compact unless `compact`
        is false, or `compact` is `None` and the application is in debug mode,
        in which case it is indented by two spaces.
        """
        obj = self._prepare_response_obj(args, kwargs)
        compact = self.compact
        pretty = compact is False or (compact is None and self._app.debug)
        if type(self).dumps is DefaultJSONProvider.dumps:
            # The usual case: skip building a new JSONEncoder per response.
            body = self._encoder(pretty).encode(obj)
        elif pretty:
            body = self.dumps(obj, indent=2)
        else:
            body = self.dumps(obj, separators=(",", ":"))
        return self._app.response_class(body + "\n", mimetype=self.mimetype)

    def _encoder(self, pretty: bool) -> json.JSONEncoder:
        """Return a cached encoder for the current settings (what `dumps` would build)."""
        key = (pretty, self.default, self.ensure_ascii, self.sort_keys)
        cache: dict[tuple[Any, ...], json.JSONEncoder] | None = self.__dict__.get("_encoders")
        if cache is None:
            cache = self.__dict__["_encoders"] = {}
        encoder = cache.get(key)
        if encoder is None:
            if len(cache) > 16:  # settings changed often; don't grow without bound
                cache.clear()
            encoder = cache[key] = json.JSONEncoder(
                default=self.default,
                ensure_ascii=self.ensure_ascii,
                sort_keys=self.sort_keys,
                indent=2 if pretty else None,
                separators=None if pretty else (",", ":"),
            )
        return encoder
