"""A small typed proxy that forwards to an object looked up on each use.

The context globals (`request`, `g`, `session`, `current_app`) are instances of
`LocalProxy`: every attribute access asks a getter for the object bound to the
current context (a `contextvars.ContextVar` lookup) and forwards to it. Internal
code calls the getters directly and never pays for the indirection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from ._awaitable import pass_through

T = TypeVar("T")


class LocalProxy(Generic[T]):
    """Forward every operation to the object returned by `getter()`.

    `getter` raises `RuntimeError` when nothing is bound; a proxy is falsy in
    that case, so `if request:` works outside a request as it does in Flask.
    """

    __slots__ = ("_getter", "__wrapped_name__")

    def __init__(self, getter: Callable[[], T], name: str) -> None:
        object.__setattr__(self, "_getter", getter)
        object.__setattr__(self, "__wrapped_name__", name)

    def _get_current_object(self) -> T:
        """Return the real object behind the proxy (for identity checks or pickling)."""
        return self._getter()  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._getter(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._getter(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._getter(), name)

    def __getitem__(self, key: Any) -> Any:
        return self._getter()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._getter()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._getter()[key]

    def __contains__(self, item: Any) -> bool:
        return item in self._getter()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._getter())

    def __len__(self) -> int:
        return len(self._getter())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._getter()(*args, **kwargs)

    # `with request_ctx:` / `async with app_ctx:` use the context behind the proxy
    # (special methods are looked up on the type, so __getattr__ cannot supply them).
    def __enter__(self) -> Any:
        target: Any = self._getter()
        return target.__enter__()

    def __exit__(self, *exc_info: Any) -> Any:
        target: Any = self._getter()
        return target.__exit__(*exc_info)

    async def __aenter__(self) -> Any:
        target: Any = self._getter()
        return await target.__aenter__()

    async def __aexit__(self, *exc_info: Any) -> Any:
        target: Any = self._getter()
        return await target.__aexit__(*exc_info)

    def __bool__(self) -> bool:
        try:
            obj = self._getter()
        except RuntimeError:
            return False
        return bool(obj)

    def __eq__(self, other: object) -> bool:
        return bool(self._getter() == other)

    def __ne__(self, other: object) -> bool:
        return bool(self._getter() != other)

    def __hash__(self) -> int:
        # Hash like the target, so `{current_app: ...}` works (the proxy compares
        # equal to the target too); an unbound proxy is unhashable, as in Flask.
        try:
            obj = self._getter()
        except RuntimeError:
            raise TypeError(f"unhashable type: unbound {self.__wrapped_name__} proxy") from None
        return hash(obj)

    @property  # type: ignore[misc]  # deliberately shadows __class__
    def __class__(self) -> type:
        # `isinstance(request, Request)` is true inside a request, as with
        # Werkzeug's proxies; an unbound proxy reports its own class.
        try:
            return type(self._getter())
        except RuntimeError:
            return LocalProxy

    def __repr__(self) -> str:
        try:
            obj = self._getter()
        except RuntimeError:
            return f"<unbound {self.__wrapped_name__} proxy>"
        return repr(obj)

    def __str__(self) -> str:
        return str(self._getter())

    def __dir__(self) -> list[str]:
        try:
            return dir(self._getter())
        except RuntimeError:
            return []


# `await request.json` looks through the proxy to the caller's `await`.
pass_through(LocalProxy.__getattr__)
