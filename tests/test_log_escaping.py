"""The default log handler never writes terminal control characters (HOSTILE R6)."""

from __future__ import annotations

import io
import logging
import sys

import httpx
import pytest

from aioflask import Flask, request
from aioflask.logging import default_handler


def test_formatter_escapes_control_characters_but_keeps_line_breaks() -> None:
    record = logging.LogRecord(
        "app", logging.ERROR, "f.py", 1, "bad %s", ("\x1b[31mred\rX\nnext\tz",), None
    )
    text = default_handler.format(record)
    assert "\x1b" not in text and "\r" not in text
    assert "\\x1b[31mred\\rX" in text
    assert "\nnext\tz" in text


async def test_exception_text_built_from_request_data_is_escaped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = Flask("log_escaping_app")

    @app.get("/boom")
    def boom() -> str:
        raise ValueError(request.args["q"])

    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    # Under pytest the root logger already has a handler, so aioflask did not
    # add its default one: add it here, as it is when nothing else is set up.
    logger = app.logger
    logger.addHandler(default_handler)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
            r = await c.get("/boom", params={"q": "\x1b[2J\rfake"})
    finally:
        logger.removeHandler(default_handler)
    assert r.status_code == 500
    output = stream.getvalue()
    assert "ValueError" in output
    assert "\x1b" not in output and "\r" not in output
    assert "\\x1b[2J\\rfake" in output
