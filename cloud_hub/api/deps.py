"""FastAPI dependencies: the hub, the caller, and role checks, as ``Annotated`` types."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cloud_hub.auth import Principal
from cloud_hub.hub import Hub

_bearer = HTTPBearer(auto_error=False, description="A login session or API token.")


def get_hub(request: Request) -> Hub:
    return cast(Hub, request.app.state.hub)


HubDep = Annotated[Hub, Depends(get_hub)]


def current_principal(
    hub: HubDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return hub.auth.authenticate(credentials.credentials if credentials else None)


CurrentUser = Annotated[Principal, Depends(current_principal)]


def _viewer(p: CurrentUser) -> Principal:
    return p.require("viewer")


def _operator(p: CurrentUser) -> Principal:
    return p.require("operator")


def _admin(p: CurrentUser) -> Principal:
    return p.require("admin")


Viewer = Annotated[Principal, Depends(_viewer)]
Operator = Annotated[Principal, Depends(_operator)]
Admin = Annotated[Principal, Depends(_admin)]
