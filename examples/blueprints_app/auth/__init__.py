"""The `auth` blueprint: register, log in and out, and `login_required`.

The logged-in user's id is kept in the signed session cookie; a
`before_app_request` hook loads the user into `g.user` for every request of
the app, not only those routed to this blueprint.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from aioflask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ..db import get_db
from ..passwords import check_password, hash_password

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")

F = TypeVar("F", bound=Callable[..., Any])


def login_required(view: F) -> F:
    """Send visitors who are not logged in to the login page, then back here.

    Works on `def` and `async def` views alike.
    """

    def login_redirect() -> Any:
        return redirect(url_for("auth.login", next=request.path))

    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(**kwargs: Any) -> Any:
            if g.user is None:
                return login_redirect()
            return await view(**kwargs)

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(view)
    def wrapper(**kwargs: Any) -> Any:
        if g.user is None:
            return login_redirect()
        return view(**kwargs)

    return wrapper  # type: ignore[return-value]


@bp.before_app_request
def load_logged_in_user() -> None:
    """Put the logged-in user's row in `g.user` (None for visitors)."""
    user_id = session.get("user_id")
    if user_id is None:
        g.user = None
    else:
        g.user = get_db().execute("SELECT * FROM user WHERE id = ?", (user_id,)).fetchone()


def _credentials() -> tuple[str, str, str | None]:
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    error = None
    if not username:
        error = "Username is required."
    elif not password:
        error = "Password is required."
    return username, password, error


@bp.route("/register", methods=("GET", "POST"))
def register() -> Any:
    """Create an account, then go to the login page."""
    if request.method == "POST":
        username, password, error = _credentials()
        if error is None:
            hashed = hash_password(password, current_app.config["PASSWORD_HASH_ITERATIONS"])
            db = get_db()
            try:
                db.execute(
                    "INSERT INTO user (username, password) VALUES (?, ?)", (username, hashed)
                )
                db.commit()
            except sqlite3.IntegrityError:
                error = f"User {username} is already registered."
            else:
                flash("Account created; please log in.")
                return redirect(url_for(".login"))
        flash(error)
    return render_template("auth/register.html")


@bp.route("/login", methods=("GET", "POST"))
def login() -> Any:
    """Check the credentials and remember the user in the session."""
    if request.method == "POST":
        username, password, error = _credentials()
        user = None
        if error is None:
            user = get_db().execute("SELECT * FROM user WHERE username = ?", (username,)).fetchone()
            if user is None or not check_password(user["password"], password):
                error = "Incorrect username or password."
        if error is None and user is not None:
            session.clear()
            session["user_id"] = user["id"]
            target = request.args.get("next", "")
            # Only follow local paths, so the login page cannot send users elsewhere.
            if not target.startswith("/") or target.startswith("//") or "\\" in target:
                target = url_for("index")
            return redirect(target)
        flash(error)
    return render_template("auth/login.html")


@bp.route("/logout")
async def logout() -> Any:
    """Forget the user; no database needed, so this view is `async def`."""
    session.clear()
    return redirect(url_for("index"))
