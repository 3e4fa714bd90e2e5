"""Jinja templates: `render_template`, `render_template_string` and the streaming variants.

Rendering is synchronous, as in Flask, so none of these functions needs
`await`. A template is rendered where the view runs: on the request's worker
thread for a `def` view, on the event loop for an `async def` view. A large
template in an `async def` view therefore holds up every other request while
it renders; render it from a `def` view, or stream it with `stream_template`,
whose output is produced on a worker thread whatever kind of view returned it.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import jinja2

from .globals import _cv_app, _cv_request, g, request, session
from .signals import _send_sync, before_render_template, template_rendered

if TYPE_CHECKING:
    from .app import Flask
    from .scaffold import Scaffold

__all__ = [
    "DispatchingJinjaLoader",
    "Environment",
    "TemplateStream",
    "get_template_attribute",
    "render_template",
    "render_template_string",
    "select_autoescape",
    "stream_template",
    "stream_template_string",
]

_AUTOESCAPE_EXT = (".html", ".htm", ".xml", ".xhtml", ".svg")


def select_autoescape(filename: str | None) -> bool:
    """Autoescape string templates and `.html`, `.htm`, `.xml`, `.xhtml`, `.svg` files.

    Other files (`.txt`, `.md`, e-mail bodies) are rendered without escaping,
    as in Flask.
    """
    if filename is None:
        return True
    return filename.endswith(_AUTOESCAPE_EXT)


# -- environment and loader -------------------------------------------------------------------


class DispatchingJinjaLoader(jinja2.BaseLoader):
    """Looks a template up in the app's folder, then in each blueprint's folder.

    Blueprints are searched in registration order, so an app template shadows
    a blueprint template of the same name; blueprints usually avoid clashes
    by keeping their templates in a subfolder named after themselves. With
    `EXPLAIN_TEMPLATE_LOADING` every attempt is logged on `app.logger`.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app

    def _loaders(self) -> Iterator[tuple[Scaffold, jinja2.BaseLoader]]:
        app = self.app
        loader = app.jinja_loader
        if loader is not None:
            yield app, loader
        iter_blueprints = getattr(app, "iter_blueprints", None)
        blueprints: Iterable[Any] = (
            iter_blueprints() if iter_blueprints is not None else app.blueprints.values()
        )
        for blueprint in blueprints:
            loader = getattr(blueprint, "jinja_loader", None)
            if loader is not None:
                yield blueprint, loader

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._explained_source(environment, template)
        for _owner, loader in self._loaders():
            try:
                return loader.get_source(environment, template)
            except jinja2.TemplateNotFound:
                continue
        raise jinja2.TemplateNotFound(template)

    def _explained_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        lines = [f"Locating template {template!r}:"]
        found: tuple[str, str | None, Callable[[], bool] | None] | None = None
        for number, (owner, loader) in enumerate(self._loaders(), 1):
            where = f"{type(owner).__name__} {getattr(owner, 'name', '?')!r}"
            try:
                source = loader.get_source(environment, template)
            except jinja2.TemplateNotFound:
                lines.append(f"{number:>4}: trying {where}: no match")
                continue
            lines.append(f"{number:>4}: trying {where}: found ({source[1]})")
            if found is None:
                found = source
        if found is None:
            lines.append("Error: the template was not found.")
        self.app.logger.info("\n".join(lines))
        if found is None:
            raise jinja2.TemplateNotFound(template)
        return found

    def list_templates(self) -> list[str]:
        names: set[str] = set()
        for _owner, loader in self._loaders():
            names.update(loader.list_templates())
        return sorted(names)


