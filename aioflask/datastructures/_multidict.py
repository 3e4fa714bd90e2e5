"""Multi-value dicts: `request.args`, `request.form`, `request.values`."""

from __future__ import annotations

import copy
from collections.abc import (
    Callable,
    Generator,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
)
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, Union, overload

from starlette.datastructures import ImmutableMultiDict as _StarletteMultiDict

from ..exceptions import BadRequestKeyError

if TYPE_CHECKING:
    from typing_extensions import Self


V = TypeVar("V")
T = TypeVar("T")


class _Missing:
    """Sentinel type for "no default given"."""

    def __repr__(self) -> str:
        return "<missing>"


_missing: Any = _Missing()

MultiDictSource = Union[
    "MultiDict[V]",
    Mapping[str, V | list[V] | tuple[V, ...] | set[V]],
    Iterable[tuple[str, V]],
]
"""What a `MultiDict` can be built from or updated with."""


def _iter_multi_items(source: Any) -> Iterator[tuple[str, Any]]:
    """Yield every `(key, value)` pair of a mapping, multi-dict or pair iterable.

    Plain mappings whose values are lists, tuples or sets contribute one pair
    per element.
    """
    if isinstance(source, MultiDict):
        yield from source.items(multi=True)
    elif isinstance(source, _StarletteMultiDict):
        yield from source.multi_items()
    elif isinstance(source, Mapping):
        for key, value in source.items():
            if isinstance(value, (list, tuple, set)):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from source


# ---------------------------------------------------------------------------
# Multi-dicts
# ---------------------------------------------------------------------------


