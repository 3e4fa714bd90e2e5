"""Sessions in the request pipeline, and cookie compatibility with Flask."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import random
import re
import time
import uuid
import warnings
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import flask
import httpx
import itsdangerous.timed
import pytest
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup

from aioflask import Flask, Request, Response, request, session
from aioflask.globals import _cv_request
from aioflask.sessions import SecureCookieSessionInterface, SessionInterface, SessionMixin
from tests.serving import serve


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
        # Empty pairs and stray spaces around the cookies (HOSTILE S6).
        r = await client.get("/read", headers={"cookie": f";; other=1 ;;  session={good} ;;"})
        assert (r.status_code, r.text) == (200, "bob")


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


# -- flags and dict behaviour ----------------------------------------------------------------


def test_session_flags_follow_flask(app: Flask) -> None:
    app.secret_key = "k"
    with app.test_request_context("/"):
        ctx = _cv_request.get()
        sess = ctx.session
        assert sess.new is False
        assert sess.modified is False
        assert sess.accessed is True  # any use through the request context, as Flask 3.1.3
        assert sess.permanent is False
        sess.permanent = True
        assert sess.modified is True
        assert sess["_permanent"] is True


def test_pop_with_default_of_a_missing_key_changes_nothing(app: Flask) -> None:
    app.secret_key = "k"
    with app.test_request_context("/"):
        assert session.pop("username", None) is None
        assert session.modified is False
        session["username"] = "ann"
        session.modified = False
        assert session.pop("username", None) == "ann"
        assert session.modified is True
        with pytest.raises(KeyError):
            session.pop("username")


def test_failed_writes_do_not_mark_the_session_modified(app: Flask) -> None:
    app.secret_key = "k"
    with app.test_request_context("/"):
        with pytest.raises(KeyError):
            del session["missing"]
        with pytest.raises(KeyError):
            session.popitem()
        assert session.modified is False
        assert session.setdefault("a", 1) == 1
        assert session.modified is True
        session.modified = False
        assert session.setdefault("a", 2) == 1
        assert session.modified is False
        real = session._get_current_object()
        real |= {"b": 2}
        assert session.modified is True and session["b"] == 2


async def test_logout_pop_sends_a_deletion_only_when_something_was_removed() -> None:
    app = make_app()

    @app.get("/logout")
    def logout() -> str:
        session.pop("user", None)
        return "bye"

    async with client_for(app) as client:
        r = await client.get("/logout")
        assert "set-cookie" not in r.headers
        assert r.headers["vary"] == "Cookie"
        await client.get("/set")
        r = await client.get("/logout")
        assert r.headers["set-cookie"].startswith("session=;")
        assert (await client.get("/read")).text == "nobody"


async def test_nested_mutation_is_not_seen_unless_marked_modified() -> None:
    app = make_app()

    @app.get("/start")
    def start() -> str:
        session["cart"] = ["a"]
        return "ok"

    @app.get("/append")
    def append() -> str:
        session["cart"].append(request.args["item"])
        if request.args.get("mark"):
            session.modified = True
        return "ok"

    @app.get("/cart")
    async def cart() -> str:
        return ",".join(session.get("cart", []))

    async with client_for(app) as client:
        await client.get("/start")
        r = await client.get("/append", params={"item": "b"})
        assert "set-cookie" not in r.headers  # as Flask: nested changes are not detected
        assert (await client.get("/cart")).text == "a"
        r = await client.get("/append", params={"item": "c", "mark": "1"})
        assert "set-cookie" in r.headers
        assert (await client.get("/cart")).text == "a,c"


@pytest.mark.parametrize("use", ["len", "iter", "keys", "items", "get", "permanent"])
async def test_every_kind_of_read_adds_vary_cookie(use: str) -> None:
    app = make_app()

    @app.get("/use")
    async def use_it() -> str:
        if use == "len":
            return str(len(session))
        if use == "iter":
            return ",".join(iter(session))
        if use == "keys":
            return ",".join(session.keys())
        if use == "items":
            return str(list(session.items()))
        if use == "get":
            return str(session.get("x"))
        return str(session.permanent)

    async with client_for(app) as client:
        r = await client.get("/use")
        assert r.headers["vary"] == "Cookie"
        assert "set-cookie" not in r.headers


async def test_vary_cookie_is_added_to_an_existing_vary() -> None:
    app = make_app()

    @app.get("/both")
    async def both() -> tuple[str, dict[str, str]]:
        return str(session.get("user")), {"Vary": "Accept-Encoding"}

    async with client_for(app) as client:
        r = await client.get("/both")
    assert r.headers["vary"] == "Accept-Encoding, Cookie"


# -- configuration ---------------------------------------------------------------------------

_ALL_OPTIONS = {
    "SESSION_COOKIE_NAME": "sid",
    "SESSION_COOKIE_DOMAIN": "example.com",
    "SESSION_COOKIE_PATH": "/app",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_PARTITIONED": True,
}


def _normalise(set_cookie: str) -> str:
    """Blank out the signed value and the date, which differ between two runs."""
    set_cookie = re.sub(r"^([^=]+)=[^;]*", r"\1=VALUE", set_cookie)
    return re.sub(r"Expires=[^;]+", "Expires=DATE", set_cookie)


async def test_all_cookie_options_give_the_same_header_text_as_flask() -> None:
    fapp = _flask_app()
    fapp.config.update(_ALL_OPTIONS)

    @fapp.get("/set")
    def fset() -> str:
        flask.session.permanent = True
        flask.session["a"] = 1
        return "ok"

    theirs = fapp.test_client().get("/set").headers["Set-Cookie"]
    app = make_app()
    app.config.update(_ALL_OPTIONS)

    @app.get("/set-permanent")
    def set_permanent() -> str:
        session.permanent = True
        session["a"] = 1
        return "ok"

    async with client_for(app) as client:
        ours = (await client.get("/set-permanent")).headers["set-cookie"]
    assert _normalise(ours) == _normalise(theirs)
    assert _normalise(ours) == (
        "sid=VALUE; Domain=example.com; Expires=DATE; Secure; HttpOnly; Path=/app; "
        "SameSite=Lax; Partitioned"
    )


async def test_deletion_cookie_matches_flask_with_all_options() -> None:
    fapp = _flask_app()
    fapp.config.update(_ALL_OPTIONS)

    @fapp.get("/clear")
    def fclear() -> str:
        flask.session.clear()
        return "ok"

    theirs = fapp.test_client().get("/clear").headers["Set-Cookie"]
    app = make_app()
    app.config.update(_ALL_OPTIONS)

    @app.get("/wipe")
    def wipe() -> str:
        session["x"] = 1
        session.clear()
        return "ok"

    async with client_for(app) as client:
        ours = (await client.get("/wipe")).headers["set-cookie"]
    assert ours == theirs
    assert ours == (
        "sid=; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; "
        "HttpOnly; Path=/app; SameSite=Lax; Partitioned"
    )


async def test_httponly_off_and_path_from_application_root() -> None:
    app = make_app()
    app.config.update(SESSION_COOKIE_HTTPONLY=False, APPLICATION_ROOT="/root")
    async with client_for(app) as client:
        cookie = (await client.get("/set")).headers["set-cookie"]
    assert "HttpOnly" not in cookie
    assert "Path=/root" in cookie
    assert "Secure" not in cookie and "SameSite" not in cookie and "Domain" not in cookie


@pytest.mark.parametrize("lifetime", [120, timedelta(seconds=120)])
async def test_permanent_lifetime_as_seconds_or_timedelta(lifetime: int | timedelta) -> None:
    app = make_app()
    app.config["PERMANENT_SESSION_LIFETIME"] = lifetime
    async with client_for(app) as client:
        r = await client.get("/permanent")
    expires = re.search(r"Expires=([^;]+)", r.headers["set-cookie"])
    assert expires is not None
    when = parsedate_to_datetime(expires.group(1))
    delta = (when - datetime.now(timezone.utc)).total_seconds()
    assert 115 <= delta <= 121


def _cookie_made_at(app: Flask, data: dict[str, Any], when: float) -> str:
    """A valid session cookie whose signature carries the timestamp `when`."""
    interface = cast(SecureCookieSessionInterface, app.session_interface)
    serializer = interface.get_signing_serializer(app)
    assert serializer is not None
    with pytest.MonkeyPatch.context() as patch:
        # itsdangerous reads the clock as `time.time()` in its `timed` module.
        patch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: when))
        return serializer.dumps(data)


@pytest.mark.parametrize("permanent", [True, False])
async def test_cookie_older_than_the_lifetime_gives_an_empty_session(permanent: bool) -> None:
    app = make_app()
    app.config["PERMANENT_SESSION_LIFETIME"] = 60
    data = {"user": "old", "_permanent": permanent}
    fresh = _cookie_made_at(app, data, time.time() - 30)
    stale = _cookie_made_at(app, data, time.time() - 90)
    async with client_for(app) as client:
        r = await client.get("/read", headers={"cookie": f"session={fresh}"})
        assert r.text == "old"
        r = await client.get("/read", headers={"cookie": f"session={stale}"})
        assert r.status_code == 200
        assert r.text == "nobody"


async def test_refresh_each_request_off_sends_no_cookie_for_reads() -> None:
    app = make_app()
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    async with client_for(app) as client:
        assert "set-cookie" in (await client.get("/permanent")).headers
        r = await client.get("/read")
        assert "set-cookie" not in r.headers
        assert r.headers["vary"] == "Cookie"
        r = await client.get("/untouched")
        assert "set-cookie" not in r.headers and "vary" not in r.headers


async def test_non_permanent_session_has_no_expires() -> None:
    async with client_for(make_app()) as client:
        cookie = (await client.get("/set")).headers["set-cookie"]
    assert "Expires" not in cookie and "Max-Age" not in cookie


# -- keys --------------------------------------------------------------------------------------


async def test_secret_key_fallbacks_read_old_cookies_and_sign_with_the_new_key() -> None:
    fapp = flask.Flask(__name__)
    fapp.secret_key = "old-key"

    @fapp.get("/set")
    def fset() -> str:
        flask.session["user"] = "from-flask"
        return "ok"

    old_cookie = fapp.test_client().get("/set").headers["Set-Cookie"].split(";")[0]

    app = make_app()
    app.config.update(SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["older-key", "old-key"])

    @app.get("/touch")
    def touch() -> str:
        session["seen"] = True
        return str(session.get("user"))

    async with client_for(app) as client:
        r = await client.get("/touch", headers={"cookie": old_cookie})
        assert r.text == "from-flask"
        new_cookie = r.headers["set-cookie"].split(";")[0]

    only_new = make_app()
    only_new.secret_key = "new-key"
    only_old = make_app()
    only_old.secret_key = "old-key"
    for target, expected in ((only_new, "from-flask"), (only_old, "nobody")):
        async with client_for(target) as client:
            r = await client.get("/read", headers={"cookie": new_cookie})
            assert r.text == expected
    # Without the fallback the old cookie is simply ignored.
    async with client_for(only_new) as client:
        assert (await client.get("/read", headers={"cookie": old_cookie})).text == "nobody"

    # Flask, configured with the new key only, reads the re-signed cookie too.
    fnew = flask.Flask(__name__)
    fnew.secret_key = "new-key"
    seen: dict[str, Any] = {}

    @fnew.get("/dump")
    def fdump() -> str:
        seen.update(flask.session)
        return "ok"

    fclient = fnew.test_client()
    fclient.set_cookie("session", new_cookie.split("=", 1)[1])
    fclient.get("/dump")
    assert seen == {"user": "from-flask", "seen": True}


async def test_tokens_for_another_purpose_or_removed_key_are_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    reset_token = URLSafeTimedSerializer("dev-secret", salt="password-reset").dumps(
        {"user": "admin"}
    )
    removed_key = URLSafeTimedSerializer(
        "retired", salt="cookie-session", signer_kwargs={"digest_method": hashlib.sha1}
    ).dumps({"user": "admin"})
    not_a_dict = _signed(app, ["user", "admin"])
    caplog.set_level(logging.DEBUG)
    async with client_for(app) as client:
        for token in (reset_token, removed_key, not_a_dict):
            r = await client.get("/read", headers={"cookie": f"session={token}"})
            assert r.status_code == 200
            assert r.text == "nobody"
            assert "set-cookie" not in r.headers
    assert _app_logs_above_debug(caplog) == []


def _app_logs_above_debug(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    # The client's own request log (httpx logs each request at INFO) is not the app's.
    return [
        rec
        for rec in caplog.records
        if rec.levelno > logging.DEBUG and not rec.name.startswith(("httpx", "httpcore"))
    ]


def _signed(app: Flask, data: Any) -> str:
    interface = cast(SecureCookieSessionInterface, app.session_interface)
    serializer = interface.get_signing_serializer(app)
    assert serializer is not None
    return serializer.dumps(data)


async def test_tampered_cookie_logs_nothing_above_debug(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()
    good = _signed(app, {"user": "bob"})
    payload, stamp, signature = good.rsplit(".", 2)
    forged_payload = base64.urlsafe_b64encode(b'{"user":"admin"}').decode().rstrip("=")
    caplog.set_level(logging.DEBUG)
    async with client_for(app) as client:
        assert (await client.get("/read", headers={"cookie": f"session={good}"})).text == "bob"
        for value in (f"{forged_payload}.{stamp}.{signature}", f"{payload}.{stamp}.", "..."):
            r = await client.get("/read", headers={"cookie": f"session={value}"})
            assert (r.status_code, r.text) == (200, "nobody")
    assert _app_logs_above_debug(caplog) == []


# -- sizes -------------------------------------------------------------------------------------


async def test_cookie_over_max_cookie_size_warns_and_is_still_sent() -> None:
    app = make_app()

    @app.get("/big")
    def big() -> str:
        session["blob"] = os.urandom(3000).hex()  # incompressible
        return "ok"

    async with client_for(app) as client:
        with pytest.warns(UserWarning, match="'session' cookie is too large"):
            r = await client.get("/big")
        assert r.status_code == 200
        assert r.text == "ok"
        assert len(r.headers["set-cookie"]) > 4093
        app.config["MAX_COOKIE_SIZE"] = 0  # disables the check
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert (await client.get("/big")).status_code == 200


def _many_cookies(session_cookie: str) -> str:
    others = [f"c{i}=v{i}" for i in range(1000)]
    others.insert(500, session_cookie)
    header = "; ".join(others)
    assert len(header) > 8 * 1024
    return header


async def test_a_thousand_cookies_in_one_header() -> None:
    app = make_app()
    cookie = f"session={_signed(app, {'user': 'deep'})}"

    @app.get("/count")
    async def count() -> str:
        return f"{len(request.cookies)} {session.get('user')}"

    async with client_for(app) as client:
        r = await client.get("/count", headers={"cookie": _many_cookies(cookie)})
        assert (r.status_code, r.text) == (200, "1001 deep")
    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            r = await client.get("/count", headers={"cookie": _many_cookies(cookie)})
            assert (r.status_code, r.text) == (200, "1001 deep")
            assert (await client.get("/untouched")).status_code == 200  # the server lives on


# -- pluggable interfaces ----------------------------------------------------------------------


class DictSession(dict, SessionMixin):  # type: ignore[type-arg]  # dict of str -> Any
    """A server-side session: the data stays in a dict, the cookie holds an id."""

    def __init__(self, sid: str, initial: dict[str, Any] | None = None) -> None:
        super().__init__(initial or {})
        self.sid = sid


class DictSessionInterface(SessionInterface):
    """Keeps sessions in memory; `open_session` really awaits, as a database call would."""

    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}
        self.opened = 0

    async def open_session(self, app: Flask, request: Request) -> DictSession:
        await asyncio.sleep(0)  # a real suspension: this cannot be driven synchronously
        self.opened += 1
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid is not None and sid in self.store:
            return DictSession(sid, self.store[sid])
        return DictSession(uuid.uuid4().hex)

    async def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        await asyncio.sleep(0)
        assert isinstance(session, DictSession)
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            self.store.pop(session.sid, None)
            return
        self.store[session.sid] = dict(session)
        response.set_cookie(self.get_cookie_name(app), session.sid, httponly=True)


def make_server_side_app() -> tuple[Flask, DictSessionInterface]:
    app = Flask(__name__)
    interface = DictSessionInterface()
    interface.lazy_open = False
    app.session_interface = interface

    @app.before_request
    def count_visits() -> None:
        session["visits"] = session.get("visits", 0) + 1

    @app.get("/sync")
    def sync_view() -> dict[str, Any]:
        return dict(session)

    @app.get("/async")
    async def async_view() -> dict[str, Any]:
        return dict(session)

    @app.get("/nothing")
    async def nothing() -> str:
        return "x"

    return app, interface


async def test_async_server_side_interface_is_opened_before_the_hooks() -> None:
    app, interface = make_server_side_app()
    async with client_for(app) as client:
        assert (await client.get("/sync")).json() == {"visits": 1}
        assert (await client.get("/async")).json() == {"visits": 2}
        r = await client.get("/sync")
        assert r.json() == {"visits": 3}
        assert r.headers["vary"] == "Cookie"
        sid = r.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    assert interface.store == {sid: {"visits": 3}}
    assert interface.opened == 3  # once per request


async def test_server_side_interface_untouched_session_gets_no_vary() -> None:
    app = Flask(__name__)
    interface = DictSessionInterface()
    app.session_interface = interface

    @app.get("/nothing")
    async def nothing() -> str:
        return "x"

    async with client_for(app) as client:
        r = await client.get("/nothing")
    assert "vary" not in r.headers
    assert interface.opened == 1


async def test_open_session_failure_is_a_500(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(DictSessionInterface):
        async def open_session(self, app: Flask, request: Request) -> DictSession:
            await asyncio.sleep(0)
            raise ConnectionError("session store is down")

    app = Flask(__name__)
    app.session_interface = Broken()

    @app.get("/")
    async def index() -> str:
        return "never"

    async with client_for(app) as client:
        r = await client.get("/")
    assert r.status_code == 500
    assert "store is down" not in r.text
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 1


def test_lazy_interface_that_awaits_explains_lazy_open(app: Flask) -> None:
    interface = DictSessionInterface()
    interface.lazy_open = True
    app.session_interface = interface
    with app.test_request_context("/"), pytest.raises(RuntimeError, match="lazy_open = False"):
        session.get("x")


# -- the test client's session_transaction -----------------------------------------------------


def test_session_transaction_with_the_sync_client() -> None:
    app = make_app()
    client = app.test_client()
    with client.session_transaction() as sess:
        assert dict(sess) == {}
        sess["user"] = "preset"
    assert client.get("/read").text == "preset"
    client.get("/set")
    with client.session_transaction() as sess:
        assert sess["user"] == "bob"
        sess.clear()
    assert client.get("/read").text == "nobody"


async def test_session_transaction_with_the_async_client() -> None:
    app = make_app()
    async with app.test_client() as client:
        with client.session_transaction() as sess:
            sess["user"] = "async-preset"
        assert (await client.get("/read")).text == "async-preset"


def test_session_transaction_with_a_server_side_interface() -> None:
    app, interface = make_server_side_app()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["role"] = "admin"
    assert client.get("/sync").json() == {"role": "admin", "visits": 1}
    assert list(interface.store.values()) == [{"role": "admin", "visits": 1}]


# -- HOSTILE C2: many clients at once ----------------------------------------------------------


def make_counter_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "counter-secret"

    @app.get("/sync")
    def incr_sync() -> dict[str, Any]:
        session.setdefault("me", request.args["me"])
        session["n"] = session.get("n", 0) + 1
        return {"me": session["me"], "n": session["n"]}

    @app.get("/async")
    async def incr_async() -> dict[str, Any]:
        session.setdefault("me", request.args["me"])
        await asyncio.sleep(random.random() / 100)
        session["n"] = session.get("n", 0) + 1
        return {"me": session["me"], "n": session["n"]}

    return app


async def _count_to_five(client: httpx.AsyncClient, me: str) -> list[dict[str, Any]]:
    seen = []
    for i in range(5):
        r = await client.get("/sync" if i % 2 else "/async", params={"me": me})
        assert r.status_code == 200
        seen.append(r.json())
    return seen


async def test_two_hundred_clients_each_count_to_five() -> None:
    app = make_counter_app()
    clients = [client_for(app) for _ in range(200)]  # 200 cookie jars, requests interleaved
    results = await asyncio.wait_for(
        asyncio.gather(*(_count_to_five(c, f"client-{i}") for i, c in enumerate(clients))),
        timeout=60,
    )
    await asyncio.gather(*(c.aclose() for c in clients))
    for i, seen in enumerate(results):
        assert seen == [{"me": f"client-{i}", "n": n} for n in range(1, 6)]


async def test_concurrent_clients_on_a_real_server_each_count_to_five() -> None:
    app = make_counter_app()
    with serve(app) as base:
        clients = [httpx.AsyncClient(base_url=base, timeout=20) for _ in range(40)]
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*(_count_to_five(c, f"client-{i}") for i, c in enumerate(clients))),
                timeout=60,
            )
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
    for i, seen in enumerate(results):
        assert seen == [{"me": f"client-{i}", "n": n} for n in range(1, 6)]


# -- the examples of docs/sessions.md ----------------------------------------------------------


def _doc_snippets() -> list[Any]:
    from tests.test_quickstart import extract_snippets

    doc = Path(__file__).resolve().parent.parent / "docs" / "sessions.md"
    return extract_snippets(doc.read_text(encoding="utf-8"))


def _run_snippet(code: str) -> Flask:
    namespace: dict[str, Any] = {"__name__": __name__}
    exec(compile(code, "docs/sessions.md", "exec"), namespace)
    return cast(Flask, namespace["app"])


async def test_docs_sessions_examples() -> None:
    login, flashing, server_side = _doc_snippets()

    app = _run_snippet(login.code)
    async with client_for(app) as client:
        assert (await client.get("/")).text == "You are not logged in"
        r = await client.post("/login", data={"username": "ada"})
        assert (r.status_code, r.headers["location"]) == (302, "/")
        assert (await client.get("/")).text == "Logged in as ada"
        r = await client.get("/logout")
        assert r.headers["set-cookie"].startswith("session=;")
        assert (await client.get("/")).text == "You are not logged in"

    app = _run_snippet(flashing.code)
    async with client_for(app) as client:
        assert (await client.post("/save")).status_code == 302
        r = await client.get("/")
        assert r.text == '<p class="message">Saved.</p><p class="warning">Disk almost full.</p>'

    app = _run_snippet(server_side.code)

    @app.get("/count")
    def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    async with client_for(app) as client:
        assert [(await client.get("/count")).text for _ in range(3)] == ["1", "2", "3"]
        sid = client.cookies["session"]
    store = app.session_interface.store  # type: ignore[attr-defined]
    assert store == {sid: {"n": 3}}


class _DictSession(dict[str, Any], SessionMixin):
    pass


class _SyncStoreInterface(SessionInterface):
    """A Flask-style interface: plain `def` methods, as Flask-Session and others write them."""

    def __init__(self, lazy: bool = False) -> None:
        self.lazy_open = lazy
        self.store: dict[str, dict[str, Any]] = {}
        self.threads: list[str] = []

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:  # type: ignore[override]
        import threading

        self.threads.append(threading.current_thread().name)
        sid = request.cookies.get("sid")
        if sid is None:
            return None if request.path == "/none" else _DictSession()
        return _DictSession(self.store.get(sid, {}))

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:  # type: ignore[override]
        self.store["one"] = dict(session)
        response.set_cookie("sid", "one")


@pytest.mark.parametrize("lazy", [False, True])
def test_a_sync_session_interface_works(lazy: bool) -> None:
    import threading

    app = Flask(__name__)
    interface = _SyncStoreInterface(lazy)
    app.session_interface = interface

    @app.get("/set")
    async def set_value() -> str:
        session["n"] = 5
        return "set"

    @app.get("/get")
    async def get_value() -> str:
        return str(session.get("n"))

    @app.get("/none")
    async def none() -> str:
        return session.__class__.__name__

    client = app.test_client()
    assert client.get("/set").text == "set"
    assert interface.store == {"one": {"n": 5}}
    assert client.get("/get").text == "5"
    if not lazy:  # opened before the hooks: on a worker thread, never on the event loop
        assert threading.main_thread().name not in interface.threads
    client.cookies.clear()
    assert app.test_client().get("/none").text == "NullSession"
