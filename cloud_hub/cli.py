"""``cloud-hub``: the hub's command line. Thin: parses arguments and calls the services."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cloud_hub.errors import HubError
from cloud_hub.loop import cli as loop_cli

DESCRIPTION = """\
Runs the 2.5Vision Edge cloud hub and manages its fleet.

  cloud-hub serve --config hub.yaml          run the REST API (and ingest when enabled)
  cloud-hub devices add cam-001 --out b.yaml register a device, write its config bundle
  cloud-hub devices list | revoke ID | rotate ID
  cloud-hub users add NAME --role admin      create a user (password from CLOUD_HUB_NEW_PASSWORD
                                             or asked for)
  cloud-hub dataset export --out DIR         field samples as a training dataset
Settings come from --config FILE and CLOUD_HUB_<FIELD> variables (see docs/hub.md).
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cloud-hub",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", type=Path, help="YAML settings file")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the hub")
    serve.add_argument("--config", type=Path, dest="serve_config", help="YAML settings file")
    devices = sub.add_parser("devices", help="register, list, revoke devices; rotate credentials")
    dsub = devices.add_subparsers(dest="action", required=True)
    add = dsub.add_parser("add", help="register a device and issue MQTT credentials")
    add.add_argument("device_id")
    add.add_argument("--name", default=None)
    add.add_argument("--zone", dest="zone_id", default=None)
    add.add_argument("--lat", type=float, default=None)
    add.add_argument("--lon", type=float, default=None)
    add.add_argument("--out", type=Path, help="write the config bundle here (mode 600)")
    dsub.add_parser("list", help="list devices as JSON lines")
    for name in ("revoke", "rotate"):
        action = dsub.add_parser(name, help=f"{name} a device's credentials")
        action.add_argument("device_id")
        if name == "rotate":
            action.add_argument("--out", type=Path, help="write the new config bundle here")
    users = sub.add_parser("users", help="manage users")
    usub = users.add_subparsers(dest="action", required=True)
    uadd = usub.add_parser("add", help="create a user")
    uadd.add_argument("username")
    uadd.add_argument("--role", choices=["viewer", "operator", "admin"], required=True)
    loop_cli.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from cloud_hub import commands  # noqa: PLC0415 - keeps --help fast and dependency-free

    config = getattr(args, "serve_config", None) or args.config
    try:
        settings = commands.settings(config)
        if args.command == "serve":
            return commands.serve(settings)
        if args.command == "users":
            password = os.environ.get("CLOUD_HUB_NEW_PASSWORD") or commands.ask_password()
            print(json.dumps(commands.add_user(settings, args.username, args.role, password)))
            return 0
        if args.command == "dataset":
            return loop_cli.run(settings, args)
        return commands.devices(settings, args)
    except HubError as e:
        print(f"cloud-hub: {e}", file=sys.stderr)
        return 1
