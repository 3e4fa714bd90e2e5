"""The typed header attributes, as a type checker sees them.

Checked by `mypy --strict tests/type_check`; never run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from typing_extensions import assert_type

from aioflask import Flask, Response, request
from aioflask.datastructures import ETags, HeaderSet, IfRange, Range

app = Flask(__name__)


@app.get("/")
def index() -> Response:
    rv = Response("hello")
    assert_type(rv.cache_control.max_age, int | None)
    assert_type(rv.expires, datetime | None)
    assert_type(rv.age, timedelta | None)
    rv.cache_control.max_age = 300
    rv.cache_control.public = True
    rv.cache_control.no_cache = True
    assert_type(rv.cache_control.public, bool)
    rv.expires = datetime(2030, 1, 1)
    rv.last_modified = 1_700_000_000
    rv.retry_after = 30
    rv.age = timedelta(seconds=5)
    rv.access_control_allow_methods = ["GET", "POST"]
    rv.access_control_allow_credentials = True
    assert_type(rv.access_control_allow_methods, HeaderSet | None)
    rv.set_etag("v1")
    assert_type(rv.get_etag(), tuple[str, bool] | tuple[None, None])
    rv.call_on_close(lambda: None)
    assert_type(request.if_none_match, ETags)
    assert_type(request.if_modified_since, datetime | None)
    assert_type(request.if_range, IfRange)
    assert_type(request.range, Range | None)
    assert_type(request.cache_control.max_stale, int | bool | None)
    return rv.make_conditional(request)
