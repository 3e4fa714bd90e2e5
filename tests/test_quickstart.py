"""Run every Python snippet of docs/quickstart.md (and docs/testing.md, README.md).

Each fenced `python` block is executed on its own in a fresh namespace (a
block preceded by `<!-- no-test -->` is skipped). When a quickstart block
defines `app`, the requests listed for it in `REQUESTS` are sent and
checked. Functions named `test_*` that a block defines are called. When a
block is followed by a `text` block, that block must be exactly what the
snippet printed.

Snippets are compiled with pytest's assertion rewriting, so an `assert` in
a documented test behaves as it would in the reader's own test file.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _pytest.assertion.rewrite import rewrite_asserts

from aioflask import Flask

DOCS = Path(__file__).resolve().parent.parent / "docs"
DOC = DOCS / "quickstart.md"
SKIP_MARKER = "<!-- no-test -->"
_FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass
class Snippet:
    index: int
    line: int
    code: str
    output: str | None = None


@dataclass
class Req:
    """A request to send to a snippet's app and what must come back."""

    method: str
    path: str
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    kwargs: dict[str, Any] = field(default_factory=dict)


def extract_snippets(text: str) -> list[Snippet]:
    """The `python` blocks of a Markdown document, in order, with their `text` output blocks.

    `index` counts every `python` block, skipped ones included, so the
    numbers in `REQUESTS` do not move when a block is marked `no-test`.
    """
    snippets: list[Snippet] = []
    lines = text.splitlines()
    index = 0
    i = 0
    # The python block closed last, while only blank lines have followed it.
    just_closed: Snippet | None = None
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            if lines[i].strip():
                just_closed = None
            i += 1
            continue
        lang, start = opening.group(1), i
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        content = "\n".join(body) + "\n"
        if lang == "python":
            previous = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
            snippet = Snippet(index, start + 1, content)
            index += 1
            just_closed = None
            if previous.strip() != SKIP_MARKER:
                snippets.append(snippet)
                just_closed = snippet
        else:
            if lang == "text" and just_closed is not None:
                just_closed.output = content
            just_closed = None
    return snippets


SNIPPETS = extract_snippets(DOC.read_text(encoding="utf-8"))

# snippet index -> the requests to send to the app it defines.
REQUESTS: dict[int, list[Req]] = {
    0: [Req("GET", "/", 200, "<p>Hello, World!</p>")],
    1: [Req("GET", "/", 200, "<p>Hello, World!</p>")],
    2: [Req("GET", "/", 200, "debugging")],
    3: [Req("GET", "/<b>ada", 200, "Hello, &lt;b&gt;ada!")],
    4: [Req("GET", "/", 200, "Index Page"), Req("GET", "/hello", 200, "Hello, World")],
    5: [
        Req("GET", "/user/ada", 200, "User ada"),
        Req("GET", "/post/42", 200, "Post 42"),
        Req("GET", "/post/abc", 404, "Not Found"),
        Req("GET", "/path/a/b/c", 200, "Subpath a/b/c"),
    ],
    6: [
        Req("GET", "/projects", 308, "", {"location": "http://localhost/projects/"}),
        Req("GET", "/projects/", 200, "The project page"),
        Req("GET", "/about", 200, "The about page"),
        Req("GET", "/about/", 404, "Not Found"),
    ],
    7: [Req("GET", "/user/John%20Doe", 200, "John Doe's profile")],
    8: [
        Req("GET", "/login", 200, '<form method="post">'),
        Req("POST", "/login", 200, "logged in"),
        Req("PUT", "/login", 405, "Method Not Allowed"),
    ],
    9: [
        Req("GET", "/login", 200, "show the form"),
        Req("POST", "/login", 200, "log the user in"),
    ],
    10: [
        Req("GET", "/login", 200, "Please log in"),
        Req(
            "POST",
            "/login",
            200,
            "Welcome, ada",
            kwargs={"data": {"username": "ada", "password": "lovelace"}},
        ),
        Req(
            "POST",
            "/login",
            200,
            "Invalid username/password",
            kwargs={"data": {"username": "ada", "password": "x"}},
        ),
        Req("POST", "/login", 400, "Bad Request", kwargs={"data": {"username": "ada"}}),
    ],
    11: [Req("GET", "/search?key=a%3Cb", 200, "Results for a&lt;b")],
    12: [
        Req("POST", "/flask-style", 200, '{"sum":3}', kwargs={"json": {"a": 1, "b": 2}}),
        Req("POST", "/quart-style", 200, '{"sum":5}', kwargs={"json": {"a": 2, "b": 3}}),
    ],
    13: [
        Req("GET", "/created", 201, "made it", {"x-thing": "1"}),
        Req("GET", "/api/status", 200, '{"ok":true}', {"content-type": "application/json"}),
    ],
    14: [Req("GET", "/anything", 404, "<h1>Nothing here</h1>", {"x-something": "A value"})],
    15: [Req("GET", "/count?to=3", 200, "0\n1\n2\n", {"content-type": "text/plain"})],
    16: [
        Req("GET", "/", 302, "", {"location": "/login"}),
        Req("GET", "/login", 401, "Unauthorized"),
    ],
    17: [Req("GET", "/nowhere", 404, "<h1>This page does not exist</h1>")],
    18: [
        Req("GET", "/me", 200, '{"theme":"dark","username":"ada"}'),
        Req("GET", "/users", 200, '["ada","grace"]'),
        Req("GET", "/users/count", 200, '{"count":2}'),
    ],
    19: [Req("GET", "/hello/ada", 200, '{"greeting":"Hello, ada!"}')],
    20: [
        Req("GET", "/login", 200, "please log in"),
        Req("POST", "/login", 302, "", {"location": "/dashboard"}),
    ],
}


