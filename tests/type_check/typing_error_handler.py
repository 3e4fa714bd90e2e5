"""Error handlers by status code and by exception class, `def` and `async def`.

Checked by `mypy --strict tests/type_check`; never run.
"""

from __future__ import annotations

from http import HTTPStatus

from typing_extensions import assert_type
from werkzeug.wrappers import Response as WerkzeugResponse

from aioflask import Blueprint, Flask, Response, abort, jsonify, render_template
from aioflask.exceptions import BadRequest, HTTPException, NotFound

app = Flask(__name__)


@app.errorhandler(400)
@app.errorhandler(HTTPStatus.BAD_REQUEST)
@app.errorhandler(BadRequest)
def handle_400(e: BadRequest) -> str:
    return str(e.description)


@app.errorhandler(404)
async def handle_404(e: NotFound) -> tuple[str, int]:
    return render_template("404.html", path=e.description), 404


@app.errorhandler(ValueError)
def handle_value_error(e: ValueError) -> tuple[Response, HTTPStatus]:
    return jsonify(error=str(e)), HTTPStatus.BAD_REQUEST


@app.errorhandler(KeyError)
async def handle_key_error(e: KeyError) -> tuple[dict[str, str], int, dict[str, str]]:
    return {"missing": str(e)}, 422, {"X-Error": "key"}


@app.errorhandler(HTTPException)
def handle_http(e: HTTPException) -> WerkzeugResponse:
    # Werkzeug builds this response; aioflask converts it when it is returned.
    response = e.get_response()
    response.headers["X-Handled"] = "1"
    return response


@app.errorhandler(Exception)
def handle_any(e: Exception) -> tuple[str, int]:
    return "Something went wrong", 500


def handle_permission(e: PermissionError) -> tuple[str, int, list[tuple[str, str]]]:
    return "forbidden", 403, [("X-Reason", "permission")]


app.register_error_handler(PermissionError, handle_permission)
app.register_error_handler(403, handle_permission)

bp = Blueprint("api", __name__)


@bp.errorhandler(NotFound)
def bp_not_found(e: NotFound) -> tuple[dict[str, str], int]:
    return {"error": "not found"}, 404


@bp.app_errorhandler(500)
async def bp_server_error(e: Exception) -> str:
    return "server error"


@app.get("/abort")
def aborts() -> str:
    abort(404)  # NoReturn: no "missing return statement" after it


@app.get("/abort-response")
def aborts_with_response() -> str:
    abort(jsonify(error="gone"))


# The decorators give back the handler unchanged.
assert_type(handle_400(BadRequest()), str)
assert_type(handle_permission(PermissionError()), tuple[str, int, list[tuple[str, str]]])
assert_type(handle_http(NotFound()), WerkzeugResponse)
