"""Sessions in the request pipeline, and cookie compatibility with Flask."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import flask
import httpx
from markupsafe import Markup

from aioflask import Flask, session


def make_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "dev-secret"

    @app.get("/set")
    def set_value() -> str:
        session["user"] = "bob"
        return "set"

    @app.get("/read")
    async def read() -> str:
        return str(session.get("user", "nobody"))

    @app.get("/contains")
    async def contains() -> str:
        return str("user" in session)

    @app.get("/untouched")
    async def untouched() -> str:
        return "nothing"

    @app.get("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    @app.get("/permanent")
    def permanent() -> str:
        session.permanent = True
        session["p"] = 1
        return "ok"

    return app


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


async def test_write_sets_a_signed_cookie_and_read_has_vary_only() -> None:
    async with client_for(make_app()) as client:
        r = await client.get("/set")
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("session=")
        assert "HttpOnly" in cookie and "Path=/" in cookie
        assert r.headers["vary"] == "Cookie"
        r = await client.get("/read")
        assert r.text == "bob"
        assert "set-cookie" not in r.headers
        assert r.headers["vary"] == "Cookie"


async def test_membership_test_marks_access() -> None:
    async with client_for(make_app()) as client:
        r = await client.get("/contains")
        assert r.text == "False"
        assert r.headers["vary"] == "Cookie"


async def test_untouched_session_sends_no_vary_and_no_cookie() -> None:
    async with client_for(make_app()) as client:
        await client.get("/set")
        r = await client.get("/untouched")
        assert "vary" not in r.headers
        assert "set-cookie" not in r.headers


async def test_emptied_session_deletes_the_cookie() -> None:
    async with client_for(make_app()) as client:
        await client.get("/set")
        r = await client.get("/clear")
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("session=;")
        assert "Max-Age=0" in cookie and "1970" in cookie


async def test_permanent_session_is_refreshed_even_when_untouched() -> None:
    async with client_for(make_app()) as client:
        first = await client.get("/permanent")
        assert "Expires=" in first.headers["set-cookie"]
        r = await client.get("/untouched")
        assert r.headers["set-cookie"].startswith("session=")
        assert r.headers["vary"] == "Cookie"


async def test_tampered_or_garbage_cookie_gives_an_empty_session() -> None:
    app = make_app()
    async with client_for(app) as client:
        r = await client.get("/set")
        good = r.headers["set-cookie"].split(";")[0].split("=", 1)[1]
        # Change a character in the middle of the signature (the last one may
        # only hold base64 padding bits, which would leave the signature valid).
        mid = len(good) - 10
        flipped = good[:mid] + ("A" if good[mid] != "A" else "B") + good[mid + 1 :]
        for value in (flipped, "", ".", "a.b.c", "!!!notbase64", "x" * 5000, good + "x"):
            client.cookies.clear()
            r = await client.get("/read", headers={"cookie": f"session={value}"})
            assert r.status_code == 200
            assert r.text == "nobody"
            assert "set-cookie" not in r.headers


async def test_first_duplicate_cookie_wins() -> None:
    app = make_app()
    async with client_for(app) as client:
        r = await client.get("/set")
        good = r.headers["set-cookie"].split(";")[0].split("=", 1)[1]
        client.cookies.clear()
        r = await client.get("/read", headers={"cookie": f"session={good}; session=forged"})
        assert r.text == "bob"
        r = await client.get("/read", headers={"cookie": f"=session={good}"})
        assert r.text == "nobody"


async def test_no_secret_key_write_is_a_clear_error() -> None:
    app = make_app()
    app.secret_key = None
    async with client_for(app) as client:
        r = await client.get("/read")
        assert r.status_code == 200
        assert r.text == "nobody"
        r = await client.get("/set")
        assert r.status_code == 500
        assert "secret" not in r.text.lower()
        assert "set-cookie" not in r.headers
    app.testing = True
    async with client_for(app) as client:
        try:
            await client.get("/set")
        except RuntimeError as exc:
            assert "app.secret_key" in str(exc)
        else:  # pragma: no cover
            raise AssertionError("expected RuntimeError")


def _flask_app() -> flask.Flask:
    fapp = flask.Flask(__name__)
    fapp.secret_key = "dev-secret"
    return fapp


VALUES = {
    "tuple": (1, "two"),
    "bytes": b"\x00\xff",
    "markup": Markup("<b>x</b>"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "when": datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc),
    "text": "é",
}


async def test_cookie_made_by_flask_is_read_by_aioflask() -> None:
    fapp = _flask_app()

    @fapp.get("/set")
    def fset() -> str:
        flask.session.update(VALUES)
        return "ok"

    cookie = fapp.test_client().get("/set").headers["Set-Cookie"].split(";")[0]
    app = make_app()
    seen: dict[str, object] = {}

    @app.get("/dump")
    def dump() -> str:
        seen.update(session)
        return "ok"

    async with client_for(app) as client:
        await client.get("/dump", headers={"cookie": cookie})
    assert seen == VALUES
    assert isinstance(seen["markup"], Markup)


async def test_cookie_made_by_aioflask_is_read_by_flask() -> None:
    app = make_app()

    @app.get("/set-all")
    def set_all() -> str:
        session.update(VALUES)
        return "ok"

    async with client_for(app) as client:
        r = await client.get("/set-all")
    cookie = r.headers["set-cookie"].split(";")[0]
    fapp = _flask_app()
    seen: dict[str, object] = {}

    @fapp.get("/dump")
    def fdump() -> str:
        seen.update(flask.session)
        return "ok"

    fclient = fapp.test_client()
    fclient.set_cookie("session", cookie.split("=", 1)[1])
    fclient.get("/dump")
    assert seen == VALUES


async def test_same_secret_same_cookie_as_flask() -> None:
    """Cookie payloads match byte for byte (the timestamp aside)."""
    fapp = _flask_app()

    @fapp.get("/set")
    def fset() -> str:
        flask.session["user"] = "bob"
        flask.session["ids"] = [1, 2]
        return "ok"

    theirs = fapp.test_client().get("/set").headers["Set-Cookie"].split(";")[0]
    app = make_app()

    @app.get("/set2")
    def set2() -> str:
        session["user"] = "bob"
        session["ids"] = [1, 2]
        return "ok"

    async with client_for(app) as client:
        ours = (await client.get("/set2")).headers["set-cookie"].split(";")[0]
    assert ours.split(".")[0] == theirs.split(".")[0]
