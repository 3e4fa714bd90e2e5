from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from aioflask import Flask
from aioflask.globals import _cv_app, _cv_request


def _bound() -> tuple[object, object]:
    return _cv_request.get(None), _cv_app.get(None)


def _assert_unchanged(before: tuple[object, object]) -> None:
    leaked_request, leaked_app = _bound()
    assert leaked_request is before[0], f"request context still bound: {leaked_request!r}"
    assert leaked_app is before[1], f"app context still bound: {leaked_app!r}"


@pytest.fixture(autouse=True)
def _no_leaked_context(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Fail a test that leaves a request or application context bound.

    The check runs at the end of the test function, in the context the test
    ran in (an `async def` test gets its own copy), against what was bound
    when it started (a fixture may bind one on purpose). A sync test is run
    in a copied context, so a leak fails that test only, not the next one.
    """
    func = getattr(request.node, "obj", None)
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def checked_async(*args: Any, **kwargs: Any) -> None:
            before = _bound()
            await func(*args, **kwargs)
            _assert_unchanged(before)

        monkeypatch.setattr(request.node, "obj", checked_async)
    elif inspect.isfunction(func):

        @functools.wraps(func)
        def checked(*args: Any, **kwargs: Any) -> None:
            context = contextvars.copy_context()
            before = context.run(_bound)
            context.run(func, *args, **kwargs)
            context.run(_assert_unchanged, before)

        monkeypatch.setattr(request.node, "obj", checked)
    yield
    _assert_unchanged((None, None))


@pytest.fixture
def app() -> Flask:
    """A fresh app in production mode (errors become 500 pages, as when deployed)."""
    app = Flask(__name__)
    app.config.update(DEBUG=False, TESTING=False)  # whatever FLASK_DEBUG says
    return app
