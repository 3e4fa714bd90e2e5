"""Every page of `examples/quickstart/`, through the test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aioflask import Flask
from examples.quickstart.app import app as quickstart_app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    old = quickstart_app.config["UPLOAD_FOLDER"]
    quickstart_app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    try:
        yield quickstart_app
    finally:
        quickstart_app.config["UPLOAD_FOLDER"] = old


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


def flashes(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<li class="(\w+)">([^<]*)</li>', html)


# -- layout, templates and the static stylesheet ------------------------------------------------


async def test_index_uses_the_layout_and_links_the_stylesheet(app: Flask) -> None:
    async with client_for(app) as client:
        r = await client.get("/")
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert "<title>Quickstart - aioflask</title>" in r.text
        assert '<link rel="stylesheet" href="/static/style.css">' in r.text
        assert '<p id="status">You are not logged in</p>' in r.text
        assert '<a href="/login">Log in</a>' in r.text
        assert r.headers["vary"] == "Cookie"  # the layout reads the session
        assert "set-cookie" not in r.headers
        css = await client.get("/static/style.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert "nav {" in css.text


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/hello/", "<h1>Hello, World!</h1>"),
        ("/hello/Ada", "<h1>Hello Ada!</h1>"),
        ("/hello/%3Cscript%3E", "<h1>Hello &lt;script&gt;!</h1>"),
    ],
)
async def test_hello_template(app: Flask, path: str, heading: str) -> None:
    async with client_for(app) as client:
        r = await client.get(path)
    assert r.status_code == 200
    assert heading in r.text
    assert "<title>Hello - aioflask</title>" in r.text


# -- sessions and flashing ------------------------------------------------------------------


async def test_login_flash_index_logout(app: Flask) -> None:
    async with client_for(app) as client:
        form = await client.get("/login")
        assert form.status_code == 200
        assert '<form method="post">' in form.text
        assert 'name="password"' in form.text

        r = await client.post("/login", data={"username": "ada", "password": "secret"})
        assert r.status_code == 302
        assert r.headers["location"] == "/"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("session=") and "HttpOnly" in cookie and "Path=/" in cookie

        r = await client.get("/")
        assert '<p id="status">Logged in as ada</p>' in r.text
        assert '<span class="user">ada</span>' in r.text
        assert flashes(r.text) == [("success", "You were successfully logged in")]
        r = await client.get("/")
        assert flashes(r.text) == []  # shown once
        assert "Logged in as ada" in r.text

        r = await client.get("/logout")
        assert r.status_code == 302
        assert r.headers["location"] == "/"
        r = await client.get("/")
        assert '<p id="status">You are not logged in</p>' in r.text
        assert flashes(r.text) == [("info", "You were logged out")]


async def test_bad_credentials_show_an_error_and_set_no_session(app: Flask) -> None:
    async with client_for(app) as client:
        r = await client.post("/login", data={"username": "ada", "password": "wrong"})
        assert r.status_code == 200
        assert '<p class="error"><strong>Error:</strong> Invalid credentials</p>' in r.text
        assert 'value="ada"' in r.text  # the form keeps what was typed
        assert "set-cookie" not in r.headers
        r = await client.post("/login", data={"username": "  ", "password": "secret"})
        assert "Invalid credentials" in r.text


async def test_user_name_is_escaped_everywhere(app: Flask) -> None:
    async with client_for(app) as client:
        await client.post("/login", data={"username": "<b>x</b>", "password": "secret"})
        r = await client.get("/")
    assert "Logged in as &lt;b&gt;x&lt;/b&gt;" in r.text
    assert "<b>x</b>" not in r.text


async def test_logout_without_a_session_sets_nothing(app: Flask) -> None:
    async with client_for(app) as client:
        r = await client.get("/logout")
    assert r.status_code == 302
    assert "set-cookie" not in r.headers


def test_with_the_sync_client_and_session_transaction(app: Flask) -> None:
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["username"] = "preset"
    r = client.get("/")
    assert "Logged in as preset" in r.text


# -- uploads -------------------------------------------------------------------------------


async def test_upload_saves_under_a_safe_name(app: Flask, tmp_path: Path) -> None:
    async with client_for(app) as client:
        page = await client.get("/upload")
        assert page.status_code == 200
        assert '<form method="post" enctype="multipart/form-data">' in page.text
        assert '<input type="file" name="the_file">' in page.text
        assert "Uploaded files" not in page.text

        r = await client.post(
            "/upload", files={"the_file": ("../../evil name.txt", b"hello upload", "text/plain")}
        )
        assert r.status_code == 302
        assert r.headers["location"] == "/upload"
        saved = tmp_path / "uploads" / "evil_name.txt"
        assert saved.read_bytes() == b"hello upload"
        assert not (tmp_path / "evil name.txt").exists()

        page = await client.get("/upload")
        assert flashes(page.text) == [("success", "Uploaded evil_name.txt")]
        assert '<ul class="files"><li>evil_name.txt</li></ul>' in page.text


async def test_upload_without_a_file_name_or_field(app: Flask, tmp_path: Path) -> None:
    async with client_for(app) as client:
        # What a browser sends when no file was chosen: a file part with an empty name.
        body = (
            b"--b\r\n"
            b'Content-Disposition: form-data; name="the_file"; filename=""\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n"
            b"\r\n--b--\r\n"
        )
        r = await client.post(
            "/upload", content=body, headers={"content-type": "multipart/form-data; boundary=b"}
        )
        assert r.status_code == 302
        page = await client.get("/upload")
        assert flashes(page.text) == [("error", "Choose a file to upload")]
        r = await client.post("/upload", files={"other": ("a.txt", b"x", "text/plain")})
        assert r.status_code == 400
    assert not (tmp_path / "uploads").exists()


async def test_upload_over_the_limit_is_413(app: Flask, tmp_path: Path) -> None:
    async with client_for(app) as client:
        r = await client.post(
            "/upload", files={"the_file": ("big.bin", b"x" * (1024 * 1024 + 1), "text/plain")}
        )
    assert r.status_code == 413
    assert not (tmp_path / "uploads").exists()
