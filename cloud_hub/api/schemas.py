"""Request and response bodies of the REST API (Create / Update / Public families)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from cloud_hub.errors import ValidationFailed
from cloud_hub.registry.people import Role

DeviceId = Field(pattern=r"^[a-z0-9_-]{1,64}$", description="Device id (as in MQTT topics).")


# Integer ids in paths: bounded so a huge number is a 422, not a database overflow.
RowId = Annotated[int, Path(ge=0, le=2**62)]


def require_values(changes: dict[str, Any], *fields: str) -> None:
    """A PATCH may leave these fields out but not set them to null."""
    nulls = [f for f in fields if f in changes and changes[f] is None]
    if nulls:
        raise ValidationFailed(f"cannot be null: {', '.join(nulls)}")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class LoginIn(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    token_id: int
    expires_at: float | None


class MeOut(BaseModel):
    username: str
    role: Role


class UserCreate(Body):
    username: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")
    password: str = Field(min_length=10, max_length=1024)
    role: Role


class UserUpdate(Body):
    role: Role | None = None
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=1024)


class UserPublic(Public):
    id: int
    username: str
    role: str
    disabled: bool
    created_at: float


class TokenCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    ttl_s: float | None = Field(default=None, gt=0, le=10 * 365 * 86400)


class TokenPublic(Public):
    id: int
    user_id: int
    name: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None
    last_used_at: float | None


Lat = Field(default=None, ge=-90, le=90)
Lon = Field(default=None, ge=-180, le=180)


class DeviceFields(Body):
    name: str | None = Field(default=None, max_length=200)
    lat: float | None = Lat
    lon: float | None = Lon
    zone_id: str | None = Field(default=None, max_length=64)
    hardware_profile: str | None = Field(default=None, max_length=64)
    tags: list[str] | None = Field(default=None, max_length=50)


class DeviceCreate(DeviceFields):
    id: str = DeviceId


class DevicePublic(Public):
    id: str
    name: str
    lat: float | None
    lon: float | None
    zone_id: str | None
    hardware_profile: str
    tags: list[str]
    status: str
    last_seen_at: float | None
    model_version: int | None
    model_label: str | None
    backend: str | None
    outbox_depth: int | None
    last_heartbeat: dict[str, Any] | None
    created_at: float
    updated_at: float


class ZoneCreate(Body):
    id: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    outline: list[tuple[float, float]] = Field(default_factory=list, max_length=10_000)


class ZonePublic(Public):
    id: str
    name: str
    outline: list[Any]
    created_at: float


class FleetStatus(BaseModel):
    total: int
    online: int
    offline: int
    degraded: int
    never_seen: int
    revoked: int


class QuarantinePublic(Public):
    id: int
    received_at: float
    device_id: str | None
    topic: str
    reason: str
    detail: str
    size: int
    payload: str


class CommandIn(Body):
    type: Literal["ping", "config", "capture_sample"]
    patch: dict[str, Any] | None = Field(default=None, description="For config commands.")
    max_side: int | None = Field(default=None, ge=32, le=4096, description="For capture_sample.")


class CommandPublic(Public):
    id: str
    device_id: str
    type: str
    payload: dict[str, Any]
    issued_at: float
    issued_by: str
    acked_at: float | None
    ok: bool | None
    reason: str | None
    result: dict[str, Any] | None


class Credentials(BaseModel):
    """Shown once: the device's MQTT login and the config bundle for ``edge-agent run``."""

    device_id: str
    mqtt_username: str
    mqtt_password: str
    bundle_yaml: str
