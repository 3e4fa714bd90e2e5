"""Debug-mode helpers that turn common mistakes into explanations.

`DebugFilesKeyError`: in debug mode, asking `request.files` for a file that a
non-multipart form sent only as its name gets a message that names the
missing `enctype="multipart/form-data"`, instead of a bare 400.

`FormDataRoutingRedirect`: in debug mode, a form posted to a URL that the
router answers with a 301 or 302 redirect (which clients follow as GET,
dropping the body) raises this instead of redirecting.
"""

from __future__ import annotations

from typing import Any

from .datastructures import FileStorage, ImmutableMultiDict


class DebugFilesKeyError(KeyError, AssertionError):
    """`request.files[key]` missing because the form was not sent as multipart."""

    def __init__(self, mimetype: str, key: str, form_has_key: bool) -> None:
        message = (
            f"request.files has no file named {key!r}: the request's content type is "
            f"{mimetype or 'missing'!r}, not 'multipart/form-data', so no file content was "
            'sent. Add enctype="multipart/form-data" to the HTML form.'
        )
        if form_has_key:
            message += (
                f" The browser did send a field {key!r}, with only the file's name as its "
                "value (in request.form)."
            )
        super().__init__(message)
        self.msg = message

    def __str__(self) -> str:
        return self.msg


class DebugFilesDict(ImmutableMultiDict[str, FileStorage]):
    """An empty `request.files` that explains a missing key (debug mode only)."""

    def __init__(self, mimetype: str, form: ImmutableMultiDict[str, str]) -> None:
        super().__init__()
        self._mimetype = mimetype
        self._form = form

    def __getitem__(self, key: str) -> Any:
        raise DebugFilesKeyError(self._mimetype, key, key in self._form)


class FormDataRoutingRedirect(AssertionError):
    """A non-GET request that the router would redirect with 301/302, losing its body.

    Raised only in debug mode. With the default 308 redirects (a missing
    trailing slash) the method and body are kept and this is not raised.
    """

    def __init__(self, method: str, url: str, new_url: str, code: int) -> None:
        message = (
            f"The router redirects this {method} request for {url!r} to its canonical URL "
            f"{new_url!r} with a {code}, which clients follow with a GET and without the "
            "form data. Send the form to the canonical URL (for a missing trailing slash, "
            "add it to the form's action), or redirect with 307 or 308, which keep the "
            "method and body. This check runs in debug mode only."
        )
        super().__init__(message)
