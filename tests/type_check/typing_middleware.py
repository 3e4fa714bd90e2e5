"""ASGI middleware around `app.asgi_app`: Flask's `app.wsgi_app = Middleware(app.wsgi_app)`.

Every line here must check without `# type: ignore`. Checked by
`mypy --strict tests/type_check`; never run.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp as StarletteASGIApp
from starlette.types import Message, Receive, Scope, Send
from typing_extensions import assert_type
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from aioflask import Flask
from aioflask.typing import ASGIApp

app = Flask(__name__)


class AddHeader:
    """A hand-written ASGI middleware, typed with Starlette's aliases."""

    def __init__(self, app: StarletteASGIApp, name: str, value: str) -> None:
        self.app = app
        self.header = (name.lower().encode("latin-1"), value.encode("latin-1"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, send_with_header)


# The Flask pattern, with Starlette's middleware, uvicorn's and one's own.
app.asgi_app = GZipMiddleware(app.asgi_app, minimum_size=500)
app.asgi_app = CORSMiddleware(app.asgi_app, allow_origins=["https://front.example"])
app.asgi_app = TrustedHostMiddleware(app.asgi_app, allowed_hosts=["shop.example"])
app.asgi_app = AddHeader(app.asgi_app, "X-Frame-Options", "DENY")
inner: StarletteASGIApp = app.asgi_app
assert_type(Flask(__name__).asgi_app, ASGIApp)


# uvicorn types ASGI with its own `TypedDict` scopes, which Starlette's
# middleware does not accept: wrap the app's own `asgi_app` with it first.
# (mypy narrows `app.asgi_app` to the last middleware assigned, so a uvicorn
# middleware assigned after a Starlette one, or the reverse, is an error.)
proxied = Flask(__name__)
proxied.asgi_app = ProxyHeadersMiddleware(proxied.asgi_app, trusted_hosts="127.0.0.1")
# To mix them, read the inner app into a variable declared `aioflask.typing.ASGIApp`.
mixed = Flask(__name__)
mixed.asgi_app = GZipMiddleware(mixed.asgi_app, minimum_size=500)
gzipped: ASGIApp = mixed.asgi_app
mixed.asgi_app = ProxyHeadersMiddleware(gzipped, trusted_hosts="127.0.0.1")


# A function wrapping the inner app works the same way.
def only_http(inner: StarletteASGIApp) -> StarletteASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            return
        await inner(scope, receive, send)

    return middleware


app.asgi_app = only_http(app.asgi_app)

# Wrapping the app object itself is fine too (it is an ASGI app), though
# `app.asgi_app` keeps `app` the object with the test client and CLI.
served: StarletteASGIApp = GZipMiddleware(app)
also_served: StarletteASGIApp = app


# Subclasses may still override `asgi_app` as a method and call the original.
# (For that subclass it is then a method to type checkers: wrap the instance's
# `asgi_app` of a plain `Flask`, or wrap inside the override.)
class CountingFlask(Flask):
    requests = 0

    async def asgi_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await super().asgi_app(scope, receive, send)


counted = CountingFlask(__name__)
served_counted: StarletteASGIApp = AddHeader(counted, "X-Counted", "1")


async def call_directly(scope: Scope, receive: Receive, send: Send) -> None:
    await app(scope, receive, send)
    await app.asgi_app(scope, receive, send)
