"""Templates, sessions, message flashing, file uploads and static files, as in Flask's quickstart.

    uvicorn examples.quickstart.app:app --port 5000

Every view is a plain `def`, as in Flask: aioflask runs each on the
request's worker thread, so rendering a template never holds up the event
loop. The pages share `templates/layout.html`, which links
`static/style.css` with `url_for('static', ...)` and shows flashed messages.

- `/` and `/hello/<name>`: rendering templates.
- `/login` and `/logout`: the session example (log in with any user name and
  the password `secret`).
- `/upload`: an upload form; files are saved in `UPLOAD_FOLDER` (by default
  `uploads/` in the instance folder) under a sanitised name.
"""

from __future__ import annotations

import os

from aioflask import (
    Flask,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from aioflask.utils import secure_filename
from aioflask.wrappers import Response

app = Flask(__name__)
# Sessions and flashed messages are signed with this key. Use a long random
# value in production (`python -c "import secrets; print(secrets.token_hex())"`).
app.secret_key = os.environ.get("QUICKSTART_SECRET_KEY", "dev-only-change-me")
app.config["UPLOAD_FOLDER"] = os.path.join(app.instance_path, "uploads")
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # larger uploads get 413

PASSWORD = "secret"


# -- rendering templates -------------------------------------------------------------------


@app.route("/")
def index() -> str:
    return render_template("index.html", username=session.get("username"))


@app.route("/hello/")
@app.route("/hello/<name>")
def hello(name: str | None = None) -> str:
    # The name comes from the URL; the .html template escapes it.
    return render_template("hello.html", person=name)


# -- sessions and message flashing -----------------------------------------------------------


@app.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        if not username or request.form.get("password") != PASSWORD:
            error = "Invalid credentials"
        else:
            session["username"] = username
            flash("You were successfully logged in", "success")
            return redirect(url_for("index"))
    return render_template("login.html", error=error)


@app.route("/logout")
def logout() -> Response:
    # Remove the user name from the session if it is there.
    if session.pop("username", None) is not None:
        flash("You were logged out", "info")
    return redirect(url_for("index"))


# -- file uploads ----------------------------------------------------------------------------


@app.route("/upload", methods=["GET", "POST"])
def upload_file() -> str | Response:
    folder = app.config["UPLOAD_FOLDER"]
    if request.method == "POST":
        f = request.files["the_file"]  # no such field: 400 Bad Request
        filename = secure_filename(f.filename or "")
        if not filename:
            flash("Choose a file to upload", "error")
        else:
            os.makedirs(folder, exist_ok=True)
            f.save(os.path.join(folder, filename))
            flash(f"Uploaded {filename}", "success")
        return redirect(url_for("upload_file"))
    files = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    return render_template("upload.html", files=files)
