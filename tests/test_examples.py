"""Every view of `examples/hello.py` and `examples/quickstart/basics.py` (test client)."""

from __future__ import annotations

import threading

import pytest

from aioflask import Flask
from examples.hello import app as hello_app
from examples.quickstart.basics import app as quickstart_app


@pytest.fixture
def hello() -> Flask:
    return hello_app


@pytest.fixture
def quick() -> Flask:
    return quickstart_app


# -- examples/hello.py -----------------------------------------------------------------------


async def test_hello_index_links_every_view(hello: Flask) -> None:
    async with hello.test_client() as client:
        r = await client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Hello from aioflask</h1>" in r.text
    for href in ("/blocking", "/books/1", "/api/books", "/greet", "/books/99"):
        assert f'<a href="{href}">' in r.text
    # The link text goes through escape().
    assert "an &lt;int:...&gt; converter" in r.text


async def test_hello_sync_view_runs_on_a_worker_thread(hello: Flask) -> None:
    async with hello.test_client() as client:
        r = await client.get("/blocking")
    assert r.status_code == 200
    assert r.text.startswith("Hello from the worker thread ")
    assert repr(threading.main_thread().name) not in r.text


async def test_hello_converter(hello: Flask) -> None:
    async with hello.test_client() as client:
        found = await client.get("/books/2")
        not_an_int = await client.get("/books/two")
    assert found.status_code == 200
    assert found.text == "<p>Book 2: <em>Neuromancer</em></p>\n"
    assert not_an_int.status_code == 404


async def test_hello_json(hello: Flask) -> None:
    async with hello.test_client() as client:
        r = await client.get("/api/books")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    data = r.json()
    assert data["count"] == 3
    assert data["books"][0] == {"id": 1, "title": "Dune"}


async def test_hello_form_get_and_post(hello: Flask) -> None:
    async with hello.test_client() as client:
        form = await client.get("/greet")
        posted = await client.post("/greet", data={"name": "Ada <3"})
        empty = await client.post("/greet", data={"name": "  "})
        greeted = await client.get(posted.headers["location"])
    assert form.status_code == 200
    assert '<form method="post" action="/greet">' in form.text
    assert posted.status_code == 302
    assert posted.headers["location"] == "/hello/Ada%20%3C3"
    assert empty.status_code == 400
    assert greeted.text == "<p>Hello, Ada &lt;3!</p>\n"


async def test_hello_errorhandler(hello: Flask) -> None:
    async with hello.test_client() as client:
        missing_book = await client.get("/books/99")
        missing_page = await client.get("/nowhere")
    assert missing_book.status_code == 404
    assert "<h1>Not found</h1>" in missing_book.text
    assert "There is no book 99." in missing_book.text
    assert missing_page.status_code == 404
    assert '<a href="/">home</a>' in missing_page.text


def test_hello_with_the_sync_client(hello: Flask) -> None:
    """Flask-style tests work unchanged: no event loop, no await."""
    client = hello.test_client()
    rv = client.get("/books/3")
    assert rv.status_code == 200
    assert rv.status == "200 OK"
    assert b"The Left Hand of Darkness" in rv.data
    rv = client.get("/api/books")
    assert rv.json["count"] == 3


# -- examples/quickstart/basics.py ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/", "Index Page"),
        ("/hello", "Hello, World"),
        ("/user/john", "User john"),
        ("/user/a<b>", "User a&lt;b&gt;"),
        ("/post/42", "Post 42"),
        ("/path/a/b/c", "Subpath a/b/c"),
        ("/projects/", "The project page"),
        ("/about", "The about page"),
        ("/search?key=ham%26eggs", "You searched for ham&amp;eggs"),
        ("/account", "account form"),
        ("/images/ada.png", "image ada.png"),
    ],
)
async def test_quickstart_text_views(quick: Flask, path: str, body: str) -> None:
    async with quick.test_client() as client:
        r = await client.get(path)
    assert r.status_code == 200
    assert r.text == body


async def test_quickstart_unique_urls(quick: Flask) -> None:
    async with quick.test_client() as client:
        no_slash = await client.get("/projects")
        extra_slash = await client.get("/about/")
        not_an_int = await client.get("/post/abc")
    assert no_slash.status_code == 308
    assert no_slash.headers["location"] == "http://localhost/projects/"
    assert extra_slash.status_code == 404
    assert not_an_int.status_code == 404


async def test_quickstart_url_for(quick: Flask) -> None:
    async with quick.test_client() as client:
        r = await client.get("/urls")
    urls = r.json()
    assert urls == ["/", "/login", "/login?next=/", "/user/John%20Doe"]


async def test_quickstart_http_methods(quick: Flask) -> None:
    async with quick.test_client() as client:
        form = await client.get("/login")
        bad = await client.post("/login", data={"username": "ada", "password": "nope"})
        good = await client.post("/login", data={"username": "ada", "password": "lovelace"})
        put = await client.put("/login")
        saved = await client.post("/account", data={"email": "a@example.com"})
        options = await client.options("/account")
    assert form.status_code == 200
    assert form.text == "<h1>Log in</h1><p></p>"
    assert bad.status_code == 401
    assert "Invalid username/password" in bad.text
    assert good.status_code == 302
    assert good.headers["location"] == "/user/ada"
    assert put.status_code == 405
    assert set(put.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert saved.text == "saved a@example.com"
    assert set(options.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}


async def test_quickstart_make_response_and_tuples(quick: Flask) -> None:
    async with quick.test_client() as client:
        custom = await client.get("/custom")
        teapot = await client.get("/teapot")
    assert custom.status_code == 201
    assert custom.headers["x-something"] == "A value"
    assert custom.text == "<p>Made with make_response</p>"
    assert teapot.status_code == 418
    assert teapot.headers["x-kind"] == "earl grey"
    assert teapot.text == "I'm a teapot"


async def test_quickstart_redirects_and_errors(quick: Flask) -> None:
    async with quick.test_client() as client:
        redirected = await client.get("/go-to-login")
        followed = await client.get("/go-to-login", follow_redirects=True)
        secret = await client.get("/secret")
        missing = await client.get("/missing")
    assert redirected.status_code == 302
    assert redirected.headers["location"] == "/login"
    assert followed.status_code == 200
    assert followed.text.startswith("<h1>Log in</h1>")
    assert secret.status_code == 401
    assert "Unauthorized" in secret.text
    assert missing.status_code == 404
    assert missing.text == "<h1>Page not found</h1>"
    assert missing.headers["x-something"] == "A value"


async def test_quickstart_json_apis(quick: Flask) -> None:
    async with quick.test_client() as client:
        me = await client.get("/me")
        users = await client.get("/users")
    assert me.headers["content-type"] == "application/json"
    # Flask's property and httpx's method give the same data.
    assert me.json == {"username": "ada", "theme": "dark", "image": "/images/ada.png"}
    data = users.json()
    assert data == [{"username": "ada"}]


async def test_quickstart_json_method_inside_assert(quick: Flask) -> None:
    """`r.json()` works inside a pytest-rewritten `assert`, not only as a statement."""
    async with quick.test_client() as client:
        users = await client.get("/users")
    assert users.json() == [{"username": "ada"}]


def test_quickstart_with_the_sync_client(quick: Flask) -> None:
    client = quick.test_client()
    rv = client.post("/login", data={"username": "ada", "password": "lovelace"})
    assert rv.status_code == 302
    assert rv.location == "/user/ada"
    assert client.get("/users").get_json() == [{"username": "ada"}]
