"""Users, their bearer tokens (login sessions and API tokens), and device credentials.

Only hashes are stored; hashing lives in ``cloud_hub.auth``. Token lookup is by the hash itself
(tokens are 256-bit random, so a fast hash is safe; see ``cloud_hub/auth/hashing.py``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloud_hub.errors import Conflict, NotFound
from cloud_hub.registry import audit
from cloud_hub.registry.models import ApiToken, DeviceCredential, User

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")


def create_user(
    session: Session, actor: str, username: str, password_hash: str, role: Role
) -> User:
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} exists")
    user = User(username=username, password_hash=password_hash, role=role, created_at=time.time())
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", username, {"role": role})
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.id)).all()


def update_user(
    session: Session,
    actor: str,
    user_id: int,
    *,
    role: Role | None = None,
    disabled: bool | None = None,
    password_hash: str | None = None,
) -> User:
    user = get_user(session, user_id)
    changed: dict[str, object] = {}
    if role is not None:
        user.role = changed["role"] = role
    if disabled is not None:
        user.disabled = changed["disabled"] = disabled
        if disabled:
            _revoke_all_tokens(session, user.id)
    if password_hash is not None:
        user.password_hash = password_hash
        changed["password"] = "changed"
    audit.record(session, actor, "user.update", "user", user.username, changed)
    return user


def add_token(
    session: Session,
    user: User,
    *,
    token_hash: str,
    kind: Literal["session", "api"],
    name: str = "",
    expires_at: float | None = None,
) -> ApiToken:
    token = ApiToken(
        user_id=user.id,
        kind=kind,
        name=name,
        token_hash=token_hash,
        created_at=time.time(),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    if kind == "api":
        audit.record(session, user.username, "token.create", "token", str(token.id), {"name": name})
    return token


def user_for_token(session: Session, token_hash: str, now: float) -> tuple[User, ApiToken] | None:
    """The active user behind a token hash, or None if unknown, revoked, expired or disabled."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    user = session.get(User, token.user_id)
    if user is None or user.disabled:
        return None
    token.last_used_at = now
    return user, token


def list_tokens(session: Session, user_id: int | None = None) -> Sequence[ApiToken]:
    query = select(ApiToken).where(ApiToken.kind == "api").order_by(ApiToken.id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return session.scalars(query).all()


def revoke_token(session: Session, actor: str, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"token {token_id} does not exist")
    token.revoked_at = token.revoked_at or time.time()
    if token.kind == "api":
        audit.record(session, actor, "token.revoke", "token", str(token_id))
    return token


def _revoke_all_tokens(session: Session, user_id: int) -> None:
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=time.time())
    )


def set_device_credential(
    session: Session, actor: str, device_id: str, mqtt_username: str, password_hash: str
) -> DeviceCredential:
    """Issue a new MQTT credential for the device; earlier ones are revoked."""
    revoke_device_credentials(session, device_id)
    cred = DeviceCredential(
        device_id=device_id,
        mqtt_username=mqtt_username,
        password_hash=password_hash,
        created_at=time.time(),
    )
    session.add(cred)
    session.flush()
    audit.record(session, actor, "device.credential", "device", device_id)
    return cred


def revoke_device_credentials(session: Session, device_id: str) -> None:
    session.execute(
        update(DeviceCredential)
        .where(DeviceCredential.device_id == device_id, DeviceCredential.revoked_at.is_(None))
        .values(revoked_at=time.time())
    )


def active_credential(session: Session, device_id: str) -> DeviceCredential | None:
    return session.scalar(
        select(DeviceCredential).where(
            DeviceCredential.device_id == device_id, DeviceCredential.revoked_at.is_(None)
        )
    )
