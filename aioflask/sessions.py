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

from itsdangerous import BadSignature, URLSafeTimedSerializer

from .json.tag import TaggedJSONSerializer

if TYPE_CHECKING:
    from .app import Flask
    from .wrappers import Request, Response


class SessionMixin(MutableMapping[str, Any]):
    """The flags every session carries: `permanent`, `new`, `modified`, `accessed`."""

    new = False
    modified = True
    accessed = True

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

    def __setitem__(self, key: str, value: Any) -> None:
        self.accessed = self.modified = True
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.accessed = self.modified = True
        super().__delitem__(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        if key not in self.keys():
            self.modified = True
        return super().setdefault(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self.accessed = self.modified = True
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        self.accessed = self.modified = True
        return super().popitem()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.accessed = self.modified = True
        super().update(*args, **kwargs)

    def clear(self) -> None:
        self.accessed = self.modified = True
        super().clear()


class NullSession(SecureCookieSession):
    """The session used when no secret key is set: reading works, writing fails."""

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "The session is unavailable because no secret key was set. Set "
            "'app.secret_key' (or the SECRET_KEY config value) to a long random string, "
            "for example: app.secret_key = secrets.token_hex()."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail


class SessionInterface:
    """Opens and saves sessions; subclass it to store sessions elsewhere.

    Override the coroutines `open_session(app, request)` (return a session,
    or None for a `NullSession`) and `save_session(app, session, response)`.
    """

    null_session_class: type[SessionMixin] = NullSession
    pickle_based = False
    #: True when `open_session` never awaits anything, so the session may be
    #: opened on first use instead of before every request.
    lazy_open = False

    def make_null_session(self, app: Flask) -> SessionMixin:
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Flask) -> str:
        return str(app.config["SESSION_COOKIE_NAME"])

    def get_cookie_domain(self, app: Flask) -> str | None:
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Flask) -> str:
        return str(app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"])

    def get_cookie_httponly(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        if session.permanent:
            return datetime.now(timezone.utc) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        return session.modified or (
            session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    async def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        raise NotImplementedError

    async def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        raise NotImplementedError


session_json_serializer = TaggedJSONSerializer()


def _sha1(string: bytes = b"") -> Any:
    return hashlib.sha1(string)


class SecureCookieSessionInterface(SessionInterface):
    """Stores the session in a cookie signed with `SECRET_KEY` (itsdangerous).

    Same salt, key derivation, digest and serializer as Flask, so the two read
    each other's cookies.
    """

    salt = "cookie-session"
    digest_method = staticmethod(_sha1)
    key_derivation = "hmac"
    serializer = session_json_serializer
    session_class = SecureCookieSession
    lazy_open = True

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
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
        s = self.get_signing_serializer(app)
        if s is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = s.loads(val, max_age=max_age)
        except (BadSignature, ValueError, TypeError):
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    async def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
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
        response.vary.add("Cookie")
