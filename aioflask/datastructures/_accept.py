"""`Accept*` header parsing: `MIMEAccept`, `LanguageAccept`, `CharsetAccept`."""

from __future__ import annotations

import codecs
from collections.abc import (
    Iterable,
    Iterator,
)
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ._headers import dump_options_header, parse_list_header, parse_options_header

if TYPE_CHECKING:
    from typing_extensions import Self


V = TypeVar("V")
T = TypeVar("T")


def _parse_quality(text: str) -> float | None:
    """Return a q-value in [0, 1], or None when it is malformed."""
    text = text.strip(" \t")
    head, dot, tail = text.partition(".")
    if head.startswith("-"):
        head = head[1:]
    if not head.isdigit() or not head.isascii():
        return None
    if dot and (not tail.isdigit() or not tail.isascii()):
        return None
    quality = float(text)
    if quality < 0 or quality > 1:
        return None
    return quality


class Accept:
    """A parsed `Accept*` header: `(value, quality)` pairs, best first.

    Entries are ordered by specificity, then quality, keeping the header's
    order among equals. Indexing with an int gives a pair; indexing with a
    string, or `quality(value)`, gives that value's quality (0 when not
    accepted). `value in accept` tests whether the header mentions a
    matching entry (wildcards included), and `best_match` picks the server
    option the client prefers. `provided` is false when the request had no
    such header at all.
    """

    __slots__ = ("_items", "provided")

    def __init__(self, values: Accept | Iterable[tuple[str, float]] | str | None = ()) -> None:
        if isinstance(values, str):
            # A raw header value, as in `MIMEAccept(request.headers.get("accept"))`.
            values = _parse_accept_entries(values) if values else None
        if values is None:
            self._items: tuple[tuple[str, float], ...] = ()
            self.provided = False
        elif isinstance(values, Accept):
            self._items = values._items
            self.provided = values.provided
        else:
            self.provided = True
            self._items = tuple(
                sorted(
                    values,
                    key=lambda item: (self._specificity(item[0]), item[1]),
                    reverse=True,
                )
            )
        self._prepare()

    def _prepare(self) -> None:
        """Hook for subclasses to precompute per-entry data."""

    @classmethod
    def from_header(cls, value: str | None) -> Self:
        """Parse a header value; `None` or empty gives an empty, unprovided instance."""
        return cls(value)

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return (value != "*",)

    def _first_match(self, value: str) -> int:
        """Return the index of the first client entry matching `value`, or -1."""
        wanted = value.lower()
        for index, (item, _) in enumerate(self._items):
            if item == "*" or item.lower() == wanted:
                return index
        return -1

    @overload
    def __getitem__(self, key: str) -> float: ...
    @overload
    def __getitem__(self, key: int) -> tuple[str, float]: ...
    @overload
    def __getitem__(self, key: slice) -> list[tuple[str, float]]: ...
    def __getitem__(
        self, key: str | int | slice
    ) -> float | tuple[str, float] | list[tuple[str, float]]:
        if isinstance(key, str):
            return self.quality(key)
        if isinstance(key, slice):
            return list(self._items[key])
        return self._items[key]

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[tuple[str, float]]:
        return iter(self._items)

    def __reversed__(self) -> Iterator[tuple[str, float]]:
        return reversed(self._items)

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return value in self._items
        return self._first_match(value) != -1

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Accept):
            return self._items == other._items
        if isinstance(other, (list, tuple)):
            return list(self._items) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def quality(self, key: str) -> float:
        """Return the quality the client gives `key` (0 when not accepted)."""
        index = self._first_match(key)
        return self._items[index][1] if index != -1 else 0

    def index(self, key: str | tuple[str, float], start: int = 0, stop: int = 2**63) -> int:
        """Return the position of the first entry matching `key`; raise `ValueError`."""
        if isinstance(key, str):
            index = self._first_match(key)
            if index == -1:
                raise ValueError(key)
            return index
        return self._items.index(key, start, stop)

    def find(self, key: str | tuple[str, float]) -> int:
        """Return the position of the first entry matching `key`, or -1."""
        try:
            return self.index(key)
        except ValueError:
            return -1

    def values(self) -> Iterator[str]:
        """Iterate over the accepted values, best first."""
        for value, _ in self._items:
            yield value

    @property
    def best(self) -> str | None:
        """The client's most preferred value, or `None` when empty."""
        return self._items[0][0] if self._items else None

    @overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @overload
    def best_match(self, matches: Iterable[str], default: T) -> str | T: ...
    def best_match(self, matches: Iterable[str], default: Any = None) -> Any:
        """Return the entry of `matches` the client prefers most, or `default`.

        Each server option is compared with the most specific client entry it
        matches; options with quality 0 (explicitly refused) are never picked.
        Higher quality wins, then higher specificity, then earlier position in
        `matches`.
        """
        result = default
        best_quality: float = -1
        best_specificity: tuple[bool, ...] = (False,)
        for server_value in matches:
            index = self._first_match(server_value)
            if index == -1:
                continue
            client_value, quality = self._items[index]
            if quality <= 0 or quality < best_quality:
                continue
            specificity = self._specificity(client_value)
            if quality > best_quality or specificity > best_specificity:
                result = server_value
                best_quality = quality
                best_specificity = specificity
        return result

    def to_header(self) -> str:
        """Serialize back to a header value."""
        parts = []
        for value, quality in self._items:
            parts.append(value if quality == 1 else f"{value};q={quality}")
        return ",".join(parts)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        pairs = ", ".join(f"({value!r}, {quality})" for value, quality in self._items)
        return f"{type(self).__name__}([{pairs}])"


