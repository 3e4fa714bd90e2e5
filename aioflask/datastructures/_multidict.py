"""Multi-value dicts: `request.args`, `request.form`, `request.values`.

`MultiDict` is Werkzeug's own class. The two immutable kinds are Werkzeug's
too, subclassed only to make them awaitable (see `_Awaitable`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, TypeVar

from werkzeug.datastructures import CombinedMultiDict as _WerkzeugCombinedMultiDict
from werkzeug.datastructures import ImmutableMultiDict as _WerkzeugImmutableMultiDict
from werkzeug.datastructures import MultiDict as MultiDict

if TYPE_CHECKING:
    from typing_extensions import Self

K = TypeVar("K")
V = TypeVar("V")


class _Awaitable:
    """Awaiting the object gives the object itself, without suspending.

    Quart exposes form data through awaitables (`form = await request.form`).
    aioflask reads the body before the view runs, so the data is already
    there; this lets code written for Quart run unchanged.
    """

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, Self]:
        yield from ()
        return self


class ImmutableMultiDict(_Awaitable, _WerkzeugImmutableMultiDict[K, V]):  # type: ignore[misc]
    """Werkzeug's `ImmutableMultiDict` (`request.args`, `request.form`), also awaitable.

    It stays an instance of `werkzeug.datastructures.MultiDict`, so
    extensions' `isinstance` checks hold; the subclass only adds `__await__`
    for Quart-style code.
    """


class CombinedMultiDict(_Awaitable, _WerkzeugCombinedMultiDict[K, V]):  # type: ignore[misc]
    """Werkzeug's `CombinedMultiDict` (`request.values`), also awaitable like `request.form`."""
