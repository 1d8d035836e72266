"""Device-side verified download over real HTTP, and the attacks TUF must stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.update.errors import TransferError, VerificationError
from pm25.manifest import sha256_file
from tests.ota.helpers import Repo
from tests.ota.server import RepoServer


def test_release_is_offered_and_downloaded_verified(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    repo.release(2)
    client = repo.client(server.url, tmp_path / "device")
    offer = client.check("fixture")
    assert offer is not None and offer.info.version == 2
    manifest = client.download(offer, tmp_path / "slot")
    assert manifest.version == 2
    for artifact in manifest.artifacts:
        assert sha256_file(tmp_path / "slot" / artifact.filename) == artifact.sha256


def test_nothing_published_is_no_offer(repo: Repo, server: RepoServer, tmp_path: Path) -> None:
    assert repo.client(server.url, tmp_path / "device").check("fixture") is None


def test_tampered_model_file_is_refused(repo: Repo, server: RepoServer, tmp_path: Path) -> None:
    repo.release(2)
    client = repo.client(server.url, tmp_path / "device")
    offer = client.check("fixture")
    assert offer is not None
    server.faults.tamper = True
    with pytest.raises(VerificationError, match="LengthOrHashMismatch"):
        client.download(offer, tmp_path / "slot")
    assert list((tmp_path / "device" / "partial").iterdir()) == []  # never resumed from


def test_endless_data_is_cut_at_the_signed_length(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    repo.release(2)
    client = repo.client(server.url, tmp_path / "device")
    offer = client.check("fixture")
    assert offer is not None
    server.faults.endless = True
    with pytest.raises(VerificationError, match="DownloadLengthMismatch"):
        client.download(offer, tmp_path / "slot")
    assert client.fetcher.bytes_received < offer.target.length + 128 * 1024


def test_interrupted_download_resumes_with_range(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    repo.release(2)
    client = repo.client(server.url, tmp_path / "device")
    offer = client.check("fixture")
    assert offer is not None
    server.faults.cut_after = 40_000  # into the manifest (56 KB), the first target fetched
    with pytest.raises(TransferError):
        client.download(offer, tmp_path / "slot")
    partial = list((tmp_path / "device" / "partial").iterdir())
    assert len(partial) == 1
    have = partial[0].stat().st_size
    assert 0 < have <= 40_000
    manifest = client.download(offer, tmp_path / "slot")
    assert server.faults.ranges == [f"bytes={have}-"]
    for artifact in manifest.artifacts:
        assert sha256_file(tmp_path / "slot" / artifact.filename) == artifact.sha256
