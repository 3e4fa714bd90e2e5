from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
import werkzeug.datastructures
import werkzeug.exceptions
import werkzeug.http
import werkzeug.user_agent
from starlette.datastructures import Headers as StarletteHeaders
from starlette.datastructures import UploadFile

import aioflask.datastructures
from aioflask import request
from aioflask.datastructures import (
    CombinedMultiDict,
    FileStorage,
    Headers,
    ImmutableMultiDict,
    MultiDict,
    RequestHeaders,
    UserAgent,
)
from aioflask.exceptions import BadRequestKeyError

# -- MultiDict, Headers, FileStorage: Werkzeug's classes -----------------------------


def test_containers_are_werkzeug_classes() -> None:
    assert MultiDict is werkzeug.datastructures.MultiDict
    assert Headers is werkzeug.datastructures.Headers
    assert issubclass(ImmutableMultiDict, werkzeug.datastructures.ImmutableMultiDict)
    assert issubclass(CombinedMultiDict, werkzeug.datastructures.CombinedMultiDict)
    assert issubclass(FileStorage, werkzeug.datastructures.FileStorage)
    assert issubclass(RequestHeaders, werkzeug.datastructures.Headers)


def test_missing_key_is_werkzeugs_bad_request_key_error() -> None:
    d = ImmutableMultiDict([("a", "1")])
    with pytest.raises(werkzeug.exceptions.BadRequestKeyError) as info:
        d["b"]
    assert isinstance(info.value, KeyError)
    assert info.value.code == 400


async def test_immutable_multidicts_are_awaitable() -> None:
    d = ImmutableMultiDict([("a", "1")])
    assert (await d) is d
    combined = CombinedMultiDict([d, ImmutableMultiDict([("b", "2")])])
    assert (await combined) is combined
    assert combined["b"] == "2"


def test_immutable_multidict_copy_is_mutable() -> None:
    d = ImmutableMultiDict([("a", "1")])
    with pytest.raises(TypeError):
        d.add("a", "2")  # type: ignore[misc]
    mutable = d.copy()
    mutable.add("a", "2")
    assert mutable.getlist("a") == ["1", "2"]
    assert d.getlist("a") == ["1"]


def test_request_headers() -> None:
    scope = {
        "type": "http",
        "headers": [(b"content-length", b"12"), (b"x-a", b"1"), (b"x-a", b"2")],
    }
    h = RequestHeaders(scope=scope)
    assert h["Content-Length"] == "12"
    assert h.get("content-length", type=int) == 12
    assert h.get("x-a") == "1"
    assert h.getlist("X-A", type=int) == [1, 2]
    assert h.get_all("x-a") == ["1", "2"]
    assert "X-a" in h and "nope" not in h
    assert h.get("nope", "d") == "d"
    # Names are title-cased, as in Werkzeug's WSGI request headers.
    assert list(h.keys()) == ["Content-Length", "X-A", "X-A"]
    with pytest.raises(BadRequestKeyError) as info:
        h["Authorization"]
    assert info.value.code == 400
    with pytest.raises(TypeError):
        h["X-B"] = "3"
    with pytest.raises(TypeError):
        h.add("X-B", "3")
    mutable = h.copy()
    assert type(mutable) is Headers
    mutable["X-B"] = "3"
    assert "X-B" not in h


# -- FileStorage -------------------------------------------------------------------


async def test_filestorage_from_upload(tmp_path: Path) -> None:
    upload = UploadFile(
        file=io.BytesIO(),
        filename="../../etc/passwd",
        size=0,
        headers=StarletteHeaders({"content-type": "image/png"}),
    )
    await upload.write(b"\x89PNG data")
    await upload.seek(0)
    fs = FileStorage.from_upload(upload, name="avatar")
    assert isinstance(fs, werkzeug.datastructures.FileStorage)
    assert fs.filename == "../../etc/passwd"  # raw, as the client sent it
    assert fs.name == "avatar"
    assert fs.content_type == "image/png"
    assert fs.mimetype == "image/png"
    assert fs.stream is upload.file
    await fs.save_async(tmp_path / "a.png")
    assert (tmp_path / "a.png").read_bytes() == b"\x89PNG data"


# -- header structures: Werkzeug's classes ------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Accept",
        "Authorization",
        "CharsetAccept",
        "ContentRange",
        "ETags",
        "HeaderSet",
        "IfRange",
        "LanguageAccept",
        "MIMEAccept",
        "Range",
        "RequestCacheControl",
        "ResponseCacheControl",
        "WWWAuthenticate",
    ],
)
def test_header_structures_are_werkzeugs(name: str) -> None:
    assert getattr(aioflask.datastructures, name) is getattr(werkzeug.datastructures, name)


def test_header_helpers_are_werkzeugs() -> None:
    assert UserAgent is werkzeug.user_agent.UserAgent
    for name in (
        "dump_options_header",
        "parse_accept_header",
        "parse_list_header",
        "parse_options_header",
        "quote_header_value",
    ):
        assert getattr(aioflask.datastructures, name) is getattr(werkzeug.http, name)


async def test_request_header_structures_through_the_client() -> None:
    app = aioflask.Flask(__name__)

    @app.get("/")
    def index() -> dict[str, Any]:
        auth = request.authorization
        return {
            "accept": isinstance(request.accept_mimetypes, werkzeug.datastructures.MIMEAccept),
            "best": request.accept_mimetypes.best_match(["text/html", "application/json"]),
            "lang": request.accept_languages.best_match(["en", "fr"]),
            "charset": request.accept_charsets.best,
            "encoding": request.accept_encodings.best,
            "auth": isinstance(auth, werkzeug.datastructures.Authorization),
            "user": auth.username if auth else None,
            "agent": isinstance(request.user_agent, werkzeug.user_agent.UserAgent),
            "cache": isinstance(request.cache_control, werkzeug.datastructures.RequestCacheControl),
            "etags": isinstance(request.if_none_match, werkzeug.datastructures.ETags),
        }

    credentials = base64.b64encode(b"ann:secret").decode()
    async with app.test_client() as client:
        r = await client.get(
            "/",
            headers={
                "Accept": "application/json;q=0.9, text/html;q=0.5",
                "Accept-Language": "fr, en;q=0.5",
                "Accept-Charset": "utf-8",
                "Accept-Encoding": "gzip",
                "Authorization": f"Basic {credentials}",
                "Cache-Control": "no-cache",
                "If-None-Match": '"x"',
            },
        )
    assert r.json() == {
        "accept": True,
        "best": "application/json",
        "lang": "fr",
        "charset": "utf-8",
        "encoding": "gzip",
        "auth": True,
        "user": "ann",
        "agent": True,
        "cache": True,
        "etags": True,
    }
