"""The app served by a real uvicorn: where the server and the event loop matter."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx

from aioflask import Flask, request
from tests.serving import serve


def make_app() -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024

    @app.get("/")
    async def index() -> str:
        return "Hello"

    @app.get("/slow-sync")
    def slow_sync() -> str:
        time.sleep(0.5)
        return "slow"

    @app.get("/fast")
    async def fast() -> str:
        return "fast"

    @app.post("/echo")
    def echo() -> bytes:
        return request.data

    return app


async def test_uvicorn_serves_the_app_as_asgi3() -> None:
    with serve(make_app()) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            r = await client.get("/")
            assert r.status_code == 200
            assert r.text == "Hello"
            assert r.headers["content-type"] == "text/html; charset=utf-8"
            head = await client.head("/")
            assert head.status_code == 200
            assert head.content == b""
            assert head.headers["content-length"] == "5"
            missing = await client.get("/missing")
            assert missing.status_code == 404


async def test_sync_view_does_not_block_the_loop() -> None:
    with serve(make_app()) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            slow = asyncio.ensure_future(client.get("/slow-sync"))
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            fast = await client.get("/fast")
            elapsed = time.perf_counter() - started
            assert fast.text == "fast"
            assert elapsed < 0.25, f"the async view waited {elapsed:.3f}s behind the sync one"
            assert (await slow).text == "slow"


async def test_chunked_body_over_the_limit_is_413() -> None:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"x" * 256

    with serve(make_app()) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            r = await client.post("/echo", content=body())
            assert r.status_code == 413
            ok = await client.post("/echo", content=b"small")
            assert ok.status_code == 200
            assert ok.content == b"small"
