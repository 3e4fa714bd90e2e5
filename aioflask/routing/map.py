"""URL rules and the map that matches request paths to rules.

Rule syntax and matching results follow Flask/Werkzeug: `/user/<int:id>` matches
`/user/42` as `{"id": 42}`, literal segments beat variables, `/projects/` asked
for as `/projects` redirects, and URLs are built back from endpoints and values.

The matcher is our own. Rules form a tree keyed by path segment: a request walks
the literal segments with dict lookups and tries only the variable parts hanging
off the nodes it reaches, so ten routes or a thousand cost about the same. Rules
without variables are also kept in a flat dict keyed by path for one-lookup hits.
A rule's subdomain is the tree's first level; requests on the default subdomain
(the only one unless the app turns on `subdomain_matching`) start below it.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from werkzeug.routing import BuildError as _WerkzeugBuildError
from werkzeug.routing import Rule as _WerkzeugRule
from werkzeug.routing import RuleFactory as WerkzeugRuleFactory
from werkzeug.routing import WebsocketMismatch as WebsocketMismatch

from ..exceptions import MethodNotAllowed, NotFound, RequestRedirect
from .converters import _PATH_SAFE, DEFAULT_CONVERTERS, BaseConverter, ValidationError

_QUERY_SAFE = "!$'()*,/:;?@"
_MULTI_SLASH = re.compile("/{2,}")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKEN = re.compile(
    rf"(?P<slash>/)|(?P<static>[^</]+)"
    rf"|<(?:(?P<conv>{_NAME})(?:\((?P<args>.*?)\))?:)?(?P<var>{_NAME})>"
)
_ARG = re.compile(
    rf"\s*(?:(?P<name>{_NAME})\s*=\s*)?"
    r"""(?:[rRuU]?(?P<quoted>"[^"]*"|'[^']*')|(?P<bare>[\w.+-]+))\s*(?:,|\Z)"""
)
_CONSTANTS: dict[str, Any] = {"True": True, "False": False, "None": None}
# Regexes of a lone default variable: they match any non-empty segment.
_PLAIN = {"(?P<_0>[^/]+)", "(?P<_0>[^/]{1,})"}
_WS_MISMATCH = "\0websocket"  # put in `seen` when a rule matched but is of the other kind
_Op = tuple[str, "BaseConverter | None"]  # literal text, or a variable name and its converter


