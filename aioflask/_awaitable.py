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
from collections.abc import Callable, Generator
from types import CodeType
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_AWAIT_OPS = frozenset({"GET_AWAITABLE"})
_sites: dict[tuple[CodeType, int], tuple[bool, bool]] = {}
# Frames of functions that only forward an attribute lookup (such as
# `LocalProxy.__getattr__`): the caller that matters is the one above them.
_pass_through: set[CodeType] = set()


def pass_through(func: Callable[..., Any]) -> None:
    """Look past `func`'s frames when deciding whether the caller awaits.

    `await request.json` goes through the proxy's `__getattr__`, whose own next
    instruction is a plain return; the `await` is one frame further up.
    """
    _pass_through.add(func.__code__)


def _inspect_site(code: CodeType, lasti: int) -> tuple[bool, bool]:
    # `f_lasti` may point into the inline cache entries that follow an
    # instruction (CPython 3.11+): the running instruction is the last one
    # starting at or before it, and the next one is the first one after it.
    instructions = list(dis.get_instructions(code))
    index = -1
    for i, ins in enumerate(instructions):
        if ins.offset > lasti:
            break
        index = i
    if index < 0:
        return False, False
    current = instructions[index]
    following = instructions[index + 1] if index + 1 < len(instructions) else None
    awaited = following is not None and following.opname in _AWAIT_OPS
    method_call = current.opname == "LOAD_METHOD" or (
        current.opname == "LOAD_ATTR"
        and sys.version_info >= (3, 12)
        and bool(current.arg or 0) & 1 == 1
    )
    if (
        not method_call
        and following is not None
        and following.opname == "STORE_FAST"
        and str(following.argval).startswith("@py_assert")
    ):
        method_call = _called_by_pytest_rewrite(
            instructions[index + 2 : index + 6], following.argval
        )
    return awaited, method_call


def _called_by_pytest_rewrite(window: list[dis.Instruction], name: str) -> bool:
    # pytest rewrites `assert r.json() == x` as `@py_assert1 = r.json` followed
    # by `@py_assert3 = @py_assert1()`: the attribute is stored in a temporary,
    # which the next statement loads and calls (a NULL is pushed for the call
    # on 3.11+).
    ops = [ins for ins in window if ins.opname not in ("PUSH_NULL", "PRECALL")]
    if not ops or not ops[0].opname.startswith("LOAD_FAST") or ops[0].argval != name:
        return False
    if any(ins.opname == "PUSH_NULL" for ins in window[:3]):
        return True
    return len(ops) > 1 and ops[1].opname.startswith("CALL")


def _site(depth: int) -> tuple[bool, bool]:
    try:
        frame = sys._getframe(depth + 1)
    except (AttributeError, ValueError):  # pragma: no cover - not CPython
        return False, False
    while frame.f_code in _pass_through and frame.f_back is not None:
        frame = frame.f_back
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