async def send_requests(app: Flask, requests: list[Req]) -> None:
    async with app.test_client() as client:
        for req in requests:
            r = await client.open(req.path, method=req.method, **req.kwargs)
            where = f"{req.method} {req.path}"
            assert r.status_code == req.status, f"{where}: {r.status_code} {r.text[:300]!r}"
            assert req.body in r.text, f"{where}: {req.body!r} not in {r.text[:300]!r}"
            for name, value in req.headers.items():
                assert r.headers.get(name) == value, f"{where}: header {name}"


def run_snippet(snippet: Snippet, doc: Path = DOC) -> dict[str, Any]:
    """Execute `snippet` as a module named `docs_snippet`, call its `test_*` functions.

    Returns the namespace the snippet left behind.
    """
    tree = ast.parse(snippet.code)
    rewrite_asserts(tree, snippet.code.encode())
    code = compile(tree, f"{doc.name}:{snippet.line}", "exec")
    namespace: dict[str, Any] = {"__name__": "docs_snippet"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, namespace)
    if snippet.output is not None:
        assert printed.getvalue() == snippet.output
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            if inspect.iscoroutinefunction(value):
                asyncio.run(value())
            else:
                value()
    return namespace


def test_the_document_has_the_expected_snippets() -> None:
    assert len(SNIPPETS) >= 20
    assert [s.index for s in SNIPPETS] == sorted(s.index for s in SNIPPETS)
    assert set(REQUESTS) <= {s.index for s in SNIPPETS}
    assert any(s.output is not None for s in SNIPPETS)


@pytest.mark.parametrize(
    "snippet", SNIPPETS, ids=[f"snippet{s.index}-line{s.line}" for s in SNIPPETS]
)
def test_snippet(snippet: Snippet) -> None:
    namespace = run_snippet(snippet)
    app = namespace.get("app")
    if isinstance(app, Flask):
        requests = REQUESTS.get(snippet.index)
        assert requests, (
            f"docs/quickstart.md line {snippet.line} defines an app: add requests for "
            f"snippet {snippet.index} to REQUESTS"
        )
        asyncio.run(send_requests(app, requests))


TESTING_SNIPPETS = extract_snippets((DOCS / "testing.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "snippet", TESTING_SNIPPETS, ids=[f"snippet{s.index}-line{s.line}" for s in TESTING_SNIPPETS]
)
def test_testing_doc_snippet(snippet: Snippet) -> None:
    namespace = run_snippet(snippet, DOCS / "testing.md")
    assert any(name.startswith("test_") for name in namespace), "a testing example without a test"


README = DOCS.parent / "README.md"
README_SNIPPETS = extract_snippets(README.read_text(encoding="utf-8"))
README_REQUESTS: dict[int, list[Req]] = {
    0: [
        Req("GET", "/", 200, "Hello, World!"),
        Req("POST", "/echo", 200, '{"you sent":{"a":[1,2]}}', kwargs={"json": {"a": [1, 2]}}),
    ],
    1: [Req("GET", "/", 200, '{"message":"Hello, World!"}')],
}


@pytest.mark.parametrize(
    "snippet", README_SNIPPETS, ids=[f"snippet{s.index}-line{s.line}" for s in README_SNIPPETS]
)
def test_readme_snippet(snippet: Snippet) -> None:
    namespace = run_snippet(snippet, README)
    app = namespace.get("app")
    assert isinstance(app, Flask)
    asyncio.run(send_requests(app, README_REQUESTS[snippet.index]))


def test_extract_snippets_honours_the_skip_marker_and_output_blocks() -> None:
    text = (
        "```python\nx = 1\nprint(x)\n```\n\n```text\n1\n```\n"
        "<!-- no-test -->\n```python\nraise SystemExit\n```\n"
        "```console\n$ ls\n```\n```python\ny = 2\n```\n"
    )
    snippets = extract_snippets(text)
    assert [(s.index, s.code, s.output) for s in snippets] == [
        (0, "x = 1\nprint(x)\n", "1\n"),
        (2, "y = 2\n", None),
    ]


@pytest.mark.parametrize("name", ["f", "func", "self"])
def test_any_variable_name_can_be_used_in_a_rule(name: str) -> None:
    """Rule variables reach the view even when they share a name with aioflask's internals."""
    app = Flask(__name__)

    async def async_view(**values: str) -> str:
        return values[name]

    def sync_view(**values: str) -> str:
        return values[name]

    app.add_url_rule(f"/a/<{name}>", "async_view", async_view)
    app.add_url_rule(f"/s/<{name}>", "sync_view", sync_view)
    client = app.test_client()
    assert client.get("/a/x").text == "x"
    assert client.get("/s/y").text == "y"
