"""Online roles: the hub re-signs snapshot and timestamp with short expiry, and nothing else.

`OnlineSigners` accepts only ``snapshot-*.pem`` and ``timestamp-*.pem`` keys and refuses any key
that root also authorises for root or targets, so the hub cannot hold offline authority even by
misconfiguration. `refresh` is idempotent and safe to run on a timer (e.g. hourly).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner
from tuf.api.exceptions import UnsignedMetadataError
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, Timestamp
from tuf.api.serialization.json import JSONSerializer

from cloud_hub.updates.errors import UpdateRepositoryError
from pm25.ota import RepositoryFiles

TIMESTAMP_EXPIRY: Final = timedelta(days=1)
SNAPSHOT_EXPIRY: Final = timedelta(days=7)
ONLINE_ROLES: Final = ("snapshot", "timestamp")


@dataclass(frozen=True)
class OnlineSigners:
    """The hub's two keys."""

    snapshot: CryptoSigner
    timestamp: CryptoSigner

    @classmethod
    def load(cls, keys_dir: Path, passphrase: bytes | None = None) -> OnlineSigners:
        """Load ``snapshot-*.pem`` and ``timestamp-*.pem`` from `keys_dir` (exactly one each)."""
        found: dict[str, CryptoSigner] = {}
        for role in ONLINE_ROLES:
            paths = sorted(keys_dir.glob(f"{role}-*.pem"))
            if len(paths) != 1:
                raise UpdateRepositoryError(f"{keys_dir}: need exactly one {role} key, "
                                            f"found {len(paths)}")  # fmt: skip
            found[role] = _load_key(paths[0], passphrase)
        return cls(snapshot=found["snapshot"], timestamp=found["timestamp"])

    def check_against(self, root: Root) -> None:
        """Refuse keys that root does not give their role, or gives an offline role too."""
        for role, signer in (("snapshot", self.snapshot), ("timestamp", self.timestamp)):
            keyid = signer.public_key.keyid
            if keyid not in root.roles[role].keyids:
                raise UpdateRepositoryError(f"{role} key {keyid[:16]} is not a {role} key of "
                                            f"root v{root.version}")  # fmt: skip
            for offline in ("root", "targets"):
                if keyid in root.roles[offline].keyids:
                    raise UpdateRepositoryError(f"{role} key {keyid[:16]} is also a {offline} "
                                                "key: the hub must not hold it")  # fmt: skip


def _load_key(path: Path, passphrase: bytes | None) -> CryptoSigner:
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
    except (OSError, ValueError, TypeError) as e:
        raise UpdateRepositoryError(f"{path}: not a usable private key") from e
    if not isinstance(private, Ed25519PrivateKey):
        raise UpdateRepositoryError(f"{path}: not an ed25519 key")
    return CryptoSigner(private)


def _load(files: RepositoryFiles, role: str) -> Metadata[Any]:
    try:
        return Metadata.from_bytes(files.read(role))
    except OSError as e:
        raise UpdateRepositoryError(f"no {role} metadata in {files.metadata_dir}") from e


def _expires(delta: timedelta) -> datetime:
    return (datetime.now(UTC) + delta).replace(microsecond=0)


def _sign_store(files: RepositoryFiles, md: Metadata[Any], signer: CryptoSigner) -> None:
    md.signatures.clear()
    md.sign(signer)
    files.write(md.signed.type, md.signed.version, md.to_bytes(JSONSerializer(False)))


def refresh(files: RepositoryFiles, signers: OnlineSigners) -> tuple[int, int]:
    """New snapshot if targets changed (or its key rotated), always a new timestamp.

    Returns (snapshot version, timestamp version).
    """
    root_md: Metadata[Root] = _load(files, "root")
    signers.check_against(root_md.signed)
    targets_version = files.latest_version("targets")
    if targets_version == 0:
        raise UpdateRepositoryError("no targets metadata: run `pm25-train keys init` first")
    snap_version = files.latest_version("snapshot")
    snapshot = _load(files, "snapshot") if snap_version else Metadata(Snapshot())
    stale = snapshot.signed.meta["targets.json"].version != targets_version
    if snap_version == 0 or stale or not _signed_by_current(root_md, snapshot):
        snapshot.signed.meta["targets.json"] = MetaFile(version=targets_version)
        snapshot.signed.version = snap_version + 1
        snapshot.signed.expires = _expires(SNAPSHOT_EXPIRY)
        _sign_store(files, snapshot, signers.snapshot)
    try:
        timestamp: Metadata[Timestamp] = Metadata.from_bytes(files.read("timestamp"))
        ts_version = timestamp.signed.version + 1
    except OSError:
        timestamp, ts_version = Metadata(Timestamp()), 1
    timestamp.signed.snapshot_meta = MetaFile(version=snapshot.signed.version)
    timestamp.signed.version = ts_version
    timestamp.signed.expires = _expires(TIMESTAMP_EXPIRY)
    _sign_store(files, timestamp, signers.timestamp)
    return snapshot.signed.version, ts_version


def _signed_by_current(root: Metadata[Root], md: Metadata[Any]) -> bool:
    try:
        root.verify_delegate(md.signed.type, md)
    except UnsignedMetadataError:
        return False
    return True
