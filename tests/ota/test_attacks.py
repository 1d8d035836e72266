"""Attacks on the repository: every one is refused by the device with a clear error."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, TargetFile
from tuf.api.serialization.json import JSONSerializer

from cloud_hub.updates import OnlineSigners, refresh
from cloud_hub.updates.errors import UpdateRepositoryError
from edge_agent.update.errors import VerificationError
from pm25.ota import RepositoryFiles
from tests.ota.helpers import Repo
from tests.ota.server import RepoServer
from training.signing.keys import generate_key, load_public, load_signer
from training.signing.repo import change_keys, resign_targets


def _push_targets(repo: Repo, sign: list[CryptoSigner], malicious: bytes = b"evil") -> None:
    """Publish a new targets version with an extra target, signed by `sign`; hub refreshes."""
    md: Metadata[Any] = repo.store.load("targets")
    md.signed.version += 1
    md.signed.targets["fixture/v9/evil.onnx"] = TargetFile.from_data(
        "fixture/v9/evil.onnx", malicious
    )
    md.signatures.clear()
    for signer in sign:
        md.sign(signer, append=True)
    repo.store.write("targets", md.signed.version, md.to_bytes(JSONSerializer(False)))
    refresh(RepositoryFiles(repo.store.root), repo.online)


def _offer(repo: Repo, server: RepoServer, device: Path) -> int:
    offer = repo.client(server.url, device).check("fixture")
    assert offer is not None
    return offer.info.version


def test_wrong_signature_is_refused(repo: Repo, server: RepoServer, tmp_path: Path) -> None:
    repo.release(2)
    attacker = load_signer(generate_key(tmp_path / "attacker", "targets").path, "targets")
    _push_targets(repo, [attacker])
    with pytest.raises(VerificationError, match="UnsignedMetadataError"):
        _offer(repo, server, tmp_path / "device")


def test_missing_signature_is_refused(repo: Repo, server: RepoServer, tmp_path: Path) -> None:
    _push_targets(repo, [])
    with pytest.raises(VerificationError, match="UnsignedMetadataError"):
        repo.client(server.url, tmp_path / "device").check("fixture")


def test_hub_with_only_online_keys_cannot_push_a_model(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    """A compromised hub signs targets with what it has; devices refuse."""
    repo.release(2)
    _push_targets(repo, [repo.online.snapshot, repo.online.timestamp])
    with pytest.raises(VerificationError, match="UnsignedMetadataError"):
        _offer(repo, server, tmp_path / "device")


def test_hub_refuses_to_hold_offline_keys(repo: Repo, tmp_path: Path) -> None:
    targets_key = repo.keys.files["targets"][0].path
    bad = tmp_path / "bad-hub"
    bad.mkdir()
    shutil.copy2(targets_key, bad / f"snapshot-{targets_key.name.split('-', 1)[1]}")
    shutil.copy2(
        repo.keys.files["timestamp"][0].path, bad / repo.keys.files["timestamp"][0].path.name
    )
    signers = OnlineSigners.load(bad)
    with pytest.raises(UpdateRepositoryError, match="is not a snapshot key"):
        refresh(RepositoryFiles(repo.store.root), signers)


def test_revoked_key_is_refused_and_device_follows_new_root(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    repo.release(2)
    assert _offer(repo, server, device) == 2
    old = repo.keys.signer("targets")
    new_file = generate_key(repo.keys.dir, "targets")
    change_keys(
        repo.store,
        "targets",
        add=[load_public(new_file.path)],
        remove=[old.public_key.keyid],
        old_root_signers=repo.keys.signers("root")[:2],
    )
    resign_targets(repo.store, [load_signer(new_file.path, "targets")])
    refresh(RepositoryFiles(repo.store.root), repo.online)
    assert _offer(repo, server, device) == 2
    assert Metadata.from_file(str(device / "tuf" / "root.json")).signed.version == 2
    _push_targets(repo, [old])  # the revoked key signs a new targets version
    with pytest.raises(VerificationError, match="UnsignedMetadataError"):
        _offer(repo, server, device)


def test_rollback_to_older_metadata_is_refused(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    repo.release(2)
    saved = tmp_path / "old-metadata"
    shutil.copytree(repo.store.metadata_dir, saved)
    repo.release(3)
    assert _offer(repo, server, device) == 3
    shutil.rmtree(repo.store.metadata_dir)
    shutil.copytree(saved, repo.store.metadata_dir)  # the server replays the v2 world
    with pytest.raises(VerificationError, match="BadVersionNumberError"):
        _offer(repo, server, device)


def test_frozen_metadata_is_refused(repo: Repo, server: RepoServer, tmp_path: Path) -> None:
    repo.release(2)
    md: Metadata[Any] = Metadata.from_bytes(repo.store.read("timestamp"))
    md.signed.version += 1
    md.signed.expires = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    md.signatures.clear()
    md.sign(repo.online.timestamp)
    repo.store.write("timestamp", md.signed.version, md.to_bytes(JSONSerializer(False)))
    with pytest.raises(VerificationError, match="ExpiredMetadataError"):
        _offer(repo, server, tmp_path / "device")


def test_mix_and_match_is_refused(repo: Repo, server: RepoServer, tmp_path: Path) -> None:
    repo.release(2)
    v = repo.store.latest_version("targets")
    older = repo.store.metadata_dir / f"{v - 1}.targets.json"
    shutil.copy2(older, repo.store.metadata_dir / f"{v}.targets.json")  # right name, other version
    with pytest.raises(VerificationError, match="BadVersionNumberError"):
        _offer(repo, server, tmp_path / "device")
