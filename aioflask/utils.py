"""Path helpers for untrusted names: `secure_filename` and `safe_join`.

Both look at strings only: they never touch the filesystem, so they can decide
about a hostile name before anything is opened, listed or stat-ed.
`safe_join` is what `send_from_directory` uses for URL paths; `secure_filename`
is for naming an uploaded file before saving it.
"""

from __future__ import annotations

import os
import posixpath
import re
import unicodedata

# Names Windows maps to devices in every folder, whatever the extension or
# trailing spaces (`CON`, `con.txt`, `NUL  `, `COM¹`). Reading one can hang.
_WINDOWS_DEVICE_NAMES = frozenset(
    {
        "AUX",
        "CON",
        "CONIN$",
        "CONOUT$",
        "NUL",
        "PRN",
        *(f"COM{digit}" for digit in "123456789\u00b9\u00b2\u00b3"),
        *(f"LPT{digit}" for digit in "123456789\u00b9\u00b2\u00b3"),
    }
)
_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]")
# `C:`, `c:x`: a drive (or a drive-relative path) on Windows.
_DRIVE_PREFIX = re.compile(r"[A-Za-z]:")


def _is_windows_device(segment: str) -> bool:
    # Windows ignores what follows the first dot or colon, and trailing spaces.
    stem = segment.partition(":")[0].partition(".")[0].strip()
    return stem.upper() in _WINDOWS_DEVICE_NAMES


def secure_filename(filename: str) -> str:
    """Turn an untrusted file name into one that is safe to save on any filesystem.

    The result keeps only ASCII letters, digits, `_`, `.` and `-`: accented
    letters lose their accents (NFKD), path separators and whitespace become
    `_`, other characters are dropped, and leading or trailing dots and
    underscores are stripped, so `"../../etc/passwd"` gives `"etc_passwd"`.
    On Windows a device name such as `CON` or `nul.txt` gets a `_` prefix.
    The result may be empty: pick a name of your own then.

    ```python
    f = request.files["upload"]
    f.save(os.path.join(app.config["UPLOAD_FOLDER"], secure_filename(f.filename)))
    ```
    """
    name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    for separator in (os.sep, os.path.altsep):
        if separator:
            name = name.replace(separator, " ")
    name = "_".join(name.split())
    name = _UNSAFE_FILENAME_CHARS.sub("", name).strip("._")
    if os.name == "nt" and _is_windows_device(name):
        name = "_" + name
    return name


def _is_unsafe_part(part: str) -> bool:
    """True when one untrusted path (already normalised) could leave its base folder."""
    if "\x00" in part or "\\" in part:
        # A NUL byte makes the OS calls fail; a backslash is a separator on
        # Windows, and URL paths never need one, so it is refused everywhere.
        return True
    if part.startswith("/") or part == ".." or part.startswith("../"):
        return True
    if _DRIVE_PREFIX.match(part) or os.path.isabs(part):
        return True
    return os.name == "nt" and any(_is_windows_device(s) for s in part.split("/"))


def safe_join(directory: str, *pathnames: str) -> str | None:
    """Join untrusted, `/`-separated path parts below `directory`, or return None.

    The parts usually come from a URL. The result is None when a part could
    point outside `directory`: `..` segments that climb above it, absolute
    paths (`/etc/passwd`, `//host/x`), backslashes (`..\\secret`,
    `\\\\host\\share`), drive letters (`C:x`), NUL bytes, and on Windows device
    names such as `CON` or `sub/aux.txt`. `.` and inner `..` segments are
    resolved (`a/../b.txt` is `b.txt`); empty parts are skipped.

    Only the names are checked: the filesystem is not consulted, so symlinks
    inside `directory` are not resolved here (`send_from_directory` does that).
    """
    if not directory:
        # Keep a leading "./" so the first untrusted part can never become the base.
        directory = "."
    parts = [directory]
    for pathname in pathnames:
        if not pathname:
            continue
        normalised = posixpath.normpath(pathname)
        if _is_unsafe_part(normalised):
            return None
        parts.append(normalised)
    return posixpath.join(*parts)


__all__ = ["safe_join", "secure_filename"]
