"""Contexts and the context globals, typed as the objects they stand for.

`current_app`, `g`, `request`, `session` and `websocket` are proxies at run
time; type checkers see the real classes, so attribute typos and wrong types
are caught. Checked by `mypy --strict tests/type_check`; never run.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from typing_extensions import assert_type

from aioflask import (
    Flask,
    Request,
    after_this_request,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
    url_for,
)
from aioflask.config import Config
from aioflask.ctx import AppContext, RequestContext
from aioflask.datastructures import FileStorage, ImmutableMultiDict
from aioflask.sessions import SessionMixin
from aioflask.wrappers import Response

app = Flask(__name__)
app.config.from_mapping(SECRET_KEY="dev", DATABASE="app.db")
app.secret_key = "dev"
app.debug = True
assert_type(app.config, Config)


# -- application context ---------------------------------------------------------------------------
def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
    db: sqlite3.Connection = g.db
    return db


@app.teardown_appcontext
def close_db(exc: BaseException | None) -> None:
    db: sqlite3.Connection | None = g.pop("db", None)
    if db is not None:
        db.close()


def init_db() -> None:
    with app.app_context() as ctx:
        assert_type(ctx, AppContext)
        assert_type(current_app, Flask)
        assert has_app_context()
        get_db().execute("create table if not exists t (x integer)")
        g.user = "admin"
        user: str = g.get("user", "nobody")
        g.setdefault("count", 0)
        assert "user" in g
        names: list[str] = list(g)
        current_app.logger.info("db ready for %s (%s)", user, names)


async def init_db_async() -> None:
    async with app.app_context() as ctx:
        assert_type(ctx, AppContext)
        assert_type(ctx.app, Flask)
        assert_type(current_app.name, str)
        assert_type(current_app.debug, bool)
        link: str = url_for("index", _external=True)
        current_app.logger.info(link)


def push_by_hand() -> None:
    ctx = app.app_context()
    ctx.push()
    try:
        assert_type(current_app.testing, bool)
    finally:
        ctx.pop()


# -- request context -------------------------------------------------------------------------------
@app.route("/", methods=["GET", "POST"])
async def index() -> str:
    assert_type(request, Request)
    assert_type(session, SessionMixin)
    method: str = request.method
    name: str | None = request.args.get("name")
    page: int | None = request.args.get("page", type=int)
    tags: list[str] = request.args.getlist("tag")
    agent: str | None = request.headers.get("User-Agent")
    cookie: str | None = request.cookies.get("theme")
    endpoint: str | None = request.endpoint
    view_args: dict[str, Any] | None = request.view_args
    remote: str | None = request.remote_addr
    session["visits"] = session.get("visits", 0) + 1
    session.permanent = True
    session.modified = True
    return f"{method} {name} {page} {tags} {agent} {cookie} {endpoint} {view_args} {remote}"


@app.post("/form")
async def read_form() -> dict[str, Any]:
    # Flask's spelling (the body is read before the view runs) ...
    form: ImmutableMultiDict[str, str] = request.form
    files: ImmutableMultiDict[str, FileStorage] = request.files
    raw: bytes = request.data
    # ... and Quart's, which aioflask accepts as well.
    awaited_form = await request.form
    awaited_files = await request.files
    awaited_raw = await request.data
    assert_type(awaited_form, ImmutableMultiDict[str, str])
    assert_type(awaited_files, ImmutableMultiDict[str, FileStorage])
    assert_type(awaited_raw, bytes)
    payload: Any = await request.get_json()
    body: bytes = await request.get_data()
    upload = files.get("upload")
    if upload is not None:
        await upload.save_async(f"/tmp/{upload.filename}")
    return {"form": form.to_dict(), "raw": len(raw), "json": payload, "body": len(body)}


@app.post("/sync-form")
def read_form_sync() -> str:
    title: str = request.form["title"]
    upload: FileStorage | None = request.files.get("upload")
    data: Any = request.get_json(silent=True)
    return f"{title} {upload} {data}"


@app.get("/after")
def after() -> str:
    @after_this_request
    def add_header(response: Response) -> Response:
        response.headers["X-Foo"] = "Parachute"
        return response

    assert_type(add_header(Response()), Response)
    return "Hello"


@app.get("/copy")
async def copied() -> str:
    @copy_current_request_context
    async def later() -> str:
        return request.path

    assert_type(await later(), str)
    return "ok"


def test_request() -> None:
    with app.test_request_context("/?name=x", method="POST", json={"a": 1}) as ctx:
        assert_type(ctx, RequestContext)
        assert has_request_context()
        assert request.args["name"] == "x"
        assert ctx.request is request


async def test_request_async() -> None:
    async with app.test_request_context("/") as ctx:
        assert_type(ctx.request, Request)
        assert_type(ctx.session, SessionMixin)
