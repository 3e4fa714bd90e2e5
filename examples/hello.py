"""The app `make run` serves: a small tour of aioflask on one page.

    make run                       # or: uvicorn examples.hello:app --port 5000
    open http://127.0.0.1:5000/

`async def` views run on the event loop; plain `def` views run on a worker
thread, so blocking code (a database driver, `time.sleep`) is fine there.
"""

from __future__ import annotations

import asyncio
import threading

from aioflask import Flask, abort, escape, redirect, request, url_for
from aioflask.exceptions import HTTPException
from aioflask.typing import ResponseReturnValue

app = Flask(__name__)

BOOKS = {1: "Dune", 2: "Neuromancer", 3: "The Left Hand of Darkness"}


@app.get("/")
async def index() -> str:
    """Links to the other views, built with `url_for` instead of hard-coded paths."""
    links = [
        (url_for("blocking"), "a plain def view, run on a worker thread"),
        (url_for("book", book_id=1), "a route with an <int:...> converter"),
        (url_for("books_api"), "a JSON API returning a dict"),
        (url_for("greet"), "a form that POSTs back to itself"),
        (url_for("book", book_id=99), "a 404 handled by an errorhandler"),
    ]
    items = "\n".join(
        f'  <li><a href="{href}">{href}</a>: {escape(text)}</li>' for href, text in links
    )
    return f"<h1>Hello from aioflask</h1>\n<ul>\n{items}\n</ul>\n"


@app.get("/blocking")
def blocking() -> str:
    """A sync view: it may block, because it is not running on the event loop."""
    return f"Hello from the worker thread {threading.current_thread().name!r}.\n"


@app.get("/books/<int:book_id>")
async def book(book_id: int) -> str:
    """`book_id` arrives as an int; `/books/abc` does not match and gives 404."""
    await asyncio.sleep(0)  # stands in for an awaited database query
    title = BOOKS.get(book_id)
    if title is None:
        abort(404, description=f"There is no book {book_id}.")
    return f"<p>Book {book_id}: <em>{escape(title)}</em></p>\n"


@app.get("/api/books")
async def books_api() -> dict[str, object]:
    """A dict (or a list) is sent as JSON."""
    return {"books": [{"id": k, "title": v} for k, v in BOOKS.items()], "count": len(BOOKS)}


@app.route("/greet", methods=["GET", "POST"])
def greet() -> ResponseReturnValue:
    """GET shows the form; POST reads `request.form` (already parsed) and redirects."""
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        if not name:
            return "<p>Please tell me your name.</p>\n", 400
        return redirect(url_for("hello", name=name))
    return (
        f'<form method="post" action="{url_for("greet")}">\n'
        '  <input name="name" placeholder="Your name"> <button>Greet me</button>\n'
        "</form>\n"
    )


@app.get("/hello/<name>")
async def hello(name: str) -> str:
    """Anything from the URL is escaped before it goes into HTML."""
    return f"<p>Hello, {escape(name)}!</p>\n"


@app.errorhandler(404)
async def not_found(error: HTTPException) -> tuple[str, int]:
    """A custom 404 page; the status is kept by returning it with the body."""
    home = url_for("index")
    page = f'<h1>Not found</h1>\n<p>{escape(error.description)}</p>\n<a href="{home}">home</a>\n'
    return page, 404
