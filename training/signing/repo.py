"""Offline-role operations: create root and targets metadata, sign releases, rotate and revoke keys.

Snapshot and timestamp are the hub's (online keys, `cloud_hub.updates`); nothing here signs them.
Every new root is checked before it is stored the way a device will check it: signed by a
threshold of the *previous* root's keys and by a threshold of its own, so devices can walk the
chain of root versions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from securesystemslib.signer import Key, Signer
from tuf.api.exceptions import UnsignedMetadataError
from tuf.api.metadata import Metadata, Role, Root, Targets

from pm25.drift_bins import REFERENCE_FILE
from pm25.errors import ManifestError
from pm25.manifest import load_manifest, sha256_file
from pm25.ota import ReleaseInfo, artifact_target, manifest_target
from training.signing.errors import RepositoryError
from training.signing.store import RepositoryStore

ROOT_EXPIRY: Final = timedelta(days=365)
TARGETS_EXPIRY: Final = timedelta(days=180)
ONLINE_ROLES: Final = ("snapshot", "timestamp")


def _expires(delta: timedelta) -> datetime:
    return (datetime.now(UTC) + delta).replace(microsecond=0)


def init_repository(
    store: RepositoryStore,
    root_signers: Sequence[Signer],
    root_threshold: int,
    keys: Mapping[str, Sequence[Key]],
    targets_signer: Signer,
) -> None:
    """Create root v1 (all four roles' keys) and an empty targets v1 in an empty directory."""
    if store.exists():
        raise RepositoryError(f"{store.root} already holds a repository")
    if not 1 <= root_threshold <= len(root_signers):
        raise RepositoryError(f"root threshold {root_threshold} needs that many of "
                              f"{len(root_signers)} root keys")  # fmt: skip
    root = Root(expires=_expires(ROOT_EXPIRY), consistent_snapshot=True)
    root.roles["root"].threshold = root_threshold
    for signer in root_signers:
        root.add_key(signer.public_key, "root")
    for role in ("targets", *ONLINE_ROLES):
        if not keys.get(role):
            raise RepositoryError(f"no {role} key given")
        for key in keys[role]:
            root.add_key(key, role)
    md = Metadata(root)
    for signer in root_signers:
        md.sign(signer, append=True)
    md.verify_delegate("root", md)
    store.store(md)
    targets = Metadata(Targets(expires=_expires(TARGETS_EXPIRY)))
    _sign_checked(store, targets, [targets_signer])


def _sign_checked(store: RepositoryStore, md: Metadata[Any], signers: Sequence[Signer]) -> None:
    """Sign with every signer, verify against the current root, store."""
    md.signatures.clear()
    for signer in signers:
        md.sign(signer, append=True)
    try:
        store.load("root").verify_delegate(md.signed.type, md)
    except UnsignedMetadataError as e:
        raise RepositoryError(f"{md.signed.type}: below its signature threshold: {e}") from e
    store.store(md)


def add_release(
    store: RepositoryStore,
    manifest_path: Path,
    targets_signer: Signer,
    extra: Mapping[str, bytes] | None = None,
) -> ReleaseInfo:
    """Publish the release whose manifest is at `manifest_path` as targets; new targets version.

    `extra` files (e.g. ``MODEL_CARD.md``, which the hub's release catalogue shows) are published
    as ``<name>/v<version>/<file>`` too; devices fetch only the manifest's artifacts. A
    ``drift-reference.json`` next to the manifest always goes along, so no caller can forget it.
    """
    try:
        manifest = load_manifest(manifest_path)
        for artifact in manifest.artifacts:
            manifest.verify_artifact(artifact.role, manifest_path.parent / artifact.filename)
    except ManifestError as e:
        raise RepositoryError(f"release refused: {e}") from e
    md: Metadata[Targets] = store.load("targets")
    current = md.signed.targets.get(manifest_target(manifest.name))
    if current is not None:
        old = ReleaseInfo.from_custom(current.unrecognized_fields.get("custom"))
        if manifest.version <= old.version:
            raise RepositoryError(f"{manifest.name} v{manifest.version} is not newer than the "
                                  f"published v{old.version}")  # fmt: skip
    for artifact in manifest.artifacts:
        data = (manifest_path.parent / artifact.filename).read_bytes()
        path = artifact_target(manifest.name, manifest.version, artifact.filename)
        md.signed.targets[path] = store.add_target(path, data)
    extra = dict(extra or {})
    reference = manifest_path.parent / REFERENCE_FILE  # the hub's drift watch reads it
    if reference.is_file() and REFERENCE_FILE not in extra:
        extra[REFERENCE_FILE] = reference.read_bytes()
    for filename, data in extra.items():
        path = artifact_target(manifest.name, manifest.version, filename)
        md.signed.targets[path] = store.add_target(path, data)
    info = ReleaseInfo(name=manifest.name, version=manifest.version, label=manifest.label,
                       manifest_sha256=sha256_file(manifest_path))  # fmt: skip
    target = manifest_target(manifest.name)
    md.signed.targets[target] = store.add_target(target, manifest_path.read_bytes(), info.custom())
    md.signed.version += 1
    md.signed.expires = _expires(TARGETS_EXPIRY)
    _sign_checked(store, md, [targets_signer])
    return info


def resign_targets(store: RepositoryStore, targets_signers: Sequence[Signer]) -> int:
    """A new targets version with the same content, signed by the current targets keys."""
    md: Metadata[Targets] = store.load("targets")
    md.signed.version += 1
    md.signed.expires = _expires(TARGETS_EXPIRY)
    _sign_checked(store, md, targets_signers)
    return md.signed.version


def change_keys(
    store: RepositoryStore,
    role: str,
    *,
    add: Sequence[Key] = (),
    remove: Sequence[str] = (),
    threshold: int | None = None,
    old_root_signers: Sequence[Signer],
    new_root_signers: Sequence[Signer] = (),
) -> int:
    """New root version that adds/removes keys of `role` (rotation = add + remove; revoke = remove).

    Signed by `old_root_signers` (a threshold of the previous root) and `new_root_signers` (keys
    added to root); refused unless a device holding the previous root would accept it.
    """
    previous: Metadata[Root] = store.load("root")
    md: Metadata[Root] = store.load("root")
    root = md.signed
    for key in add:
        root.add_key(key, role)
    for keyid in remove:
        if keyid not in root.roles[role].keyids:
            raise RepositoryError(f"key {keyid[:16]} is not a {role} key")
        root.revoke_key(keyid, role)
    if threshold is not None:
        root.roles[role].threshold = threshold
    _check_threshold(root.roles[role], role)
    root.version += 1
    root.expires = _expires(ROOT_EXPIRY)
    md.signatures.clear()
    for signer in [*old_root_signers, *new_root_signers]:
        md.sign(signer, append=True)
    try:
        previous.verify_delegate("root", md)
        md.verify_delegate("root", md)
    except UnsignedMetadataError as e:
        raise RepositoryError(f"root v{root.version} would be refused by devices: {e}") from e
    store.store(md)
    return root.version


def _check_threshold(role: Role, name: str) -> None:
    if len(role.keyids) < role.threshold:
        raise RepositoryError(f"{name} would have {len(role.keyids)} keys for threshold "
                              f"{role.threshold}")  # fmt: skip
