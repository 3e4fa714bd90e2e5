"""Subdomain routing: `subdomain=` on rules, routes and blueprints, matching and `url_for`.

Every expected value here was first produced by running the same app on
Flask 3.1.3 / Werkzeug 3.1 through its test client with the same Host header.
"""

from __future__ import annotations

from typing import Any

import pytest

from aioflask import Blueprint, Flask, request, url_for, websocket
from aioflask.exceptions import NotFound
from aioflask.routing import Map, Rule
from aioflask.routing.hosts import normalize_host, subdomain_of


def _show(**_: Any) -> str:
    args = sorted((request.view_args or {}).items())
    return f"{request.endpoint} {args} {request.blueprints}"


def _app(subdomain_matching: bool = True, server_name: str | None = "example.com") -> Flask:
    """The app of the comparison runs: a root view, a `<user>` view, an `api` view, a 2-part one."""
    app = Flask(__name__, static_folder=None, subdomain_matching=subdomain_matching)
    if server_name is not None:
        app.config["SERVER_NAME"] = server_name

    @app.route("/")
    def index() -> str:
        links = [
            url_for("index"),
            url_for("user", user="bob"),
            url_for("api"),
            url_for("index", _external=True),
        ]
        return "index " + " ".join(links)

    @app.route("/", subdomain="<user>")
    def user(user: str) -> str:
        links = [url_for("index"), url_for("user", user="bob"), url_for("user", user=user)]
        return f"user {user} " + " ".join(links)

    @app.route("/api", subdomain="api")
    def api() -> str:
        return "api " + url_for("api") + " " + url_for("index")

    @app.route("/p/<int:n>", subdomain="<a>.<b>")
    def two(a: str, b: str, n: int) -> str:
        return f"two {a} {b} {n} " + url_for("two", a="x", b="y", n=3)

    return app


def _get(app: Flask, host: str, path: str = "/", method: str = "GET") -> tuple[int, str]:
    rv = app.test_client().open(path, method=method, headers={"Host": host})
    return rv.status_code, rv.text if rv.status_code == 200 else ""


# -- matching with subdomain_matching and SERVER_NAME --------------------------------------------


@pytest.mark.parametrize(
    ("host", "path", "status", "body"),
    [
        (
            "example.com",
            "/",
            200,
            "index / http://bob.example.com/ http://api.example.com/api http://example.com/",
        ),
        ("alice.example.com", "/", 200, "user alice http://example.com/ http://bob.example.com/ /"),
        ("Alice.Example.COM", "/", 200, "user alice http://example.com/ http://bob.example.com/ /"),
        ("api.example.com", "/", 200, "user api http://example.com/ http://bob.example.com/ /"),
        ("api.example.com", "/api", 200, "api /api http://example.com/"),
        ("a.b.example.com", "/", 200, "user a.b http://example.com/ http://bob.example.com/ /"),
        ("a.b.example.com", "/p/4", 200, "two a b 4 http://x.y.example.com/p/3"),
        ("example.com", "/api", 404, ""),
        ("alice.example.com", "/api", 404, ""),
        ("api.example.com", "/p/4", 404, ""),
        ("example.com", "/p/4", 404, ""),
        (
            "EXAMPLE.com",
            "/",
            200,
            "index / http://bob.example.com/ http://api.example.com/api http://example.com/",
        ),
        (
            "example.com:80",
            "/",
            200,
            "index / http://bob.example.com/ http://api.example.com/api http://example.com/",
        ),
    ],
)
def test_subdomain_matching(host: str, path: str, status: int, body: str) -> None:
    assert _get(_app(), host, path) == (status, body)


@pytest.mark.parametrize("host", ["other.org", "localhost", "example.com:5000", "badexample.com"])
def test_a_host_outside_server_name_gets_the_invalid_subdomain(host: str) -> None:
    # Werkzeug names it "<invalid>": default-subdomain rules 404, a `<user>` rule matches it.
    app = _app()
    assert _get(app, host) == (
        200,
        "user <invalid> http://example.com/ http://bob.example.com/ "
        "http://%3Cinvalid%3E.example.com/",
    )
    assert _get(app, host, "/api")[0] == 404


