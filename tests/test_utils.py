"""`secure_filename` and `safe_join`: decisions on names alone (HOSTILE_INPUTS P1, P3, P5)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from aioflask import helpers
from aioflask.utils import safe_join, secure_filename

# -- secure_filename ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("My cool movie.mov", "My_cool_movie.mov"),
        ("../../../etc/passwd", "etc_passwd"),
        ("../../etc/passwd", "etc_passwd"),
        ("i contain cool \xfcml\xe4uts.txt", "i_contain_cool_umlauts.txt"),
        ("\u00e9t\u00e9 2024.pdf", "ete_2024.pdf"),
        ("   leading and trailing   ", "leading_and_trailing"),
        ("tab\tand\nnewline", "tab_and_newline"),
        ("...", ""),
        ("", ""),
        ("\u65e5\u672c\u8a9e.txt", "txt"),
        ("a;rm -rf /.sh", "arm_-rf_.sh"),
        ("__init__.py", "init__.py"),
        (".bashrc", "bashrc"),
        ("CON", "CON"),  # a device name only on Windows
    ],
)
def test_secure_filename(name: str, expected: str) -> None:
    assert secure_filename(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("nul", "_nul"),
        ("aux.tar.gz", "_aux.tar.gz"),
        ("COM1.log", "_COM1.log"),
        ("LPT9", "_LPT9"),
        ("prn.html", "_prn.html"),
        ("console.txt", "console.txt"),
        ("auxiliary", "auxiliary"),
    ],
)
def test_secure_filename_prefixes_windows_device_names(
    name: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "name", "nt")
    assert secure_filename(name) == expected


def test_secure_filename_agrees_with_werkzeug() -> None:
    werkzeug_utils = pytest.importorskip("werkzeug.utils")
    names = [
        "My cool movie.mov",
        "../../../etc/passwd",
        "..\\..\\windows\\system32",
        "i contain cool \xfcml\xe4uts.txt",
        "a b/c d\\e f",
        "__hidden__",
        "---",
        "x" * 300,
        "\u00c5ngstr\u00f6m \u2126.dat",
        "\x00nul\x00byte",
        "emoji \U0001f600.png",
        "CON",
    ]
    for name in names:
        assert secure_filename(name) == werkzeug_utils.secure_filename(name), name


# -- safe_join ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("static", "style.css"), "static/style.css"),
        (("static", "js/app.js"), "static/js/app.js"),
        (("static", "js/../style.css"), "static/style.css"),
        (("static", "./style.css"), "static/style.css"),
        (("static", "a//b"), "static/a/b"),
        (("static", "a", "b.txt"), "static/a/b.txt"),
        (("static", "", "b.txt"), "static/b.txt"),
        (("", "x.txt"), "./x.txt"),
        (("/srv/files", "x.txt"), "/srv/files/x.txt"),
        (("static", "CON"), "static/CON"),  # not a device name on POSIX
        (("static", "file:stream"), "static/file:stream"),  # a data stream only on NTFS
        (("static", "%2e%2e%2fx"), "static/%2e%2e%2fx"),  # never decoded here
    ],
)
def test_safe_join_accepts(parts: tuple[str, ...], expected: str) -> None:
    assert safe_join(*parts) == expected


HOSTILE_PATHS = [
    "..",
    "../",
    "../secret",
    "../../etc/passwd",
    "a/../../secret",
    "a/b/../../../secret",
    "..\\..\\secret",
    "sub\\..\\..\\secret",
    "/etc/passwd",
    "//etc/passwd",
    "///etc/passwd",
    "\\\\host\\share\\x",
    "C:\\x",
    "C:/x",
    "c:x",
    "a\x00.txt",
    "\x00",
    "../static_secret/x",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_safe_join_refuses(path: str) -> None:
    assert safe_join("static", path) is None
    assert safe_join("static", "ok", path) is None


@pytest.mark.parametrize(
    "path", ["CON", "con", "CON.txt.html", "NUL  ", "nul.", "sub/AUX", "a/b/com1.log", "con:"]
)
def test_safe_join_refuses_windows_device_names(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "name", "nt")
    assert safe_join("static", path) is None


@pytest.mark.parametrize("path", ["console.txt", "sub/auxiliary.js", "nullable.txt", "COM10"])
def test_safe_join_allows_near_device_names_on_windows(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "name", "nt")
    assert safe_join("static", path) == f"static/{path}"


def test_safe_join_agrees_with_werkzeug_where_both_refuse_or_accept() -> None:
    werkzeug_security = pytest.importorskip("werkzeug.security")
    # Backslashes, drive letters and NUL bytes are refused here on every OS;
    # Werkzeug accepts them on POSIX, where they are ordinary characters (and
    # a NUL makes the later `os.stat` fail).
    paths = [p for p in HOSTILE_PATHS if not any(c in p for c in "\\:\x00")]
    paths += ["style.css", "js/app.js", "a/../b", "./x", "a//b"]
    for path in paths:
        assert safe_join("static", path) == werkzeug_security.safe_join("static", path), path


@pytest.fixture
def no_filesystem(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the filesystem was consulted")

    for name in ("stat", "lstat", "listdir", "scandir", "open", "readlink"):
        monkeypatch.setattr(os, name, refuse)
    for name in ("exists", "isfile", "isdir", "realpath", "islink"):
        monkeypatch.setattr(os.path, name, refuse)
    yield


@pytest.mark.usefixtures("no_filesystem")
def test_safe_join_never_touches_the_filesystem() -> None:
    for path in HOSTILE_PATHS:
        assert safe_join("static", path) is None
    assert safe_join("static", "style.css") == "static/style.css"


def test_helpers_reexports_safe_join() -> None:
    assert helpers.safe_join is safe_join
