"""Helpers used in views: templates, flash, redirect, make_response without await."""

from __future__ import annotations

import httpx

from aioflask import (
    Flask,
    flash,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    render_template_string,
)


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


def make_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "k"
    return app


async def test_make_response_with_render_template_and_header() -> None:
    app = make_app()

    @app.errorhandler(404)
    def not_found(error: Exception) -> object:
        resp = make_response(render_template("error.html"), 404)
        resp.headers["X-Something"] = "A value"
        return resp

    async with client_for(app) as client:
        r = await client.get("/nowhere")
    assert r.status_code == 404
    assert r.headers["x-something"] == "A value"
    assert r.text.strip() == "<h1>Oops</h1>"


async def test_render_template_string_autoescapes() -> None:
    app = make_app()

    @app.get("/")
    async def index() -> str:
        return render_template_string("{{ v }}|{{ v|safe }}", v="<b>")

    async with client_for(app) as client:
        r = await client.get("/")
    assert r.text == "&lt;b&gt;|<b>"


async def test_flash_shows_on_the_next_request_only() -> None:
    app = make_app()

    @app.post("/login")
    def login() -> object:
        flash("You were logged in")
        return redirect("/")

    @app.get("/")
    def index() -> str:
        return render_template("hello.html", name="you")

    @app.get("/raw")
    def raw() -> object:
        return {"messages": get_flashed_messages(with_categories=True)}

    async with client_for(app) as client:
        r = await client.post("/login")
        assert r.status_code == 302
        assert r.headers["location"] == "/"
        r = await client.get("/")
        assert "<i>You were logged in</i>" in r.text
        r = await client.get("/")
        assert "<i>" not in r.text
        await client.post("/login")
        r = await client.get("/raw")
        assert r.json() == {"messages": [["message", "You were logged in"]]}


async def test_redirect_keeps_relative_location_and_escapes_body() -> None:
    app = make_app()

    @app.get("/go")
    def go() -> object:
        return redirect('/x?a="<b>"', code=301)

    async with client_for(app) as client:
        r = await client.get("/go")
    assert r.status_code == 301
    assert r.headers["location"] == '/x?a="<b>"'
    assert "&lt;b&gt;" in r.text and "<b>" not in r.text


async def test_redirect_with_crlf_never_injects_a_header() -> None:
    app = make_app()

    @app.get("/bad")
    def bad() -> object:
        return redirect("/x\r\nSet-Cookie: evil=1")

    async with client_for(app) as client:
        r = await client.get("/bad")
    assert r.status_code == 500
    assert "set-cookie" not in r.headers


async def test_missing_template_is_a_bare_500() -> None:
    app = make_app()

    @app.get("/")
    def index() -> str:
        return render_template("nope.html")

    async with client_for(app) as client:
        r = await client.get("/")
    assert r.status_code == 500
    assert "nope.html" not in r.text
    assert "templates" not in r.text
