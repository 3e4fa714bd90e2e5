"""Flask's signals: names, senders, keyword arguments and their place in the lifecycle.

The order tests build the same app with `flask` and with `aioflask`, record
every hook and every signal, and compare the two sequences.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import blinker
import flask
import flask.signals
import pytest

import aioflask
import aioflask.signals
from aioflask import (
    Flask,
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    before_render_template,
    flash,
    got_request_exception,
    message_flashed,
    render_template,
    render_template_string,
    request_finished,
    request_started,
    request_tearing_down,
    stream_template_string,
    template_rendered,
)
from tests.docsnippets import python_blocks, run_block

SIGNAL_NAMES = [
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


# -- the signal objects ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", SIGNAL_NAMES)
def test_exported_like_flask(name: str) -> None:
    ours = getattr(aioflask, name)
    theirs = getattr(flask, name)
    assert isinstance(ours, blinker.NamedSignal)
    assert ours.name == theirs.name
    assert getattr(aioflask.signals, name) is ours
    assert aioflask.signals._signals.signal(ours.name) is ours
    assert ours is not theirs  # a namespace of our own, as Flask's is its own
    assert name in aioflask.__all__


def test_namespace_is_blinkers() -> None:
    assert aioflask.signals.Namespace is blinker.Namespace
    assert set(SIGNAL_NAMES) < set(aioflask.signals.__all__)


# -- order against Flask 3.1 ----------------------------------------------------------------------


def _name(exc: BaseException | None) -> str:
    return "None" if exc is None else type(exc).__name__


def _describe(signal: str, kwargs: dict[str, Any]) -> str:
    if signal == "request_finished":
        return f"{signal} {kwargs['response'].status_code}"
    if signal == "got_request_exception":
        return f"{signal} {_name(kwargs['exception'])}"
    if signal in ("request_tearing_down", "appcontext_tearing_down"):
        return f"{signal} {_name(kwargs['exc'])}"
    if signal in ("before_render_template", "template_rendered"):
        return f"{signal} x={kwargs['context']['x']}"
    if signal == "message_flashed":
        return f"{signal} {kwargs['category']}:{kwargs['message']}"
    assert not kwargs, (signal, kwargs)
    return signal


@contextlib.contextmanager
def recording(mod: ModuleType, app: Any, events: list[str]) -> Iterator[None]:
    """Connect a receiver for `app` to each of `mod`'s ten signals."""

    def receiver_for(signal: str) -> Any:
        def receiver(sender: Any, **kwargs: Any) -> None:
            assert sender is app
            events.append(_describe(signal, kwargs))

        return receiver

    with contextlib.ExitStack() as stack:
        for signal in SIGNAL_NAMES:
            stack.enter_context(getattr(mod, signal).connected_to(receiver_for(signal), app))
        yield


def make_app(mod: ModuleType, events: list[str]) -> Any:
    """The same app for Flask and aioflask, logging each hook it runs into `events`."""
    app = mod.Flask(__name__)
    app.config.update(SECRET_KEY="secret", TESTING=False, DEBUG=False, PROPAGATE_EXCEPTIONS=False)
    app.logger.disabled = True  # the 500 case logs its traceback

    @app.url_value_preprocessor
    def preprocess(endpoint: str | None, values: dict[str, Any] | None) -> None:
        events.append("url_value_preprocessor")

    @app.before_request
    def before() -> None:
        events.append("before_request")

    @app.after_request
    def after(response: Any) -> Any:
        events.append("after_request")
        return response

    @app.teardown_request
    def teardown_request(exc: BaseException | None) -> None:
        events.append(f"teardown_request {_name(exc)}")

    @app.teardown_appcontext
    def teardown_appcontext(exc: BaseException | None) -> None:
        events.append(f"teardown_appcontext {_name(exc)}")

    @app.errorhandler(500)
    def on_500(e: Exception) -> Any:
        events.append("errorhandler 500")
        return "oops", 500

    @app.errorhandler(LookupError)
    def on_lookup(e: Exception) -> Any:
        events.append("errorhandler LookupError")
        return "handled", 400

    @app.route("/ok")
    def ok() -> Any:
        events.append("view")
        mod.flash("saved", "info")
        return mod.render_template_string("{{ x }}", x=1)

    @app.route("/handled")
    def handled() -> Any:
        raise KeyError("k")

    @app.route("/boom")
    def boom() -> Any:
        raise ValueError("v")

    @app.route("/abort")
    def aborted() -> Any:
        mod.abort(404)

    @app.route("/stream")
    def stream() -> Any:
        events.append("view")
        return mod.stream_template_string("{% for i in range(3) %}{{ x }}{% endfor %}", x=2)

    return app


