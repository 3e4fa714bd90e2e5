"""`Request` and `Response`: Starlette's classes with Flask's attributes.

The request body is read by the app before the view runs (see
`Request._load_body`), so `form`, `files`, `data`, `json` and `get_json()`
are plain attributes in `def` and `async def` views alike. For code ported
from Quart, `await request.get_json()`, `await request.get_data()`,
`await request.data` and `await request.form` work too.
"""

from __future__ import annotations

from .request import Request as Request
from .response import Response as Response
from .response import dump_cookie as dump_cookie

__all__ = ["Request", "Response", "dump_cookie"]