def _parse_args(text: str, rule: str) -> tuple[list[Any], dict[str, Any]]:
    """Parse the `(...)` of `<conv(...):name>` into positional and keyword values."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    pos, end = 0, len(text.rstrip())
    while pos < end:
        m = _ARG.match(text, pos)
        if m is None:
            raise ValueError(
                f"Cannot parse the converter arguments {text!r} in URL rule {rule!r}; write"
                " them like Python literals, e.g. 'int(min=1, max=10)' or 'any(a, b, \"c d\")'."
            )
        pos, value = m.end(), m["bare"]
        if m["quoted"] is not None:
            value = m["quoted"][1:-1]
        elif value in _CONSTANTS:
            value = _CONSTANTS[value]
        elif re.fullmatch(r"[+-]?\d+", value):
            value = int(value)
        elif re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?", value):
            value = float(value)
        if m["name"]:
            kwargs[m["name"]] = value
        else:
            args.append(value)
    return args, kwargs


def _quote_query(value: Any) -> str:
    return quote_plus(value if isinstance(value, bytes) else str(value), safe=_QUERY_SAFE)


def _encode_query(items: Iterable[tuple[str, Any]]) -> str:
    """Encode pairs as a query string; lists, tuples and sets repeat the key."""
    pairs = []
    for key, value in items:
        for item in value if isinstance(value, (list, tuple, set)) else (value,):
            if item is not None:
                pairs.append(f"{_quote_query(key)}={_quote_query(item)}")
    return "&".join(pairs)


class _Part:
    """A variable piece of a rule between two slashes: one step in the matching tree.

    A `final` part holds a slash-matching converter and takes the rest of the
    path; `suffixed` marks such a part in a rule that ends with a slash.
    """

    def __init__(
        self, pattern: str, names: list[str], weight: tuple[Any, ...], final: bool, suffixed: bool
    ) -> None:
        self.names, self.weight, self.final, self.suffixed = names, weight, final, suffixed
        self.key = (pattern, final, suffixed, weight)
        self.plain = pattern in _PLAIN and not final
        self.match = re.compile(pattern + r"\Z").match


def _make_part(segment: list[_Op], suffixed: bool = False) -> str | _Part:
    """Turn the pieces of one segment into literal text or a variable part."""
    if all(conv is None for _, conv in segment):
        return "".join(text for text, _ in segment)
    pattern, names = "", list[str]()
    static_w: list[tuple[int, int]] = []
    arg_w: list[int] = []
    for text, conv in segment:
        if conv is None:
            pattern += re.escape(text)
            if text != "/":
                static_w.append((len(static_w), -len(text)))
        else:
            names.append(f"_{len(names)}")
            pattern += f"(?P<{names[-1]}>{conv.regex})"
            arg_w.append(conv.weight)
    if suffixed:  # the trailing slash is optional so a missing one can be redirected
        pattern += r"(?<!/)(?P<_s>/?)"
    final = any(conv is not None and not conv.part_isolating for _, conv in segment)
    weight = (-len(static_w), tuple(static_w), -len(arg_w), tuple(arg_w))
    return _Part(pattern, names, weight, final, suffixed)


class _Node:
    """A matching-tree node: literal children, variable children, rules ending here."""

    __slots__ = ("dynamic", "rules", "static")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.dynamic: list[tuple[_Part, _Node]] = []
        self.rules: list[Rule] = []


class _SlashRequired(Exception):
    """The path matches a strict branch rule once a trailing slash is added."""


class Rule:
    """One URL pattern and the endpoint it routes to.

    `string` is the pattern, e.g. `/user/<int:id>`, starting with a slash.
    `methods` limits the HTTP methods (upper-cased; `HEAD` joins `GET`),
    `defaults` gives values for variables the pattern lacks, `strict_slashes`
    and `merge_slashes` override the map's settings, and `websocket` rules only
    match WebSocket requests. `subdomain` (default: the map's
    `default_subdomain`) is a literal such as `api` or a pattern with variables
    such as `<user>`; see `Map.match`. On a map with `host_matching`, `host`
    takes its place: the whole host, such as `example.com` or
    `<user>.example.com` (a rule without one matches no request). `Map.add`
    parses the rule and sets `map`.
    """

    def __init__(
        self,
        string: str,
        *,
        endpoint: str | None = None,
        methods: Iterable[str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        strict_slashes: bool | None = None,
        merge_slashes: bool | None = None,
        websocket: bool = False,
        subdomain: str | None = None,
        host: str | None = None,
    ) -> None:
        if not string.startswith("/"):
            raise ValueError(f"URL rule {string!r} must start with a slash, e.g. '/{string}'.")
        if isinstance(methods, str):
            raise TypeError(f"'methods' must be a list such as [{methods!r}], not a string.")
        self.methods: set[str] | None = None
        if methods is not None:
            self.methods = {m.upper() for m in methods}
            if "GET" in self.methods:
                self.methods.add("HEAD")
            if websocket and self.methods - {"GET", "HEAD", "OPTIONS"}:
                raise ValueError(f"WebSocket rule {string!r} may only use GET, HEAD and OPTIONS.")
        self.rule = string
        self.endpoint = endpoint
        self.defaults: dict[str, Any] | None = dict(defaults) if defaults else None
        self.arguments: set[str] = set(self.defaults or ())
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.websocket = websocket
        self.subdomain = subdomain
        self.host = host
        self.provide_automatic_options = False
        self.map: Map | None = None
        self._converters: dict[str, BaseConverter] = {}
        self._to_python: list[tuple[str, Callable[[str], Any] | None]] = []
        self._parts: list[str | _Part] = []
        self._build_ops: list[_Op] = []
        self._static_path: str | None = None
        self._providers: tuple[Rule, ...] = ()
        self._sub_part: str | _Part = ""  # the subdomain as the first level of the tree
        self._sub_ops: list[_Op] = []  # how to build the subdomain, when it has variables

    def _bind(self, map: Map) -> None:
        """Take the map's settings and parse the pattern with `map.converters`."""
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        if self.merge_slashes is None:
            self.merge_slashes = map.merge_slashes
        if self.subdomain is None:
            self.subdomain = map.default_subdomain
        path = _MULTI_SLASH.sub("/", self.rule) if self.merge_slashes else self.rule
        self._converters, self._to_python, self._build_ops = {}, [], []  # clean after a failure
        self.arguments = set(self.defaults or ())
        # The host (host matching) or the subdomain is the first level of the tree.
        self._parse_subdomain(map, (self.host or "") if map.host_matching else self.subdomain)
        segments: list[list[_Op]] = [[]]
        ops: list[_Op] = [("/", None)]
        final = False  # after a slash-matching variable, slashes no longer split segments
        pos = 1
        while pos < len(path):
            m = _TOKEN.match(path, pos)
            if m is None:
                raise ValueError(
                    f"Malformed URL rule {self.rule!r} at {path[pos:]!r}; write variables as"
                    " '<name>', '<converter:name>' or '<converter(args):name>'."
                )
            pos, name = m.end(), m["var"]
            if name is None:
                piece = m["slash"] or m["static"]
                ops.append((quote(piece, safe=_PATH_SAFE), None))
                if piece == "/" and not final:
                    segments.append([])
                else:
                    segments[-1].append((piece, None))
                continue
            conv, op = self._add_variable(map, m)
            final = final or not conv.part_isolating
            segments[-1].append((name, conv))
            ops.append(op)
        last = segments[-1]
        suffixed = final and bool(last) and last[-1] == ("/", None)
        if suffixed:
            del last[-1]
        self._parts = [_make_part(segment) for segment in segments]
        if suffixed:
            self._parts[-1] = _make_part(last, suffixed=True)
            self._parts.append("")
        for op in ops:  # join neighbouring literal pieces
            if op[1] is None and self._build_ops and self._build_ops[-1][1] is None:
                self._build_ops[-1] = (self._build_ops[-1][0] + op[0], None)
            else:
                self._build_ops.append(op)
        self._build_ops[0] = ("/" + self._build_ops[0][0].lstrip("/"), None)
        if not self._converters and not path.startswith("//"):  # requests lose leading "//"
            self._static_path = "/" + "/".join(p for p in self._parts if isinstance(p, str))
        self.map = map

    def _add_variable(self, map: Map, m: re.Match[str]) -> tuple[BaseConverter, _Op]:
        """Make the converter of the variable token `m`; return it and its build step."""
        name = m["var"]
        if name in self._converters:
            raise ValueError(f"URL rule {self.rule!r} uses {name!r} twice; rename one.")
        conv = self._make_converter(map, m["conv"] or "default", m["args"])
        self._converters[name] = conv
        to_python = None if type(conv).to_python is BaseConverter.to_python else conv.to_python
        self._to_python.append((name, to_python))
        self.arguments.add(name)
        if self.defaults is not None and name in self.defaults:
            return conv, (conv.to_url(self.defaults[name]), None)
        return conv, (name, conv)

    def _parse_subdomain(self, map: Map, text: str) -> None:
        """Parse the subdomain pattern; its variables come before the path's."""
        segment: list[_Op] = []
        self._sub_ops = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m["slash"]:
                raise ValueError(
                    f"Malformed subdomain {text!r} of URL rule {self.rule!r}; write it like"
                    " 'api', '<user>' or '<user>.api', without slashes."
                )
            pos = m.end()
            if m["var"] is None:
                segment.append((m["static"], None))
                self._sub_ops.append((quote(m["static"], safe=_PATH_SAFE), None))
                continue
            conv, op = self._add_variable(map, m)
            if not conv.part_isolating:
                raise ValueError(
                    f"The subdomain {text!r} of URL rule {self.rule!r} uses a converter"
                    " that matches slashes; use one that matches a single part."
                )
            segment.append((m["var"], conv))
            self._sub_ops.append(op)
        self._sub_part = _make_part(segment)
        if isinstance(self._sub_part, str):
            self._sub_ops = []

    def _build_subdomain(self, values: Mapping[str, Any]) -> str | None:
        """Return the subdomain for `values` (which fit the rule), or None if refused."""
        if isinstance(self._sub_part, str):
            return self._sub_part
        try:
            return "".join(
                text if conv is None else conv.to_url(values[text]) for text, conv in self._sub_ops
            )
        except ValidationError:
            return None

    def _make_converter(self, map: Map, name: str, args: str | None) -> BaseConverter:
        if name not in map.converters:
            raise LookupError(
                f"URL rule {self.rule!r} uses the unknown converter {name!r}; register it"
                f" first with map.converters[{name!r}] = YourConverter."
            )
        c_args, c_kwargs = _parse_args(args, self.rule) if args else ([], {})
        try:
            return map.converters[name](map, *c_args, **c_kwargs)
        except TypeError as exc:
            raise TypeError(
                f"Converter {name!r} in URL rule {self.rule!r} rejected its arguments ({exc});"
                " check the argument names and count."
            ) from exc

    def _suitable_for(self, values: Mapping[str, Any], method: str | None) -> bool:
        """Tell whether this rule can be built from `values` for `method`."""
        if method is not None and self.methods is not None and method not in self.methods:
            return False
        defaults = self.defaults or {}
        for key in self.arguments:
            if key not in defaults and key not in values:
                return False
        return all(key not in values or values[key] == value for key, value in defaults.items())

    def _build(self, values: Mapping[str, Any], append_unknown: bool) -> str | None:
        """Return the path (and query) for `values`, or None if a converter refuses."""
        try:
            path = "".join(
                text if conv is None else conv.to_url(values[text])
                for text, conv in self._build_ops
            )
        except ValidationError:
            return None
        if append_unknown and not values.keys() <= self.arguments:
            args = self.arguments
            query = _encode_query((k, v) for k, v in values.items() if k not in args)
            if query:
                return f"{path}?{query}"
        return path

    def __str__(self) -> str:
        return self.rule

    def __repr__(self) -> str:
        methods = f" ({', '.join(sorted(self.methods))})" if self.methods is not None else ""
        return f"<{type(self).__name__} {self.rule!r}{methods} -> {self.endpoint}>"


