"""The core of Flask's quickstart, written for aioflask.

Each section of the quickstart becomes one or two views here: routing,
variable rules, unique URLs, `url_for`, HTTP methods, the request object,
`make_response`, redirects and errors, and JSON APIs. Serve it with

    uvicorn examples.quickstart.basics:app --port 5000

Templates, sessions and file uploads are left for later.
"""

from __future__ import annotations

from aioflask import Flask, abort, escape, make_response, redirect, request, url_for
from aioflask.exceptions import HTTPException
from aioflask.typing import ResponseReturnValue
from aioflask.wrappers import Response

app = Flask(__name__)

USERS = {"ada": {"username": "ada", "theme": "dark", "image": "ada.png"}}


# -- routing -------------------------------------------------------------------------------


@app.route("/")
async def index() -> str:
    return "Index Page"


@app.route("/hello")
async def hello() -> str:
    return "Hello, World"


# -- variable rules ------------------------------------------------------------------------


@app.route("/user/<username>")
async def show_user_profile(username: str) -> str:
    # The URL is user input: escape it before it goes into HTML.
    return f"User {escape(username)}"


@app.route("/post/<int:post_id>")
async def show_post(post_id: int) -> str:
    return f"Post {post_id}"


@app.route("/path/<path:subpath>")
async def show_subpath(subpath: str) -> str:
    return f"Subpath {escape(subpath)}"


# -- unique URLs / redirection behaviour ---------------------------------------------------


@app.route("/projects/")
async def projects() -> str:
    # `/projects` (no slash) is answered with a 308 redirect to this URL.
    return "The project page"


@app.route("/about")
async def about() -> str:
    # `/about/` (with a slash) is a 404: there is exactly one URL for this page.
    return "The about page"


# -- URL building --------------------------------------------------------------------------


@app.route("/urls")
async def urls() -> list[str]:
    return [
        url_for("index"),
        url_for("login"),
        url_for("login", next="/"),
        url_for("show_user_profile", username="John Doe"),
    ]


# -- HTTP methods and the request object ----------------------------------------------------


def valid_login(username: str, password: str) -> bool:
    return username == "ada" and password == "lovelace"


def log_the_user_in(username: str) -> Response:
    return redirect(url_for("show_user_profile", username=username))


@app.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    # A plain `def` view runs on a worker thread; `request` works the same.
    error = None
    if request.method == "POST":
        if valid_login(request.form["username"], request.form["password"]):
            return log_the_user_in(request.form["username"])
        error = "Invalid username/password"
    return f"<h1>Log in</h1><p>{escape(error or '')}</p>", 200 if error is None else 401


@app.get("/search")
async def search() -> str:
    # Query string parameters: `/search?key=value`.
    key = request.args.get("key", "")
    return f"You searched for {escape(key)}"


@app.get("/account")
async def account_get() -> str:
    return "account form"


@app.post("/account")
async def account_post() -> str:
    return f"saved {escape(request.form.get('email', ''))}"


# -- responses -----------------------------------------------------------------------------


@app.route("/custom")
async def custom() -> Response:
    resp = make_response("<p>Made with make_response</p>", 201)
    resp.headers["X-Something"] = "A value"
    return resp


@app.route("/teapot")
async def teapot() -> tuple[str, int, dict[str, str]]:
    # A (body, status, headers) tuple does the same without make_response.
    return "I'm a teapot", 418, {"X-Kind": "earl grey"}


# -- redirects and errors ------------------------------------------------------------------


@app.route("/go-to-login")
async def go_to_login() -> Response:
    return redirect(url_for("login"))


@app.route("/secret")
async def secret() -> str:
    abort(401)


@app.errorhandler(404)
async def page_not_found(error: HTTPException) -> Response:
    resp = make_response("<h1>Page not found</h1>", 404)
    resp.headers["X-Something"] = "A value"
    return resp


# -- JSON APIs -----------------------------------------------------------------------------


@app.route("/me")
async def me_api() -> dict[str, str]:
    user = USERS["ada"]
    return {
        "username": user["username"],
        "theme": user["theme"],
        "image": url_for("user_image", filename=user["image"]),
    }


@app.route("/images/<filename>")
async def user_image(filename: str) -> str:
    return f"image {escape(filename)}"


@app.route("/users")
async def users_api() -> list[dict[str, str]]:
    return [{"username": u["username"]} for u in USERS.values()]
