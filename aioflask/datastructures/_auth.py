"""`Authorization` and `UserAgent` request headers."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, TypeVar

from ._headers import _unquote, parse_list_header, quote_header_value

if TYPE_CHECKING:
    pass


V = TypeVar("V")
T = TypeVar("T")


class Authorization:
    """The parsed `Authorization` request header (`request.authorization`).

    `type` is the lower-cased scheme. For `Basic`, `username` and `password`
    are decoded from the credentials. Token schemes such as `Bearer` set
    `token`; schemes sending `key=value` pairs (such as `Digest`) fill
    `parameters`, whose entries are also readable as `auth["key"]`,
    `auth.get("key")` and attributes.
    """

    def __init__(
        self,
        auth_type: str,
        data: dict[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        self.type = auth_type
        self.parameters: dict[str, str | None] = data if data is not None else {}
        self.token = token

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """Parse a header value; return `None` when it is empty or malformed.

        Basic credentials that are not valid base64 or not UTF-8 give `None`.
        """
        if not value:
            return None
        scheme, _, rest = value.partition(" ")
        scheme = scheme.lower()
        rest = rest.strip(" \t")
        if not scheme:
            return None
        if scheme == "basic":
            try:
                decoded = base64.b64decode(rest, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeError, ValueError):
                return None
            username, _, password = decoded.partition(":")
            return cls(scheme, {"username": username, "password": password})
        if "=" in rest.rstrip("="):
            params: dict[str, str | None] = {}
            for item in parse_list_header(rest):
                key, has_value, text = item.partition("=")
                key = key.strip(" \t")
                if not key:
                    continue
                if not has_value:
                    params[key] = None
                    continue
                text = text.strip(" \t")
                if len(text) >= 2 and text[0] == text[-1] == '"':
                    text = _unquote(text[1:-1])
                params[key] = text
            return cls(scheme, params)
        return cls(scheme, None, rest)

    @property
    def username(self) -> str | None:
        """The user name (Basic and Digest), or `None`."""
        return self.parameters.get("username")

    @property
    def password(self) -> str | None:
        """The password (Basic), or `None`."""
        return self.parameters.get("password")

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("_"):
            raise AttributeError(name)
        parameters: dict[str, str | None] = self.__dict__.get("parameters", {})
        return parameters.get(name)

    def __getitem__(self, key: str) -> str | None:
        return self.parameters.get(key)

    def get(self, key: str, default: str | None = None) -> str | None:
        """Return parameter `key`, or `default`."""
        return self.parameters.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (
            other.type,
            other.token,
            other.parameters,
        )

    __hash__ = None  # type: ignore[assignment]

    def to_header(self) -> str:
        """Serialize back to a header value."""
        if self.type == "basic":
            credentials = f"{self.username or ''}:{self.password or ''}".encode()
            return f"Basic {base64.b64encode(credentials).decode('ascii')}"
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        params = ", ".join(
            key if value is None else f"{key}={quote_header_value(value)}"
            for key, value in self.parameters.items()
        )
        return f"{self.type.title()} {params}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


class UserAgent:
    """The `User-Agent` request header (`request.user_agent`).

    Only `string` is set; no parsing is done, so `platform`, `browser`,
    `version` and `language` are `None` (subclass to add a parser). Like
    Werkzeug's, an instance is truthy only when `browser` is known.
    """

    platform: str | None = None
    browser: str | None = None
    version: str | None = None
    language: str | None = None

    def __init__(self, string: str) -> None:
        self.string = string

    def to_header(self) -> str:
        """Return the header value."""
        return self.string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        return bool(self.browser)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.browser}/{self.version}>"