_TAccept = TypeVar("_TAccept", bound=Accept)


@overload
def parse_accept_header(value: str | None) -> Accept: ...
@overload
def parse_accept_header(value: str | None, cls: type[_TAccept]) -> _TAccept: ...
def parse_accept_header(value: str | None, cls: type[Accept] = Accept) -> Accept:
    """Parse an `Accept`-style header into an instance of `cls`.

    Entries with a malformed or out-of-range `q` are skipped; other
    parameters stay part of the value (`"text/html; level=1"`). Runs in time
    linear in the header length (plus sorting the entries). `cls(value)`
    does the same.
    """
    if not value:
        return cls(None)
    return cls(_parse_accept_entries(value))


def _parse_accept_entries(value: str) -> list[tuple[str, float]]:
    entries: list[tuple[str, float]] = []
    for item in parse_list_header(value):
        main, params = parse_options_header(item)
        quality = 1.0
        if "q" in params:
            parsed = _parse_quality(params.pop("q"))
            if parsed is None:
                continue
            quality = parsed
        if params:
            main = dump_options_header(main, params)
        if main:
            entries.append((main, quality))
    return entries


def _split_mime(value: str) -> tuple[str, str, list[str]]:
    """Split a media range into lower-cased type, subtype and sorted parameters."""
    value = value.lower()
    if ";" not in value:
        kind, _, subtype = value.partition("/")
        return kind.strip(" \t"), subtype.strip(" \t"), []
    parts = [part.strip(" \t") for part in value.split(";")]
    kind, _, subtype = parts[0].partition("/")
    return kind.strip(" \t"), subtype.strip(" \t"), sorted(parts[1:])


