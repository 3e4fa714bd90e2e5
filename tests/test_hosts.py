"""Host header handling: TRUSTED_HOSTS and malformed Host values (HOSTILE R3)."""

from __future__ import annotations

import httpx
import pytest

from aioflask import Flask, request, url_for
from aioflask.app import host_is_trusted


def make_app(trusted: list[str] | None = None) -> Flask:
    app = Flask(__name__)
    app.config["TRUSTED_HOSTS"] = trusted

    @app.get("/admin")
    async def admin() -> dict[str, str]:
        return {
            "path": request.path,
            "host": request.host,
            "external": url_for("admin", _external=True),
        }

    return app


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


async def test_injected_host_never_reaches_paths_or_urls() -> None:
    async with client_for(make_app()) as client:
        r = await client.get("/admin", headers={"host": "evil.example/abc?x="})
    assert r.status_code == 200
    body = r.json()
    assert body["path"] == "/admin"
    assert "/abc" not in body["external"] and "evil" not in body["external"]
    assert body["external"].endswith("/admin")


@pytest.mark.parametrize("host", ["example.com", "EXAMPLE.com:8443", "a.example.com"])
async def test_trusted_hosts_admit_listed_names(host: str) -> None:
    async with client_for(make_app(["example.com", ".example.com"])) as client:
        r = await client.get("/admin", headers={"host": host})
    assert r.status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "example.com.evil", "evil.example/abc?x="])
async def test_untrusted_host_is_400(host: str) -> None:
    async with client_for(make_app(["example.com", ".example.com"])) as client:
        r = await client.get("/admin", headers={"host": host})
    assert r.status_code == 400
    assert "evil" not in r.text


def test_host_is_trusted_rules() -> None:
    assert host_is_trusted("localhost:5000", ["localhost"])
    assert host_is_trusted("[::1]:80", ["[::1]"])
    assert not host_is_trusted("notlocalhost", ["localhost"])
    assert host_is_trusted("deep.sub.example.com", [".example.com"])
    assert not host_is_trusted("a b", ["a b"])


def test_host_matching_is_refused_with_a_clear_error() -> None:
    with pytest.raises(NotImplementedError, match="host_matching"):
        Flask(__name__, host_matching=True, static_host="static.example.com")
    with pytest.raises(NotImplementedError, match="static_host"):
        Flask(__name__, static_host="static.example.com")