def run_request(mod: ModuleType, path: str) -> tuple[list[str], int, bytes]:
    events: list[str] = []
    app = make_app(mod, events)
    with recording(mod, app, events):
        response = app.test_client().get(path)
        body = response.get_data()
        response.close()
    return events, response.status_code, body


@pytest.mark.parametrize("path", ["/ok", "/handled", "/boom", "/abort", "/missing"])
def test_request_order_matches_flask(path: str) -> None:
    ours, status, _ = run_request(aioflask, path)
    theirs, flask_status, _ = run_request(flask, path)
    assert (ours, status) == (theirs, flask_status)


#: What popping a request context (and its app context) records.
TEARDOWN = [
    "teardown_request None",
    "request_tearing_down None",
    "teardown_appcontext None",
    "appcontext_tearing_down None",
    "appcontext_popped",
]


def without_flask_early_teardown(events: list[str], after: str) -> list[str]:
    """Flask's sequence without the teardown and re-push Flask 3.1 does after `after`.

    For a streamed response and for `with client:`, Flask 3.1 tears the
    request down when `wsgi_app` returns, then pushes the context again (for
    the stream, or for the block) and tears it down a second time at the
    end. aioflask keeps the one context until then, so teardown runs once.
    """
    i = events.index(after) + 1
    assert events[i : i + len(TEARDOWN) + 1] == [*TEARDOWN, "appcontext_pushed"]
    return events[:i] + events[i + len(TEARDOWN) + 1 :]


def test_stream_order_matches_flask_but_tears_down_once() -> None:
    ours, _, body = run_request(aioflask, "/stream")
    theirs, _, flask_body = run_request(flask, "/stream")
    assert body == flask_body == b"222"
    assert ours == without_flask_early_teardown(theirs, "request_finished 200")


def test_request_order_spelled_out() -> None:
    events, status, body = run_request(aioflask, "/ok")
    assert (status, body) == (200, b"1")
    assert events == [
        "appcontext_pushed",
        "request_started",
        "url_value_preprocessor",
        "before_request",
        "view",
        "message_flashed info:saved",
        "before_render_template x=1",
        "template_rendered x=1",
        "after_request",
        "request_finished 200",
        "teardown_request None",
        "request_tearing_down None",
        "teardown_appcontext None",
        "appcontext_tearing_down None",
        "appcontext_popped",
    ]


def test_unhandled_error_order_spelled_out() -> None:
    events, status, _ = run_request(aioflask, "/boom")
    assert status == 500
    assert events == [
        "appcontext_pushed",
        "request_started",
        "url_value_preprocessor",
        "before_request",
        "got_request_exception ValueError",
        "errorhandler 500",
        "after_request",
        "request_finished 500",
        "teardown_request ValueError",
        "request_tearing_down ValueError",
        "teardown_appcontext ValueError",
        "appcontext_tearing_down ValueError",
        "appcontext_popped",
    ]


def test_stream_template_sends_template_rendered_once_exhausted() -> None:
    events, _, body = run_request(aioflask, "/stream")
    assert body == b"222"
    assert events.index("before_render_template x=2") == events.index("view") + 1
    assert events.index("request_finished 200") < events.index("template_rendered x=2")
    assert events.index("template_rendered x=2") < events.index("teardown_request None")


