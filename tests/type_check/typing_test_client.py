"""The test client in async tests and in Flask-style sync tests.

A request method returns a finished response in sync code and a coroutine in
an async test; either way the response is typed. Checked by
`mypy --strict tests/type_check`; never run.
"""

from __future__ import annotations

from typing import Any

import httpx
from typing_extensions import assert_type

from aioflask import Flask, request, session
from aioflask.cli import FlaskCliRunner
from aioflask.sessions import SessionMixin
from aioflask.testing import FlaskClient, TestCookie, TestResponse

app = Flask(__name__)
app.config.update(TESTING=True, SECRET_KEY="test")


@app.get("/")
async def index() -> dict[str, str]:
    return {"hello": "world"}


# -- async tests (pytest-asyncio, anyio, ...) ------
async def test_async() -> None:
    async with app.test_client() as client:  # runs before_serving / after_serving
        assert_type(client, FlaskClient)
        r = await client.get("/")
        assert_type(r, TestResponse)
        assert r.status_code == 200
        assert r.json() == {"hello": "world"}  # httpx's method ...
        assert r.json["hello"] == "world"  # ... and Flask's property
        payload: Any = r.get_json()
        assert payload == {"hello": "world"}
        assert r.headers.getlist("Vary") == []
        r = await client.post("/items", json={"name": "x"}, headers={"X-Token": "t"})
        r = await client.put("/items/1", data={"name": "y"})
        r = await client.delete("/items/1", follow_redirects=True)
        r = await client.open("/items", method="PATCH", query_string={"q": "1"})
        assert isinstance(r, httpx.Response)


def status_of(client: FlaskClient, path: str) -> int:
    return client.get(path).status_code  # no "returning Any" under --strict


# -- Flask-style sync tests ------
def test_sync() -> None:
    client = app.test_client()
    rv = client.get("/")
    response: TestResponse = rv  # an awaitable TestResponse to type checkers
    assert response.status_code == 200
    status: int = rv.status_code
    text: str = rv.text
    data: bytes = rv.data
    body: bytes | str = rv.get_data(as_text=True)
    status_line: str = rv.status
    mimetype: str = rv.mimetype
    location: str | None = rv.location
    assert f"{status}{text}{data!r}{body!r}{status_line}{mimetype}{location}"
    rv = client.post("/login", data={"username": "a", "upload": (b"x", "a.txt")})
    assert rv.headers["Location"] == "/"
    assert rv.headers.get("X-Num", type=int) == 3
    rv = client.get("/login/1", follow_redirects=True)
    assert rv.request.path == "/"
    assert rv.history[0].request.path == "/login/1"
    assert rv.history[0].location == "/"

    with client:
        client.get("/")
        assert request.path == "/"
        assert_type(session, SessionMixin)

    with client.session_transaction() as sess:
        assert_type(sess, SessionMixin)
        sess["user_id"] = 1

    client.set_cookie("theme", "dark")
    cookie: TestCookie | None = client.get_cookie("theme")
    assert cookie is not None
    client.delete_cookie("theme")


def test_cli() -> None:
    runner = app.test_cli_runner()
    assert_type(runner, FlaskCliRunner)
    result = runner.invoke(args=["routes"])
    assert result.exit_code == 0
    output: str = result.output
    assert "index" in output
