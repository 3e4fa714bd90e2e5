"""The SQLite connection: one per request, kept in `g`, closed when the app context ends.

Every function here is plain `def`: aioflask runs a request's sync views and
hooks on one worker thread, so the connection opened in a view is closed on
the same thread by `close_db` (SQLite requires that).
"""

from __future__ import annotations

import os
import sqlite3

from aioflask import Flask, current_app, g


def get_db() -> sqlite3.Connection:
    """The request's connection, opened (and the tables created) on first use."""
    if "db" not in g:
        path = current_app.config["DATABASE"]
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        conn = sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES)
        conn.row_factory = sqlite3.Row
        with current_app.open_resource("schema.sql", "r") as f:
            conn.executescript(f.read())
        g.db = conn
    return g.db  # type: ignore[no-any-return]


def close_db(exc: BaseException | None = None) -> None:
    """Close the request's connection, if one was opened."""
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_app(app: Flask) -> None:
    """Close the connection at the end of every request and app context."""
    app.teardown_appcontext(close_db)
