"""`app.logger`: a standard `logging.Logger` named after the app.

The logger is `logging.getLogger(app.name)`, so it is configured like any
other: with `logging.config.dictConfig`, or by adding handlers. When nothing
would print its records, aioflask adds `default_handler` (stderr); remove it
to take over completely:

```python
from aioflask.logging import default_handler

app.logger.removeHandler(default_handler)
```
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, TextIO, cast

from ._proxy import LocalProxy
from .globals import _cv_request

if TYPE_CHECKING:
    from .app import Flask


#: The ASGI scope key of a request's own error stream (the test client's
#: `errors_stream=` argument sets it); WSGI calls this `wsgi.errors`.
ERRORS_STREAM_KEY = "aioflask.errors_stream"


def _errors_stream() -> TextIO:
    ctx = _cv_request.get(None)
    if ctx is not None:
        request = ctx.request
        stream = request.scope.get(ERRORS_STREAM_KEY)
        if stream is None and "_environ" in request.__dict__:  # only if something built it
            stream = request.environ.get("wsgi.errors")
        if stream is not None:
            return cast(TextIO, stream)
    return sys.stderr


#: Where a request's errors go, as Flask's `wsgi_errors_stream`: the request's
#: own error stream when it has one (`client.get("/", errors_stream=buf)` in
#: tests, or an `environ["wsgi.errors"]` that something put there), otherwise
#: the current `sys.stderr`. `default_handler` writes to it.
wsgi_errors_stream: TextIO = cast(TextIO, LocalProxy(_errors_stream, "wsgi_errors_stream"))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]  # TextIO stream
    """A stream handler that writes to whatever `sys.stderr` is at the time of each record.

    Looking `sys.stderr` up late means a redirected stderr (a test's capture,
    a daemon's log file) receives the records, not the stream that was
    current when aioflask was imported. A record logged during a request
    that has an error stream of its own goes there instead (see
    `wsgi_errors_stream`).
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # read-only: always the current stderr, or the request's stream
    def stream(self) -> TextIO:
        return _errors_stream()

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


class _ControlSafeFormatter(logging.Formatter):
    """A formatter whose output holds no control characters but line breaks and tabs.

    Request data can end up in an exception message or a log argument; written
    raw, an ESC sequence could recolour or rewrite the terminal, and a CR
    could hide the rest of a line. Line breaks stay, since tracebacks span
    several lines.
    """

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if text.isprintable():
            return text
        return "".join(ch if ch.isprintable() or ch in "\n\t" else repr(ch)[1:-1] for ch in text)


#: The handler added when the app's logger has none; remove it to configure your own.
default_handler: logging.Handler = _StderrHandler()
default_handler.setFormatter(
    _ControlSafeFormatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def escape_log_text(text: str) -> str:
    """`text` with control characters (ESC, CR, LF, ...) written as `repr`-style escapes.

    Use it for request-controlled text in log lines: a path such as
    `/%1b[31m` or `/%0d%0aFAKE` then cannot colour a terminal or forge a log
    line. Printable text, including non-ASCII letters, is returned unchanged.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def has_level_handler(logger: logging.Logger) -> bool:
    """True when a handler on the logger or its parents would emit at its effective level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


def create_logger(app: Flask) -> logging.Logger:
    """The app's logger: DEBUG level in debug mode, `default_handler` if nothing else emits."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
