"""The built-in commands of `aioflask`: `run`, `shell` and `routes`."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from .cli import ScriptInfo, _debug_option, pass_script_info, with_appcontext
from .globals import _cv_app


class _PathList(click.Path):
    """A list of paths separated by `os.pathsep` (as Flask's `--extra-files`)."""

    envvar_list_splitter = os.pathsep

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        items = self.split_envvar_value(value) if isinstance(value, str) else value
        return [super(_PathList, self).convert(item, param, ctx) for item in items]


class _CertFile(click.Path):
    """`--cert`: a certificate file. Flask's other forms get an explanation."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "adhoc" and not os.path.exists(value):
            self.fail(
                "aioflask does not make ad-hoc certificates: uvicorn loads TLS from files. "
                "Create a self-signed pair (for example with 'openssl req -x509 -newkey "
                "rsa:2048 -nodes -keyout key.pem -out cert.pem') and pass '--cert cert.pem "
                "--key key.pem'.",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


def _pair_key_with_cert(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Check `--key` against `--cert` while parsing; `cert` becomes the (cert, key) pair."""
    cert = ctx.params.get("cert")
    if value is None:
        if cert is not None:
            raise click.BadParameter("'--cert' needs a '--key' file too.", ctx, param)
        return
    if cert is None:
        raise click.BadParameter("'--key' needs a '--cert' file too.", ctx, param)
    ctx.params["cert"] = (cert, value)


@click.command("run", short_help="Serve the app with uvicorn.")
@click.option("--host", "-h", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", "-p", default=5000, show_default=True, help="Port to bind.")
@click.option(
    "--cert",
    type=_CertFile(exists=True, dir_okay=False),
    is_eager=True,  # checked before --key, which pairs with it
    help="TLS certificate file (uvicorn's --ssl-certfile); needs --key.",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False),
    callback=_pair_key_with_cert,
    expose_value=False,
    help="TLS private key file (uvicorn's --ssl-keyfile).",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart when a Python file changes. On by default in debug mode.",
)
@click.option(
    "--debugger/--no-debugger",
    default=None,
    help="Answer unhandled errors with a traceback page. On by default in debug mode.",
)
@click.option(
    "--with-threads/--without-threads",
    default=True,
    help="Accepted for Flask compatibility; sync views always run on worker threads.",
)
@click.option(
    "--extra-files",
    default=None,
    type=_PathList(),
    help=f"More files to watch with --reload, separated by {os.pathsep!r}.",
)
@click.option(
    "--exclude-patterns",
    default=None,
    type=_PathList(),
    help=f"Glob patterns the reloader ignores, separated by {os.pathsep!r}.",
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    cert: tuple[str, str] | None,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Serve the application with uvicorn, for development.

    In debug mode ('--debug' or FLASK_DEBUG=1) the server restarts when code
    changes and unhandled errors show a traceback page. For production run
    uvicorn or gunicorn directly (see the deployment docs).
    """
    from ._serve import serve

    app = info.load_app()
    debug = app.debug
    if info.app_import_path is not None:
        click.echo(f" * Serving aioflask app {info.app_import_path!r}")
    click.echo(f" * Debug mode: {'on' if debug else 'off'}")
    options: dict[str, Any] = {}
    if cert is not None:  # the (cert, key) pair, checked while parsing
        options.update(ssl_certfile=cert[0], ssl_keyfile=cert[1])
    reload_options: dict[str, Any] = {}
    if extra_files:
        reload_options["reload_dirs"] = sorted(
            {os.path.dirname(os.path.abspath(f)) for f in extra_files}
        )
        reload_options["reload_includes"] = [os.path.basename(f) for f in extra_files]
    if exclude_patterns:
        reload_options["reload_excludes"] = list(exclude_patterns)
    serve(
        app,
        host=host,
        port=port,
        reload=debug if reload is None else reload,
        debugger=debug if debugger is None else debugger,
        spec=info.app_import_path if info.create_app is None else None,
        reload_options=reload_options,
        **options,
    )


run_command.params.insert(0, _debug_option)


@click.command("shell", short_help="Open a Python shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """Open an interactive Python shell with the application's context pushed.

    The namespace holds `app`, `g` and whatever the app's shell context
    processors return. `PYTHONSTARTUP` is run first, as in the plain shell.
    """
    import code

    app = _cv_app.get().app
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.import_name}\n"
        f"Instance: {app.instance_path}"
    )
    namespace: dict[str, Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as f:
            exec(compile(f.read(), startup, "exec"), namespace)
    namespace.update(app.make_shell_context())
    hook = getattr(sys, "__interactivehook__", None)
    if hook is not None:
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            # Complete names from the shell's namespace, not this module's.
            readline.set_completer(Completer(namespace).complete)
        hook()
    code.interact(banner=banner, local=namespace)


@click.command("routes", short_help="List the app's routes.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    help="Order of the rows; 'match' keeps the order of the URL map.",
)
@click.option("--all-methods", is_flag=True, help="Also show HEAD and OPTIONS.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Print every route: endpoint, methods, host or subdomain (when used) and rule."""
    app = _cv_app.get().app
    rules = list(app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    # With host matching the domain column is each rule's host; otherwise its subdomain.
    host_matching = bool(getattr(app.url_map, "host_matching", False))
    domain_attr, domain_title = ("host", "Host") if host_matching else ("subdomain", "Subdomain")
    show_domain = host_matching or any(getattr(rule, "subdomain", None) for rule in rules)
    header = ["Endpoint", "Methods", domain_title, "Rule"]
    columns = ["endpoint", "methods", "domain", "rule"]
    rows = [
        [
            str(rule.endpoint),
            ", ".join(sorted((rule.methods or set()) - hidden)),
            getattr(rule, domain_attr, None) or "",
            rule.rule,
        ]
        for rule in rules
    ]
    if sort in columns:
        index = columns.index(sort)
        rows.sort(key=lambda row: row[index])
    if not show_domain:  # the column only when some rule is on a subdomain, as in Flask
        header.pop(2)
        rows = [row[:2] + row[3:] for row in rows]
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    table.insert(1, ["-" * width for width in widths])
    for row in table:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