def run_contexts(mod: ModuleType) -> list[str]:
    """Contexts pushed by hand, and a request kept by `with client:`."""
    events: list[str] = []
    app = make_app(mod, events)
    with recording(mod, app, events):
        with app.app_context():
            events.append("inside app_context")
            with app.app_context():  # a second one, inside the first
                events.append("inside nested app_context")
        with app.test_request_context("/ok"):
            events.append("inside test_request_context")
        with app.app_context():
            with app.test_request_context("/ok"):  # reuses the active app context
                events.append("inside both")
        with app.test_client() as client:
            client.get("/ok")
            events.append("inside with client")
        events.append("after with client")
    return events


def test_context_order_matches_flask() -> None:
    ours = run_contexts(aioflask)
    assert ours == without_flask_early_teardown(run_contexts(flask), "request_finished 200")
    end = ours.index("inside with client")
    assert ours[end - 1 :] == [
        "request_finished 200",
        "inside with client",
        *TEARDOWN,
        "after with client",
    ]


def test_app_context_exception_reaches_tearing_down() -> None:
    def run(mod: ModuleType) -> list[str]:
        events: list[str] = []
        app = mod.Flask(__name__)
        with recording(mod, app, events), pytest.raises(RuntimeError):
            with app.app_context():
                raise RuntimeError("x")
        return events

    assert (
        run(aioflask)
        == run(flask)
        == [
            "appcontext_pushed",
            "appcontext_tearing_down RuntimeError",
            "appcontext_popped",
        ]
    )


# -- Flask-style test usage -----------------------------------------------------------------------


def test_template_rendered_flask_style(app: Flask) -> None:
    app.template_folder = "templates"

    @app.get("/")
    def index() -> str:
        return render_template_string("Hello {{ name }}", name="World")

    recorded: list[tuple[Any, dict[str, Any]]] = []

    def record(sender: Flask, template: Any, context: dict[str, Any], **extra: Any) -> None:
        recorded.append((template, context))

    template_rendered.connect(record, app)
    try:
        assert app.test_client().get("/").text == "Hello World"
    finally:
        template_rendered.disconnect(record, app)
    assert len(recorded) == 1
    template, context = recorded[0]
    assert context["name"] == "World"
    assert template.render(name="again") == "Hello again"


def test_template_rendered_with_a_template_file(app: Flask) -> None:
    @app.get("/")
    def index() -> str:
        return render_template("hello.html", name="World")

    recorded: list[str | None] = []

    def record(sender: Flask, template: Any, context: dict[str, Any], **extra: Any) -> None:
        recorded.append(template.name)

    with template_rendered.connected_to(record, app):
        response = app.test_client().get("/")
    assert response.status_code == 200, response.text
    assert recorded == ["hello.html"]


def test_before_render_template_may_change_the_context(app: Flask) -> None:
    def change(sender: Flask, template: Any, context: dict[str, Any], **extra: Any) -> None:
        context["name"] = "changed"

    with app.app_context(), before_render_template.connected_to(change, app):
        assert render_template_string("{{ name }}", name="original") == "changed"


def test_stream_template_sends_after_the_last_piece(app: Flask) -> None:
    events: list[str] = []

    def before(sender: Flask, **kwargs: Any) -> None:
        events.append("before")

    def rendered(sender: Flask, **kwargs: Any) -> None:
        events.append("rendered")

    with (
        app.test_request_context(),
        before_render_template.connected_to(before, app),
        template_rendered.connected_to(rendered, app),
    ):
        stream = stream_template_string("{{ a }}{{ b }}", a="1", b="2")
        assert events == ["before"]
        assert next(stream) == "1"
        assert events == ["before"]
        assert "".join(stream) == "2"
        assert events == ["before", "rendered"]


def test_message_flashed(app: Flask) -> None:
    app.secret_key = "secret"
    recorded: list[tuple[str, str]] = []

    def record(sender: Flask, message: str, category: str, **extra: Any) -> None:
        recorded.append((message, category))

    with message_flashed.connected_to(record, app), app.test_request_context():
        flash("one")
        flash("two", "error")
    assert recorded == [("one", "message"), ("two", "error")]


