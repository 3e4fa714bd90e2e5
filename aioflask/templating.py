"""Jinja2 templates: `render_template` and `render_template_string`, no `await` needed."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import jinja2

from .globals import _cv_app, _cv_request, current_app, g, request, session

if TYPE_CHECKING:
    from .app import Flask

_AUTOESCAPE_EXT = (".html", ".htm", ".xml", ".xhtml", ".svg")


def select_autoescape(filename: str | None) -> bool:
    """Autoescape string templates and .html/.htm/.xml/.xhtml/.svg files."""
    if filename is None:
        return True
    return filename.endswith(_AUTOESCAPE_EXT)


def create_environment(app: Flask) -> jinja2.Environment:
    """The app's Jinja environment with Flask's globals."""
    from .helpers import get_flashed_messages

    options = dict(app.jinja_options)
    options.setdefault("autoescape", select_autoescape)
    auto_reload = app.config["TEMPLATES_AUTO_RELOAD"]
    options.setdefault("auto_reload", app.debug if auto_reload is None else auto_reload)
    loader = None
    if app.template_folder is not None:
        loader = jinja2.FileSystemLoader(os.path.join(app.root_path, app.template_folder))
    env = jinja2.Environment(loader=loader, **options)
    env.globals.update(
        url_for=app.url_for,
        get_flashed_messages=get_flashed_messages,
        config=app.config,
        request=request,
        session=session,
        g=g,
    )
    return env


def _run_processor(func: Any) -> Any:
    rv = func()
    if inspect.isawaitable(rv):
        coro = rv.__await__()
        try:
            coro.send(None)
        except StopIteration as stop:
            return stop.value
        raise RuntimeError(
            f"The context processor {getattr(func, '__name__', func)!r} awaited I/O; "
            "templates render without await, so load that data in the view instead."
        )
    return rv


def _context(app: Flask, context: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    names: list[str | None] = [None]
    ctx = _cv_request.get(None)
    if ctx is not None:
        names.extend(reversed(ctx.request.blueprints))
    for name in names:
        for func in app.template_context_processors.get(name, ()):
            merged.update(_run_processor(func))
    merged.update(context)
    return merged


def _app() -> Flask:
    if _cv_app.get(None) is None:
        raise RuntimeError(
            "Rendering a template needs an application context: call it inside a view or "
            "'with app.app_context():'."
        )
    return current_app._get_current_object()  # type: ignore[attr-defined, no-any-return]


def render_template(
    template_name_or_list: str | list[str | jinja2.Template], **context: Any
) -> str:
    """Render a template from the templates folder with `context`."""
    app = _app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return template.render(_context(app, context))


def render_template_string(source: str, **context: Any) -> str:
    """Render a template given as a string (autoescaped)."""
    app = _app()
    template = app.jinja_env.from_string(source)
    return template.render(_context(app, context))


def stream_template(
    template_name_or_list: str | list[str | jinja2.Template], **context: Any
) -> Iterator[str]:
    """Render a template piece by piece, for a streamed response."""
    app = _app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return template.generate(_context(app, context))


def stream_template_string(source: str, **context: Any) -> Iterator[str]:
    """Like `stream_template`, for a template given as a string."""
    app = _app()
    return app.jinja_env.from_string(source).generate(_context(app, context))
