"""Host header handling: TRUSTED_HOSTS and malformed Host values (HOSTILE R3)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from aioflask import Flask, request, url_for
from aioflask.app import host_is_trusted
from tests.docsnippets import python_blocks, run_block


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


def test_static_host_and_host_matching_go_together_as_in_flask() -> None:
    with pytest.raises(AssertionError, match="static_host"):
        Flask(__name__, static_host="static.example.com")
    with pytest.raises(AssertionError, match="host_matching"):
        Flask(__name__, host_matching=True)
    Flask(__name__, host_matching=True, static_folder=None)  # no static route: no host needed


def host_app() -> Flask:
    app = Flask(__name__, host_matching=True, static_host="static.example.com")

    @app.route("/", host="<user>.example.com")
    def user_home(user: str) -> str:
        return f"home of {user}"

    @app.route("/", host="example.com")
    def index() -> str:
        return "index"

    @app.route("/port", host="localhost:5000")
    def on_a_port() -> str:
        return "port"

    @app.route("/nohost")
    def nohost() -> str:  # no host: never matched under host matching, as in Werkzeug
        return "unreachable"

    @app.get("/links", host="example.com")
    def links() -> dict[str, str]:
        return {
            "same": url_for("index"),
            "user": url_for("user_home", user="ada"),
            "static": url_for("static", filename="style.css"),
        }

    return app


async def test_host_matching_routes_by_the_whole_host() -> None:
    app = host_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport) as client:
        r = await client.get("http://ada.example.com/")
        assert (r.status_code, r.text) == (200, "home of ada")
        r = await client.get("http://EXAMPLE.com:80/")  # case and the default port do not matter
        assert (r.status_code, r.text) == (200, "index")
        assert (await client.get("http://other.org/")).status_code == 404
        assert (await client.get("http://localhost:5000/port")).text == "port"
        assert (await client.get("http://localhost/port")).status_code == 404
        assert (await client.get("http://example.com/nohost")).status_code == 404
        r = await client.get("http://static.example.com/static/style.css")
        assert r.status_code == 200 and "body" in r.text
        assert (await client.get("http://example.com/static/style.css")).status_code == 404
        r = await client.get("http://example.com/links")
    assert r.json() == {
        "same": "/",
        "user": "http://ada.example.com/",
        "static": "http://static.example.com/static/style.css",
    }


def test_host_matching_url_for_outside_a_request_uses_the_rules_host() -> None:
    app = host_app()
    with app.app_context():
        assert url_for("index") == "http://example.com/"
        assert url_for("user_home", user="bob") == "http://bob.example.com/"


def test_werkzeug_rules_can_be_added_to_the_map() -> None:
    from werkzeug.routing import Rule as WerkzeugRule

    app = Flask(__name__)
    app.url_map.add(WerkzeugRule("/w/<int:n>", endpoint="w", methods=["POST"]))
    app.view_functions["w"] = lambda n: f"w{n}"
    client = app.test_client()
    assert client.post("/w/3").text == "w3"
    assert client.get("/w/3").status_code == 405
    with app.test_request_context():
        assert url_for("w", n=4) == "/w/4"
    with pytest.raises(ValueError, match="redirect_to"):
        app.url_map.add(WerkzeugRule("/old", endpoint="old", redirect_to="/new"))


@pytest.mark.parametrize(("line", "code"), python_blocks("hosts.md"))
def test_docs_examples(tmp_path: Path, line: int, code: str) -> None:
    run_block("hosts.md", line, code, tmp_path)


def test_werkzeug_rule_factories_add_their_rules() -> None:
    from werkzeug.routing import EndpointPrefix, Submount
    from werkzeug.routing import Rule as WerkzeugRule

    app = Flask(__name__)
    app.url_map.add(
        Submount(
            "/foo",
            [
                WerkzeugRule("/bar", endpoint="bar"),
                EndpointPrefix("x.", [WerkzeugRule("/", endpoint="index")]),
            ],
        )
    )

    @app.endpoint("bar")
    def bar() -> str:
        return "bar"

    @app.endpoint("x.index")
    def index() -> str:
        return "index"

    client = app.test_client()
    assert client.get("/foo/bar").text == "bar"
    assert client.get("/foo/").text == "index"
    with pytest.raises(TypeError, match="takes a Rule"):
        app.url_map.add("/not-a-rule")  # type: ignore[arg-type]
