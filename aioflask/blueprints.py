"""Blueprints: routes, hooks and handlers recorded now and registered on an app later.

A `Blueprint` offers the same decorators as the app. Routes and app-wide
hooks are recorded as deferred functions that run when the blueprint is
registered with `app.register_blueprint(bp, ...)`; blueprint-scoped hooks and
error handlers are copied into the app's registries under the blueprint's
dotted name, which is how the request pipeline finds them. Like `scaffold.py`,
this module does no I/O at registration and reads no context globals.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Mapping
from functools import update_wrapper
from typing import IO, TYPE_CHECKING, Any, TypeVar, overload

from .scaffold import (
    Scaffold,
    T_after,
    T_before,
    T_ctx,
    T_error,
    T_teardown,
    T_url_def,
    T_url_pre,
    _endpoint_from_view_func,
    setupmethod,
)
from .typing import RouteCallable

if TYPE_CHECKING:
    from .app import Flask

DeferredSetupFunction = Callable[["BlueprintSetupState"], None]
T_template = TypeVar("T_template", bound=Callable[..., Any])
T = TypeVar("T")


class _DefaultGroup:
    """Marker for "name the blueprint's CLI group after the blueprint" (the default)."""

    def __repr__(self) -> str:
        return "<default CLI group>"


#: The default `cli_group`: commands go in a group named after the blueprint.
DEFAULT_CLI_GROUP: Any = _DefaultGroup()


class BlueprintSetupState:
    """What one registration of a blueprint looks like, handed to `record` callbacks.

    It is made by `Blueprint.make_setup_state` each time the blueprint is
    registered (on an app or, through a parent, under a dotted name). Options
    given to `register_blueprint` win over the blueprint's own settings;
    `add_url_rule` adds a rule to the app with the prefix, name and defaults
    of this registration applied.
    """

    def __init__(
        self,
        blueprint: Blueprint,
        app: Flask,
        options: dict[str, Any],
        first_registration: bool,
    ) -> None:
        #: The application the blueprint is being registered on.
        self.app = app
        #: The blueprint being registered.
        self.blueprint = blueprint
        #: The keyword arguments given to `register_blueprint`.
        self.options = options
        #: False when the same blueprint object was registered on this app before.
        self.first_registration = first_registration
        subdomain = options.get("subdomain")
        #: The subdomain the routes match on, or None.
        self.subdomain: str | None = subdomain if subdomain is not None else blueprint.subdomain
        url_prefix = options.get("url_prefix")
        #: The path put before every rule of the blueprint, or None.
        self.url_prefix: str | None = url_prefix if url_prefix is not None else blueprint.url_prefix
        #: The name registered under, without the parents' names.
        self.name: str = options.get("name", blueprint.name)
        #: The dotted name of the enclosing blueprints ("" at the top level).
        self.name_prefix: str = options.get("name_prefix", "")
        #: Values given to every view of the blueprint as rule defaults.
        self.url_defaults: dict[str, Any] = dict(blueprint.url_values_defaults)
        self.url_defaults.update(options.get("url_defaults") or {})

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: RouteCallable | None = None,
        **options: Any,
    ) -> None:
        """Add a rule to the app for this registration.

        The rule gets the URL prefix (joined with exactly one `/`), the
        endpoint gets the dotted registration name, and the registration's
        `url_defaults` are merged under the rule's own `defaults`. Every other
        option (`methods`, `provide_automatic_options`, `websocket`, ...) goes
        to `app.add_url_rule` unchanged.
        """
        if self.url_prefix is not None:
            if rule:
                rule = self.url_prefix.rstrip("/") + "/" + rule.lstrip("/")
            else:
                rule = self.url_prefix
        if self.subdomain is not None:
            options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)  # type: ignore[arg-type]
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = {**defaults, **(options.pop("defaults") or {})}
        full_endpoint = f"{self.name_prefix}.{self.name}.{endpoint}".lstrip(".")
        self.app.add_url_rule(rule, full_endpoint, view_func, defaults=defaults, **options)


class Blueprint(Scaffold):
    """A group of views, hooks, error handlers and templates to register on an app.

    ```python
    bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")

    @bp.route("/login", methods=["GET", "POST"])
    async def login():
        ...

    app.register_blueprint(bp)      # endpoints are "auth.login", URLs "/auth/login"
    ```
    Hooks and error handlers registered on a blueprint (`before_request`,
    `errorhandler`, ...) apply only to requests routed to one of its views;
    the `*_app_*` variants (`before_app_request`, `app_errorhandler`, ...)
    apply to every request. Blueprints nest with `register_blueprint`, and the
    same blueprint may be registered several times under different `name=`s.
    Once registered, a blueprint can no longer be changed.
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = DEFAULT_CLI_GROUP,
    ) -> None:
        if not name:
            raise ValueError("A blueprint needs a name: 'name' may not be empty.")
        if "." in name:
            raise ValueError(
                f"The blueprint name {name!r} contains a dot; dots separate nested "
                "blueprint names in endpoints, so use another character such as '_'."
            )
        self.name = name
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        #: Values given to every view of the blueprint as rule defaults.
        self.url_values_defaults: dict[str, Any] = url_defaults if url_defaults is not None else {}
        self.cli_group = cli_group
        from .cli import AppGroup

        #: Click commands of the blueprint: `@bp.cli.command()`. At registration they
        #: join the app's commands in a group named after the blueprint, at the top
        #: level with `cli_group=None`, or in a group named by `cli_group`.
        self.cli: AppGroup = AppGroup(name=name)
        #: Functions run with a `BlueprintSetupState` at each registration.
        self.deferred_functions: list[DeferredSetupFunction] = []
        self._blueprints: list[tuple[Blueprint, dict[str, Any]]] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"'{f_name}' cannot be called on the blueprint '{self.name}' any more: it "
                "was already registered on an application, and changes made after that "
                "would not reach every registration. Set the blueprint up completely "
                "(routes, hooks, handlers, nested blueprints) before registering it."
            )

    # -- deferred setup -----------------------------------------------------------------------
    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Call `func(state)` with a `BlueprintSetupState` at every registration."""
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        """Like `record`, but only at the blueprint's first registration on an app.

        Registering the same blueprint again (under another `name=`) skips
        `func`; extensions use this to set things up on the app only once.
        """

        def once(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(update_wrapper(once, func))

    def make_setup_state(
        self, app: Flask, options: dict[str, Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """Make the state passed to `record` callbacks; override to use a subclass."""
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Nest `blueprint` in this one; it is registered when this one is.

        Options are those of `Flask.register_blueprint`. The child's
        endpoints become `parent.child.view`, its URL prefix is appended to the
        parent's, and the hooks and handlers of the parent apply to its views.
        """
        if blueprint is self:
            raise ValueError(
                f"The blueprint '{self.name}' cannot be registered on itself; nest a "
                "different Blueprint object."
            )
        self._blueprints.append((blueprint, options))

    def register(self, app: Flask, options: dict[str, Any]) -> None:
        """Register the blueprint's views, hooks and handlers on `app`.

        Called by `app.register_blueprint(self, **options)`. It adds the static
        route, copies the blueprint-scoped hooks and error handlers into the
        app under the dotted name, runs the `record` callbacks, then registers
        the nested blueprints with the composed prefix and name.
        """
        name_prefix: str = options.get("name_prefix", "")
        self_name: str = options.get("name", self.name)
        name = f"{name_prefix}.{self_name}".lstrip(".")
        existing = app.blueprints.get(name)
        if existing is not None:
            which = "this" if existing is self else "another"
            where = f" (as '{name}')" if name != self_name else ""
            raise ValueError(
                f"The blueprint name '{self_name}' is already used by {which} "
                f"blueprint{where}. Register it under a unique name with "
                f"register_blueprint(..., name='...')."
            )
        first_registration = not any(bp is self for bp in app.blueprints.values())
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_registration)
        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self._serve_static,
                endpoint="static",
            )
        self._merge_into(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        self._register_cli(app, name, options)
        for child, child_options in self._blueprints:
            child.register(app, self._child_options(state, name, child, child_options))

    @staticmethod
    def _child_options(
        state: BlueprintSetupState, name: str, child: Blueprint, options: dict[str, Any]
    ) -> dict[str, Any]:
        options = dict(options)
        sub = options.get("subdomain")
        if sub is None:
            sub = child.subdomain
        if sub is not None and state.subdomain is not None:
            options["subdomain"] = f"{sub}.{state.subdomain}"
        elif sub is not None or state.subdomain is not None:
            options["subdomain"] = sub if sub is not None else state.subdomain
        prefix = options.get("url_prefix")
        if prefix is None:
            prefix = child.url_prefix
        if prefix is not None and state.url_prefix is not None:
            options["url_prefix"] = state.url_prefix.rstrip("/") + "/" + prefix.lstrip("/")
        elif prefix is not None or state.url_prefix is not None:
            options["url_prefix"] = prefix if prefix is not None else state.url_prefix
        options["name_prefix"] = name
        return options

    def _merge_into(self, app: Flask, name: str) -> None:
        """Copy blueprint-scoped registries into the app under the dotted `name`.

        Empty lists are skipped so an app whose blueprints have no hooks keeps
        empty registries, which the request pipeline checks to skip work.
        """

        def scoped(key: str | None) -> str:
            return name if key is None else f"{name}.{key}"

        for key, by_code in self.error_handler_spec.items():
            for code, by_class in by_code.items():
                if by_class:
                    target = app.error_handler_spec.setdefault(scoped(key), defaultdict(dict))
                    target.setdefault(code, {}).update(by_class)
        for endpoint, func in self.view_functions.items():
            # Flask copies these unprefixed, so `@bp.endpoint("x")` never reaches the
            # rule "bp.x" (pallets/flask#4472); we prefix names that have no dot.
            app.view_functions[endpoint if "." in endpoint else f"{name}.{endpoint}"] = func
        _extend(self.before_request_funcs, app.before_request_funcs, scoped)
        _extend(self.after_request_funcs, app.after_request_funcs, scoped)
        _extend(self.teardown_request_funcs, app.teardown_request_funcs, scoped)
        _extend(self.url_default_functions, app.url_default_functions, scoped)
        _extend(self.url_value_preprocessors, app.url_value_preprocessors, scoped)
        _extend(self.template_context_processors, app.template_context_processors, scoped)
        _extend(self.before_websocket_funcs, app.before_websocket_funcs, scoped)
        _extend(self.after_websocket_funcs, app.after_websocket_funcs, scoped)

    def _register_cli(self, app: Flask, name: str, options: dict[str, Any]) -> None:
        if not self.cli.commands:
            return
        group = options.get("cli_group", self.cli_group)
        if group is None:
            app.cli.commands.update(self.cli.commands)
            return
        self.cli.name = name if group is DEFAULT_CLI_GROUP else group
        app.cli.add_command(self.cli)

    # -- routes --------------------------------------------------------------------------------
    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Record a URL rule, added to the app at registration; `route` is the decorator form.

        The rule gets the blueprint's URL prefix and the endpoint its dotted
        name (`url_for("bp.endpoint")`). Options are those of
        `Flask.add_url_rule` and are passed on unchanged.
        """
        if endpoint and "." in endpoint:
            raise ValueError(
                f"The endpoint {endpoint!r} contains a dot; blueprint endpoints get the "
                "blueprint's name and a dot added for you, so pass the bare name."
            )
        view_name = getattr(view_func, "__name__", None)
        if view_func is not None and isinstance(view_name, str) and "." in view_name:
            raise ValueError(
                f"The view function name {view_name!r} contains a dot; rename the function "
                "or pass an 'endpoint' without dots."
            )
        self.record(
            lambda state: state.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    # -- app-wide hooks --------------------------------------------------------------------------
    @setupmethod
    def before_app_request(self, f: T_before) -> T_before:
        """Like `before_request`, but for every request of the app."""
        self.record_once(lambda s: s.app.before_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def after_app_request(self, f: T_after) -> T_after:
        """Like `after_request`, but for every request of the app."""
        self.record_once(lambda s: s.app.after_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def teardown_app_request(self, f: T_teardown) -> T_teardown:
        """Like `teardown_request`, but for every request of the app."""
        self.record_once(lambda s: s.app.teardown_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_context_processor(self, f: T_ctx) -> T_ctx:
        """Like `context_processor`, but for every template the app renders."""
        self.record_once(lambda s: s.app.template_context_processors.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_url_value_preprocessor(self, f: T_url_pre) -> T_url_pre:
        """Like `url_value_preprocessor`, but for every request of the app."""
        self.record_once(lambda s: s.app.url_value_preprocessors.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_url_defaults(self, f: T_url_def) -> T_url_def:
        """Like `url_defaults`, but for every URL the app builds."""
        self.record_once(lambda s: s.app.url_default_functions.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_errorhandler(
        self, code_or_exception: type[BaseException] | int
    ) -> Callable[[T_error], T_error]:
        """Like `errorhandler`, but for errors raised by any request of the app.

        The code or class is checked right away, so a bad one fails where it is
        written rather than at registration.
        """
        self._get_exc_class_and_code(code_or_exception)

        def decorator(f: T_error) -> T_error:
            self.record_once(lambda s: s.app.register_error_handler(code_or_exception, f))
            return f

        return decorator

    # -- app-wide template helpers ---------------------------------------------------------------
    @overload
    def app_template_filter(self, name: T_template) -> T_template: ...
    @overload
    def app_template_filter(
        self, name: str | None = None
    ) -> Callable[[T_template], T_template]: ...
    @setupmethod
    def app_template_filter(self, name: Any = None) -> Any:
        """Register a Jinja filter for every template of the app: `@bp.app_template_filter()`.

        The filter is named after the function unless `name` is given; the
        bare `@bp.app_template_filter` works too, like the app's decorator.
        """
        return self._template_decorator(self.add_app_template_filter, name)

    @setupmethod
    def add_app_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        """The non-decorator form of `app_template_filter`."""
        self.record_once(lambda s: s.app.jinja_env.filters.__setitem__(name or f.__name__, f))

    @overload
    def app_template_test(self, name: T_template) -> T_template: ...
    @overload
    def app_template_test(self, name: str | None = None) -> Callable[[T_template], T_template]: ...
    @setupmethod
    def app_template_test(self, name: Any = None) -> Any:
        """Register a Jinja test for every template of the app: `@bp.app_template_test()`."""
        return self._template_decorator(self.add_app_template_test, name)

    @setupmethod
    def add_app_template_test(self, f: Callable[..., bool], name: str | None = None) -> None:
        """The non-decorator form of `app_template_test`."""
        self.record_once(lambda s: s.app.jinja_env.tests.__setitem__(name or f.__name__, f))

    @overload
    def app_template_global(self, name: T_template) -> T_template: ...
    @overload
    def app_template_global(
        self, name: str | None = None
    ) -> Callable[[T_template], T_template]: ...
    @setupmethod
    def app_template_global(self, name: Any = None) -> Any:
        """Register a Jinja global for every template of the app: `@bp.app_template_global()`."""
        return self._template_decorator(self.add_app_template_global, name)

    @setupmethod
    def add_app_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        """The non-decorator form of `app_template_global`."""
        self.record_once(lambda s: s.app.jinja_env.globals.__setitem__(name or f.__name__, f))

    @staticmethod
    def _template_decorator(add: Callable[..., None], name: Any) -> Any:
        if callable(name):  # used bare: `@bp.app_template_filter`
            add(name)
            return name

        def decorator(f: T_template) -> T_template:
            add(f, name=name)
            return f

        return decorator

    # -- resources -----------------------------------------------------------------------------
    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> IO[Any]:
        """Open a file relative to the blueprint's `root_path` for reading.

        `mode` is `"rb"` (the default), `"r"` or `"rt"`; `encoding` applies to
        text mode only.
        """
        if mode not in ("r", "rt", "rb"):
            raise ValueError(f"Resources can only be opened for reading; {mode!r} is not allowed.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)


def _extend(
    mine: Mapping[str | None, list[T]],
    theirs: dict[str | None, list[T]],
    scoped: Callable[[str | None], str],
) -> None:
    """Append each non-empty list of `mine` to `theirs` under its scoped name."""
    for key, funcs in mine.items():
        if funcs:
            theirs.setdefault(scoped(key), []).extend(funcs)
