"""Blueprints: routes, hooks, handlers and template helpers, as on the app.

Checked by `mypy --strict tests/type_check`; never run.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

from aioflask import Blueprint, Flask, Response, g, redirect, request, url_for
from aioflask.blueprints import BlueprintSetupState

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")
api = Blueprint("api", __name__, url_prefix="/api", url_defaults={"version": 1})
v2 = Blueprint("v2", __name__, cli_group=None)


@bp.route("/login", methods=["GET", "POST"])
async def login() -> str | Response:
    if request.method == "POST":
        return redirect(url_for("auth.done"))
    return "login form"


@bp.get("/done")
def done() -> tuple[str, int]:
    return "done", 200


@api.get("/items/<int:item_id>")
async def item(item_id: int, version: int) -> dict[str, int]:
    return {"id": item_id, "version": version}


@bp.before_request
async def load_user() -> None:
    g.user = request.cookies.get("user")


@bp.before_request
def refuse() -> tuple[str, int] | None:
    return ("no", 403) if request.args.get("deny") else None


@bp.after_request
def add_header(response: Response) -> Response:
    response.headers["X-Auth"] = "1"
    return response


@bp.teardown_request
async def teardown(exc: BaseException | None) -> None:
    g.pop("user", None)


@bp.before_app_request
def everywhere() -> None:
    g.seen = True


@bp.after_app_request
async def after_everywhere(response: Response) -> Response:
    return response


@bp.teardown_app_request
def teardown_everywhere(exc: BaseException | None) -> None:
    pass


@bp.context_processor
def inject_user() -> dict[str, Any]:
    return {"user": g.get("user")}


@bp.app_context_processor
async def inject_site() -> dict[str, Any]:
    return {"site": "example"}


@bp.url_value_preprocessor
def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.lang = values.pop("lang", "en") if values else "en"


@bp.url_defaults
def add_lang(endpoint: str, values: dict[str, Any]) -> None:
    values.setdefault("lang", g.get("lang", "en"))


@bp.app_template_filter()
def reverse(s: str) -> str:
    return s[::-1]


@bp.app_template_filter
def shout(s: str) -> str:
    return s.upper()


@bp.app_template_global("site_name")
def site_name() -> str:
    return "example"


@bp.app_template_test()
def is_short(s: str) -> bool:
    return len(s) < 5


@bp.errorhandler(404)
def bp_missing(e: Exception) -> tuple[str, int]:
    return "missing", 404


@bp.record
def on_register(state: BlueprintSetupState) -> None:
    state.app.config.setdefault("AUTH_ENABLED", True)


@bp.record_once
def on_first_register(state: BlueprintSetupState) -> None:
    assert_type(state.app, Flask)


@bp.cli.command("create-user")
def create_user() -> None:
    pass


# Decorators give the function back with its type.
assert_type(done(), tuple[str, int])
assert_type(shout("x"), str)
assert_type(is_short("x"), bool)

api.register_blueprint(v2, url_prefix="/v2")
app = Flask(__name__)
app.register_blueprint(bp)
app.register_blueprint(api, name="api_again", url_prefix="/api2")
app.register_blueprint(api)
for blueprint in app.iter_blueprints():
    assert_type(blueprint, Blueprint)
assert_type(app.blueprints, dict[str, Blueprint])
