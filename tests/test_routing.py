"""Tests for `aioflask.routing`; expected values were checked against Werkzeug 3.1."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from aioflask.exceptions import MethodNotAllowed, NotFound, RequestRedirect
from aioflask.routing import (
    DEFAULT_CONVERTERS,
    BaseConverter,
    BuildError,
    Map,
    PathConverter,
    Rule,
    UnicodeConverter,
    ValidationError,
    WebsocketMismatch,
)


def make_map(*rules: Rule, **options: Any) -> Map:
    return Map(rules, **options)


def endpoint_of(url_map: Map, path: str, method: str = "GET") -> str | None:
    return url_map.match(path, method)[0].endpoint


def redirect_of(url_map: Map, path: str, method: str = "GET") -> str:
    with pytest.raises(RequestRedirect) as info:
        url_map.match(path, method)
    assert info.value.code == 308
    return info.value.new_url


def assert_not_found(url_map: Map, path: str, method: str = "GET") -> None:
    with pytest.raises(NotFound):
        url_map.match(path, method)


# -- converters -------------------------------------------------------------------------------


def test_default_converters_are_registered() -> None:
    assert set(DEFAULT_CONVERTERS) == {"default", "string", "any", "path", "int", "float", "uuid"}
    assert DEFAULT_CONVERTERS["default"] is UnicodeConverter
    assert Map().converters == DEFAULT_CONVERTERS


def test_string_converter_lengths() -> None:
    url_map = make_map(
        Rule("/plain/<name>", endpoint="plain"),
        Rule("/range/<string(minlength=2, maxlength=3):s>", endpoint="range"),
        Rule("/exact/<string(length=2):s>", endpoint="exact"),
    )
    assert url_map.match("/plain/John Doe", "GET")[1] == {"name": "John Doe"}
    assert_not_found(url_map, "/plain/")
    assert_not_found(url_map, "/plain/a/b")
    assert_not_found(url_map, "/range/a")
    assert url_map.match("/range/ab", "GET")[1] == {"s": "ab"}
    assert url_map.match("/range/abc", "GET")[1] == {"s": "abc"}
    assert_not_found(url_map, "/range/abcd")
    assert url_map.match("/exact/ab", "GET")[1] == {"s": "ab"}
    assert_not_found(url_map, "/exact/abc")


def test_int_converter() -> None:
    url_map = make_map(
        Rule("/i/<int:i>", endpoint="i"),
        Rule("/r/<int(min=2, max=10):i>", endpoint="r"),
        Rule("/s/<int(signed=True):i>", endpoint="s"),
        Rule("/fd/<int(fixed_digits=3):i>", endpoint="fd"),
    )
    assert url_map.match("/i/007", "GET")[1] == {"i": 7}
    assert_not_found(url_map, "/i/-1")
    assert_not_found(url_map, "/i/1.5")
    assert_not_found(url_map, "/i/x")
    assert_not_found(url_map, "/r/1")
    assert url_map.match("/r/2", "GET")[1] == {"i": 2}
    assert url_map.match("/r/10", "GET")[1] == {"i": 10}
    assert_not_found(url_map, "/r/11")
    assert url_map.match("/s/-3", "GET")[1] == {"i": -3}
    assert url_map.match("/s/3", "GET")[1] == {"i": 3}
    assert_not_found(url_map, "/fd/07")
    assert url_map.match("/fd/007", "GET")[1] == {"i": 7}
    assert_not_found(url_map, "/fd/0007")


def test_float_converter_needs_a_dot() -> None:
    url_map = make_map(
        Rule("/f/<float:f>", endpoint="f"), Rule("/fs/<float(signed=True):f>", endpoint="fs")
    )
    assert_not_found(url_map, "/f/1")
    assert url_map.match("/f/1.5", "GET")[1] == {"f": 1.5}
    assert_not_found(url_map, "/f/-1.5")
    assert url_map.match("/fs/-1.5", "GET")[1] == {"f": -1.5}


def test_path_converter_matches_slashes() -> None:
    url_map = make_map(
        Rule("/files/<path:rest>", endpoint="files"),
        Rule("/files/<path:rest>/raw", endpoint="raw"),
    )
    assert url_map.match("/files/a/b/c", "GET")[1] == {"rest": "a/b/c"}
    assert url_map.match("/files/a/", "GET")[1] == {"rest": "a/"}
    assert url_map.match("/files/a/b/raw", "GET") == (
        next(url_map.iter_rules("raw")),
        {"rest": "a/b"},
    )
    assert_not_found(url_map, "/files/")
    assert PathConverter.part_isolating is False


def test_any_converter() -> None:
    url_map = make_map(Rule("/<any(about, help, 'x y'):page>", endpoint="page"))
    assert url_map.match("/about", "GET")[1] == {"page": "about"}
    assert url_map.match("/x y", "GET")[1] == {"page": "x y"}
    assert_not_found(url_map, "/other")
    assert url_map.build("page", {"page": "help"}) == "/help"
    with pytest.raises(ValueError, match="'nope' is not one of 'about', 'help', 'x y'"):
        url_map.build("page", {"page": "nope"})


def test_uuid_converter() -> None:
    url_map = make_map(Rule("/u/<uuid:u>", endpoint="u"))
    value = uuid.UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
    assert url_map.match(f"/u/{value}", "GET")[1] == {"u": value}
    assert url_map.match(f"/u/{str(value).upper()}", "GET")[1] == {"u": value}
    assert_not_found(url_map, "/u/not-a-uuid")
    assert url_map.build("u", {"u": value}) == f"/u/{value}"


class ListConverter(BaseConverter):
    def to_python(self, value: str) -> list[str]:
        return value.split(",")

    def to_url(self, value: Any) -> str:
        return ",".join(super(ListConverter, self).to_url(v) for v in value)


def test_custom_converter_registered_on_the_map() -> None:
    url_map = Map()
    url_map.converters["list"] = ListConverter
    url_map.add(Rule("/tags/<list:tags>", endpoint="tags"))
    assert url_map.match("/tags/a,b,c", "GET")[1] == {"tags": ["a", "b", "c"]}
    assert url_map.build("tags", {"tags": ["x y", "z"]}) == "/tags/x%20y,z"
    also = Map(converters={"list": ListConverter})
    also.add(Rule("/<list:items>", endpoint="items"))
    assert also.match("/1,2", "GET")[1] == {"items": ["1", "2"]}


def test_custom_converter_validation_error_means_no_match() -> None:
    class EvenConverter(BaseConverter):
        regex = r"\d+"

        def to_python(self, value: str) -> int:
            if int(value) % 2:
                raise ValidationError()
            return int(value)

    url_map = make_map(Rule("/even/<even:n>", endpoint="even"), converters={"even": EvenConverter})
    assert url_map.match("/even/4", "GET")[1] == {"n": 4}
    assert_not_found(url_map, "/even/3")


def test_converter_with_slash_in_regex_is_not_part_isolating() -> None:
    class Slashy(BaseConverter):
        regex = "[a-z/]+"

    assert Slashy.part_isolating is False
    url_map = make_map(Rule("/s/<slashy:x>/end", endpoint="s"), converters={"slashy": Slashy})
    assert url_map.match("/s/a/b/end", "GET")[1] == {"x": "a/b"}


# -- ordering ---------------------------------------------------------------------------------


def test_specificity_ordering() -> None:
    url_map = make_map(
        Rule("/a/<x>", endpoint="string"),
        Rule("/a/<path:p>", endpoint="path"),
        Rule("/a/b", endpoint="static"),
        Rule("/a/<int:i>", endpoint="int"),
        Rule("/a/<x>/<y>", endpoint="two"),
        Rule("/a/b/<y>", endpoint="b_y"),
    )
    assert endpoint_of(url_map, "/a/b") == "static"
    assert endpoint_of(url_map, "/a/1") == "int"
    assert endpoint_of(url_map, "/a/c") == "string"
    assert endpoint_of(url_map, "/a/c/d") == "two"
    assert endpoint_of(url_map, "/a/b/d") == "b_y"
    assert endpoint_of(url_map, "/a/b/c/d") == "path"
    assert url_map.match("/a/b/", "GET")[1] == {"p": "b/"}


def test_ordering_quirks_match_werkzeug() -> None:
    url_map = make_map(
        Rule("/e/<x>/edit", endpoint="x_edit"),
        Rule("/e/<path:p>/edit", endpoint="path_edit"),
        Rule("/<x>/a", endpoint="1"),
        Rule("/<string(length=2):y>/b", endpoint="2"),
        Rule("/<x>/b", endpoint="3"),
        Rule("/v/<int(max=5):i>", endpoint="small"),
        Rule("/v/<x>", endpoint="any"),
    )
    # A part with literal text after a path variable outranks a bare variable.
    assert endpoint_of(url_map, "/e/foo/edit") == "path_edit"
    # Equal weights keep the order of the first rule using that part.
    assert endpoint_of(url_map, "/zz/b") == "3"
    # The first matching rule's converter rejecting a value does not fall through.
    assert endpoint_of(url_map, "/v/3") == "small"
    assert_not_found(url_map, "/v/7")
    assert endpoint_of(url_map, "/v/q") == "any"


def test_static_text_inside_segments() -> None:
    url_map = make_map(
        Rule("/k/<a>.<b>", endpoint="dot"),
        Rule("/k/<a>", endpoint="plain"),
        Rule("/x<int:n>y/z", endpoint="mixed"),
    )
    assert url_map.match("/k/a.b", "GET")[1] == {"a": "a", "b": "b"}
    assert endpoint_of(url_map, "/k/a") == "plain"
    assert url_map.match("/x5y/z", "GET")[1] == {"n": 5}
    assert_not_found(url_map, "/xqy/z")


# -- slashes ----------------------------------------------------------------------------------


def test_strict_slashes_redirect() -> None:
    url_map = make_map(
        Rule("/projects/", endpoint="projects"),
        Rule("/slash/", endpoint="slash", methods=["GET"]),
        Rule("/user/<name>/", endpoint="user"),
        Rule("/pp/<path:p>/", endpoint="pp"),
        Rule("/", endpoint="index"),
    )
    assert redirect_of(url_map, "/projects") == "/projects/"
    assert endpoint_of(url_map, "/projects/") == "projects"
    assert redirect_of(url_map, "/slash", "HEAD") == "/slash/"
    assert_not_found(url_map, "/slash", "POST")
    assert redirect_of(url_map, "/user/John Doe") == "/user/John%20Doe/"
    assert redirect_of(url_map, "/user/a%b") == "/user/a%25b/"
    assert redirect_of(url_map, "/pp/x/y") == "/pp/x/y/"
    assert url_map.match("/pp/x/y/", "GET")[1] == {"p": "x/y"}
    assert endpoint_of(url_map, "/") == "index"


def test_leaf_rule_with_extra_slash_is_not_found() -> None:
    url_map = make_map(Rule("/leaf", endpoint="leaf"), Rule("/v/<x>", endpoint="v"))
    assert_not_found(url_map, "/leaf/")
    assert_not_found(url_map, "/v/a/")


def test_strict_slashes_false() -> None:
    url_map = make_map(
        Rule("/ns/", endpoint="ns", strict_slashes=False),
        Rule("/nl", endpoint="nl", strict_slashes=False),
        Rule("/t/<x>", endpoint="t", strict_slashes=False),
    )
    for path, endpoint in [("/ns", "ns"), ("/ns/", "ns"), ("/nl", "nl"), ("/nl/", "nl")]:
        assert endpoint_of(url_map, path) == endpoint
    assert url_map.match("/t/a/", "GET")[1] == {"x": "a"}
    relaxed = make_map(Rule("/b/", endpoint="b"), strict_slashes=False)
    assert endpoint_of(relaxed, "/b") == "b"
    assert next(relaxed.iter_rules()).strict_slashes is False


def test_merge_slashes() -> None:
    url_map = make_map(
        Rule("/multi/a", endpoint="multi"),
        Rule("/projects/", endpoint="projects"),
        Rule("/nomerge//x", endpoint="nomerge", merge_slashes=False),
    )
    assert redirect_of(url_map, "/multi//a") == "/multi/a"
    assert redirect_of(url_map, "/projects//") == "/projects/"
    assert endpoint_of(url_map, "//multi/a") == "multi"  # leading slashes are dropped
    assert_not_found(url_map, "/multi/a//")
    assert endpoint_of(url_map, "/nomerge//x") == "nomerge"
    assert_not_found(url_map, "/nomerge/x")
    plain = make_map(Rule("/multi/a", endpoint="multi"), merge_slashes=False)
    assert_not_found(plain, "/multi//a")


def test_rule_merges_its_own_slashes() -> None:
    url_map = make_map(Rule("/a//b", endpoint="ab"))
    assert endpoint_of(url_map, "/a/b") == "ab"
    assert url_map.build("ab") == "/a/b"


# -- defaults, methods, websockets ------------------------------------------------------------


def test_defaults_redirect_to_the_canonical_rule() -> None:
    url_map = make_map(
        Rule("/d/", endpoint="d", defaults={"page": 1}),
        Rule("/d/page/<int:page>", endpoint="d"),
    )
    assert url_map.match("/d/", "GET")[1] == {"page": 1}
    assert redirect_of(url_map, "/d/page/1") == "/d/"
    assert url_map.match("/d/page/2", "GET")[1] == {"page": 2}
    assert url_map.build("d") == "/d/"
    assert url_map.build("d", {"page": 1}) == "/d/"
    assert url_map.build("d", {"page": 2}) == "/d/page/2"
    assert url_map.build("d", {"page": 2, "x": "y"}) == "/d/page/2?x=y"


def test_defaults_are_merged_into_values() -> None:
    url_map = make_map(Rule("/p/<int:id>", endpoint="p", defaults={"fmt": "html"}))
    rule, values = url_map.match("/p/3", "GET")
    assert values == {"id": 3, "fmt": "html"}
    values["id"] = 4  # callers may mutate the values
    assert url_map.match("/p/3", "GET")[1]["id"] == 3
    assert rule.arguments == {"id", "fmt"}


def test_method_not_allowed_lists_all_matching_methods() -> None:
    url_map = make_map(
        Rule("/m", endpoint="get", methods=["GET"]),
        Rule("/m", endpoint="post", methods=["post"]),
        Rule("/n/<int:i>", endpoint="put", methods=["PUT"]),
        Rule("/n/<x>", endpoint="delete", methods=["DELETE"]),
    )
    assert endpoint_of(url_map, "/m", "POST") == "post"
    with pytest.raises(MethodNotAllowed) as info:
        url_map.match("/m", "PUT")
    assert info.value.valid_methods == ["GET", "HEAD", "POST"]
    with pytest.raises(MethodNotAllowed) as info:
        url_map.match("/n/5", "GET")
    assert info.value.valid_methods == ["DELETE", "PUT"]
    assert url_map.allowed_methods("/m") == ["GET", "HEAD", "POST"]
    assert url_map.allowed_methods("/n/x") == ["DELETE"]
    assert url_map.allowed_methods("/nothing") == []


def test_head_is_added_with_get_and_methods_must_be_a_list() -> None:
    assert Rule("/", methods=["get"]).methods == {"GET", "HEAD"}
    assert Rule("/", methods=["POST"]).methods == {"POST"}
    assert Rule("/").methods is None
    url_map = make_map(Rule("/h", endpoint="h", methods=["GET"]))
    assert endpoint_of(url_map, "/h", "HEAD") == "h"
    with pytest.raises(TypeError, match="list"):
        Rule("/", methods="GET")


def test_websocket_rules_are_separate() -> None:
    url_map = make_map(
        Rule("/ws", endpoint="ws", websocket=True),
        Rule("/http", endpoint="http"),
        Rule("/both", endpoint="both-http"),
        Rule("/both", endpoint="both-ws", websocket=True),
    )
    assert url_map.match("/ws", "GET", websocket=True)[0].endpoint == "ws"
    assert url_map.match("/both", "GET")[0].endpoint == "both-http"
    assert url_map.match("/both", "GET", websocket=True)[0].endpoint == "both-ws"
    with pytest.raises(WebsocketMismatch):
        url_map.match("/ws", "GET")
    with pytest.raises(WebsocketMismatch):
        url_map.match("/http", "GET", websocket=True)
    with pytest.raises(NotFound):
        url_map.match("/missing", "GET", websocket=True)
    with pytest.raises(ValueError, match="WebSocket"):
        Rule("/w", methods=["POST"], websocket=True)


# -- building ---------------------------------------------------------------------------------


def build_map() -> Map:
    return make_map(
        Rule("/user/<username>", endpoint="profile", methods=["GET"]),
        Rule("/login", endpoint="login"),
        Rule("/u/<s>", endpoint="u"),
        Rule("/p/<path:p>", endpoint="p"),
        Rule("/ifd/<int(fixed_digits=4):n>", endpoint="ifd"),
        Rule("/item", endpoint="item", methods=["GET"]),
        Rule("/item/new", endpoint="item", methods=["POST"]),
    )


def test_build_escapes_path_values() -> None:
    url_map = build_map()
    assert url_map.build("profile", {"username": "John Doe"}) == "/user/John%20Doe"
    assert url_map.build("u", {"s": "a b/c"}) == "/u/a%20b/c"
    assert url_map.build("p", {"p": "a b/c?d#e"}) == "/p/a%20b/c%3Fd%23e"
    assert (
        url_map.build("u", {"s": "ü&=+ %!$'()*,/:;?@[]~#"})
        == "/u/%C3%BC&=+%20%25!$'()*,/:;%3F@%5B%5D~%23"
    )
    assert url_map.build("ifd", {"n": 7}) == "/ifd/0007"


def test_build_query_string() -> None:
    url_map = build_map()
    assert url_map.build("login", {"next": "/"}) == "/login?next=/"
    assert url_map.build("login", {"page": 2, "tags": ["a", "b"], "x": None}) == (
        "/login?page=2&tags=a&tags=b"
    )
    assert url_map.build("login", {"next": "/a?b#c\r\n"}) == "/login?next=/a?b%23c%0D%0A"
    assert url_map.build("login", {"q": "ü&=+ %!$'()*,/:;?@[]~"}) == (
        "/login?q=%C3%BC%26%3D%2B+%25!$'()*,/:;?@%5B%5D~"
    )
    assert url_map.build("login", {"next": "/"}, append_unknown=False) == "/login"
    assert url_map.build("profile", {"username": "a", "tab": "x"}) == "/user/a?tab=x"


def test_build_selects_by_method() -> None:
    url_map = build_map()
    assert url_map.build("item") == "/item"
    assert url_map.build("item", method="POST") == "/item/new"
    assert url_map.build("item", method="GET") == "/item"


def test_build_errors() -> None:
    url_map = build_map()
    with pytest.raises(BuildError) as info:
        url_map.build("profile")
    assert str(info.value) == (
        "Could not build url for endpoint 'profile'. Did you forget to specify values ['username']?"
    )
    assert (info.value.endpoint, info.value.values, info.value.method) == ("profile", {}, None)
    with pytest.raises(BuildError) as info:
        url_map.build("profil", {"username": "x"})
    assert str(info.value) == (
        "Could not build url for endpoint 'profil' with values ['username']."
        " Did you mean 'profile' instead?"
    )
    with pytest.raises(BuildError) as info:
        url_map.build("profile", {"username": "x"}, method="POST")
    assert str(info.value) == (
        "Could not build url for endpoint 'profile' ('POST') with values ['username']."
        " Did you mean to use methods ['GET', 'HEAD']?"
    )
    with pytest.raises(BuildError) as info:
        url_map.build("zzzzzz")
    assert str(info.value) == "Could not build url for endpoint 'zzzzzz'."
    assert isinstance(info.value, LookupError)


def test_is_endpoint_expecting() -> None:
    url_map = make_map(
        Rule("/<lang>/about", endpoint="about"),
        Rule("/about", endpoint="about"),
        Rule("/home", endpoint="home"),
    )
    assert url_map.is_endpoint_expecting("about", "lang")
    assert not url_map.is_endpoint_expecting("home", "lang")
    assert not url_map.is_endpoint_expecting("about", "lang", "page")
    assert not url_map.is_endpoint_expecting("unknown", "lang")


# -- rule syntax and the map ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "error", "message"),
    [
        ("/a/<int:>", ValueError, "Malformed URL rule '/a/<int:>'"),
        ("/a/<x", ValueError, "Malformed URL rule '/a/<x'"),
        ("/a/<1x>", ValueError, "Malformed"),
        ("/a/<foo:x>", LookupError, "unknown converter 'foo'"),
        ("/a/<int(1 2):x>", ValueError, "converter arguments"),
        ("/a/<int(bogus=1):x>", TypeError, "rejected its arguments"),
        ("/a/<x>/<x>", ValueError, "twice"),
    ],
)
def test_bad_rules(rule: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace("[", r"\[")):
        Map([Rule(rule, endpoint="x")])


def test_rule_must_start_with_a_slash() -> None:
    with pytest.raises(ValueError, match="must start with a slash"):
        Rule("a")


def test_converter_argument_parsing() -> None:
    rule = Rule("/<any(about, help, \"x y\", 'z'):page>/<int(min=-5, signed=True):n>")
    make_map(rule)
    any_conv, int_conv = rule._converters["page"], rule._converters["n"]
    assert any_conv.items == ["about", "help", "x y", "z"]  # type: ignore[attr-defined]
    assert (int_conv.min, int_conv.signed) == (-5, True)  # type: ignore[attr-defined]


def test_rule_attributes_and_map_registration() -> None:
    rule = Rule("/x/<int:id>", endpoint="x", defaults={"a": 1})
    assert rule.map is None and rule.provide_automatic_options is False
    url_map = make_map(rule)
    assert rule.map is url_map
    assert rule.arguments == {"id", "a"}
    assert (rule.strict_slashes, rule.merge_slashes, rule.websocket) == (True, True, False)
    rule.view_name = "custom"  # the app may hang its own attributes on rules
    assert repr(rule) == "<Rule '/x/<int:id>' -> x>"
    with pytest.raises(RuntimeError, match="already belongs to a map"):
        Map().add(rule)
    assert list(url_map.iter_rules("x")) == [rule]
    assert list(url_map.iter_rules("missing")) == []


def test_rules_added_after_matching_are_found() -> None:
    url_map = make_map(Rule("/a", endpoint="a"))
    assert endpoint_of(url_map, "/a") == "a"
    url_map.add(Rule("/b/<x>", endpoint="b"))
    assert endpoint_of(url_map, "/b/1") == "b"
    assert url_map.build("b", {"x": 1}) == "/b/1"


def big_map(count: int) -> Map:
    url_map = Map()
    for i in range(count):
        kind = i % 4
        if kind == 0:
            url_map.add(Rule(f"/static{i}/page", endpoint=f"s{i}"))
        elif kind == 1:
            url_map.add(Rule(f"/r{i}/<int:id>", endpoint=f"r{i}"))
        elif kind == 2:
            url_map.add(Rule(f"/items{i}/<name>/detail", endpoint=f"i{i}"))
        else:
            url_map.add(Rule(f"/<lang>/page{i}", endpoint=f"l{i}"))
    return url_map


def test_thousand_routes_route_correctly() -> None:
    url_map = big_map(1000)
    for i in range(1000):
        kind = i % 4
        if kind == 0:
            assert url_map.match(f"/static{i}/page", "GET") == (
                next(url_map.iter_rules(f"s{i}")),
                {},
            )
        elif kind == 1:
            rule, values = url_map.match(f"/r{i}/{i}", "GET")
            assert (rule.endpoint, values) == (f"r{i}", {"id": i})
        elif kind == 2:
            rule, values = url_map.match(f"/items{i}/n{i}/detail", "GET")
            assert (rule.endpoint, values) == (f"i{i}", {"name": f"n{i}"})
        else:
            rule, values = url_map.match(f"/en/page{i}", "GET")
            assert (rule.endpoint, values) == (f"l{i}", {"lang": "en"})
    assert_not_found(url_map, "/r1/x")
    assert_not_found(url_map, "/static0/page/extra")


def test_matching_does_not_slow_down_with_more_routes() -> None:
    def cost(url_map: Map) -> float:
        paths = ["/r1/5", "/items2/x/detail", "/en/page3", "/static0/page"]
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(300):
                for path in paths:
                    url_map.match(path, "GET")
            best = min(best, time.perf_counter() - start)
        return best

    small, large = big_map(10), big_map(1000)
    cost(small), cost(large)  # build the trees
    assert cost(large) < cost(small) * 3  # generous: timing on shared CI machines is noisy
