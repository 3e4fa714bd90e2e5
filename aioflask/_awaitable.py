"""Let `request.get_json()` be used both plainly and as `await request.get_json()`.

aioflask reads the body before the view runs, so the Flask spelling returns the
value directly. Code ported from Quart writes `await request.get_json()`. To
serve both, the accessor looks at the instruction its caller runs next: if it
is the `await` opcode, it returns an awaitable that resolves to the value,
otherwise the value itself. The answer is cached per call site, so the cost is
one frame lookup and one dict lookup. On interpreters without CPython frames
the plain value is returned.
"""

from __future__ import annotations

import dis
import sys
from collections.abc import Generator
from types import CodeType
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_AWAIT_OPS = frozenset({"GET_AWAITABLE"})
_sites: dict[tuple[CodeType, int], tuple[bool, bool]] = {}


def _inspect_site(code: CodeType, lasti: int) -> tuple[bool, bool]:
    # `f_lasti` may point into the inline cache entries that follow an
    # instruction (CPython 3.11+): the running instruction is the last one
    # starting at or before it, and the next one is the first one after it.
    current = None
    for ins in dis.get_instructions(code):
        if ins.offset > lasti:
            awaited = ins.opname in _AWAIT_OPS
            break
        current = ins
    else:
        awaited = False
    method_call = current is not None and (
        current.opname == "LOAD_METHOD"
        or (current.opname == "LOAD_ATTR" and sys.version_info >= (3, 12) and bool(current.arg or 0) & 1 == 1)
    )
    return awaited, method_call


def _site(depth: int) -> tuple[bool, bool]:
    try:
        frame = sys._getframe(depth + 1)
    except (AttributeError, ValueError):  # pragma: no cover - not CPython
        return False, False
    key = (frame.f_code, frame.f_lasti)
    answer = _sites.get(key)
    if answer is None:
        answer = _sites[key] = _inspect_site(frame.f_code, frame.f_lasti)
    return answer


def caller_awaits(depth: int = 2) -> bool:
    """True when the frame `depth` levels up will `await` the value it is getting."""
    return _site(depth)[0]


def caller_calls_method(depth: int = 2) -> bool:
    """True when the frame `depth` levels up is loading an attribute in order to call it."""
    return _site(depth)[1]


class Ready(Generic[T]):
    """An awaitable that resolves at once to a value computed already."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, T]:
        return self.value
        yield  # pragma: no cover - makes this a generator


def maybe_awaitable(value: T, depth: int = 3) -> T:
    """Return `value`, wrapped in `Ready` when the caller at `depth` awaits it."""
    if caller_awaits(depth):
        return Ready(value)  # type: ignore[return-value]  # the caller awaits it back to T
    return value
