"""Background tasks: work that runs after the response has been sent.

```python
@app.post("/signup")
async def signup():
    user = await create_user(request.form)
    app.add_background_task(send_welcome_mail, user.email)
    return redirect(url_for("index"))
```

`app.add_background_task(func, *args, **kwargs)` is the entry point; this
module holds the machinery. A task added while a request is handled starts
once that request's response is sent and its teardown functions have run. A
task added anywhere else (a `before_serving` function, another background
task, a task a view spawned) starts at once.

Each task runs in a fresh application context of the app (`current_app` and
a new `g`), not in the request context: the request is over. Wrap the
function with `copy_current_request_context` to keep using `request` and
`session`. `async def` functions run on the event loop, plain ones on a
worker thread.

The app keeps a strong reference to each running task in
`app.background_tasks`. An exception is logged on `app.logger` with its
traceback. When the server shuts down (ASGI lifespan shutdown), running tasks
get `BACKGROUND_TASK_SHUTDOWN_TIMEOUT` seconds (default 5, `None` to wait
without limit) to finish before `after_serving` runs, then they are
cancelled. The test client waits for them the same way when its
`async with` block ends, and after each request when used without `await`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .ctx import _is_async_callable
from .globals import _cv_request

if TYPE_CHECKING:
    from .app import Flask

#: A deferred call: the function and its arguments.
Pending = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]

#: How long cancelled tasks get to run their cleanup at shutdown.
_CANCEL_GRACE = 1.0


def add_background_task(app: Flask, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run `func(*args, **kwargs)` after the current response, or now outside a request."""
    if not callable(func):
        raise TypeError(
            f"add_background_task() needs a function to call, not {type(func).__name__}."
        )
    ctx = _cv_request.get(None)
    if ctx is not None and ctx.app is app:
        waiting = ctx._background
        if waiting is not None:
            # The server set this while it handles the request: start the task
            # when the response is out (`start_pending`).
            if isinstance(waiting, list):
                waiting.append((func, args, kwargs))
            else:
                ctx._background = [(func, args, kwargs)]
            return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "add_background_task() needs a running event loop. Call it from a view, a "
            "hook or async code; from a sync function outside a request, do the work "
            "directly instead."
        ) from None
    start(app, func, args, kwargs)


def start(app: Flask, func: Callable[..., Any], args: Any, kwargs: Any) -> asyncio.Task[None]:
    """Start one background task now and keep a strong reference to it on the app."""
    task = asyncio.ensure_future(_run(app, func, args, kwargs))
    tasks = app.background_tasks
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task


def start_pending(app: Flask, pending: list[Pending]) -> None:
    """Start the tasks a request added, once its response is sent."""
    for func, args, kwargs in pending:
        start(app, func, args, kwargs)


async def _run(app: Flask, func: Callable[..., Any], args: Any, kwargs: Any) -> None:
    try:
        async with app.app_context():
            if _is_async_callable(func):
                await func(*args, **kwargs)
            else:
                # No request context is bound here: a worker thread is borrowed
                # for this call only.
                await app._call_sync(func, *args, **kwargs)
    except Exception:
        app.logger.exception("Exception in background task %s", _describe(func))


def _describe(func: Callable[..., Any]) -> str:
    name = getattr(func, "__qualname__", None) or repr(func)
    module = getattr(func, "__module__", None)
    return f"{module}.{name}" if module else str(name)


def _running_here(app: Flask) -> set[asyncio.Task[None]]:
    loop = asyncio.get_running_loop()
    return {t for t in app.background_tasks if not t.done() and t.get_loop() is loop}


async def wait_for_background_tasks(app: Flask, timeout: float | None = None) -> None:
    """Wait for the app's background tasks on this loop, then cancel the ones left.

    `timeout` defaults to the `BACKGROUND_TASK_SHUTDOWN_TIMEOUT` setting;
    `None` there waits without limit. Tasks started while waiting (a task
    adding another) are waited for too, within the same deadline.
    """
    if not app.background_tasks:
        return
    if timeout is None:
        timeout = app.config.get("BACKGROUND_TASK_SHUTDOWN_TIMEOUT")
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + float(timeout)
    while True:
        tasks = _running_here(app)
        if not tasks:
            return
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            break
        await asyncio.wait(tasks, timeout=remaining)
    app.logger.warning(
        "Cancelling %d background task(s) still running after %s s "
        "(BACKGROUND_TASK_SHUTDOWN_TIMEOUT).",
        len(tasks),
        timeout,
    )
    for task in tasks:
        task.cancel()
    _, stuck = await asyncio.wait(tasks, timeout=_CANCEL_GRACE)
    if stuck:
        app.logger.error(
            "%d background task(s) ignored cancellation and are left running.", len(stuck)
        )


__all__ = ["add_background_task", "wait_for_background_tasks"]