def test_server_name_with_a_port_must_match_the_port() -> None:
    app = _app(server_name="example.com:5000")
    assert _get(app, "alice.example.com:5000") == (
        200,
        "user alice http://example.com:5000/ http://bob.example.com:5000/ /",
    )
    assert _get(app, "example.com:5000")[1].startswith("index / http://bob.example.com:5000/")
    assert _get(app, "alice.example.com")[1].startswith("user <invalid>")


def test_default_port_in_server_name_is_ignored() -> None:
    app = _app(server_name="example.com:80")
    assert _get(app, "alice.example.com")[1] == (
        "user alice http://example.com/ http://bob.example.com/ /"
    )
    assert _get(app, "api.example.com", "/api") == (200, "api /api http://example.com/")


def test_subdomain_matching_without_server_name_serves_every_host_as_the_default() -> None:
    app = _app(server_name=None)
    assert _get(app, "alice.example.com") == (
        200,
        "index / http://bob.alice.example.com/ http://api.alice.example.com/api "
        "http://alice.example.com/",
    )
    assert _get(app, "api.example.com", "/api")[0] == 404


# -- subdomain_matching off (the default) -----------------------------------------------------


@pytest.mark.parametrize("server_name", [None, "example.com"])
@pytest.mark.parametrize("host", ["example.com", "alice.example.com", "other.org"])
def test_without_subdomain_matching_every_host_gets_the_default_rules(
    host: str, server_name: str | None
) -> None:
    app = _app(subdomain_matching=False, server_name=server_name)
    base = server_name or host
    assert _get(app, host) == (
        200,
        f"index / http://bob.{base}/ http://api.{base}/api http://{base}/",
    )
    # Rules on other subdomains never match; they are only built (as absolute URLs).
    assert _get(app, f"api.{base}", "/api")[0] == 404
    assert _get(app, "a.b.example.com", "/p/4")[0] == 404


def test_external_urls_in_a_request_use_server_name() -> None:
    app = _app(subdomain_matching=False, server_name="example.com:5000")
    assert _get(app, "other.org")[1] == (
        "index / http://bob.example.com:5000/ http://api.example.com:5000/api "
        "http://example.com:5000/"
    )


def test_external_urls_without_server_name_use_the_lowercased_host() -> None:
    app = _app(subdomain_matching=False, server_name=None)
    assert _get(app, "Alice.Example.COM")[1] == (
        "index / http://bob.alice.example.com/ http://api.alice.example.com/api "
        "http://alice.example.com/"
    )


# -- rules: converters, defaults, slashes, methods --------------------------------------------


