"""Login, logout and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request

from cloud_hub.api.deps import CurrentUser, HubDep
from cloud_hub.api.schemas import LoginIn, MeOut, TokenOut

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=TokenOut)
def login(body: LoginIn, hub: HubDep, request: Request) -> TokenOut:
    """Exchange a username and password for a session token (throttled per user and address)."""
    address = request.client.host if request.client else "unknown"
    issued, _user = hub.auth.login(body.username, body.password, address)
    return TokenOut(
        access_token=issued.token, token_id=issued.token_id, expires_at=issued.expires_at
    )


@router.post("/logout", status_code=204)
def logout(me: CurrentUser, hub: HubDep) -> None:
    """Revoke the token this request was made with."""
    hub.auth.logout(me)


@router.get("/me", response_model=MeOut)
def whoami(me: CurrentUser) -> MeOut:
    return MeOut(username=me.username, role=me.role)
