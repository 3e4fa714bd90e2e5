"""aioflask: the Flask API, async-first on ASGI.

Change `from flask import ...` to `from aioflask import ...` and serve the app
with `uvicorn module:app`.
"""

from __future__ import annotations

from markupsafe import Markup as Markup
from markupsafe import escape as escape

from . import json as json
from .app import Flask as Flask
from .blueprints import Blueprint as Blueprint
from .config import Config as Config
from .ctx import after_this_request as after_this_request
from .ctx import copy_current_request_context as copy_current_request_context
from .ctx import has_app_context as has_app_context
from .ctx import has_request_context as has_request_context
from .exceptions import abort as abort
from .globals import current_app as current_app
from .globals import g as g
from .globals import request as request
from .globals import session as session
from .globals import websocket as websocket
from .helpers import flash as flash
from .helpers import get_flashed_messages as get_flashed_messages
from .helpers import make_response as make_response
from .helpers import redirect as redirect
from .helpers import send_file as send_file
from .helpers import send_from_directory as send_from_directory
from .helpers import stream_with_context as stream_with_context
from .helpers import url_for as url_for
from .json import jsonify as jsonify
from .signals import appcontext_popped as appcontext_popped
from .signals import appcontext_pushed as appcontext_pushed
from .signals import appcontext_tearing_down as appcontext_tearing_down
from .signals import before_render_template as before_render_template
from .signals import got_request_exception as got_request_exception
from .signals import message_flashed as message_flashed
from .signals import request_finished as request_finished
from .signals import request_started as request_started
from .signals import request_tearing_down as request_tearing_down
from .signals import template_rendered as template_rendered
from .sse import ServerSentEvent as ServerSentEvent
from .sse import sse_response as sse_response
from .templating import get_template_attribute as get_template_attribute
from .templating import render_template as render_template
from .templating import render_template_string as render_template_string
from .templating import stream_template as stream_template
from .templating import stream_template_string as stream_template_string
from .websocket import Websocket as Websocket
from .websocket import has_websocket_context as has_websocket_context
from .wrappers import Request as Request
from .wrappers import Response as Response

#: The Flask release whose API aioflask follows. Extensions read `flask.__version__`
#: to choose code paths, so it names a Flask version, not aioflask's own (for that,
#: use `importlib.metadata.version("aioflask")`). Unlike Flask 3.1 it does not warn.
__version__ = "3.1.3"

__all__ = [
    "Blueprint",
    "Config",
    "Flask",
    "Markup",
    "Request",
    "Response",
    "ServerSentEvent",
    "Websocket",
    "abort",
    "after_this_request",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "copy_current_request_context",
    "current_app",
    "escape",
    "flash",
    "g",
    "get_flashed_messages",
    "get_template_attribute",
    "got_request_exception",
    "has_app_context",
    "has_request_context",
    "has_websocket_context",
    "json",
    "jsonify",
    "make_response",
    "message_flashed",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "send_file",
    "send_from_directory",
    "session",
    "sse_response",
    "stream_template",
    "stream_template_string",
    "stream_with_context",
    "template_rendered",
    "url_for",
    "websocket",
]
