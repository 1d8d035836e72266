"""Password and token hashing.

Passwords (people's, devices' MQTT passwords) are hashed with Argon2id (argon2-cffi): slow on
purpose, because a person's password has little entropy. Bearer tokens are 256 random bits, so
guessing one is hopeless whatever the hash; they are stored as SHA-256 so that every request can
look its token up by hash in well under a millisecond.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
TOKEN_PREFIX = "pm25h_"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if ``password`` matches; False for a wrong password or a damaged hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh bearer token: a recognisable prefix and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_device_password() -> str:
    """A random MQTT password for a device (192 bits, URL- and YAML-safe)."""
    return secrets.token_urlsafe(24)
