"""Views as users write them: every return shape aioflask accepts type-checks.

Checked by `mypy --strict tests/type_check` (`make typecheck`); never run. The
route decorators must hand back the decorated function with its own type,
which `assert_type` proves on the value a call returns.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Coroutine,
    Generator,
    Iterator,
)
from http import HTTPStatus
from typing import Any, TypedDict

from typing_extensions import assert_type

from aioflask import (
    Flask,
    Response,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    stream_template,
    stream_with_context,
)
from aioflask.typing import ResponseReturnValue, RouteCallable
from aioflask.views import MethodView, View

app = Flask(__name__)


# -- bodies ------
@app.route("/str")
def hello_str() -> str:
    return "<p>Hello, World!</p>"


@app.route("/bytes")
def hello_bytes() -> bytes:
    return b"<p>Hello, World!</p>"


@app.route("/dict")
def hello_dict() -> dict[str, Any]:
    return {"response": "Hello, World!"}


@app.route("/list")
def hello_list() -> list[Any]:
    return ["Hello", "World", 1]


class StatusJSON(TypedDict):
    status: str


@app.route("/typed-dict")
def typed_dict() -> StatusJSON:
    return {"status": "ok"}


@app.route("/response")
def hello_response() -> Response:
    return Response("Hello", mimetype="text/plain")


@app.route("/jsonify")
def hello_jsonify() -> Response:
    return jsonify({"hello": "world"})


@app.route("/make-response")
def hello_make_response() -> Response:
    response = make_response("Hello", 201)
    response.headers["X-Hello"] = "World"
    return response


@app.route("/redirect")
def go_home() -> Response:
    return redirect("/str")


@app.route("/template")
@app.route("/template/<name>")
def hello_template(name: str | None = None) -> str:
    return render_template("index.html", name=name)


# -- tuples ------
@app.route("/status")
@app.route("/status/<int:code>")
def tuple_status(code: int = 200) -> tuple[str, int]:
    return "hello", code


@app.route("/status-enum")
def tuple_status_enum() -> tuple[str, HTTPStatus]:
    return "hello", HTTPStatus.CREATED


@app.route("/status-text")
def tuple_status_text() -> tuple[str, str]:
    return "hello", "201 CREATED"


@app.route("/headers")
def tuple_headers() -> tuple[str, dict[str, str]]:
    return "Hello, World!", {"Content-Type": "text/plain"}


@app.route("/header-list")
def tuple_header_list() -> tuple[bytes, list[tuple[str, str]]]:
    return b"Hello", [("Vary", "Accept"), ("X-Hello", "World")]


@app.route("/status-headers")
def tuple_status_headers() -> tuple[dict[str, str], int, dict[str, str]]:
    return {"error": "missing"}, 404, {"X-Reason": "missing"}


@app.route("/response-status")
def tuple_response_status() -> tuple[Response, int]:
    return jsonify(created=True), 201


@app.route("/multi-value-header")
def tuple_multi_value_header() -> tuple[str, int, dict[str, list[str]]]:
    return "Hi", 200, {"Set-Cookie": ["a=1", "b=2"]}


# -- streams ------
@app.route("/generator")
def hello_generator() -> Generator[str, None, None]:
    def show() -> Generator[str, None, None]:
        for x in range(100):
            yield f"data:{x}\n\n"

    return show()


@app.route("/iterator")
def hello_iterator() -> Iterator[bytes]:
    return iter([b"Hello, ", b"World!"])


@app.route("/generator-view")
def generator_view() -> Iterator[str]:
    yield "Hello, "
    yield "World!"


@app.route("/async-generator-view")
async def async_generator_view() -> AsyncGenerator[bytes, None]:
    yield b"Hello, "
    yield b"World!"


@app.route("/async-iterator")
async def hello_async_iterator() -> AsyncIterator[str]:
    async def chunks() -> AsyncIterator[str]:
        yield "Hello"

    return chunks()


@app.route("/stream-with-context")
def hello_stream_with_context() -> Iterator[str]:
    def show() -> Iterator[str]:
        yield request.args.get("name", "World")

    return stream_with_context(show())


@app.route("/stream-with-context-decorator")
def hello_stream_decorated() -> Iterator[str]:
    @stream_with_context
    def show(greeting: str) -> Iterator[str]:
        yield f"{greeting}, {request.args.get('name', 'World')}"

    return assert_type(show("Hello"), Iterator[str])


@app.route("/stream-template")
def hello_stream_template() -> Iterator[str]:
    return stream_template("index.html", name="Hello")


@app.route("/stream-tuple")
def hello_stream_tuple() -> tuple[Iterator[str], int]:
    return iter(["Hello"]), 206


# -- async views ------
@app.route("/async")
async def async_route() -> str:
    return "Hello"


@app.get("/async/<int:item_id>")
async def async_tuple(item_id: int) -> tuple[dict[str, int], int]:
    return {"id": item_id}, 200


@app.post("/async/response")
async def async_response() -> Response:
    data = await request.get_json()
    return jsonify(data)


@app.route("/return-value", methods=["GET", "POST"])
async def union_return() -> ResponseReturnValue:
    if request.method == "POST":
        return "created", 201
    return {"ok": True}


# -- the decorators keep each function's own type ------
assert_type(hello_str(), str)
assert_type(hello_bytes(), bytes)
assert_type(typed_dict(), StatusJSON)
assert_type(tuple_status(404), tuple[str, int])
assert_type(tuple_status_headers(), tuple[dict[str, str], int, dict[str, str]])
assert_type(generator_view(), Iterator[str])
assert_type(async_generator_view(), AsyncGenerator[bytes, None])
assert_type(async_route, Callable[[], Coroutine[Any, Any, str]])


async def awaited_views() -> None:
    assert_type(await async_route(), str)
    assert_type(await async_tuple(1), tuple[dict[str, int], int])


# -- the non-decorator form and class-based views ------
def plain() -> str:
    return "plain"


app.add_url_rule("/plain", view_func=plain)
app.add_url_rule("/plain-endpoint", "plain_endpoint", plain, methods=["GET", "POST"])
as_alias: RouteCallable = async_tuple


class RenderTemplateView(View):
    def __init__(self, template_name: str) -> None:
        self.template_name = template_name

    def dispatch_request(self) -> str:
        return render_template(self.template_name)


app.add_url_rule(
    "/about", view_func=RenderTemplateView.as_view("about_page", template_name="about.html")
)


class ItemAPI(MethodView):
    init_every_request = False

    async def get(self, id: int) -> dict[str, int]:
        return {"id": id}

    def delete(self, id: int) -> tuple[str, int]:
        return "", 204


app.add_url_rule("/items/<int:id>", view_func=ItemAPI.as_view("item"))


# -- what is rejected ------
# Each ignore below must be needed (`warn_unused_ignores` is on under --strict),
# so these lines prove that mypy reports the mistake.
@app.route("/int")  # type: ignore[type-var]
def returns_int() -> int:
    return 1


@app.route("/none")  # type: ignore[type-var]
async def returns_none() -> None:
    pass


@app.route("/status-first")  # type: ignore[type-var]
def status_first() -> tuple[int, str]:
    return 200, "ok"


@app.after_request  # type: ignore[type-var]
def forgot_response() -> None:
    pass
