"""Devices: list, get, register, change, revoke, rotate credentials, send commands."""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query

from cloud_hub.api.deps import HubDep, Operator, Viewer
from cloud_hub.api.schemas import (
    CommandIn,
    CommandPublic,
    Credentials,
    DeviceCreate,
    DeviceFields,
    DevicePublic,
    require_values,
)
from cloud_hub.errors import ValidationFailed
from cloud_hub.provisioning import IssuedCredentials, Provisioner
from cloud_hub.registry import devices, logs
from pm25 import topics
from pm25.wire import CaptureSampleCommand, ConfigCommand, PingCommand, encode

router = APIRouter(prefix="/devices", tags=["devices"])


def _provisioner(hub: HubDep) -> Provisioner:
    return Provisioner(hub.registry, hub.settings.broker_files, hub.settings.mqtt)


def _creds(c: IssuedCredentials) -> Credentials:
    return Credentials(
        device_id=c.device_id,
        mqtt_username=c.mqtt_username,
        mqtt_password=c.mqtt_password,
        bundle_yaml=c.bundle_yaml,
    )


@router.get("", response_model=list[DevicePublic])
def list_devices(
    _: Viewer,
    hub: HubDep,
    zone_id: Annotated[str | None, Query(max_length=64)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    model_version: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> list[DevicePublic]:
    with hub.registry.session() as s:
        found = devices.list_devices(
            s, zone_id=zone_id, tag=tag, model_version=model_version, status=status
        )
        return [DevicePublic.model_validate(d) for d in found]


@router.get("/{device_id}", response_model=DevicePublic)
def get_device(device_id: str, _: Viewer, hub: HubDep) -> DevicePublic:
    with hub.registry.session() as s:
        return DevicePublic.model_validate(devices.get_device(s, device_id))


@router.post("", response_model=Credentials, status_code=201)
def create_device(body: DeviceCreate, me: Operator, hub: HubDep) -> Credentials:
    """Register a device and issue its MQTT credentials (shown once, with the config bundle)."""
    fields = body.model_dump(exclude={"id"}, exclude_none=True)
    return _creds(_provisioner(hub).add(me.username, body.id, **fields))


@router.patch("/{device_id}", response_model=DevicePublic)
def update_device(device_id: str, body: DeviceFields, me: Operator, hub: HubDep) -> DevicePublic:
    with hub.registry.session() as s:
        changed = body.model_dump(exclude_unset=True)
        require_values(changed, "name", "hardware_profile", "tags")
        return DevicePublic.model_validate(
            devices.update_device(s, me.username, device_id, **changed)
        )


@router.post("/{device_id}/revoke", response_model=DevicePublic)
def revoke_device(device_id: str, me: Operator, hub: HubDep) -> DevicePublic:
    _provisioner(hub).revoke(me.username, device_id)
    with hub.registry.session() as s:
        return DevicePublic.model_validate(devices.get_device(s, device_id))


@router.post("/{device_id}/credentials", response_model=Credentials)
def rotate_credentials(device_id: str, me: Operator, hub: HubDep) -> Credentials:
    return _creds(_provisioner(hub).rotate(me.username, device_id))


@router.post("/{device_id}/commands", response_model=CommandPublic, status_code=202)
def send_command(device_id: str, body: CommandIn, me: Operator, hub: HubDep) -> CommandPublic:
    """Publish a command to the device (QoS 1) and log it; the device's ack fills in the result."""
    command_id = secrets.token_hex(8)
    common: dict[str, Any] = {"id": command_id, "issued_at": int(time.time())}
    try:
        if body.type == "config":
            cmd: PingCommand | ConfigCommand | CaptureSampleCommand = ConfigCommand(
                patch=body.patch or {}, **common
            )
        elif body.type == "capture_sample":
            extra = {"max_side": body.max_side} if body.max_side else {}
            cmd = CaptureSampleCommand(**common, **extra)
        else:
            cmd = PingCommand(**common)
    except ValueError as e:
        raise ValidationFailed(f"invalid {body.type} command: {e}") from e
    with hub.registry.session() as s:
        device = devices.get_device(s, device_id)
        if device.status == "revoked":
            raise ValidationFailed(f"device {device_id!r} is revoked")
        payload = cmd.model_dump(mode="json")
        entry = logs.log_command(
            s, me.username, device_id, command_id=command_id, kind=body.type, payload=payload
        )
        hub.publish(topics.cmd(device_id), encode(cmd))
        return CommandPublic.model_validate(entry)


@router.get("/{device_id}/commands", response_model=list[CommandPublic])
def list_commands(device_id: str, _: Viewer, hub: HubDep) -> list[CommandPublic]:
    with hub.registry.session() as s:
        devices.get_device(s, device_id)
        return [CommandPublic.model_validate(c) for c in logs.list_commands(s, device_id)]
