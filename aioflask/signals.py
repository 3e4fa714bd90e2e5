"""Flask's ten signals, as blinker signals in a namespace of their own.

Connect a receiver for one app (or for every app with no sender), exactly as
with Flask:

```python
from aioflask import template_rendered

def record(sender, template, context, **extra):
    recorded.append((template, context))

template_rendered.connect(record, app)
```

Each signal is sent with the application as sender. Where the framework is
already awaiting (the request pipeline, teardown, `async with` contexts) it
uses blinker's `send_async`: `async def` receivers are awaited and plain
receivers are called inline on the event loop, so keep those short (they
usually append to a list or set a few attributes). Where the caller is sync
code (`render_template`, `flash`, a plain `with app.app_context():`) it
uses `send` and runs `async def` receivers to completion with
`app.ensure_sync`, as Flask does.

Every send in the framework is guarded by `if signal.receivers:`, so a
signal nobody listens to costs one attribute check.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from blinker import Namespace, Signal

if TYPE_CHECKING:
    from .app import Flask

__all__ = [
    "Namespace",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
]

#: The namespace of the framework's own signals; an extension makes its own.
_signals = Namespace()

#: After a template is rendered (or a streamed one is exhausted): `template`, `context`.
template_rendered = _signals.signal("template-rendered")
#: Before a template is rendered: `template`, `context`.
before_render_template = _signals.signal("before-render-template")
#: Once the request context is set up, before the URL value preprocessors and
#: `before_request` hooks.
request_started = _signals.signal("request-started")
#: After the `after_request` hooks ran and the session was saved: `response`.
request_finished = _signals.signal("request-finished")
#: After the `teardown_request` functions: `exc`.
request_tearing_down = _signals.signal("request-tearing-down")
#: An exception nothing handled, before it propagates or becomes a 500: `exception`.
got_request_exception = _signals.signal("got-request-exception")
#: After the `teardown_appcontext` functions: `exc`.
appcontext_tearing_down = _signals.signal("appcontext-tearing-down")
#: Right after an application context is pushed.
appcontext_pushed = _signals.signal("appcontext-pushed")
#: Right after an application context is popped.
appcontext_popped = _signals.signal("appcontext-popped")
#: From `flash()`: `message`, `category`.
message_flashed = _signals.signal("message-flashed")


def _inline(func: Callable[..., Any]) -> Callable[..., Coroutine[Any, Any, Any]]:
    """Make a plain receiver awaitable; it runs on the event loop, like a sync callback."""

    async def call(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return call


async def _send_async(signal: Signal, app: Flask, **kwargs: Any) -> None:
    """Send from async code: await `async def` receivers, call the others inline."""
    await signal.send_async(app, _sync_wrapper=_inline, **kwargs)


def _send_sync(signal: Signal, app: Flask, **kwargs: Any) -> None:
    """Send from sync code: `async def` receivers run to completion (`app.ensure_sync`)."""
    signal.send(app, _async_wrapper=app.ensure_sync, **kwargs)
