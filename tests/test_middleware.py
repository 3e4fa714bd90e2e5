"""ASGI middleware around `app.asgi_app`: GZip, CORS, TrustedHost and proxy headers.

The Flask idiom `app.wsgi_app = Middleware(app.wsgi_app)` becomes
`app.asgi_app = Middleware(app.asgi_app)`; the app object itself stays what
uvicorn serves, so its hooks, sessions and lifespan keep working.
"""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import pytest
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from aioflask import Flask, Response, request, session, url_for
from tests.serving import serve

BIG = "aioflask " * 200  # 1800 bytes


def client_for(app: Flask, base_url: str = "http://localhost") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


def text_app(app: Flask) -> Flask:
    @app.route("/big")
    async def big() -> str:
        return BIG

    @app.route("/small")
    async def small() -> str:
        return "tiny"

    @app.route("/stream")
    async def stream() -> Any:
        async def chunks() -> Any:
            for _ in range(20):
                yield "streamed " * 20

        return chunks()

    return app


# -- GZip --------------------------------------------------------------------------------------


async def test_gzip_compresses_large_responses(app: Flask) -> None:
    text_app(app).asgi_app = GZipMiddleware(app.asgi_app, minimum_size=500)
    async with client_for(app) as client:
        big = await client.get("/big", headers={"Accept-Encoding": "gzip"})
        small = await client.get("/small", headers={"Accept-Encoding": "gzip"})
        plain = await client.get("/big", headers={"Accept-Encoding": "identity"})
    assert big.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in big.headers["vary"].lower()
    assert big.text == BIG  # httpx decodes it
    assert int(big.headers["content-length"]) < len(BIG)
    assert "content-encoding" not in small.headers and small.text == "tiny"
    assert "content-encoding" not in plain.headers and plain.text == BIG


async def test_gzip_minimum_size(app: Flask) -> None:
    text_app(app).asgi_app = GZipMiddleware(app.asgi_app, minimum_size=5000)
    async with client_for(app) as client:
        big = await client.get("/big", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in big.headers


def test_gzip_streamed_response_through_a_real_server(app: Flask) -> None:
    text_app(app).asgi_app = GZipMiddleware(app.asgi_app, minimum_size=500)
    with serve(app) as base:
        with httpx.stream("GET", base + "/stream", headers={"Accept-Encoding": "gzip"}) as r:
            raw = b"".join(r.iter_raw())
            headers = r.headers
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw).decode() == "streamed " * 400


async def test_middleware_keeps_hooks_sessions_and_lifespan(app: Flask) -> None:
    app.secret_key = "middleware test"
    events: list[str] = []

    @app.before_serving
    async def startup() -> None:
        events.append("startup")

    @app.after_request
    def mark(response: Response) -> Response:
        response.headers["X-After"] = "yes"
        return response

    @app.route("/count")
    def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return BIG + str(session["n"])

    app.asgi_app = GZipMiddleware(app.asgi_app, minimum_size=100)
    async with app.test_client() as client:
        first = await client.get("/count", headers={"Accept-Encoding": "gzip"})
        second = await client.get("/count", headers={"Accept-Encoding": "gzip"})
    assert events == ["startup"]
    assert first.headers["x-after"] == "yes" and first.headers["content-encoding"] == "gzip"
    assert second.text.endswith("2")


# -- CORS --------------------------------------------------------------------------------------


def cors_app(app: Flask) -> Flask:
    @app.route("/api/items", methods=["GET", "POST"])
    async def items() -> dict[str, Any]:
        return {"method": request.method}

    app.asgi_app = CORSMiddleware(
        app.asgi_app,
        allow_origins=["https://front.example"],
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        max_age=600,
    )
    return app