def test_receiver_for_another_app_is_not_called(app: Flask) -> None:
    other = Flask("other")
    called: list[Any] = []

    def record(sender: Flask, **kwargs: Any) -> None:
        called.append(sender)

    @app.get("/")
    def index() -> str:
        return render_template_string("x")

    with (
        template_rendered.connected_to(record, other),
        request_started.connected_to(record, other),
        appcontext_pushed.connected_to(record, other),
    ):
        assert app.test_client().get("/").status_code == 200
    assert called == []


def test_receiver_without_sender_hears_every_app(app: Flask) -> None:
    other = Flask("other")
    senders: list[Flask] = []

    def record(sender: Flask, **kwargs: Any) -> None:
        senders.append(sender)

    with appcontext_pushed.connected_to(record):
        with app.app_context(), other.app_context():
            pass
    assert senders == [app, other]


def test_muted_signal_is_not_sent(app: Flask) -> None:
    called: list[Any] = []

    def record(sender: Flask, **kwargs: Any) -> None:
        called.append(sender)

    with request_started.connected_to(record, app), request_started.muted():
        app.test_client().get("/")
    assert called == []


# -- async receivers ------------------------------------------------------------------------------


ALL_SIGNALS = [getattr(aioflask.signals, name) for name in SIGNAL_NAMES]


@contextlib.contextmanager
def async_recording(app: Flask, events: list[str]) -> Iterator[None]:
    """An `async def` receiver (that really awaits) on each of the ten signals."""

    def receiver_for(signal: str) -> Any:
        async def receiver(sender: Any, **kwargs: Any) -> None:
            await asyncio.sleep(0)
            assert sender is app
            events.append(_describe(signal, kwargs))

        return receiver

    with contextlib.ExitStack() as stack:
        for name, signal in zip(SIGNAL_NAMES, ALL_SIGNALS, strict=True):
            stack.enter_context(signal.connected_to(receiver_for(name), app))
        yield


def make_async_app(events: list[str]) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="secret", TESTING=False, DEBUG=False)

    @app.get("/async")
    async def async_view() -> str:
        flash("a")
        return render_template_string("{{ x }}", x=3)

    @app.get("/sync")
    def sync_view() -> str:
        flash("s")
        return render_template_string("{{ x }}", x=4)

    @app.get("/boom")
    async def boom() -> str:
        raise ValueError("v")

    return app


@pytest.mark.parametrize(("path", "x", "category"), [("/async", 3, "a"), ("/sync", 4, "s")])
async def test_async_receivers_on_every_signal(path: str, x: int, category: str) -> None:
    events: list[str] = []
    app = make_async_app(events)
    with async_recording(app, events):
        response = await app.test_client().get(path)
    assert response.status_code == 200
    assert events == [
        "appcontext_pushed",
        "request_started",
        f"message_flashed message:{category}",
        f"before_render_template x={x}",
        f"template_rendered x={x}",
        "request_finished 200",
        "request_tearing_down None",
        "appcontext_tearing_down None",
        "appcontext_popped",
    ]


async def test_async_receiver_for_got_request_exception() -> None:
    events: list[str] = []
    app = make_async_app(events)
    app.logger.disabled = True
    with async_recording(app, events):
        response = await app.test_client().get("/boom")
    assert response.status_code == 500
    assert "got_request_exception ValueError" in events
    assert events[-3:] == [
        "request_tearing_down ValueError",
        "appcontext_tearing_down ValueError",
        "appcontext_popped",
    ]


async def test_async_receivers_with_async_with(app: Flask) -> None:
    events: list[str] = []
    with async_recording(app, events):
        async with app.app_context():
            events.append("inside")
        async with app.test_request_context("/"):
            events.append("inside request")
    assert events == [
        "appcontext_pushed",
        "inside",
        "appcontext_tearing_down None",
        "appcontext_popped",
        "appcontext_pushed",
        "inside request",
        "request_tearing_down None",
        "appcontext_tearing_down None",
        "appcontext_popped",
    ]


def test_async_receivers_from_sync_code(app: Flask) -> None:
    events: list[str] = []
    app.secret_key = "secret"
    with async_recording(app, events):
        with app.test_request_context():
            flash("hi", "info")
            render_template_string("{{ x }}", x=5)
    assert events == [
        "appcontext_pushed",
        "message_flashed info:hi",
        "before_render_template x=5",
        "template_rendered x=5",
        "request_tearing_down None",
        "appcontext_tearing_down None",
        "appcontext_popped",
    ]


