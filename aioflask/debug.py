"""The debug-mode error page: an unhandled exception shown as an escaped traceback.

In debug mode aioflask does what Flask does: an unhandled exception is not
turned into a quiet 500 page but raised out of the application, to whatever
runs it. Flask's development server puts the Werkzeug debugger there;
`aioflask run --debug` and `app.run(debug=True)` put `DebugMiddleware` there,
which answers with a read-only traceback page. There is deliberately no
interactive console: a console in the browser is remote code execution for
anyone who can reach the port.
"""

from __future__ import annotations

import linecache
import logging
import os
import sys
import traceback
from typing import Any

from markupsafe import escape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logging import escape_log_text

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: .2em; color: #a00; }
.request { color: #555; }
.frame { margin: .8em 0; border-left: 3px solid #c44; padding-left: .8em; }
.frame.lib { border-color: #ccc; color: #777; }
.where { font-family: ui-monospace, monospace; font-size: 12px; }
pre { background: #f6f6f6; padding: .4em .6em; margin: .3em 0; overflow-x: auto; }
pre .current { background: #fdd; }
.chain { font-style: italic; margin: 1.5em 0; }
footer { margin-top: 2em; color: #777; font-size: 12px; }
"""

_LIBRARY_DIRS = tuple(
    os.path.normcase(os.path.abspath(path))
    for path in {
        os.path.dirname(os.path.abspath(__file__)),
        *(p for p in sys.path if p.endswith(("site-packages", "dist-packages"))),
        os.path.dirname(os.__file__),
    }
)


def _is_library(filename: str) -> bool:
    return os.path.normcase(os.path.abspath(filename)).startswith(_LIBRARY_DIRS)


def _chain(exc: BaseException) -> list[traceback.TracebackException]:
    """The exception and its causes/contexts, oldest first (the order Python prints)."""
    te: traceback.TracebackException | None = traceback.TracebackException.from_exception(exc)
    seen: list[traceback.TracebackException] = []
    while te is not None and len(seen) < 20:
        seen.append(te)
        if te.__cause__ is not None:
            te = te.__cause__
        elif te.__context__ is not None and not te.__suppress_context__:
            te = te.__context__
        else:
            te = None
    return seen[::-1]


def _frame_html(frame: traceback.FrameSummary, context: int = 2) -> str:
    lineno = frame.lineno or 0
    css = "frame lib" if _is_library(frame.filename) else "frame"
    where = (
        f'<div class="where">File "{escape(frame.filename)}", line {lineno}, '
        f"in <b>{escape(frame.name)}</b></div>"
    )
    lines = linecache.getlines(frame.filename)
    if not lines or lineno <= 0:
        source = escape(frame.line or "")
        return f'<div class="{css}">{where}<pre>{source}</pre></div>'
    first = max(lineno - context, 1)
    last = min(lineno + context, len(lines))
    shown = []
    for number in range(first, last + 1):
        text = escape(lines[number - 1].rstrip("\n"))
        if number == lineno:
            shown.append(f'<span class="current">{text}</span>\n')
        else:
            shown.append(f"{text}\n")
    return f'<div class="{css}">{where}<pre>{"".join(shown)}</pre></div>'


def render_traceback(exc: BaseException, method: str = "", path: str = "") -> str:
    """The HTML error page for `exc`: its chain of tracebacks with source lines, all escaped."""
    chain = _chain(exc)
    summary = "".join(chain[-1].format_exception_only()).strip()
    title = summary.splitlines()[0] if summary else type(exc).__name__
    parts = [
        "<!doctype html>\n<html lang=en>\n<meta charset=utf-8>\n",
        f"<title>{escape(title)} // aioflask debug page</title>\n<style>{_STYLE}</style>\n",
        f"<h1>{escape(type(exc).__name__)}</h1>\n",
        f"<pre>{escape(summary)}</pre>\n",
    ]
    if method or path:
        parts.append(f'<p class="request">While handling {escape(method)} {escape(path)}</p>\n')
    for index, te in enumerate(chain):
        if index:
            link = (
                "The above exception was the direct cause of the following exception:"
                if te.__cause__ is chain[index - 1]
                else "During handling of the above exception, another exception occurred:"
            )
            parts.append(f'<p class="chain">{link}</p>\n')
        parts.append("<h2>Traceback <small>(most recent call last)</small></h2>\n")
        parts.extend(_frame_html(frame) for frame in te.stack)
        parts.append(f"<pre>{escape(''.join(te.format_exception_only()).strip())}</pre>\n")
    parts.append(
        "<footer>This page is shown because debug mode is on. It offers no console. "
        "Never turn debug mode on where other people can reach the server.</footer>\n"
    )
    return "".join(parts)


class DebugMiddleware:
    """ASGI middleware that answers an unhandled exception with a traceback page.

    ```python
    app.debug = True
    server_app = DebugMiddleware(app)  # what `aioflask run --debug` serves
    ```
    The exception is logged (once, with its traceback) on `logger`, or on
    the wrapped app's `logger`. If the response had already started when the
    error came (a streamed body), the page cannot be sent: the exception is
    raised on to the server, which closes the connection. Development only:
    the page shows source code and exception messages.
    """

    def __init__(self, app: ASGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        found = logger if logger is not None else getattr(app, "logger", None)
        self.logger: logging.Logger = found or logging.getLogger("aioflask.debug")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except Exception as exc:
            method = str(scope.get("method", ""))
            path = str(scope.get("path", ""))
            if started:
                raise  # too late for a page; the server logs it and drops the connection
            self.logger.error(
                "Exception on %s [%s]",
                escape_log_text(path),
                escape_log_text(method),
                exc_info=(type(exc), exc, exc.__traceback__),
            )
            await self._send_page(send, render_traceback(exc, method, path))

    @staticmethod
    async def _send_page(send: Send, page: str) -> None:
        body = page.encode("utf-8")
        headers: list[tuple[bytes, Any]] = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
        ]
        await send({"type": "http.response.start", "status": 500, "headers": headers})
        await send({"type": "http.response.body", "body": body})