class Environment(jinja2.Environment):
    """The app's Jinja environment; `app` is the application it belongs to.

    Unless a `loader` is passed, it uses a `DispatchingJinjaLoader`, which
    searches the app's and the blueprints' template folders.
    """

    def __init__(self, app: Flask, **options: Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app


def create_environment(app: Flask) -> Environment:
    """Build the app's environment from `app.jinja_options` and the config.

    `autoescape` follows `select_autoescape`, `auto_reload` follows
    `TEMPLATES_AUTO_RELOAD` (or `debug` when that is None), the `tojson`
    filter uses `app.json`, and the Flask globals (`url_for`,
    `get_flashed_messages`, `config`, `request`, `session`, `g`) are set.
    """
    from .helpers import get_flashed_messages

    options = dict(app.jinja_options)
    options.setdefault("autoescape", select_autoescape)
    if "auto_reload" not in options:
        auto_reload = app.config["TEMPLATES_AUTO_RELOAD"]
        options["auto_reload"] = app.debug if auto_reload is None else bool(auto_reload)
    env = app.jinja_environment(app, **options)
    env.globals.update(
        url_for=app.url_for,
        get_flashed_messages=get_flashed_messages,
        config=app.config,
        request=request,
        session=session,
        g=g,
    )

    def dumps(obj: Any, **kwargs: Any) -> str:
        # Looked up on each call: `app.json` may be replaced after the
        # environment exists. Jinja then makes the output safe for HTML.
        return app.json.dumps(obj, **kwargs)

    env.policies["json.dumps_function"] = dumps
    return env


# -- context processors -----------------------------------------------------------------------


def _call_processor(func: Callable[[], Any]) -> Any:
    """Call a context processor, finishing it if it is async.

    Rendering is synchronous. On a worker thread (a `def` view) an async
    processor runs to completion on a private loop. On the event loop (an
    `async def` view) it is stepped without a loop: that works as long as it
    does not really wait for I/O, which would need the blocked loop itself.
    """
    rv = func()
    if not inspect.isawaitable(rv):
        return rv
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(rv))
    steps = rv.__await__()
    try:
        steps.send(None)
    except StopIteration as stop:
        return stop.value
    steps.close()
    raise RuntimeError(
        f"The context processor {getattr(func, '__name__', func)!r} waited for I/O while a "
        "template was rendered from an 'async def' view, which runs on the event loop. "
        "Render the template from a 'def' view, or load that data in the view and pass it "
        "to render_template()."
    )


async def _await(awaitable: Any) -> Any:
    return await awaitable


def update_template_context(app: Flask, context: dict[str, Any]) -> None:
    """Add the context processors' values to `context`; values already in it win.

    App processors run first, then those of the current request's blueprints
    from the outermost to the innermost.
    """
    processors = app.template_context_processors
    if not processors:
        return
    names: list[str | None] = [None]
    ctx = _cv_request.get(None)
    if ctx is not None:
        names.extend(reversed(ctx.request.blueprints))
    explicit = dict(context)
    for name in names:
        for func in processors.get(name, ()):
            context.update(_call_processor(func))
    context.update(explicit)


# -- rendering --------------------------------------------------------------------------------


def _app() -> Flask:
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        raise RuntimeError(
            "Rendering a template needs an application context: call it inside a view, or "
            "inside 'with app.app_context():'."
        )
    return app_ctx.app


def _render(app: Flask, template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render with the context processors' values, sending the two template signals."""
    app.update_template_context(context)
    if before_render_template.receivers:
        _send_sync(before_render_template, app, template=template, context=context)
    rv = template.render(context)
    if template_rendered.receivers:
        _send_sync(template_rendered, app, template=template, context=context)
    return rv


def _stream(app: Flask, template: jinja2.Template, context: dict[str, Any]) -> TemplateStream:
    """Like `_render`, piece by piece: `template_rendered` once the pieces are exhausted.

    The context processors and `before_render_template` run now, in the view.
    """
    app.update_template_context(context)
    if before_render_template.receivers:
        _send_sync(before_render_template, app, template=template, context=context)

    def generate() -> Iterator[str]:
        yield from template.generate(context)  # closing this generator closes Jinja's
        if template_rendered.receivers:
            _send_sync(template_rendered, app, template=template, context=context)

    return TemplateStream(app, generate())


def render_template(
    template_name_or_list: str | jinja2.Template | list[str | jinja2.Template],
    **context: Any,
) -> str:
    """Render a template from the templates folder with the given variables.

    With a list of names the first one that exists is used. The context
    also holds the context processors' values (explicit arguments win) and
    the globals `config`, `request`, `session`, `g`, `url_for` and
    `get_flashed_messages`.
    """
    app = _app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: Any) -> str:
    """Render a template given as a string; it is always autoescaped."""
    app = _app()
    template = app.jinja_env.from_string(source)
    return _render(app, template, context)


def stream_template(
    template_name_or_list: str | jinja2.Template | list[str | jinja2.Template],
    **context: Any,
) -> TemplateStream:
    """Render a template piece by piece; return it from a view to stream the response.

    ```python
    @app.get("/report")
    def report():
        return stream_template("report.html", rows=all_rows())
    ```
    The request context stays available to the template while it streams.
    """
    app = _app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: Any) -> TemplateStream:
    """Like `stream_template`, for a template given as a string."""
    app = _app()
    template = app.jinja_env.from_string(source)
    return _stream(app, template, context)


