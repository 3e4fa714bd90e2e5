"""Class-based views: `View` and `MethodView`.

```python
class UserAPI(MethodView):
    async def get(self, id):
        return {"id": id}

    def delete(self, id):  # a plain def runs on the request's worker thread
        remove_user(id)
        return "", 204

app.add_url_rule("/users/<int:id>", view_func=UserAPI.as_view("user"))
```
Handlers and `dispatch_request` may be `async def` or plain `def`, as any view.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from typing import Any, ClassVar

from .ctx import _is_async_callable
from .exceptions import MethodNotAllowed
from .globals import _cv_request
from .typing import ResponseReturnValue, RouteCallable

#: The method names `MethodView` looks for.
http_method_funcs = frozenset(["get", "post", "head", "options", "delete", "put", "trace", "patch"])


def _on_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _call(func: Callable[..., Any], is_async: bool, kwargs: dict[str, Any]) -> Any:
    if is_async:
        return await func(**kwargs)
    # Sync code runs on the request's worker thread, like a plain `def` view.
    return await _cv_request.get().app._call_sync(func, **kwargs)


class View:
    """A view as a class: subclass it, override `dispatch_request`, register `as_view()`.

    Class attributes configure the route: `methods` (the HTTP methods, as
    for `route`), `provide_automatic_options`, `decorators` (applied to the
    generated view function, first one innermost) and `init_every_request`
    (True: a new instance per request; False: one instance shared by all
    requests, so keep no request data on `self`).
    """

    methods: ClassVar[Collection[str] | None] = None
    provide_automatic_options: ClassVar[bool | None] = None
    decorators: ClassVar[list[Callable[..., Any]]] = []
    init_every_request: ClassVar[bool] = True

    # `*args: Any, **kwargs: Any` lets subclasses declare their URL variables
    # (`def dispatch_request(self, id)`) without type checkers objecting.
    def dispatch_request(
        self, *args: Any, **kwargs: Any
    ) -> ResponseReturnValue | Awaitable[ResponseReturnValue]:
        """Handle the request; `kwargs` are the URL variables. Override it, sync or async."""
        raise NotImplementedError(
            f"{type(self).__name__} must define 'dispatch_request', or subclass MethodView "
            "and define handlers such as 'get' and 'post'."
        )

    def _dispatch_sync(self, kwargs: dict[str, Any]) -> Any:
        # Called on a worker thread: an async `dispatch_request` gives a coroutine,
        # which the app awaits on the loop.
        return self.dispatch_request(**kwargs)

    @classmethod
    def as_view(cls, name: str, *class_args: Any, **class_kwargs: Any) -> RouteCallable:
        """A view function for `add_url_rule`, named `name` (the endpoint).

        `class_args` and `class_kwargs` go to the constructor, which runs
        for every request, or once now when `init_every_request` is false.
        The function carries `view_class`, `methods` and
        `provide_automatic_options`, and the class's docstring and module.
        """
        dispatch_is_async = _is_async_callable(cls.dispatch_request)
        view: Callable[..., Any]
        instance: View | None = None
        if cls.init_every_request:

            async def view(**kwargs: Any) -> Any:
                # Through the attribute, as Flask does, so `view_class` can be swapped.
                self = final.view_class(*class_args, **class_kwargs)
                return await _call(self.dispatch_request, dispatch_is_async, kwargs)

        else:
            instance = cls(*class_args, **class_kwargs)

            async def view(**kwargs: Any) -> Any:
                return await _call(instance.dispatch_request, dispatch_is_async, kwargs)

        if cls.decorators:
            async_view = view

            def view(**kwargs: Any) -> Any:
                # A Flask-style `def` decorator is run on the request's worker thread and
                # may work on the view's response, so there the view answers synchronously.
                if _on_loop():
                    return async_view(**kwargs)
                self = instance
                if self is None:
                    self = final.view_class(*class_args, **class_kwargs)
                return self._dispatch_sync(kwargs)

            # Decorators that read the name (or use functools.wraps) see the endpoint.
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                view = decorator(view)
        final: Any = view
        final.view_class = cls
        final.__name__ = name
        final.__doc__ = cls.__doc__
        final.__module__ = cls.__module__
        final.methods = cls.methods
        final.provide_automatic_options = cls.provide_automatic_options
        return view


class MethodView(View):
    """Dispatch to a method named after the HTTP method: `get`, `post`, `delete`, ...

    `methods` is filled in from the handlers a subclass (or its bases)
    defines, unless the subclass sets it. A HEAD request without a `head`
    handler is answered by `get`; the body is dropped, as for any view.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" in cls.__dict__:
            return
        methods: set[str] = set()
        for base in cls.__bases__:
            methods.update(getattr(base, "methods", None) or ())
        methods.update(key.upper() for key in http_method_funcs if hasattr(cls, key))
        if methods:
            cls.methods = methods

    async def dispatch_request(self, **kwargs: Any) -> ResponseReturnValue:
        """Call the handler for the request's method with the URL variables."""
        handler = self._handler()
        return await _call(handler, _is_async_callable(handler), kwargs)  # type: ignore[no-any-return]

    def _dispatch_sync(self, kwargs: dict[str, Any]) -> Any:
        if type(self).dispatch_request is not MethodView.dispatch_request:
            return self.dispatch_request(**kwargs)  # overridden: sync, or a coroutine
        return self._handler()(**kwargs)  # an async handler gives a coroutine

    def _handler(self) -> Callable[..., Any]:
        method = _cv_request.get().request.method
        name = method.lower()
        if name.startswith("_") or hasattr(MethodView, name):
            # Never `__init__`, `dispatch_request` or another attribute that is
            # not a handler, whatever `methods` lists (Starlette GHSA-x746).
            raise MethodNotAllowed(sorted(self.methods or ()))
        handler = getattr(self, name, None)
        if handler is None and method == "HEAD":
            handler = getattr(self, "get", None)
        if handler is None:
            raise RuntimeError(
                f"{type(self).__name__} accepts {method} (it is in 'methods') but has no "
                f"{method.lower()!r} handler. Define one, or remove {method} from 'methods'."
            )
        return handler  # type: ignore[no-any-return]


__all__ = ["MethodView", "View", "http_method_funcs"]