async def test_receivers_see_the_request(app: Flask) -> None:
    seen: list[str] = []

    async def started(sender: Flask, **kwargs: Any) -> None:
        seen.append(aioflask.request.path)

    def finished(sender: Flask, response: aioflask.Response, **kwargs: Any) -> None:
        seen.append(f"{aioflask.request.path} {response.status_code}")

    @app.get("/here")
    def here() -> str:
        return "ok"

    with (
        request_started.connected_to(started, app),
        request_finished.connected_to(finished, app),
    ):
        await app.test_client().get("/here")
    assert seen == ["/here", "/here 200"]


# -- receiver errors ------------------------------------------------------------------------------


def test_request_started_error_goes_to_the_error_handlers(app: Flask) -> None:
    def fail(sender: Flask, **kwargs: Any) -> None:
        raise LookupError("from a receiver")

    @app.errorhandler(LookupError)
    def on_lookup(e: LookupError) -> tuple[str, int]:
        return f"handled {e}", 400

    with request_started.connected_to(fail, app):
        response = app.test_client().get("/")
    assert (response.status_code, response.text) == (400, "handled from a receiver")


def test_tearing_down_receiver_error_is_logged(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    torn: list[str] = []

    def fail(sender: Flask, **kwargs: Any) -> None:
        raise RuntimeError("teardown receiver")

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        torn.append("appcontext")

    @app.get("/")
    def index() -> str:
        return "ok"

    with request_tearing_down.connected_to(fail, app), caplog.at_level(logging.ERROR):
        response = app.test_client().get("/")
    assert response.text == "ok"
    assert torn == ["appcontext"]  # the rest of the teardown still ran
    assert "A request_tearing_down receiver raised an error" in caplog.text


# -- nobody listening -----------------------------------------------------------------------------


def test_no_receivers_means_no_send(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """With nobody connected, the framework never calls into blinker."""
    for signal in ALL_SIGNALS:
        assert not signal.receivers, signal.name

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a signal was sent with no receivers")

    monkeypatch.setattr(blinker.Signal, "send", refuse)
    monkeypatch.setattr(blinker.Signal, "send_async", refuse)
    app.secret_key = "secret"
    app.logger.disabled = True

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        pass

    @app.get("/")
    def index() -> str:
        flash("x")
        return render_template_string("{{ 1 }}")

    @app.get("/stream")
    def stream() -> Any:
        return stream_template_string("{{ 2 }}")

    @app.get("/boom")
    def boom() -> str:
        raise ValueError("v")

    client = app.test_client()
    assert client.get("/").text == "1"
    assert client.get("/stream").text == "2"
    assert client.get("/boom").status_code == 500
    with app.app_context():
        pass


def test_flask_signals_are_not_aioflask_signals(app: Flask) -> None:
    """A receiver on `flask.template_rendered` does not hear aioflask apps (other namespace)."""
    called: list[Any] = []

    def record(sender: Any, **kwargs: Any) -> None:
        called.append(sender)

    with flask.signals.template_rendered.connected_to(record), app.app_context():
        render_template_string("x")
    assert called == []


def test_every_signal_has_a_receiver_free_default() -> None:
    assert {s.name for s in ALL_SIGNALS} == {
        getattr(flask.signals, name).name for name in SIGNAL_NAMES
    }
    assert got_request_exception is aioflask.signals.got_request_exception
    assert appcontext_popped.name == "appcontext-popped"
    assert appcontext_tearing_down.name == "appcontext-tearing-down"
    assert request_tearing_down.name == "request-tearing-down"


# -- docs/signals.md ------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "code"), python_blocks("signals.md"))
def test_docs_examples(line: int, code: str, tmp_path: Any) -> None:
    run_block("signals.md", line, code, tmp_path)
    for signal in ALL_SIGNALS:
        assert not signal.receivers, (line, signal.name)
