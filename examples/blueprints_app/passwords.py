"""Salted PBKDF2 password hashes, stored as `pbkdf2:sha256:<iterations>$<salt>$<hash>`."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def hash_password(password: str, iterations: int = 600_000) -> str:
    """A new salted hash of `password`; the iteration count is stored with it."""
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2:sha256:{iterations}${salt}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    """True when `password` matches the `stored` hash (compared in constant time)."""
    try:
        method, salt, expected = stored.split("$", 2)
        _, algorithm, iterations = method.split(":")
        digest = hashlib.pbkdf2_hmac(algorithm, password.encode(), salt.encode(), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)
