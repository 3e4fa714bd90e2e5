"""`app.logger`, the default handler, and escaping request text in log lines (HOSTILE R6)."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aioflask import Flask
from aioflask.logging import default_handler, escape_log_text, has_level_handler
from tests.docsnippets import python_blocks, run_block
from tests.serving import serve


@pytest.fixture
def fresh_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app with a logger name no other test uses, cleaned up afterwards."""
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = Flask(f"test_logging_{uuid.uuid4().hex}")  # not a module: the name is used as is
    yield app
    logger = logging.getLogger(app.name)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


# -- the logger --------------------------------------------------------------------------------


def test_logger_is_the_standard_logger_named_after_the_app(fresh_app: Flask) -> None:
    assert fresh_app.logger is logging.getLogger(fresh_app.name)
    assert fresh_app.logger is fresh_app.logger


def test_default_handler_added_when_nothing_would_print(
    fresh_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    assert default_handler in fresh_app.logger.handlers


def test_default_handler_writes_to_the_current_stderr(
    fresh_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    fresh_app.logger.warning("disk %s is full", "/dev/sda1")
    line = stream.getvalue()
    assert "WARNING in test_logging: disk /dev/sda1 is full" in line
    assert line.startswith("[")


def test_no_default_handler_when_a_handler_is_configured(
    fresh_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [logging.NullHandler()])
    assert has_level_handler(fresh_app.logger)
    assert default_handler not in fresh_app.logger.handlers


def test_removing_the_default_handler_and_adding_your_own(
    fresh_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    fresh_app.logger.removeHandler(default_handler)
    mine = io.StringIO()
    handler = logging.StreamHandler(mine)
    handler.setFormatter(logging.Formatter("mine: %(message)s"))
    fresh_app.logger.addHandler(handler)
    fresh_app.logger.error("hello")
    assert mine.getvalue() == "mine: hello\n"
    assert stderr.getvalue() == ""


def test_debug_mode_sets_debug_level(fresh_app: Flask) -> None:
    fresh_app.debug = True
    assert fresh_app.logger.level == logging.DEBUG


def test_production_keeps_the_level_unset(fresh_app: Flask) -> None:
    assert fresh_app.logger.level == logging.NOTSET


def test_an_explicit_level_is_kept_in_debug_mode(fresh_app: Flask) -> None:
    logging.getLogger(fresh_app.name).setLevel(logging.ERROR)
    fresh_app.debug = True
    assert fresh_app.logger.level == logging.ERROR


# -- escaping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/plain/path", "/plain/path"),
        ("/café/ünïcode", "/café/ünïcode"),
        ("/\x1b[31mred", "/\\x1b[31mred"),
        ("/a\r\nFAKE LINE", "/a\\r\\nFAKE LINE"),
        ("/tab\there", "/tab\\there"),
        ("/nul\x00", "/nul\\x00"),
        ("/sep\u2028line", "/sep\\u2028line"),
        ("/quote'\"", "/quote'\""),
    ],
)
def test_escape_log_text(text: str, expected: str) -> None:
    assert escape_log_text(text) == expected


@pytest.mark.parametrize(
    ("url", "raw", "escaped"),
    [
        ("/boom/%1b[31mred", "\x1b", "/boom/\\x1b[31mred"),
        ("/boom/a%0d%0aINFO fake entry", "\r\n", "/boom/a\\r\\nINFO fake entry"),
    ],
    ids=["ansi-escape", "crlf"],
)
async def test_unhandled_exception_log_escapes_the_path(
    app: Flask, caplog: pytest.LogCaptureFixture, url: str, raw: str, escaped: str
) -> None:
    @app.route("/boom/<rest>")
    def boom(rest: str) -> str:
        raise ValueError("view failed")

    async with client_for(app) as client:
        r = await client.get(url)
    assert r.status_code == 500
    [record] = [rec for rec in caplog.records if rec.name == app.logger.name]
    message = record.getMessage()
    assert message == f"Exception on {escaped} [GET]"
    assert raw not in message
    assert record.exc_info is not None and record.exc_info[0] is ValueError


def test_real_server_logs_escape_the_path(app: Flask) -> None:
    """Through uvicorn: no log line, ours or the server's, carries raw control characters."""

    @app.route("/boom/<rest>")
    def boom(rest: str) -> str:
        raise ValueError("view failed")

    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    collector = Collect()
    app.logger.addHandler(collector)
    access = logging.getLogger("uvicorn.access")
    access_level = access.level
    try:
        with serve(app) as base:
            access.addHandler(collector)
            access.setLevel(logging.INFO)  # `serve` quiets uvicorn to WARNING
            r = httpx.get(f"{base}/boom/%1b[31mred%0d%0aFAKE")
    finally:
        app.logger.removeHandler(collector)
        access.removeHandler(collector)
        access.setLevel(access_level)
    assert r.status_code == 500
    assert "view failed" not in r.text
    lines = [rec.getMessage() for rec in records]
    assert "Exception on /boom/\\x1b[31mred\\r\\nFAKE [GET]" in lines
    # uvicorn's access line is uvicorn's to format; we only require that it
    # was written and that no raw control character reached it.
    access_lines = [rec.getMessage() for rec in records if rec.name == "uvicorn.access"]
    assert len(access_lines) == 1 and "/boom/" in access_lines[0]
    for line in lines:
        assert "\x1b" not in line and "\r" not in line and "\n" not in line


@pytest.mark.parametrize(("line", "code"), python_blocks("logging.md"))
def test_docs_examples(tmp_path: Path, line: int, code: str) -> None:
    run_block("logging.md", line, code, tmp_path)
