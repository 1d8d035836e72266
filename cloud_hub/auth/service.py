"""Logging in and out, resolving bearer tokens, and managing users and API tokens.

Wrong user and wrong password give the same answer (no user enumeration); the throttle counts
both. Passwords and tokens are never logged or stored in clear.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cloud_hub.auth.hashing import hash_password, hash_token, new_token, verify_password
from cloud_hub.auth.roles import Principal
from cloud_hub.auth.throttle import LoginThrottle
from cloud_hub.errors import NotAuthenticated, ValidationFailed
from cloud_hub.registry import Registry, people
from cloud_hub.registry.models import ApiToken, User
from cloud_hub.registry.people import Role
from cloud_hub.settings import AuthSettings

log = logging.getLogger(__name__)
MIN_PASSWORD_CHARS = 10
# Verified against when the user does not exist, so both paths cost the same time.
_DUMMY_HASH = hash_password("not-a-real-password")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token as shown once to its owner; only its hash is kept."""

    token: str
    token_id: int
    expires_at: float | None


class AuthService:
    def __init__(
        self,
        registry: Registry,
        settings: AuthSettings,
        clock: Callable[[], float] = time.time,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self._registry = registry
        self._settings = settings
        self._clock = clock
        self._throttle = throttle or LoginThrottle(registry, settings, clock)

    def login(self, username: str, password: str, address: str) -> tuple[IssuedToken, User]:
        self._throttle.begin(username, address)  # counts this try as failed until it succeeds
        with self._registry.session() as s:
            user = people.find_user(s, username)
            ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
            if user is None or not ok or user.disabled:
                log.warning("login failed", extra={"username": username, "address": address})
                raise NotAuthenticated("wrong username or password")
            expires = self._clock() + self._settings.session_ttl_s
            issued = self._issue(s, user, "session", "login", expires)
        self._throttle.succeeded(username, address)
        log.info("login", extra={"username": username, "address": address})
        return issued, user

    def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise NotAuthenticated("missing bearer token")
        with self._registry.session() as s:
            found = people.user_for_token(s, hash_token(token), self._clock())
            if found is None:
                raise NotAuthenticated("invalid, expired or revoked token")
            user, row = found
            return Principal(user.id, user.username, _role(user.role), row.id)

    def logout(self, principal: Principal) -> None:
        with self._registry.session() as s:
            people.revoke_token(s, principal.username, principal.token_id)

    def create_user(self, actor: str, username: str, password: str, role: Role) -> User:
        check_password(password)
        with self._registry.session() as s:
            return people.create_user(
                s, actor, username, password_hash=hash_password(password), role=role
            )

    def create_api_token(
        self, principal: Principal, name: str, ttl_s: float | None = None
    ) -> IssuedToken:
        with self._registry.session() as s:
            user = people.get_user(s, principal.user_id)
            expires = None if ttl_s is None else self._clock() + ttl_s
            return self._issue(s, user, "api", name, expires)

    def bootstrap_admin(self) -> bool:
        """Create the configured admin if there are no users at all; True if one was made."""
        secret = self._settings.admin_password
        if secret is None:
            return False
        with self._registry.session() as s:
            if people.list_users(s):
                return False
            people.create_user(
                s,
                "bootstrap",
                self._settings.admin_username,
                password_hash=hash_password(secret.get_secret_value()),
                role="admin",
            )
        log.info("bootstrap admin created", extra={"username": self._settings.admin_username})
        return True

    def _issue(
        self, s: Session, user: User, kind: str, name: str, expires: float | None
    ) -> IssuedToken:
        token = new_token()
        row: ApiToken = people.add_token(
            s,
            user,
            token_hash=hash_token(token),
            kind="session" if kind == "session" else "api",
            name=name,
            expires_at=expires,
        )
        return IssuedToken(token, row.id, expires)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValidationFailed(f"password must have at least {MIN_PASSWORD_CHARS} characters")


def _role(value: str) -> Role:
    if value == "admin":
        return "admin"
    if value == "operator":
        return "operator"
    return "viewer"