def get_template_attribute(template_name: str, attribute: str) -> Any:
    """Load a macro (or any exported name) from a template, to call it from Python.

    ```python
    hello = get_template_attribute("_macros.html", "hello")
    hello("World")
    ```
    """
    return getattr(_app().jinja_env.get_template(template_name).module, attribute)


# -- streaming --------------------------------------------------------------------------------

#: How much rendered text may wait for the client before the renderer pauses.
_HIGH_WATER = 64 * 1024


class TemplateStream(Iterator[str]):
    """The rendered pieces of a template: what `stream_template` returns.

    Iterate it like any iterator of `str`. When it is sent as a response,
    the template is rendered on the request's worker thread while the event
    loop sends what is ready, joined into as few chunks as the client's pace
    allows; the loop itself never renders.
    """

    def __init__(self, app: Flask, pieces: Iterator[str]) -> None:
        self._app = app
        self._pieces = pieces
        self._pump: _Pump | None = None

    def __next__(self) -> str:
        return next(self._pieces)

    def __aiter__(self) -> AsyncIterator[str]:
        return self._stream()

    async def _stream(self) -> AsyncIterator[str]:
        if self._pump is not None:
            raise RuntimeError("A streamed template can be sent only once.")
        pump = self._pump = _Pump(self._pieces, asyncio.get_running_loop())
        task = pump.task = asyncio.ensure_future(self._app._call_sync(pump.run))
        try:
            while True:
                await pump.wake.wait()
                pump.wake.clear()
                chunk, finished = pump.take()
                if chunk:
                    yield chunk
                if finished:
                    break
        finally:
            # Also reached when the client goes away mid-stream: the thread
            # stops at its next piece, and is waited for so the request's
            # teardown functions never run beside the template.
            pump.stop()
            await asyncio.shield(task)
        if pump.error is not None:
            raise pump.error

    def close(self) -> None:
        """Stop rendering (used when the iterator is consumed synchronously)."""
        if self._pump is None:
            _close(self._pieces)

    async def aclose(self) -> None:
        """Stop rendering and wait for the worker thread to let go of the template."""
        pump = self._pump
        if pump is None:
            _close(self._pieces)
            return
        pump.stop()
        if pump.task is not None:
            await asyncio.shield(pump.task)


class _Pump:
    """Hands rendered pieces from the worker thread to the event loop.

    The thread appends to `buffer` and wakes the loop when the buffer goes
    from empty to non-empty; the loop takes everything at once. The thread
    waits when more than `_HIGH_WATER` characters are queued (a slow client).
    """

    def __init__(self, pieces: Iterator[str], loop: asyncio.AbstractEventLoop) -> None:
        self.pieces = pieces
        self.loop = loop
        self.wake = asyncio.Event()
        self.lock = threading.Lock()
        self.room = threading.Condition(self.lock)
        self.buffer: list[str] = []
        self.size = 0
        self.done = False
        self.stopping = False
        self.error: BaseException | None = None
        self.task: asyncio.Future[Any] | None = None

    def _notify_loop(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self.wake.set)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            pass

    def run(self) -> None:
        """Render on this (worker) thread until done, failed or stopped."""
        try:
            for piece in self.pieces:
                with self.lock:
                    if self.stopping:
                        break
                    was_empty = not self.buffer
                    self.buffer.append(piece)
                    self.size += len(piece)
                if was_empty:
                    self._notify_loop()
                with self.lock:
                    while self.size >= _HIGH_WATER and not self.stopping:
                        self.room.wait()
        except BaseException as exc:  # re-raised on the loop after the pieces before it
            self.error = exc
        finally:
            _close(self.pieces)
            with self.lock:
                self.done = True
            self._notify_loop()

    def take(self) -> tuple[str, bool]:
        """Everything rendered so far, and whether rendering has finished."""
        with self.lock:
            chunk = "".join(self.buffer)
            self.buffer.clear()
            self.size = 0
            self.room.notify()
            return chunk, self.done

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            self.room.notify()


def _close(pieces: Iterator[str]) -> None:
    close = getattr(pieces, "close", None)  # Jinja's `generate` returns a generator
    if close is not None:
        close()