class MultiDict(Mapping[str, V]):
    """A mapping that keeps every value given for a key.

    HTML forms and query strings may repeat a field (`?tag=a&tag=b`). Item
    access and `get` return the first value; `getlist` returns them all. A
    missing key raises `BadRequestKeyError`, which is a `KeyError` and, if not
    caught, a 400 response.

    Build one from a mapping (list, tuple and set values give several values),
    from an iterable of `(key, value)` pairs, or from another multi-dict
    (including Starlette's `FormData` and `QueryParams`). `update` adds values
    rather than replacing them.
    """

    __slots__ = ("_data",)

    def __init__(self, mapping: MultiDictSource[V] | None = None) -> None:
        data: dict[str, list[V]] = {}
        self._data = data
        if mapping is None:
            return
        if type(mapping) is list or type(mapping) is tuple:
            # Pairs from a parser: the common case, kept free of ABC checks.
            for key, value in mapping:
                values = data.get(key)
                if values is None:
                    data[key] = [value]
                else:
                    values.append(value)
            return
        if isinstance(mapping, MultiDict):
            for key, values in mapping.lists():
                data[key] = values
        elif isinstance(mapping, Mapping) and not isinstance(mapping, _StarletteMultiDict):
            for key, value in mapping.items():
                if isinstance(value, (list, tuple, set)):
                    if value:
                        data[key] = list(value)
                else:
                    data[key] = [value]
        else:
            for key, value in _iter_multi_items(mapping):
                if key in data:
                    data[key].append(value)
                else:
                    data[key] = [value]

    # -- reading ------------------------------------------------------------

    def __getitem__(self, key: str) -> V:
        """Return the first value for `key`; raise `BadRequestKeyError` if absent."""
        values = self._data.get(key)
        if values:
            return values[0]
        raise BadRequestKeyError(key)

    @overload
    def get(self, key: str) -> V | None: ...
    @overload
    def get(self, key: str, default: V) -> V: ...
    @overload
    def get(self, key: str, default: T) -> V | T: ...
    @overload
    def get(self, key: str, *, type: Callable[[V], T]) -> T | None: ...
    @overload
    def get(self, key: str, default: T, type: Callable[[V], T]) -> T: ...
    def get(self, key: str, default: Any = None, type: Callable[[V], Any] | None = None) -> Any:
        """Return the first value for `key`, or `default` when there is none.

        With `type`, the value is passed through it (`get("page", 1, type=int)`);
        if that raises `ValueError` or `TypeError`, `default` is returned.
        """
        values = self._data.get(key)
        if not values:
            return default
        if type is None:
            return values[0]
        try:
            return type(values[0])
        except (ValueError, TypeError):
            return default

    @overload
    def getlist(self, key: str) -> list[V]: ...
    @overload
    def getlist(self, key: str, type: Callable[[V], T]) -> list[T]: ...
    def getlist(self, key: str, type: Callable[[V], Any] | None = None) -> list[Any]:
        """Return a new list of all values for `key` (empty when absent).

        With `type`, each value is converted; values it rejects with
        `ValueError` or `TypeError` are left out.
        """
        values = self._data.get(key)
        if not values:
            return []
        if type is None:
            return list(values)
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                continue
        return result

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def keys(self) -> KeysView[str]:
        """Return a view of the keys."""
        return self._data.keys()

    def items(self, multi: bool = False) -> Iterator[tuple[str, V]]:  # type: ignore[override]
        """Iterate over `(key, first value)` pairs, or every pair when `multi` is true."""
        if multi:
            for key, values in self._data.items():
                for value in values:
                    yield key, value
        else:
            for key, values in self._data.items():
                if values:
                    yield key, values[0]

    def values(self) -> Iterator[V]:  # type: ignore[override]
        """Iterate over the first value of every key."""
        for values in self._data.values():
            if values:
                yield values[0]

    def lists(self) -> Iterator[tuple[str, list[V]]]:
        """Iterate over `(key, list of values)` pairs; the lists are copies."""
        for key, values in self._data.items():
            yield key, list(values)

    def listvalues(self) -> Iterator[list[V]]:
        """Iterate over the list of values of every key (copies)."""
        for values in self._data.values():
            yield list(values)

    @overload
    def to_dict(self) -> dict[str, V]: ...
    @overload
    def to_dict(self, flat: bool) -> dict[str, V] | dict[str, list[V]]: ...
    def to_dict(self, flat: bool = True) -> dict[str, V] | dict[str, list[V]]:
        """Return a plain dict: first values when `flat`, else lists of all values."""
        if flat:
            return dict(self.items())
        return dict(self.lists())

    def copy(self) -> MultiDict[V]:
        """Return a shallow copy of the same (mutable) class."""
        return type(self)(self)

    def deepcopy(self, memo: dict[int, Any] | None = None) -> MultiDict[V]:
        """Return a mutable copy whose values are deep copies."""
        return MultiDict(copy.deepcopy(self.to_dict(flat=False), memo))

    def __copy__(self) -> MultiDict[V]:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> MultiDict[V]:
        return self.deepcopy(memo)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return self.to_dict(flat=False) == other.to_dict(flat=False)
        if isinstance(other, Mapping):
            # Like a dict of lists, which is how Werkzeug's MultiDict compares.
            return self.to_dict(flat=False) == dict(other)
        return False

    __hash__ = None  # type: ignore[assignment]

    def __or__(self, other: Mapping[str, Any]) -> MultiDict[V]:
        if not isinstance(other, Mapping):
            return NotImplemented
        result = self.copy()
        result.update(other)
        return result

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (list(self.items(multi=True)),)

    # -- writing ------------------------------------------------------------

    def __setitem__(self, key: str, value: V) -> None:
        """Replace all values of `key` with `value`."""
        self._data[key] = [value]

    def __delitem__(self, key: str) -> None:
        try:
            del self._data[key]
        except KeyError:
            raise BadRequestKeyError(key) from None

    def add(self, key: str, value: V) -> None:
        """Append `value` to the values of `key`."""
        values = self._data.get(key)
        if values is None:
            self._data[key] = [value]
        else:
            values.append(value)

    def setlist(self, key: str, new_list: Iterable[V]) -> None:
        """Replace all values of `key` with the items of `new_list` (copied)."""
        self._data[key] = list(new_list)

    def setdefault(self, key: str, default: V | None = None) -> V:
        """Return the first value of `key`, setting it to `default` first if absent."""
        values = self._data.get(key)
        if not values:
            values = self._data[key] = [default]  # type: ignore[list-item]
        return values[0]

    def setlistdefault(self, key: str, default_list: Iterable[V] | None = None) -> list[V]:
        """Return the internal list of values of `key`, creating it if absent.

        The returned list is the one stored, so appending to it adds values.
        """
        values = self._data.get(key)
        if values is None:
            values = self._data[key] = list(default_list or ())
        return values

    @overload
    def pop(self, key: str) -> V: ...
    @overload
    def pop(self, key: str, default: V | T) -> V | T: ...
    def pop(self, key: str, default: Any = _missing) -> Any:
        """Remove `key` and return its first value (or `default` when absent)."""
        values = self._data.pop(key, None)
        if values:
            return values[0]
        if default is not _missing:
            return default
        raise BadRequestKeyError(key)

    def poplist(self, key: str) -> list[V]:
        """Remove `key` and return all its values (empty list when absent)."""
        return self._data.pop(key, [])

    def popitem(self) -> tuple[str, V]:
        """Remove the last key and return it with its first value."""
        try:
            key, values = self._data.popitem()
        except KeyError:
            raise BadRequestKeyError() from None
        if not values:
            raise BadRequestKeyError(key)
        return key, values[0]

    def popitemlist(self) -> tuple[str, list[V]]:
        """Remove the last key and return it with all its values."""
        try:
            return self._data.popitem()
        except KeyError:
            raise BadRequestKeyError() from None

    def update(self, mapping: MultiDictSource[V] | None = None, /, **kwargs: V) -> None:
        """Add the values of `mapping` and `kwargs`, keeping the existing ones.

        Unlike `dict.update` this extends: `{"a": [1]}` updated with
        `{"a": 2}` holds `[1, 2]`.
        """
        if mapping is not None:
            for key, value in _iter_multi_items(mapping):
                self.add(key, value)
        for key, value in kwargs.items():
            self.add(key, value)

    def clear(self) -> None:
        """Remove every key."""
        self._data.clear()

    def __ior__(self, other: Mapping[str, Any]) -> Self:
        self.update(other)
        return self