class MIMEAccept(Accept):
    """The parsed `Accept` header (`request.accept_mimetypes`).

    `*/*` matches every type and `text/*` every `text` subtype; media-type
    parameters must match exactly. Server values passed to `best_match`,
    `quality` and `in` must look like `type/subtype`, else `ValueError`.
    """

    __slots__ = ("_parsed",)

    def _prepare(self) -> None:
        parsed: list[tuple[str, str, list[str]] | None] = []
        for item, _ in self._items:
            if "/" not in item:
                parsed.append(None)
                continue
            kind, subtype, params = _split_mime(item)
            # "*/html" is meaningless; only "*/*" may start with a wildcard.
            parsed.append(None if kind == "*" and subtype != "*" else (kind, subtype, params))
        self._parsed = parsed

    def _specificity(self, value: str) -> tuple[bool, ...]:
        if ";" not in value:
            kind, slash, subtype = value.partition("/")
            if slash and "/" not in subtype:
                return (kind.strip(" \t") != "*", subtype.strip(" \t") != "*")
        return tuple(piece.strip(" \t") != "*" for piece in value.replace("/", ";").split(";"))

    def _first_match(self, value: str) -> int:
        if "/" not in value:
            raise ValueError(f"Invalid mimetype {value!r}; use the form 'type/subtype'.")
        kind, subtype, params = _split_mime(value)
        if kind == "*" and subtype != "*":
            raise ValueError(f"Invalid mimetype {value!r}; only '*/*' may start with '*'.")
        for index, entry in enumerate(self._parsed):
            if entry is None:
                continue
            item_kind, item_subtype, item_params = entry
            if item_kind == "*" or kind == "*":
                return index
            if item_kind != kind:
                continue
            if item_subtype == "*" or subtype == "*":
                return index
            if item_subtype == subtype and item_params == params:
                return index
        return -1

    @property
    def accept_html(self) -> bool:
        """Whether HTML (`text/html` or an XHTML type) is accepted."""
        return self._first_match("text/html") != -1 or self.accept_xhtml

    @property
    def accept_xhtml(self) -> bool:
        """Whether XHTML (`application/xhtml+xml` or `application/xml`) is accepted."""
        return (
            self._first_match("application/xhtml+xml") != -1
            or self._first_match("application/xml") != -1
        )

    @property
    def accept_json(self) -> bool:
        """Whether `application/json` is accepted."""
        return self._first_match("application/json") != -1


def _lang_parts(value: str) -> list[str]:
    return value.lower().replace("_", "-").split("-")


class LanguageAccept(Accept):
    """The parsed `Accept-Language` header (`request.accept_languages`).

    Tags compare case-insensitively with `-` and `_` treated alike.
    `best_match` falls back to primary tags: a client asking for `en-US`
    matches a server `en`, and a client asking for `en` matches `en-GB`.
    """

    __slots__ = ("_parsed",)

    def _prepare(self) -> None:
        self._parsed = [_lang_parts(item) for item, _ in self._items]

    def _first_match(self, value: str) -> int:
        wanted = _lang_parts(value)
        for index, (item, _) in enumerate(self._items):
            if item == "*" or self._parsed[index] == wanted:
                return index
        return -1

    @overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @overload
    def best_match(self, matches: Iterable[str], default: T) -> str | T: ...
    def best_match(self, matches: Iterable[str], default: Any = None) -> Any:
        """Return the supported language the client prefers most, or `default`.

        Exact tag matches are tried first, then the client's primary tags
        against `matches`, then `matches`' primary tags against the client's.
        The returned value is always an item of `matches`.
        """
        options = list(matches)
        result = super().best_match(options)
        if result is not None:
            return result
        primary = Accept([(_lang_parts(item)[0], quality) for item, quality in self._items])
        result = primary.best_match(options)
        if result is not None:
            return result
        primaries = [_lang_parts(option)[0] for option in options]
        found = super().best_match(primaries)
        if found is not None:
            return options[primaries.index(found)]
        return default


def _charset_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


class CharsetAccept(Accept):
    """The parsed `Accept-Charset` header; names compare after codec normalisation."""

    __slots__ = ("_parsed",)

    def _prepare(self) -> None:
        self._parsed = [_charset_name(item) for item, _ in self._items]

    def _first_match(self, value: str) -> int:
        wanted = _charset_name(value)
        for index, (item, _) in enumerate(self._items):
            if item == "*" or self._parsed[index] == wanted:
                return index
        return -1


# ---------------------------------------------------------------------------
# Authorization and User-Agent
# ---------------------------------------------------------------------------
