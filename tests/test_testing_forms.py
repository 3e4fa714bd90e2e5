"""The test client's form encoding: what Flask's client sends for `data=`, and httpx's `files=`."""

from __future__ import annotations

import io
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from aioflask import Flask, request


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)

    @app.post("/")
    def echo() -> dict[str, Any]:
        return {
            "type": request.mimetype,
            "form": request.form.to_dict(flat=False),
            "files": {
                key: [f.filename, f.mimetype, f.read().decode()] for key, f in request.files.items()
            },
        }

    @app.post("/all")
    def all_files() -> list[str]:
        return [f.filename or "" for f in request.files.getlist("doc")]

    return app


def test_werkzeug_multidict_keeps_every_value(app: Flask) -> None:
    r = app.test_client().post("/", data=MultiDict([("a", "1"), ("a", "2"), ("b", "3")]))
    assert r.json() == {
        "type": "application/x-www-form-urlencoded",
        "form": {"a": ["1", "2"], "b": ["3"]},
        "files": {},
    }


def test_explicit_multipart_content_type_keeps_a_boundary(app: Flask) -> None:
    client = app.test_client()
    data = {"f": (io.BytesIO(b"hi"), "a.txt"), "x": "y"}
    r = client.post("/", data=data, content_type="multipart/form-data")
    assert r.status_code == 200
    assert r.json()["form"] == {"x": ["y"]}
    assert r.json()["files"] == {"f": ["a.txt", "text/plain", "hi"]}
    # Fields alone are sent as multipart too when asked for.
    r = client.post("/", data={"x": "y"}, content_type="multipart/form-data")
    assert (r.json()["type"], r.json()["form"]) == ("multipart/form-data", {"x": ["y"]})


def test_httpx_files_and_data_are_sent_together(app: Flask) -> None:
    r = app.test_client().post("/", data={"x": "y"}, files={"f": ("b.txt", b"yo")})
    assert r.json()["form"] == {"x": ["y"]}
    assert r.json()["files"] == {"f": ["b.txt", "text/plain", "yo"]}


def test_file_tuples_with_empty_names_or_contents_are_files(app: Flask) -> None:
    client = app.test_client()
    r = client.post("/", data={"f": (io.BytesIO(b""), "")})
    assert r.json()["files"] == {"f": ["", "application/octet-stream", ""]}
    assert r.json()["form"] == {}
    r = client.post("/", data={"f": (io.BytesIO(b""), "empty.bin")})
    assert r.json()["files"] == {"f": ["empty.bin", "application/octet-stream", ""]}


def test_file_tuple_content_type_names_and_quotes(app: Flask) -> None:
    data = MultiDict(
        [
            ("doc", (io.BytesIO(b"{}"), 'we"ird.json', "application/json")),
            ("doc", (b"raw", "two.txt")),
            ("name", "Ada"),
        ]
    )
    r = app.test_client().post("/", data=data)
    # a quote in a file name is sent escaped, as browsers do; both files arrive
    assert r.json()["files"]["doc"] == ["we%22ird.json", "application/json", "{}"]
    assert r.json()["form"] == {"name": ["Ada"]}
    assert app.test_client().post("/all", data=data).json() == ["we%22ird.json", "two.txt"]