class ImmutableMultiDict(MultiDict[V]):
    """A `MultiDict` that cannot be changed; `request.form` and `request.args` are these.

    Every method that would modify it raises `TypeError`; call `copy()` for a
    mutable `MultiDict`. An instance can also be awaited and returns itself,
    so code written for Quart (`form = await request.form`) runs unchanged.
    """

    __slots__ = ()

    def _fail(self) -> NoReturn:
        raise TypeError(
            f"{type(self).__name__!r} objects are immutable; call .copy() to get a mutable "
            "MultiDict and change that."
        )

    def __setitem__(self, key: str, value: V) -> NoReturn:
        self._fail()

    def __delitem__(self, key: str) -> NoReturn:
        self._fail()

    def __ior__(self, other: Mapping[str, Any]) -> NoReturn:
        self._fail()

    def add(self, key: str, value: V) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def setlist(self, key: str, new_list: Iterable[V]) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def setdefault(self, key: str, default: V | None = None) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def setlistdefault(self, key: str, default_list: Iterable[V] | None = None) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def pop(self, key: str, default: Any = _missing) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def poplist(self, key: str) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def popitem(self) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def popitemlist(self) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def update(self, mapping: MultiDictSource[V] | None = None, /, **kwargs: V) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def clear(self) -> NoReturn:
        """Not supported: raises `TypeError`."""
        self._fail()

    def copy(self) -> MultiDict[V]:
        """Return a mutable `MultiDict` with the same data."""
        return MultiDict(self)

    def __copy__(self) -> Self:
        return self

    # Quart exposes form data through awaitables (`await request.form`). Our
    # request parses the body before the view runs, so the value is already
    # here; making the object awaitable (resolving to itself without
    # suspending) lets code written for Quart run unchanged.
    def __await__(self) -> Generator[Any, None, Self]:
        yield from ()
        return self


class CombinedMultiDict(ImmutableMultiDict[V]):
    """A read-only view over several multi-dicts, searched in order.

    `request.values` combines `request.args` and `request.form` this way:
    item access and `get` return the value from the first dict holding the
    key, `getlist` concatenates the values from all of them. Changes to the
    wrapped dicts show through.
    """

    __slots__ = ("dicts",)

    def __init__(self, dicts: Iterable[MultiDict[V]] | None = None) -> None:
        super().__init__()
        self.dicts: list[MultiDict[V]] = list(dicts or ())

    def __getitem__(self, key: str) -> V:
        for d in self.dicts:
            if key in d:
                return d[key]
        raise BadRequestKeyError(key)

    def get(self, key: str, default: Any = None, type: Callable[[V], Any] | None = None) -> Any:
        """Return the first value for `key` in the first dict holding it.

        With `type`, a value it rejects makes the search continue in the next
        dict; `default` is returned when nothing matches.
        """
        for d in self.dicts:
            if key in d:
                if type is None:
                    return d[key]
                try:
                    return type(d[key])
                except (ValueError, TypeError):
                    continue
        return default

    def getlist(self, key: str, type: Callable[[V], Any] | None = None) -> list[Any]:
        """Return the values for `key` from all dicts, in order."""
        result: list[Any] = []
        for d in self.dicts:
            result.extend(d.getlist(key, type))  # type: ignore[arg-type]
        return result

    def _keys(self) -> dict[str, None]:
        keys: dict[str, None] = {}
        for d in self.dicts:
            keys.update(dict.fromkeys(d.keys()))
        return keys

    def keys(self) -> KeysView[str]:
        """Return the keys of all dicts, each once, in first-seen order."""
        return self._keys().keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __contains__(self, key: object) -> bool:
        return any(key in d for d in self.dicts)

    def items(self, multi: bool = False) -> Iterator[tuple[str, V]]:  # type: ignore[override]
        """Iterate over `(key, first value)` pairs, or every pair when `multi` is true."""
        if multi:
            for d in self.dicts:
                yield from d.items(multi=True)
            return
        seen: set[str] = set()
        for d in self.dicts:
            for key, value in d.items():
                if key not in seen:
                    seen.add(key)
                    yield key, value

    def values(self) -> Iterator[V]:  # type: ignore[override]
        """Iterate over the first value of every key."""
        for _, value in self.items():
            yield value

    def lists(self) -> Iterator[tuple[str, list[V]]]:
        """Iterate over `(key, values from all dicts)` pairs."""
        combined: dict[str, list[V]] = {}
        for d in self.dicts:
            for key, values in d.lists():
                combined.setdefault(key, []).extend(values)
        return iter(combined.items())

    def listvalues(self) -> Iterator[list[V]]:
        """Iterate over the combined value lists."""
        for _, values in self.lists():
            yield values

    def copy(self) -> MultiDict[V]:
        """Return a mutable `MultiDict` snapshot of the combined data."""
        return MultiDict(self)

    def __copy__(self) -> Self:
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dicts!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.dicts,)


# ---------------------------------------------------------------------------
# Header value helpers
# ---------------------------------------------------------------------------
