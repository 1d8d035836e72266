"""``pm25-train keys …`` and ``pm25-train release``: thin calls into `training.signing`.

`add_parsers` adds the subcommands to pm25-train's parser and `run` executes one; also runnable
alone as ``python -m training.signing.cli``. Private keys come from files (``--root-key``,
``--targets-key``); a passphrase, if the files are encrypted, from ``PM25_KEY_PASSPHRASE``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from training.signing.errors import SigningError
from training.signing.keys import ROLES, generate_key, load_public, load_signer, passphrase_from_env
from training.signing.repo import add_release, change_keys, init_repository, resign_targets
from training.signing.store import RepositoryStore

COMMANDS = ("keys", "release")


def add_parsers(sub: Any) -> None:
    """Add ``keys`` and ``release`` to a subparsers object."""
    keys = sub.add_parser("keys", help="TUF keys: generate, init repository, rotate, revoke")
    ks = keys.add_subparsers(dest="keys_command", required=True)
    g = ks.add_parser("generate", help="new ed25519 key(s) for a role (0600 PEM + .pub.json)")
    g.add_argument("--role", choices=ROLES, required=True)
    g.add_argument("--dir", type=Path, required=True)
    g.add_argument("--count", type=int, default=1)
    i = ks.add_parser("init", help="root v1 + empty targets from the keys in --dir")
    i.add_argument("--repo", type=Path, required=True)
    i.add_argument(
        "--dir",
        type=Path,
        required=True,
        help="root-*.pem, targets-*.pem, and snapshot/timestamp public keys (*.pub.json)",
    )
    i.add_argument("--root-threshold", type=int, default=2)
    for name, what in (("rotate", "add and/or remove keys of a role"), ("revoke", "remove a key")):
        r = ks.add_parser(name, help=f"new root version: {what}")
        r.add_argument("--repo", type=Path, required=True)
        r.add_argument("--role", choices=ROLES, required=True)
        r.add_argument(
            "--root-key",
            type=Path,
            action="append",
            required=True,
            help="private key of the current root (repeat up to its threshold)",
        )
        r.add_argument("--remove", action="append", default=[], help="key id to remove")
        if name == "rotate":
            r.add_argument(
                "--add",
                type=Path,
                action="append",
                default=[],
                help="public key file (.pub.json) to add",
            )
            r.add_argument(
                "--new-root-key",
                type=Path,
                action="append",
                default=[],
                help="private key of an added root key (it must sign too)",
            )
            r.add_argument("--threshold", type=int)
            r.add_argument(
                "--targets-key",
                type=Path,
                help="re-sign targets with this key (after rotating targets)",
            )
    rel = sub.add_parser("release", help="sign a release (manifest + artifacts) as TUF targets")
    rel.add_argument("--repo", type=Path, required=True)
    rel.add_argument("--manifest", type=Path, required=True)
    rel.add_argument("--targets-key", type=Path, required=True)


def run(args: argparse.Namespace) -> int:
    """Run one command; JSON result on stdout, errors on stderr with exit status 2."""
    try:
        out = _dispatch(args)
    except SigningError as e:
        print(f"pm25-train {args.command}: error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(out, indent=2))
    return 0


def _dispatch(args: argparse.Namespace) -> dict[str, Any]:
    pw = passphrase_from_env()
    if args.command == "release":
        store = RepositoryStore(args.repo)
        info = add_release(store, args.manifest, load_signer(args.targets_key, "targets", pw))
        return {"released": info.model_dump(), "targets_version": store.latest_version("targets")}
    if args.keys_command == "generate":
        made = [generate_key(args.dir, args.role, pw) for _ in range(args.count)]
        return {
            "generated": [{"role": k.role, "keyid": k.keyid, "path": str(k.path)} for k in made]
        }
    store = RepositoryStore(args.repo)
    if args.keys_command == "init":
        root = [load_signer(p, "root", pw) for p in sorted(args.dir.glob("root-*.pem"))]
        targets = [load_signer(p, "targets", pw) for p in sorted(args.dir.glob("targets-*.pem"))]
        pubs = {
            r: [load_public(p) for p in sorted(args.dir.glob(f"{r}-*.pub.json"))]
            for r in ("targets", "snapshot", "timestamp")
        }
        if len(targets) != 1:
            raise SigningError(f"{args.dir}: need exactly one targets-*.pem, found {len(targets)}")
        init_repository(store, root, args.root_threshold, pubs, targets[0])
        return {"initialised": str(args.repo), "root_keys": len(root)}
    version = change_keys(
        store,
        args.role,
        add=[load_public(p) for p in getattr(args, "add", [])],
        remove=args.remove,
        threshold=getattr(args, "threshold", None),
        old_root_signers=[load_signer(p, "root", pw) for p in args.root_key],
        new_root_signers=[load_signer(p, "root", pw) for p in getattr(args, "new_root_key", [])],
    )
    out: dict[str, Any] = {"root_version": version}
    if getattr(args, "targets_key", None) is not None:
        out["targets_version"] = resign_targets(
            store, [load_signer(args.targets_key, "targets", pw)]
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry: ``python -m training.signing.cli keys …|release …``."""
    p = argparse.ArgumentParser(prog="pm25-train")
    add_parsers(p.add_subparsers(dest="command", required=True))
    return run(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
