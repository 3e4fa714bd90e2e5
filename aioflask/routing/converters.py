"""Converters: how one `<converter:name>` rule variable matches and is built."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from .map import Map

_PATH_SAFE = "!$&'()*+,/:;=@"


class ValidationError(ValueError):
    """Raised by a converter's `to_python` to reject a value.

    The rule then does not match the request, which normally ends in a 404.
    """


class BaseConverter:
    """Base class of converters, which match and convert one rule variable.

    `regex` matches one value, `weight` orders rules (lower is tried first) and
    `part_isolating` is false when `regex` can match a slash; a subclass that
    sets `regex` but not `part_isolating` gets it from whether the regex has a `/`.
    """

    regex: str = "[^/]+"
    weight: int = 100
    part_isolating: bool = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "regex" in cls.__dict__ and "part_isolating" not in cls.__dict__:
            cls.part_isolating = "/" not in cls.regex

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        self.map = map

    def to_python(self, value: str) -> Any:
        """Convert the matched text into the value the view receives."""
        return value

    def to_url(self, value: Any) -> str:
        """Turn a value into percent-encoded text for a URL path."""
        return quote(str(value), safe=_PATH_SAFE)


class UnicodeConverter(BaseConverter):
    """The default converter: any text without a slash.

    `minlength` (default 1) and `maxlength` bound its length; `length` fixes it.
    """

    def __init__(
        self, map: Map, minlength: int = 1, maxlength: int | None = None, length: int | None = None
    ) -> None:
        super().__init__(map)
        if length is not None:
            self.regex = f"[^/]{{{int(length)}}}"
        else:
            upper = "" if maxlength is None else str(int(maxlength))
            self.regex = f"[^/]{{{int(minlength)},{upper}}}"


class AnyConverter(BaseConverter):
    """Matches exactly one of its items, as in `<any(about, help):page>`.

    Building a URL with a value that is not one of the items raises `ValueError`.
    """

    def __init__(self, map: Map, *items: Any) -> None:
        super().__init__(map)
        self.items = [str(item) for item in items]
        self.regex = "(?:" + "|".join(re.escape(item) for item in self.items) + ")"

    def to_url(self, value: Any) -> str:
        """Return the quoted value after checking that it is one of the items."""
        if str(value) not in self.items:
            allowed = ", ".join(repr(item) for item in sorted(self.items))
            raise ValueError(f"{value!r} is not one of {allowed}; pass one of those values.")
        return super().to_url(value)


class PathConverter(BaseConverter):
    """Like the default converter but also matches slashes, for nested paths."""

    regex = "[^/].*?"
    weight = 200
    part_isolating = False


class _NumberConverter(BaseConverter):
    """Shared behaviour of the integer and float converters."""

    weight = 50

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map)
        if signed:
            self.regex = "-?" + type(self).regex
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed

    def _convert(self, value: Any) -> Any:
        return int(value)

    def to_python(self, value: str) -> Any:
        """Convert the text, rejecting a wrong digit count or an out-of-range value."""
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        try:
            number = self._convert(value)
        except ValueError:
            raise ValidationError() from None
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        """Format the number, zero-padded to `fixed_digits` when that is set."""
        text = str(self._convert(value))
        return text.zfill(self.fixed_digits) if self.fixed_digits else text


class IntegerConverter(_NumberConverter):
    """Matches a non-negative integer, or a negative one too with `signed=True`.

    `fixed_digits` demands exactly that many digits; `min` and `max` bound the value.
    """

    regex = r"\d+"


class FloatConverter(_NumberConverter):
    """Matches a decimal number written with a dot, such as `1.5` (not `1`)."""

    regex = r"\d+\.\d+"

    def __init__(
        self, map: Map, min: float | None = None, max: float | None = None, signed: bool = False
    ) -> None:
        super().__init__(map, min=min, max=max, signed=signed)

    def _convert(self, value: Any) -> Any:
        return float(value)


class UUIDConverter(BaseConverter):
    """Matches a hyphenated hex UUID and passes a `uuid.UUID`."""

    regex = r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"

    def to_python(self, value: str) -> uuid.UUID:
        """Return the matched text as a `uuid.UUID`."""
        return uuid.UUID(value)

    def to_url(self, value: Any) -> str:
        """Return the UUID's standard text form."""
        return str(value)


DEFAULT_CONVERTERS: dict[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "any": AnyConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
}
