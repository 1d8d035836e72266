"""Users and API tokens (admin only)."""

from __future__ import annotations

from fastapi import APIRouter

from cloud_hub.api.deps import Admin, HubDep
from cloud_hub.api.schemas import (
    RowId,
    TokenCreate,
    TokenOut,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from cloud_hub.auth.hashing import hash_password
from cloud_hub.auth.service import check_password
from cloud_hub.registry import people

router = APIRouter(tags=["users"])


@router.get("/users", response_model=list[UserPublic])
def list_users(_: Admin, hub: HubDep) -> list[UserPublic]:
    with hub.registry.session() as s:
        return [UserPublic.model_validate(u) for u in people.list_users(s)]


@router.post("/users", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, me: Admin, hub: HubDep) -> UserPublic:
    user = hub.auth.create_user(me.username, body.username, body.password, body.role)
    return UserPublic.model_validate(user)


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(user_id: RowId, body: UserUpdate, me: Admin, hub: HubDep) -> UserPublic:
    if body.password is not None:
        check_password(body.password)
    hashed = hash_password(body.password) if body.password is not None else None
    with hub.registry.session() as s:
        user = people.update_user(
            s, me.username, user_id, role=body.role, disabled=body.disabled, password_hash=hashed
        )
        return UserPublic.model_validate(user)


@router.get("/tokens", response_model=list[TokenPublic])
def list_tokens(_: Admin, hub: HubDep) -> list[TokenPublic]:
    with hub.registry.session() as s:
        return [TokenPublic.model_validate(t) for t in people.list_tokens(s)]


@router.post("/tokens", response_model=TokenOut, status_code=201)
def create_token(body: TokenCreate, me: Admin, hub: HubDep) -> TokenOut:
    """A long-lived API token for the calling admin; shown once."""
    issued = hub.auth.create_api_token(me, body.name, body.ttl_s)
    return TokenOut(
        access_token=issued.token, token_id=issued.token_id, expires_at=issued.expires_at
    )


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: RowId, me: Admin, hub: HubDep) -> None:
    with hub.registry.session() as s:
        people.revoke_token(s, me.username, token_id)
