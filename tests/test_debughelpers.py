"""Debug-mode explanations for common mistakes."""

from __future__ import annotations

import httpx
import pytest

from aioflask import Flask, request
from aioflask.debughelpers import DebugFilesKeyError


def make_app(debug: bool) -> Flask:
    app = Flask(__name__)
    app.debug = debug

    @app.post("/upload")
    def upload() -> str:
        return request.files["the_file"].filename or ""

    return app


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


async def test_missing_file_of_a_non_multipart_form_is_explained_in_debug() -> None:
    async with client_for(make_app(debug=True)) as client:
        with pytest.raises(DebugFilesKeyError) as info:
            await client.post("/upload", data={"the_file": "report.pdf"})
    message = str(info.value)
    assert 'enctype="multipart/form-data"' in message
    assert "application/x-www-form-urlencoded" in message
    assert "only the file's name" in message
    assert isinstance(info.value, KeyError)


async def test_without_debug_it_is_a_plain_400() -> None:
    async with client_for(make_app(debug=False)) as client:
        r = await client.post("/upload", data={"the_file": "report.pdf"})
    assert r.status_code == 400
    assert "enctype" not in r.text


async def test_multipart_requests_are_unaffected_in_debug() -> None:
    async with client_for(make_app(debug=True)) as client:
        r = await client.post("/upload", files={"the_file": ("a.txt", b"x")})
    assert r.status_code == 200
    assert r.text == "a.txt"
