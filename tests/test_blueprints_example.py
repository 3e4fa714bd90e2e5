"""`examples/blueprints_app`: the app factory, the auth and blog blueprints, Flask-tutorial style.

Sync tests use the test client as a Flask user would (`with client:` keeps the
last request's context so `session` and `g` can be checked); async tests drive
the same flows with `await`, and one runs them on a real uvicorn server.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aioflask import Flask, g, session
from aioflask.testing import FlaskClient
from examples.blueprints_app import create_app
from examples.blueprints_app.db import get_db
from examples.blueprints_app.passwords import check_password, hash_password
from tests.serving import serve

TEST_DATA = """
INSERT INTO user (username, password) VALUES ('test', '{test}'), ('other', '{other}');
INSERT INTO post (title, body, author_id, created)
VALUES ('test title', 'test' || x'0a' || 'body', 1, '2024-01-01 00:00:00');
"""


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "blog.sqlite"),
            "PASSWORD_HASH_ITERATIONS": 1_000,  # fast hashes for tests
        }
    )
    with app.app_context():
        get_db().executescript(
            TEST_DATA.format(test=hash_password("test", 1_000), other=hash_password("other", 1_000))
        )
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, username: str = "test", password: str = "test") -> Any:
        return self._client.post("/auth/login", data={"username": username, "password": password})

    def logout(self) -> Any:
        return self._client.get("/auth/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


def count_posts(app: Flask) -> int:
    with app.app_context():
        return int(get_db().execute("SELECT COUNT(id) FROM post").fetchone()[0])


# -- the factory and its config ---------------------------------------------------------------


def test_config_comes_from_the_settings_file_and_test_config(tmp_path: Path) -> None:
    assert not create_app().testing
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "x.sqlite")})
    assert app.testing
    # From settings.json:
    assert app.config["BLOG_TITLE"] == "Notes from aioflask"
    assert app.config["SECRET_KEY"] == "dev"
    assert app.config["POSTS_PER_PAGE"] == 20
    # The instance folder holds the database by default.
    default = create_app()
    assert default.config["DATABASE"] == os.path.join(default.instance_path, "blog.sqlite")
    assert default.config.root_path == default.instance_path


def test_blueprints_and_endpoints(app: Flask) -> None:
    assert list(app.blueprints) == ["auth", "blog"]
    endpoints = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    assert endpoints["auth.login"] == "/auth/login"
    assert endpoints["auth.register"] == "/auth/register"
    assert endpoints["blog.index"] == "/"
    assert endpoints["blog.create"] == "/create"
    assert endpoints["index"] == "/"


def test_hello(client: FlaskClient) -> None:
    assert client.get("/hello").data == b"Hello, World!"


def test_db_connection_is_per_context_and_closed(app: Flask) -> None:
    with app.app_context():
        db = get_db()
        assert get_db() is db
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")


def test_password_hashes() -> None:
    stored = hash_password("s3cret", 1_000)
    assert stored.startswith("pbkdf2:sha256:1000$")
    assert check_password(stored, "s3cret")
    assert not check_password(stored, "wrong")
    assert not check_password("garbage", "s3cret")
    assert hash_password("s3cret", 1_000) != stored  # salted


# -- auth -------------------------------------------------------------------------------------


def test_register(client: FlaskClient, app: Flask) -> None:
    assert client.get("/auth/register").status_code == 200
    response = client.post("/auth/register", data={"username": "a", "password": "a"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    with app.app_context():
        row = get_db().execute("SELECT * FROM user WHERE username = 'a'").fetchone()
    assert row is not None
    assert row["password"] != "a" and check_password(row["password"], "a")
    # The flashed message shows on the next page.
    assert b"Account created; please log in." in client.get("/auth/login").data


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "", b"Username is required."),
        ("a", "", b"Password is required."),
        ("test", "test", b"User test is already registered."),
    ],
)
def test_register_validate_input(
    client: FlaskClient, username: str, password: str, message: bytes
) -> None:
    response = client.post("/auth/register", data={"username": username, "password": password})
    assert response.status_code == 200
    assert message in response.data


def test_login(client: FlaskClient, auth: AuthActions) -> None:
    login_page = client.get("/auth/login")
    assert login_page.status_code == 200
    assert b"<h1>Log In</h1>" in login_page.data  # auth/templates/auth/login.html
    response = auth.login()
    assert response.headers["Location"] == "/"
    with client:
        client.get("/")
        assert session["user_id"] == 1
        assert g.user["username"] == "test"


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("a", "test", b"Incorrect username or password."),
        ("test", "a", b"Incorrect username or password."),
        ("", "a", b"Username is required."),
    ],
)
def test_login_validate_input(
    auth: AuthActions, username: str, password: str, message: bytes
) -> None:
    response = auth.login(username, password)
    assert response.status_code == 200
    assert message in response.data


def test_logout(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    with client:
        response = auth.logout()
        assert response.headers["Location"] == "/"
        assert "user_id" not in session


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/create", "/create"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_login_follows_only_local_next(client: FlaskClient, target: str, location: str) -> None:
    response = client.post(
        "/auth/login",
        params={"next": target},
        data={"username": "test", "password": "test"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == location


def test_tampered_session_is_a_visitor(client: FlaskClient) -> None:
    client.cookies.set("session", "eyJ1c2VyX2lkIjoxfQ.forged.signature", domain="localhost")
    with client:
        response = client.get("/")
        assert response.status_code == 200
        assert g.user is None
    assert b"Log In" in response.data


# -- blog -------------------------------------------------------------------------------------


def test_index(client: FlaskClient, auth: AuthActions) -> None:
    response = client.get("/")
    assert b"Log In" in response.data
    assert b"Register" in response.data
    assert b"<title>Posts - Notes from aioflask</title>" in response.data
    auth.login()
    response = client.get("/")
    assert b"Log Out" in response.data
    assert b"test title" in response.data
    assert b"by test on 2024-01-01" in response.data
    assert b'href="/create"' in response.data
    assert b'href="/1"' in response.data


def test_post_page_and_missing_post(client: FlaskClient) -> None:
    response = client.get("/1")
    assert response.status_code == 200
    assert b"<h1>test title</h1>" in response.data
    missing = client.get("/99")
    assert missing.status_code == 404
    assert b"There is no post 99." in missing.data


@pytest.mark.parametrize("path", ["/create"])
def test_login_required(client: FlaskClient, path: str) -> None:
    response = client.post(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/create"


def test_create(client: FlaskClient, auth: AuthActions, app: Flask) -> None:
    auth.login()
    assert client.get("/create").status_code == 200
    response = client.post("/create", data={"title": "created", "body": "words " * 40})
    assert response.headers["Location"] == "/"
    assert count_posts(app) == 2
    page = client.get("/").data.decode()
    assert page.index("created") < page.index("test title")  # newest first
    assert "words words" in page and "…" in page  # the excerpt filter cut the body


def test_create_validate(client: FlaskClient, auth: AuthActions, app: Flask) -> None:
    auth.login()
    response = client.post("/create", data={"title": "", "body": "kept"})
    assert b"Title is required." in response.data
    assert b">kept</textarea>" in response.data
    assert count_posts(app) == 1


def test_html_in_posts_is_escaped(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    client.post("/create", data={"title": "<script>x</script>", "body": "<b>hi</b>"})
    page = client.get("/").data
    assert b"<script>x</script>" not in page
    assert b"&lt;script&gt;x&lt;/script&gt;" in page


# -- async and on a real server ---------------------------------------------------------------


async def test_full_flow_async(app: Flask) -> None:
    async with app.test_client() as client:
        r = await client.post("/auth/register", data={"username": "ann", "password": "pw"})
        assert (r.status_code, r.headers["location"]) == (302, "/auth/login")
        r = await client.post("/auth/login", data={"username": "ann", "password": "pw"})
        assert (r.status_code, r.headers["location"]) == (302, "/")
        assert "session=" in r.headers["set-cookie"]
        r = await client.post("/create", data={"title": "async post", "body": "b"})
        assert r.headers["location"] == "/"
        page = await client.get("/")
        assert "async post" in page.text and "by ann on" in page.text
        r = await client.get("/auth/logout")
        assert r.status_code == 302
        r = await client.get("/create")
        assert r.headers["location"] == "/auth/login?next=/create"
    assert count_posts(app) == 2


async def test_concurrent_users_on_uvicorn(app: Flask) -> None:
    # Each user's requests see only their own session and `g.user`; the SQLite
    # connection of each request is opened and closed on that request's thread.
    users = [f"user{i}" for i in range(8)]
    with serve(app) as base:

        async def journey(name: str) -> str:
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                r = await client.post("/auth/register", data={"username": name, "password": name})
                assert r.status_code == 302, r.text
                r = await client.post("/auth/login", data={"username": name, "password": name})
                assert r.status_code == 302, r.text
                r = await client.post("/create", data={"title": f"by {name}", "body": "x"})
                assert r.headers["location"] == "/"
                page = await client.get("/")
                assert f"<span>{name}</span>" in page.text
                return page.text

        pages = await asyncio.gather(*(journey(name) for name in users))
    assert len(pages) == len(users)
    assert count_posts(app) == 1 + len(users)