def _rules_app() -> Flask:
    app = Flask(__name__, static_folder=None, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.com"
    app.add_url_rule("/n", "num", _show, subdomain="n<int:n>")
    app.add_url_rule("/d", "d", _show, subdomain="<lang>", defaults={"lang": "en"})
    app.add_url_rule("/slash/", "slash", _show, subdomain="s")
    app.add_url_rule("/m", "m", _show, subdomain="s", methods=["POST"])
    app.add_url_rule("/m", "m2", _show, subdomain="t", methods=["PUT"])
    app.add_url_rule("/m", "m3", _show, methods=["DELETE"])
    return app


def test_converters_in_the_subdomain() -> None:
    app = _rules_app()
    assert _get(app, "n7.example.com", "/n") == (200, "num [('n', 7)] []")
    assert _get(app, "nx.example.com", "/n")[0] == 404
    with app.app_context():
        assert url_for("num", n=3) == "http://n3.example.com/n"
        assert url_for("num", n=5, q=1) == "http://n5.example.com/n?q=1"


def test_defaults_fill_subdomain_variables() -> None:
    app = _rules_app()
    # As in Werkzeug, the rule's default wins over the value read from the host.
    assert _get(app, "fr.example.com", "/d") == (200, "d [('lang', 'en')] []")
    with app.app_context():
        assert url_for("d", lang="en") == "http://en.example.com/d"


def test_slash_redirect_keeps_the_subdomain() -> None:
    app = _rules_app()
    rv = app.test_client().get("/slash", headers={"Host": "s.example.com"})
    assert rv.status_code == 308
    assert rv.headers["Location"] == "http://s.example.com/slash/"
    assert _get(app, "s.example.com", "/slash/") == (200, "slash [] []")


@pytest.mark.parametrize(
    ("host", "allow"),
    [
        ("s.example.com", "OPTIONS, POST"),
        ("t.example.com", "OPTIONS, PUT"),
        ("example.com", "DELETE, OPTIONS"),
    ],
)
def test_405_and_options_only_see_rules_of_the_subdomain(host: str, allow: str) -> None:
    client = _rules_app().test_client()
    rv = client.get("/m", headers={"Host": host})
    assert rv.status_code == 405
    assert rv.headers["Allow"] == allow
    rv = client.options("/m", headers={"Host": host})
    assert rv.status_code == 200
    assert rv.headers["Allow"] == allow


def test_map_level_matching_and_building() -> None:
    m = Map(
        [
            Rule("/", endpoint="root"),
            Rule("/", endpoint="user", subdomain="<user>"),
            Rule("/x/<int:i>", endpoint="x", subdomain="api"),
        ]
    )
    assert m.match("/", "GET")[0].endpoint == "root"
    assert m.match("/", "GET", subdomain="")[0].endpoint == "root"
    rule, values = m.match("/", "GET", subdomain="bob")
    assert (rule.endpoint, values) == ("user", {"user": "bob"})
    assert m.match("/x/3", "GET", subdomain="api")[1] == {"i": 3}
    with pytest.raises(NotFound):
        m.match("/x/3", "GET")
    assert m.build("x", {"i": 3, "q": "1"}) == "/x/3?q=1"
    assert [r.subdomain for r in m.iter_rules()] == ["", "<user>", "api"]


def test_default_subdomain_of_the_map() -> None:
    m = Map(
        [Rule("/", endpoint="www"), Rule("/", endpoint="api", subdomain="api")],
        default_subdomain="www",
    )
    assert next(m.iter_rules("www")).subdomain == "www"
    assert m.match("/", "GET")[0].endpoint == "www"
    assert m.match("/", "GET", subdomain="www")[0].endpoint == "www"
    assert m.match("/", "GET", subdomain="api")[0].endpoint == "api"


def test_malformed_subdomains_are_rejected() -> None:
    with pytest.raises(ValueError, match="without slashes"):
        Map([Rule("/", endpoint="a", subdomain="a/b")])
    with pytest.raises(ValueError, match="matches slashes"):
        Map([Rule("/", endpoint="a", subdomain="<path:p>")])
    with pytest.raises(ValueError, match="twice"):
        Map([Rule("/<x>", endpoint="a", subdomain="<x>")])


def test_host_helpers() -> None:
    assert normalize_host("Example.COM:443", "https") == "example.com"
    assert normalize_host("example.com:443", "http") == "example.com:443"
    assert normalize_host("example.com:80", "ws") == "example.com"
    assert subdomain_of("a.B.example.com", "example.com", "http") == "a.b"
    assert subdomain_of("example.com", "Example.com:80", "http") == ""
    assert subdomain_of("badexample.com", "example.com", "http") == "<invalid>"


# -- blueprints ---------------------------------------------------------------------------------


def _bp_app() -> Flask:
    app = Flask(__name__, static_folder=None, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.com"
    parent = Blueprint("parent", __name__, subdomain="v1")
    child = Blueprint("child", __name__, subdomain="api", url_prefix="/c")
    leaf = Blueprint("leaf", __name__)

    @parent.route("/")
    def p_index() -> str:
        links = [url_for(".p_index"), url_for("parent.child.c_index"), url_for("idx")]
        return _show() + " " + " ".join(links)

    @child.route("/")
    def c_index(**kw: Any) -> str:
        links = [
            url_for(".c_index", **kw),
            url_for("parent.p_index"),
            url_for("parent.child.c_index", _external=True),
        ]
        return _show() + " " + " ".join(links)

    leaf.add_url_rule("/leaf", "l", _show)
    child.register_blueprint(leaf)
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    app.register_blueprint(child, name="c2", subdomain="<tenant>")
    app.register_blueprint(leaf, name="leaf2", subdomain="x", url_prefix="/l")

    @app.route("/")
    def idx() -> str:
        return _show() + " " + url_for("parent.p_index") + " " + url_for("c2.c_index", tenant="t1")

    return app


@pytest.mark.parametrize(
    ("host", "path", "body"),
    [
        ("example.com", "/", "idx [] [] http://v1.example.com/ http://t1.example.com/c/"),
        (
            "v1.example.com",
            "/",
            "parent.p_index [] ['parent'] / http://api.v1.example.com/c/ http://example.com/",
        ),
        (
            "api.v1.example.com",
            "/c/",
            "parent.child.c_index [] ['parent.child', 'parent'] /c/ "
            "http://v1.example.com/ http://api.v1.example.com/c/",
        ),
        (
            "api.v1.example.com",
            "/c/leaf",
            "parent.child.leaf.l [] ['parent.child.leaf', 'parent.child', 'parent']",
        ),
        (
            "t9.example.com",
            "/c/",
            "c2.c_index [('tenant', 't9')] ['c2'] /c/ "
            "http://v1.example.com/ http://api.v1.example.com/c/",
        ),
        ("t9.example.com", "/c/leaf", "c2.leaf.l [('tenant', 't9')] ['c2.leaf', 'c2']"),
        (
            "v1.example.com",
            "/c/",
            "c2.c_index [('tenant', 'v1')] ['c2'] /c/ / http://api.v1.example.com/c/",
        ),
        ("x.example.com", "/l/leaf", "leaf2.l [] ['leaf2']"),
    ],
)
def test_blueprint_subdomains_compose(host: str, path: str, body: str) -> None:
    assert _get(_bp_app(), host, path) == (200, body)


def test_blueprint_rules_carry_their_composed_subdomain() -> None:
    rules = {r.endpoint: r.subdomain for r in _bp_app().url_map.iter_rules()}
    assert rules == {
        "idx": "",
        "parent.p_index": "v1",
        "parent.child.c_index": "api.v1",
        "parent.child.leaf.l": "api.v1",
        "c2.c_index": "<tenant>",
        "c2.leaf.l": "<tenant>",
        "leaf2.l": "x",
    }


def test_blueprint_subdomain_redirect_and_404() -> None:
    app = _bp_app()
    rv = app.test_client().get("/c", headers={"Host": "api.v1.example.com"})
    assert (rv.status_code, rv.headers["Location"]) == (308, "http://api.v1.example.com/c/")
    assert _get(app, "example.com", "/c/leaf")[0] == 404
    assert _get(app, "y.example.com", "/l/leaf")[0] == 404


def test_test_client_and_request_context_take_a_subdomain() -> None:
    app = _bp_app()
    rv = app.test_client().get("/", subdomain="v1")
    assert rv.text.startswith("parent.p_index [] ['parent'] /")
    with app.test_request_context("/c/", subdomain="api.v1"):
        assert request.endpoint == "parent.child.c_index"
        assert url_for("parent.child.c_index") == "/c/"
        assert url_for("idx") == "http://example.com/"
    with app.app_context():
        assert url_for("idx") == "http://example.com/"
        assert url_for("parent.p_index") == "http://v1.example.com/"
        assert url_for("c2.c_index", tenant="q", x=1) == "http://q.example.com/c/?x=1"


def test_building_another_subdomain_outside_a_request_needs_server_name() -> None:
    app = Flask(__name__, static_folder=None)
    app.add_url_rule("/", "api", _show, subdomain="api")
    with app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("api", _external=False)


# -- WebSockets ------------------------------------------------------------------------------


async def test_websocket_routes_match_on_the_subdomain() -> None:
    app = Flask(__name__, static_folder=None, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.com"

    @app.websocket("/ws", subdomain="<room>")
    async def ws(room: str) -> None:
        await websocket.accept()
        await websocket.send_text(f"{room} {url_for('ws', room='b')}")

    client = app.test_client()
    async with client.websocket_connect("http://a.example.com/ws") as conn:
        assert await conn.receive_text() == "a ws://b.example.com/ws"
