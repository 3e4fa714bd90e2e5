from __future__ import annotations

import aioflask


def test_all_is_sorted_and_complete() -> None:
    assert aioflask.__all__ == sorted(aioflask.__all__)
    public = {name for name in dir(aioflask) if not name.startswith("_")}
    modules = {
        "app", "blueprints", "config", "ctx", "exceptions", "globals", "helpers", "json",
        "scaffold", "sessions", "templating", "typing", "wrappers", "routing", "datastructures",
        "testing", "logging", "annotations", "background", "sse", "cli", "views", "debug",
        "formparser", "sending", "utils", "debughelpers", "signals", "flask_alias",
    }  # fmt: skip
    assert public - modules - set(aioflask.__all__) == set()
    for name in aioflask.__all__:
        assert hasattr(aioflask, name), name


def test_markup_and_escape_come_from_markupsafe() -> None:
    import markupsafe

    assert aioflask.Markup is markupsafe.Markup
    assert aioflask.escape is markupsafe.escape
    assert str(aioflask.escape("<b>")) == "&lt;b&gt;"