def _walk(
    node: _Node, segs: list[str], i: int, method: str, ws: bool, seen: set[str], out: list[str]
) -> Rule | None:
    """Depth-first search for the rule matching `segs[i:]` below `node`.

    Literal children come first, then variable children in specificity order,
    backtracking on failure. Raw variable values are pushed onto `out`; methods
    of rules that matched the path but refused `method` are added to `seen`.
    """
    if i == len(segs):
        for rule in node.rules:
            if rule.methods is not None and method not in rule.methods:
                seen.update(rule.methods)
            elif rule.websocket != ws:
                seen.add(_WS_MISMATCH)
            else:
                return rule
        branch = node.static.get("")
        if branch is not None:
            for rule in branch.rules:
                if rule.websocket == ws and (rule.methods is None or method in rule.methods):
                    if rule.strict_slashes:
                        raise _SlashRequired
                    return rule
        return None
    seg = segs[i]
    child = node.static.get(seg)
    if child is not None:
        found = _walk(child, segs, i + 1, method, ws, seen, out)
        if found is not None:
            return found
    for part, child in node.dynamic:
        mark = len(out)
        if part.plain:  # a lone default variable: any non-empty segment, no regex needed
            if not seg:
                continue
            out.append(seg)
            nxt = i + 1
        else:
            m = part.match("/".join(segs[i:]) if part.final else seg)
            if m is None:
                continue
            nxt = len(segs) if part.final else i + 1
            if part.suffixed and m["_s"]:
                nxt -= 1  # leave the trailing "" segment for the rule's "" child
            for name in part.names:
                out.append(m[name])
        found = _walk(child, segs, nxt, method, ws, seen, out)
        if found is not None:
            return found
        del out[mark:]
    if not seg and i == len(segs) - 1:  # one extra slash is fine for non-strict rules
        for rule in node.rules:
            if rule.strict_slashes:
                continue
            if rule.methods is not None and method not in rule.methods:
                seen.update(rule.methods)
            elif rule.websocket != ws:
                seen.add(_WS_MISMATCH)
            else:
                return rule
    return None


