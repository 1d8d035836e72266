"""What the ``cloud-hub`` commands do, on the same services the API uses."""

from __future__ import annotations

import argparse
import getpass
import json
import os
from pathlib import Path
from typing import Any

from cloud_hub import logs
from cloud_hub.auth import AuthService
from cloud_hub.provisioning import IssuedCredentials, Provisioner
from cloud_hub.registry import Registry
from cloud_hub.registry import devices as device_repo
from cloud_hub.registry.people import Role
from cloud_hub.settings import HubSettings, load_settings

ACTOR = "cli:" + (os.environ.get("SUDO_USER") or os.environ.get("USER") or "unknown")


def settings(config: Path | None) -> HubSettings:
    return load_settings(config)


def serve(s: HubSettings) -> int:
    import uvicorn  # noqa: PLC0415

    from cloud_hub.app import create_app  # noqa: PLC0415

    logs.configure(s.log_level)
    uvicorn.run(
        create_app(s),
        host=s.http.host,
        port=s.http.port,
        log_config=None,
        # The login throttle counts per client address: behind a proxy it must be the client's.
        proxy_headers=s.http.proxy_headers,
        forwarded_allow_ips=s.http.forwarded_allow_ips,
    )
    return 0


def add_user(s: HubSettings, username: str, role: Role, password: str) -> dict[str, Any]:
    registry = Registry.open(s.registry_url)
    try:
        user = AuthService(registry, s.auth).create_user(ACTOR, username, password, role)
        return {"id": user.id, "username": user.username, "role": user.role}
    finally:
        registry.close()


def ask_password() -> str:
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        from cloud_hub.errors import ValidationFailed  # noqa: PLC0415

        raise ValidationFailed("passwords differ")
    return first


def devices(s: HubSettings, args: argparse.Namespace) -> int:
    registry = Registry.open(s.registry_url)
    try:
        prov = Provisioner(registry, s.broker_files, s.mqtt)
        if args.action == "list":
            with registry.session() as session:
                for d in device_repo.list_devices(session):
                    print(
                        json.dumps(
                            {
                                "id": d.id,
                                "name": d.name,
                                "status": d.status,
                                "zone_id": d.zone_id,
                                "last_seen_at": d.last_seen_at,
                            }
                        )
                    )
            return 0
        if args.action == "revoke":
            prov.revoke(ACTOR, args.device_id)
            print(f"revoked {args.device_id}")
            return 0
        if args.action == "add":
            fields = {k: getattr(args, k) for k in ("name", "zone_id", "lat", "lon")}
            issued = prov.add(
                ACTOR, args.device_id, **{k: v for k, v in fields.items() if v is not None}
            )
        else:
            issued = prov.rotate(ACTOR, args.device_id)
        _emit(issued, args.out)
        return 0
    finally:
        registry.close()


def _emit(issued: IssuedCredentials, out: Path | None) -> None:
    if out is None:
        print(issued.bundle_yaml, end="")
        return
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(issued.bundle_yaml)
    print(f"wrote the config bundle of {issued.device_id} to {out}")
