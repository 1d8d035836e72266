"""Release signing: key files, root chain rotation with a threshold, refusals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tuf.api.metadata import Metadata

from pm25.ota import ReleaseInfo, manifest_target
from tests.ota.helpers import Repo, release_folder
from tests.ota.server import RepoServer
from training.signing.errors import KeyFileError, RepositoryError
from training.signing.keys import generate_key, load_public, load_signer
from training.signing.repo import add_release, change_keys


def test_key_file_is_private_and_role_checked(tmp_path: Path) -> None:
    key = generate_key(tmp_path, "targets")
    assert os.stat(key.path).st_mode & 0o777 == 0o600
    assert load_signer(key.path, "targets").public_key.keyid == key.keyid
    with pytest.raises(KeyFileError, match="not a snapshot key"):
        load_signer(key.path, "snapshot")
    os.chmod(key.path, 0o644)
    with pytest.raises(KeyFileError, match="readable by others"):
        load_signer(key.path, "targets")


def test_encrypted_key_needs_its_passphrase(tmp_path: Path) -> None:
    key = generate_key(tmp_path, "root", passphrase=b"correct horse")
    assert b"ENCRYPTED" in key.path.read_bytes()
    assert load_signer(key.path, "root", b"correct horse").public_key.keyid == key.keyid
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_signer(key.path, "root", b"wrong")


def test_release_carries_signed_custom_metadata(repo: Repo) -> None:
    repo.release(2)
    targets = repo.store.load("targets").signed
    info = ReleaseInfo.from_custom(targets.targets[manifest_target("fixture")].custom)
    assert (info.name, info.version, info.label) == ("fixture", 2, "test-fixture")


def test_older_or_same_release_is_refused(repo: Repo, tmp_path: Path) -> None:
    repo.release(3)
    manifest = release_folder(repo.template, tmp_path / "old", 3)
    with pytest.raises(RepositoryError, match="not newer than the published v3"):
        add_release(repo.store, manifest, repo.keys.signer("targets"))


def test_tampered_release_is_refused_at_signing(repo: Repo, tmp_path: Path) -> None:
    manifest = release_folder(repo.template, tmp_path / "bad", 2)
    (manifest.parent / "model_fp32.onnx").write_bytes(b"not the model")
    with pytest.raises(RepositoryError, match="release refused"):
        add_release(repo.store, manifest, repo.keys.signer("targets"))


def test_root_rotation_needs_old_threshold_and_new_key(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    old = repo.keys.signers("root")
    new_key = generate_key(repo.keys.dir, "root")
    new = load_signer(new_key.path, "root")
    with pytest.raises(RepositoryError, match="would be refused by devices"):
        change_keys(repo.store, "root", add=[load_public(new_key.path)],
                    remove=[old[0].public_key.keyid], old_root_signers=old[:1],
                    new_root_signers=[new])  # fmt: skip
    assert repo.store.latest_version("root") == 1
    v2 = change_keys(repo.store, "root", add=[load_public(new_key.path)],
                     remove=[old[0].public_key.keyid], old_root_signers=old[:2],
                     new_root_signers=[new])  # fmt: skip
    # v3 signed only by current keys: the removed key no longer counts
    v3 = change_keys(repo.store, "root", threshold=2, old_root_signers=[old[1], new],
                     new_root_signers=[])  # fmt: skip
    assert (v2, v3) == (2, 3)
    repo.release(2)
    device = tmp_path / "device"
    offer = repo.client(server.url, device).check("fixture")
    assert offer is not None and offer.info.version == 2
    assert Metadata.from_file(str(device / "tuf" / "root.json")).signed.version == 3


def test_revoking_below_threshold_is_refused(repo: Repo) -> None:
    root = repo.keys.signers("root")
    with pytest.raises(RepositoryError, match="1 keys for threshold 2"):
        change_keys(repo.store, "root", remove=[s.public_key.keyid for s in root[:2]],
                    old_root_signers=root)  # fmt: skip