def _no_match(seen: set[str]) -> Exception:
    """Pick the error for a failed match.

    405 when the path takes other methods, else 400 when only rules of the other
    kind (HTTP or WebSocket) matched, else 404.
    """
    methods = seen - {_WS_MISMATCH}
    if methods:
        return MethodNotAllowed(valid_methods=sorted(methods))
    return WebsocketMismatch() if seen else NotFound()


def _from_werkzeug(rule: Any) -> Rule:
    """An aioflask `Rule` with the settings of a `werkzeug.routing.Rule` (for `Map.add`)."""
    if not isinstance(rule, _WerkzeugRule):
        raise TypeError(f"Map.add() takes a Rule, not {type(rule).__name__}.")
    if rule.redirect_to is not None or rule.build_only or rule.alias:
        raise ValueError(
            f"Werkzeug rule {rule.rule!r} uses redirect_to, build_only or alias, which "
            "aioflask's router does not support; add a view that redirects instead."
        )
    return Rule(
        rule.rule,
        endpoint=rule.endpoint,
        methods=rule.methods,
        defaults=rule.defaults,
        strict_slashes=rule.strict_slashes,
        merge_slashes=rule.merge_slashes,
        websocket=rule.websocket,
        subdomain=rule.subdomain,
        host=rule.host,
    )


