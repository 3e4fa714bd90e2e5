"""Flashed messages: `flash()` in one request, `get_flashed_messages()` in the next."""

from __future__ import annotations

from typing import Any

import flask
import httpx
import pytest
from markupsafe import Markup

from aioflask import Flask, flash, get_flashed_messages, redirect, render_template_string
from aioflask.wrappers import Response


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


def make_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "flash-secret"

    @app.post("/flash")
    def flash_sync() -> str:
        flash("saved")
        flash("careful", "warning")
        flash("broken", "error")
        return "flashed"

    @app.post("/flash-async")
    async def flash_async() -> str:
        flash("from async", "info")
        return "flashed"

    @app.get("/show")
    async def show() -> dict[str, Any]:
        return {"messages": get_flashed_messages()}

    @app.get("/show-categories")
    def show_categories() -> dict[str, Any]:
        return {"messages": get_flashed_messages(with_categories=True)}

    @app.get("/show-filtered")
    async def show_filtered() -> dict[str, Any]:
        return {
            "problems": get_flashed_messages(category_filter=["warning", "error"]),
            "with": get_flashed_messages(with_categories=True, category_filter=("error",)),
            "all": get_flashed_messages(),
        }

    return app


async def test_message_is_shown_on_the_next_request_only() -> None:
    async with client_for(make_app()) as client:
        r = await client.post("/flash")
        assert r.text == "flashed"
        assert r.headers["set-cookie"].startswith("session=")
        assert (await client.get("/show")).json() == {"messages": ["saved", "careful", "broken"]}
        r = await client.get("/show")
        assert r.json() == {"messages": []}
        assert "set-cookie" not in r.headers  # nothing was left to remove


async def test_reading_the_messages_empties_the_session_cookie() -> None:
    async with client_for(make_app()) as client:
        await client.post("/flash")
        r = await client.get("/show")
        assert r.headers["set-cookie"].startswith("session=;")  # the only content was flashes
        assert r.headers["vary"] == "Cookie"


async def test_categories_and_filters() -> None:
    async with client_for(make_app()) as client:
        await client.post("/flash")
        r = await client.get("/show-categories")
        assert r.json() == {
            "messages": [["message", "saved"], ["warning", "careful"], ["error", "broken"]]
        }
        await client.post("/flash")
        r = await client.get("/show-filtered")
        assert r.json() == {
            "problems": ["careful", "broken"],
            "with": [["error", "broken"]],
            "all": ["saved", "careful", "broken"],  # the same list for the whole request
        }


async def test_flash_from_an_async_view() -> None:
    async with client_for(make_app()) as client:
        await client.post("/flash-async")
        assert (await client.get("/show-categories")).json() == {
            "messages": [["info", "from async"]]
        }


async def test_messages_accumulate_until_read() -> None:
    async with client_for(make_app()) as client:
        await client.post("/flash-async")
        await client.post("/flash-async")
        assert (await client.get("/show")).json() == {"messages": ["from async", "from async"]}


def test_same_list_for_the_rest_of_the_request() -> None:
    app = make_app()
    with app.test_request_context("/"):
        flash("one")
        first = get_flashed_messages()
        flash("two")  # flashed now: for the next request, not this one
        assert get_flashed_messages() == first == ["one"]


async def test_flash_redirect_then_layout_template() -> None:
    app = make_app()
    layout = (
        "{% with messages = get_flashed_messages(with_categories=true) %}"
        "{% for category, message in messages %}<p class={{ category }}>{{ message }}</p>"
        "{% endfor %}{% endwith %}<main>{{ body }}</main>"
    )

    @app.post("/login")
    def login() -> Response:
        flash("You were logged in <b>!</b>", "success")
        flash(Markup("<em>Welcome</em>"))
        return redirect("/home")

    @app.get("/home")
    def home() -> str:
        return render_template_string(layout, body="home")

    async with client_for(app) as client:
        r = await client.post("/login")
        assert r.status_code == 302
        assert r.headers["location"] == "/home"
        r = await client.get("/home")
        assert r.text == (
            "<p class=success>You were logged in &lt;b&gt;!&lt;/b&gt;</p>"
            "<p class=message><em>Welcome</em></p><main>home</main>"
        )
        assert (await client.get("/home")).text == "<main>home</main>"


async def test_messages_flashed_by_flask_are_read_by_aioflask() -> None:
    fapp = flask.Flask(__name__)
    fapp.secret_key = "flash-secret"

    @fapp.get("/flash")
    def fflash() -> str:
        flask.flash("from flask", "info")
        flask.flash(Markup("<i>safe</i>"))
        return "ok"

    cookie = fapp.test_client().get("/flash").headers["Set-Cookie"].split(";")[0]
    async with client_for(make_app()) as client:
        r = await client.get("/show-categories", headers={"cookie": cookie})
    assert r.json() == {"messages": [["info", "from flask"], ["message", "<i>safe</i>"]]}


def test_flash_without_a_secret_key_names_the_setting() -> None:
    app = make_app()
    app.secret_key = None
    app.testing = True
    client = app.test_client()
    with pytest.raises(RuntimeError, match="app.secret_key"):
        client.post("/flash")
    assert client.get("/show").json() == {"messages": []}  # reading still works


def test_with_the_sync_test_client() -> None:
    client = make_app().test_client()
    client.post("/flash")
    assert client.get("/show").get_json() == {"messages": ["saved", "careful", "broken"]}
    assert client.get("/show").get_json() == {"messages": []}
