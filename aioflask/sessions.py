"""Signed-cookie sessions, compatible with Flask's (same secret, same cookie).

`SessionInterface` is the pluggable part: `open_session` and `save_session`
are coroutines, so a server-side store can await its backend. The default
`SecureCookieSessionInterface` does no I/O; it is opened lazily, the first
time a request touches `session`, so requests that never use it pay nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, MutableMapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from itsdangerous import BadData, URLSafeTimedSerializer

from .json.tag import TaggedJSONSerializer

if TYPE_CHECKING:
    from .app import Flask
    from .wrappers import Request, Response


class SessionMixin(MutableMapping[str, Any]):
    """The flags every session carries: `permanent`, `new`, `modified`, `accessed`.

    Subclass it together with `dict` for a custom session class. `accessed` is
    set by the request context whenever the `session` proxy is used, and
    `modified` defaults to True for classes that cannot detect changes, so
    they are always saved.
    """

    #: Whether the session was created for this request. The cookie session
    #: cannot tell an empty new session from an empty old one: always False.
    new = False
    #: True when the session must be saved; a class that tracks changes
    #: (like `SecureCookieSession`) starts with False.
    modified = True
    #: True once the session was used in this request: it adds `Vary: Cookie`.
    accessed = False

    @property
    def permanent(self) -> bool:
        """Stored as the `_permanent` key; permanent sessions get an `Expires`."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)


class SecureCookieSession(dict, SessionMixin):  # type: ignore[type-arg]  # dict of str -> Any
    """A dict that records whether it was read (`accessed`) or changed (`modified`).

    Only top-level changes are seen: `session["cart"].append(x)` is not, so
    set `session.modified = True` after changing a nested value.
    """

    modified = False
    accessed = False

    def __init__(self, initial: Any = None) -> None:
        super().__init__(initial or ())

    # -- reads: mark `accessed` ------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __len__(self) -> int:
        self.accessed = True
        return super().__len__()

    def __iter__(self) -> Iterator[str]:
        self.accessed = True
        return super().__iter__()

    def keys(self) -> Any:
        self.accessed = True
        return super().keys()

    def values(self) -> Any:
        self.accessed = True
        return super().values()

    def items(self) -> Any:
        self.accessed = True
        return super().items()

    # -- writes: mark `modified` once they succeed (as Werkzeug's CallbackDict) ---
    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.accessed = self.modified = True

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.accessed = self.modified = True

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        missing = not super().__contains__(key)
        rv = super().setdefault(key, default)
        if missing:
            self.modified = True
        return rv

    def pop(self, key: str, *default: Any) -> Any:
        # Popping a missing key with a default changes nothing, so it does not
        # mark the session modified: `session.pop("user", None)` on an empty
        # session must not send a deletion cookie.
        self.accessed = True
        present = super().__contains__(key)
        rv = super().pop(key, *default)
        if present:
            self.modified = True
        return rv

    def popitem(self) -> tuple[str, Any]:
        rv = super().popitem()
        self.accessed = self.modified = True
        return rv

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self.accessed = self.modified = True

    def clear(self) -> None:
        super().clear()
        self.accessed = self.modified = True

    def __ior__(self, other: Any) -> Any:  # type: ignore[misc]  # dict.__or__ returns a plain dict
        self.update(other)
        return self


class NullSession(SecureCookieSession):
    """The session used when no secret key is set: reading works, writing fails."""

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "The session is unavailable because no secret key was set. Set "
            "'app.secret_key' (or the SECRET_KEY config value) to a long random string, "
            "for example: app.secret_key = secrets.token_hex()."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = __ior__ = _fail