class Map:
    """All URL rules of an application, with matching and URL building.

    `strict_slashes` and `merge_slashes` are the defaults for rules that leave
    them unset. `converters` extends or overrides `DEFAULT_CONVERTERS`; more can
    be put in the `converters` dict later, before adding rules that use them.
    `default_subdomain` is the subdomain of rules that give none, and the one
    `match` assumes when it is not told the request's. With `host_matching`,
    rules match on their `host` instead, and `match` is given the request's
    host in `subdomain`.
    """

    def __init__(
        self,
        rules: Iterable[Rule] | None = None,
        *,
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        converters: Mapping[str, type[BaseConverter]] | None = None,
        default_subdomain: str = "",
        host_matching: bool = False,
    ) -> None:
        self.strict_slashes = strict_slashes
        self.host_matching = host_matching
        self.default_subdomain = default_subdomain
        self.merge_slashes = merge_slashes
        self.converters = dict(DEFAULT_CONVERTERS, **(converters or {}))
        self._rules: list[Rule] = []
        self._by_endpoint: dict[str | None, list[Rule]] = {}
        self._top = _Node()  # subdomains, then path segments
        self._root = _Node()  # the default subdomain's subtree of `_top`
        self._sub_patterns = False  # whether any rule has variables in its subdomain
        self._static: dict[str, list[Rule]] = {}  # of the default subdomain
        self._dirty = False
        self._lock = threading.Lock()
        for rule in rules or ():
            self.add(rule)

    def add(self, rule: Rule | WerkzeugRuleFactory) -> None:
        """Parse `rule` with this map's converters and add it.

        Raises `ValueError` for a malformed rule, `LookupError` for an unknown
        converter and `RuntimeError` if the rule already belongs to a map.
        A `werkzeug.routing.Rule` is copied into an aioflask rule, and a Werkzeug
        rule factory (`Submount`, `EndpointPrefix`, ...) adds the rules it makes.
        """
        if not isinstance(rule, Rule):
            if isinstance(rule, WerkzeugRuleFactory) and not isinstance(rule, _WerkzeugRule):
                # Werkzeug's Submount, EndpointPrefix, Subdomain, RuleTemplate...
                for made in rule.get_rules(self):  # type: ignore[arg-type]
                    self.add(made)
                return
            rule = _from_werkzeug(rule)
        if rule.map is not None:
            raise RuntimeError(f"{rule!r} already belongs to a map; create a new Rule instead.")
        rule._bind(self)
        self._rules.append(rule)
        self._by_endpoint.setdefault(rule.endpoint, []).append(rule)
        self._dirty = True

    def _rebuild(self) -> None:
        """Rebuild the matching tree and the build order after rules were added."""
        with self._lock:
            if self._dirty:
                self._rebuild_locked()

    def _rebuild_locked(self) -> None:
        top = _Node()
        root = top.static.setdefault(self.default_subdomain, _Node())
        static: dict[str, list[Rule]] = {}
        for rule in self._rules:
            node = top
            for part in (rule._sub_part, *rule._parts):
                if isinstance(part, str):
                    node = node.static.setdefault(part, _Node())
                    continue
                for known, child in node.dynamic:
                    if known.key == part.key:
                        node = child
                        break
                else:
                    node.dynamic.append((part, _Node()))
                    node = node.dynamic[-1][1]
            node.rules.append(rule)
            if rule._static_path is not None and rule._sub_part == self.default_subdomain:
                static.setdefault(rule._static_path, []).append(rule)
        stack = [top]
        while stack:
            node = stack.pop()
            node.dynamic.sort(key=lambda item: item[0].weight)  # stable: ties keep add order
            stack.extend(node.static.values())
            stack.extend(child for _, child in node.dynamic)
        for rules in self._by_endpoint.values():
            rules.sort(key=lambda r: (-len(r.arguments), -len(r.defaults or ())))
            for index, rule in enumerate(rules):
                rule._providers = tuple(
                    r
                    for r in rules[:index]
                    if r.defaults
                    and r.arguments == rule.arguments
                    and r.subdomain == rule.subdomain
                    and r.host == rule.host
                )
        self._top, self._root, self._static = top, root, static
        self._sub_patterns, self._dirty = bool(top.dynamic), False

    def iter_rules(self, endpoint: str | None = None) -> Iterator[Rule]:
        """Iterate over all rules, or over those of `endpoint`, in build order."""
        if self._dirty:
            self._rebuild()
        if endpoint is not None:
            return iter(list(self._by_endpoint.get(endpoint, ())))
        return iter([rule for rules in self._by_endpoint.values() for rule in rules])

    def match(
        self, path: str, method: str, websocket: bool = False, subdomain: str | None = None
    ) -> tuple[Rule, dict[str, Any]]:
        """Find the rule for the decoded request `path` and upper-case `method`.

        `subdomain` is the request's subdomain (None: `default_subdomain`);
        only rules whose subdomain matches it are candidates, and the values
        of subdomain variables join the path's. Returns the rule and its
        converted values with the rule's defaults merged in. Raises `NotFound`;
        `MethodNotAllowed` listing the methods the path accepts; or
        `RequestRedirect` whose `new_url` is the quoted path to go to (slash
        added, slashes merged, or the canonical URL of a rule with defaults),
        to which the caller adds the scheme, host, root path and query string.
        """
        if self._dirty:
            self._rebuild()
        if subdomain is None or subdomain == self.default_subdomain:
            candidates = self._static.get(path)
            if candidates is not None:
                for rule in candidates:
                    if rule.websocket == websocket and (
                        rule.methods is None or method in rule.methods
                    ):
                        if rule._providers:
                            break
                        return rule, (dict(rule.defaults) if rule.defaults else {})
            # Without subdomain patterns only the default subdomain's subtree can match.
            subdomain = self.default_subdomain if self._sub_patterns else None
        if path[:1] != "/" or path[1:2] == "/":
            path = "/" + path.lstrip("/")
        seen: set[str] = set()
        raw: list[str] = []
        try:
            if subdomain is None:  # inlined `_walk_from`: this is every request's path
                found = _walk(self._root, path[1:].split("/"), 0, method, websocket, seen, raw)
            else:
                found = self._walk_from(subdomain, path, method, websocket, seen, raw)
        except _SlashRequired:
            raise RequestRedirect(quote(path + "/", safe=_PATH_SAFE)) from None
        if found is None:
            if self.merge_slashes and "//" in path:
                self._redirect_merged(subdomain, path, method, websocket, seen)
            raise _no_match(seen)
        rule = found
        values: dict[str, Any] = {}
        for (name, to_python), text in zip(rule._to_python, raw, strict=True):
            try:
                values[name] = text if to_python is None else to_python(text)
            except ValidationError:
                raise _no_match(seen) from None
        if rule.defaults:
            values.update(rule.defaults)
        for provider in rule._providers:  # a rule with defaults is the canonical URL
            if provider._suitable_for(values, method):
                target = provider._build({**values, **(provider.defaults or {})}, False)
                if target is not None:
                    raise RequestRedirect(target)
        return rule, values

    def _walk_from(
        self, sub: str | None, path: str, method: str, ws: bool, seen: set[str], out: list[str]
    ) -> Rule | None:
        """`_walk` for `path` on subdomain `sub`; None walks the default subdomain's subtree."""
        if sub is None:
            return _walk(self._root, path[1:].split("/"), 0, method, ws, seen, out)
        return _walk(self._top, [sub, *path[1:].split("/")], 0, method, ws, seen, out)

    def _redirect_merged(
        self, sub: str | None, path: str, method: str, websocket: bool, seen: set[str]
    ) -> None:
        """Redirect to `path` with runs of slashes merged if that matches a rule."""
        merged = _MULTI_SLASH.sub("/", path)
        try:
            rule = self._walk_from(sub, merged, method, websocket, seen, [])
        except _SlashRequired:
            raise RequestRedirect(quote(merged + "/", safe=_PATH_SAFE)) from None
        if rule is not None and rule.merge_slashes:
            raise RequestRedirect(quote(merged, safe=_PATH_SAFE))

    def allowed_methods(self, path: str, subdomain: str | None = None) -> list[str]:
        """Return the sorted methods accepted by the rules matching `path` (on `subdomain`)."""
        try:
            self.match(path, "--", subdomain=subdomain)
        except MethodNotAllowed as exc:
            return list(exc.valid_methods or ())
        except (NotFound, RequestRedirect, WebsocketMismatch):
            pass
        return []

    def build(
        self,
        endpoint: str,
        values: Mapping[str, Any] | None = None,
        method: str | None = None,
        append_unknown: bool = True,
    ) -> str:
        """Build the path, plus any query string, for `endpoint` from `values`.

        Uses the first rule of the endpoint whose variables are all given, whose
        defaults agree with `values` and which accepts `method` (without one,
        rules accepting GET come first). `None` values are dropped; values that
        are not rule variables form the query string unless `append_unknown` is
        false. Raises `BuildError` when no rule fits.
        """
        return self._build_rule(endpoint, values, method, append_unknown)[0]

    def _build_rule(
        self,
        endpoint: str,
        values: Mapping[str, Any] | None,
        method: str | None,
        append_unknown: bool = True,
    ) -> tuple[str, Rule]:
        """`build`, also returning the rule used (`url_for` asks whether it is a WebSocket)."""
        if self._dirty:
            self._rebuild()
        given = {k: v for k, v in values.items() if v is not None} if values else {}
        rules = self._by_endpoint.get(endpoint, ())
        for wanted in ("GET", None) if method is None else (method,):
            for rule in rules:
                if rule._suitable_for(given, wanted):
                    built = rule._build(given, append_unknown)
                    if built is not None and (
                        not rule._sub_ops or rule._build_subdomain(given) is not None
                    ):
                        return built, rule
        raise BuildError(endpoint, given, method, self)

    def is_endpoint_expecting(self, endpoint: str, *arguments: str) -> bool:
        """Tell whether a rule of `endpoint` has all the named variables (unknown: False)."""
        if self._dirty:
            self._rebuild()
        wanted = set(arguments)
        return any(wanted <= rule.arguments for rule in self._by_endpoint.get(endpoint, ()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.iter_rules())!r})"


