"""The `blog` blueprint: the list of posts (the front page), one post, and writing one."""

from __future__ import annotations

from typing import Any

from aioflask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from ..auth import login_required
from ..db import get_db

bp = Blueprint("blog", __name__, template_folder="templates")


@bp.app_template_filter()
def excerpt(text: str, length: int = 80) -> str:
    """The start of `text`, cut at a word boundary (used by the post list)."""
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + "…"


@bp.context_processor
def blog_title() -> dict[str, Any]:
    """Only templates rendered by blog views get `blog_title`."""
    return {"blog_title": current_app.config["BLOG_TITLE"]}


@bp.route("/")
def index() -> str:
    """The newest posts first."""
    posts = (
        get_db()
        .execute(
            "SELECT p.id, title, body, created, author_id, username"
            " FROM post p JOIN user u ON p.author_id = u.id"
            " ORDER BY created DESC, p.id DESC LIMIT ?",
            (current_app.config["POSTS_PER_PAGE"],),
        )
        .fetchall()
    )
    return render_template("blog/index.html", posts=posts)


@bp.route("/<int:id>")
def post(id: int) -> str:
    """One post, or 404."""
    row = (
        get_db()
        .execute(
            "SELECT p.id, title, body, created, username"
            " FROM post p JOIN user u ON p.author_id = u.id WHERE p.id = ?",
            (id,),
        )
        .fetchone()
    )
    if row is None:
        abort(404, description=f"There is no post {id}.")
    return render_template("blog/post.html", post=row)


@bp.route("/create", methods=("GET", "POST"))
@login_required
def create() -> Any:
    """Write a post (logged-in users only)."""
    if request.method == "POST":
        title = request.form.get("title", "").strip()
        body = request.form.get("body", "")
        if not title:
            flash("Title is required.")
        else:
            db = get_db()
            db.execute(
                "INSERT INTO post (title, body, author_id) VALUES (?, ?, ?)",
                (title, body, g.user["id"]),
            )
            db.commit()
            return redirect(url_for(".index"))
    return render_template("blog/create.html")