class SessionInterface:
    """Opens and saves sessions; subclass it to keep sessions somewhere else.

    Implement the coroutines `open_session(app, request)` (return a session,
    or None to get a `NullSession`) and `save_session(app, session, response)`,
    and install it with `app.session_interface = MyInterface()`. Both are
    awaited, so a server-side store can use an async database client.

    By default (`lazy_open = False`) the session is opened before the
    `before_request` hooks of every request. An interface whose `open_session`
    never awaits anything may set `lazy_open = True`: it is then opened the
    first time the request touches `session`. Requests for the same session
    may run concurrently; guard the store if that matters.
    """

    null_session_class: type[SessionMixin] = NullSession
    pickle_based = False
    #: True when `open_session` never awaits anything, so the session may be
    #: opened on first use instead of before every request.
    lazy_open = False

    def make_null_session(self, app: Flask) -> SessionMixin:
        """The stand-in used when `open_session` returns None."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """True for the stand-in session, which is never saved."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Flask) -> str:
        """`SESSION_COOKIE_NAME`."""
        return str(app.config["SESSION_COOKIE_NAME"])

    def get_cookie_domain(self, app: Flask) -> str | None:
        """`SESSION_COOKIE_DOMAIN`, or None for a host-only cookie."""
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Flask) -> str:
        """`SESSION_COOKIE_PATH`, falling back to `APPLICATION_ROOT`."""
        return str(app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"])

    def get_cookie_httponly(self, app: Flask) -> bool:
        """`SESSION_COOKIE_HTTPONLY`."""
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: Flask) -> bool:
        """`SESSION_COOKIE_SECURE`."""
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: Flask) -> str | None:
        """`SESSION_COOKIE_SAMESITE`: "Strict", "Lax", "None" or None."""
        value = app.config["SESSION_COOKIE_SAMESITE"]
        return str(value) if value is not None else None

    def get_cookie_partitioned(self, app: Flask) -> bool:
        """`SESSION_COOKIE_PARTITIONED` (CHIPS); a partitioned cookie is also Secure."""
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        """Now plus `PERMANENT_SESSION_LIFETIME` for a permanent session, else None."""
        if session.permanent:
            return datetime.now(timezone.utc) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        """Send the cookie when modified, or permanent with `SESSION_REFRESH_EACH_REQUEST`."""
        return session.modified or (
            session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    async def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        """Load the session for `request`; None means sessions are unavailable."""
        raise NotImplementedError

    async def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Store `session` and add what the client needs (a cookie) to `response`."""
        raise NotImplementedError


session_json_serializer = TaggedJSONSerializer()


def _sha1(string: bytes = b"") -> Any:
    # Looked up when called, not at import, so a FIPS build without SHA-1
    # only fails when a cookie session is actually used.
    return hashlib.sha1(string)


class SecureCookieSessionInterface(SessionInterface):
    """Stores the session in a cookie signed with `SECRET_KEY` (itsdangerous).

    Same salt, key derivation, digest and serializer as Flask, so the two read
    each other's cookies. Keys in `SECRET_KEY_FALLBACKS` are accepted when
    reading; new cookies are always signed with `SECRET_KEY`. A cookie that
    is tampered with, expired or unreadable gives an empty session, silently.
    It does no I/O, so it is opened lazily (`lazy_open = True`).
    """

    salt = "cookie-session"
    digest_method = staticmethod(_sha1)
    key_derivation = "hmac"
    serializer = session_json_serializer
    session_class = SecureCookieSession
    lazy_open = True

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The itsdangerous serializer for the app's keys, or None without `SECRET_KEY`."""
        if not app.secret_key:
            return None
        keys: list[Any] = list(app.config["SECRET_KEY_FALLBACKS"] or ())
        keys.append(app.secret_key)
        return URLSafeTimedSerializer(
            keys,  # the last key signs; every key is tried when reading
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )

    async def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Read and verify the cookie; anything wrong with it gives an empty session."""
        s = self.get_signing_serializer(app)
        if s is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = s.loads(val, max_age=max_age)
        except (BadData, ValueError, TypeError):
            # Bad signature, expired, another salt, or a payload that does not
            # decode: the client gets a fresh session and nothing is logged.
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    async def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Set, refresh or delete the cookie, and add `Vary: Cookie` when the session was used."""
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)

        if session.accessed:
            response.vary.add("Cookie")

        if not session:
            if session.modified:
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=secure,
                    partitioned=partitioned,
                    samesite=samesite,
                    httponly=httponly,
                )
                response.vary.add("Cookie")
            return

        if not self.should_set_cookie(app, session):
            return

        expires = self.get_expiration_time(app, session)
        s = self.get_signing_serializer(app)
        if s is None:  # pragma: no cover - a null session never gets here
            return
        val = s.dumps(dict(session))
        response.set_cookie(
            name,
            val,
            expires=expires,
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        # `set_cookie` warns when the cookie is over MAX_COOKIE_SIZE.
        response.vary.add("Cookie")