class BuildError(_WerkzeugBuildError):
    """Werkzeug's `BuildError`, with suggestions drawn from aioflask's `Map`.

    It is a subclass so that `except werkzeug.routing.BuildError` catches it.
    Werkzeug's finds the closest rule through a `MapAdapter`, which aioflask
    does not have; this one takes the `Map` itself. The message says what was
    asked for and, where it can, which values are missing or which similarly
    named endpoint was probably meant.
    """

    def __init__(
        self, endpoint: str, values: Mapping[str, Any], method: str | None, map: Map | None = None
    ) -> None:
        LookupError.__init__(self, endpoint, values, method)
        self.endpoint = endpoint
        self.values = values
        self.method = method
        self.adapter = None
        self.map = map

    @property  # Werkzeug's is a cached attribute typed with its own `Rule`
    def suggested(self) -> Rule | None:  # type: ignore[override]
        """The rule that best fits what was asked for, if any is close enough."""
        if self.map is None or not self.map._rules:
            return None
        given = set(self.values)

        def ratio(rule: Rule) -> float:
            return difflib.SequenceMatcher(None, str(rule.endpoint), str(self.endpoint)).ratio()

        def score(rule: Rule) -> float:
            fits_method = bool(rule.methods and self.method in rule.methods)
            return 0.98 * ratio(rule) + 0.01 * (given <= rule.arguments) + 0.01 * fits_method

        best = max(self.map.iter_rules(), key=score)
        return best if best.endpoint == self.endpoint or ratio(best) >= 0.6 else None

    def __str__(self) -> str:
        text = f"Could not build url for endpoint {self.endpoint!r}"
        if self.method:
            text += f" ({self.method!r})"
        if self.values:
            text += f" with values {sorted(self.values)!r}"
        text += "."
        best = self.suggested
        if best is None:
            return text
        if best.endpoint != self.endpoint:
            return f"{text} Did you mean {best.endpoint!r} instead?"
        if self.method and best.methods is not None and self.method not in best.methods:
            text += f" Did you mean to use methods {sorted(best.methods)!r}?"
        missing = best.arguments - set(self.values)
        if missing:
            text += f" Did you forget to specify values {sorted(missing)!r}?"
        return text