async def test_cors_simple_request(app: Flask) -> None:
    async with client_for(cors_app(app)) as client:
        allowed = await client.get("/api/items", headers={"Origin": "https://front.example"})
        other = await client.get("/api/items", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://front.example"
    assert allowed.json() == {"method": "GET"}
    assert "access-control-allow-origin" not in other.headers


async def test_cors_preflight_is_answered_by_the_middleware(app: Flask) -> None:
    preflight = {
        "Origin": "https://front.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type",
    }
    async with client_for(cors_app(app)) as client:
        ok = await client.options("/api/items", headers=preflight)
        bad = await client.options(
            "/api/items", headers={**preflight, "Access-Control-Request-Method": "DELETE"}
        )
        plain_options = await client.options("/api/items")
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://front.example"
    assert "POST" in ok.headers["access-control-allow-methods"]
    assert ok.headers["access-control-max-age"] == "600"
    assert bad.status_code == 400
    # Without CORS headers, OPTIONS reaches the app's automatic answer.
    assert plain_options.status_code == 200
    assert {m.strip() for m in plain_options.headers["allow"].split(",")} == {
        "GET",
        "HEAD",
        "POST",
        "OPTIONS",
    }


# -- TrustedHost -------------------------------------------------------------------------------


async def test_trusted_host_middleware(app: Flask) -> None:
    @app.route("/")
    async def index() -> str:
        return f"served for {request.host}"

    app.asgi_app = TrustedHostMiddleware(
        app.asgi_app, allowed_hosts=["example.com", "*.example.com"]
    )
    async with client_for(app, "http://example.com") as client:
        good = await client.get("/")
        sub = await client.get("/", headers={"Host": "api.example.com"})
        evil = await client.get("/", headers={"Host": "evil.example"})
    assert (good.status_code, good.text) == (200, "served for example.com")
    assert sub.status_code == 200
    assert (evil.status_code, evil.text) == (400, "Invalid host header")


# -- proxy headers -----------------------------------------------------------------------------


def where_app(app: Flask) -> Flask:
    @app.route("/where")
    async def where() -> dict[str, Any]:
        return {
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "url": url_for("where", _external=True),
            "redirect": url_for("where"),
        }

    return app


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [
        ("127.0.0.1", {"remote_addr": "198.51.100.4", "scheme": "https"}),
        ("10.0.0.1", {"remote_addr": "127.0.0.1", "scheme": "http"}),
        ("*", {"remote_addr": "198.51.100.4", "scheme": "https"}),
    ],
)
async def test_proxy_headers_middleware(app: Flask, trusted: str, expected: dict[str, str]) -> None:
    where_app(app).asgi_app = ProxyHeadersMiddleware(app.asgi_app, trusted_hosts=trusted)
    headers = {"X-Forwarded-For": "198.51.100.4", "X-Forwarded-Proto": "https"}
    # httpx's ASGI transport presents the client as 127.0.0.1.
    async with client_for(app, "http://shop.example") as client:
        data = (await client.get("/where", headers=headers)).json()
    assert data["remote_addr"] == expected["remote_addr"]
    assert data["scheme"] == expected["scheme"]
    assert data["url"] == f"{expected['scheme']}://shop.example/where"
    assert data["redirect"] == "/where"


async def test_stacked_middleware(app: Flask) -> None:
    where_app(text_app(app))
    app.asgi_app = ProxyHeadersMiddleware(app.asgi_app, trusted_hosts="127.0.0.1")
    app.asgi_app = GZipMiddleware(app.asgi_app, minimum_size=500)
    app.asgi_app = TrustedHostMiddleware(app.asgi_app, allowed_hosts=["shop.example"])
    async with client_for(app, "http://shop.example") as client:
        where = await client.get("/where", headers={"X-Forwarded-Proto": "https"})
        big = await client.get("/big", headers={"Accept-Encoding": "gzip"})
        evil = await client.get("/where", headers={"Host": "evil.example"})
    assert where.json()["url"] == "https://shop.example/where"
    assert big.headers["content-encoding"] == "gzip"
    assert evil.status_code == 400
