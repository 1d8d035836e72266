"""Roles and who may do what: viewer reads, operator also changes the fleet, admin also people."""

from __future__ import annotations

from dataclasses import dataclass

from cloud_hub.errors import PermissionDenied
from cloud_hub.registry.people import ROLES, Role

RANK: dict[str, int] = {role: i for i, role in enumerate(ROLES)}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: resolved from a bearer token once per request."""

    user_id: int
    username: str
    role: Role
    token_id: int

    def require(self, role: Role) -> Principal:
        if RANK[self.role] < RANK[role]:
            raise PermissionDenied(f"this needs the {role} role; {self.username} is {self.role}")
        return self
