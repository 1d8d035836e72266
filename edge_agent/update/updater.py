"""`TufClient`: the device's thin I/O shell around `tuf.ngclient.Updater`.

ngclient does the security: signatures and thresholds, root rotation chain, version rollback,
expiry, snapshot/targets consistency (mix-and-match), and lengths and hashes of every target.
This module only picks target names (`pm25.ota`), maps ngclient's errors to ours once, and
checks that the manifest it got is the release the signed custom metadata announced.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import TargetFile
from tuf.ngclient import Updater

from edge_agent.update.errors import TransferError, VerificationError
from edge_agent.update.fetcher import ResumableFetcher
from pm25.errors import ManifestError
from pm25.manifest import ModelManifest, load_manifest, sha256_file
from pm25.ota import ReleaseInfo, artifact_target, manifest_target


@dataclass(frozen=True)
class Offer:
    """A release the repository offers, as signed by the targets key."""

    info: ReleaseInfo
    target: TargetFile


class TufClient:
    """Refresh trusted metadata and download releases of one model family, verified."""

    def __init__(
        self,
        *,
        metadata_dir: Path,
        partial_dir: Path,
        repo_url: str,
        bootstrap_root: bytes,
        timeout_s: float = 30.0,
    ) -> None:
        self.metadata_dir = metadata_dir
        self.repo_url = repo_url.rstrip("/")
        self.fetcher = ResumableFetcher(partial_dir, timeout_s)
        self._bootstrap = bootstrap_root
        self._updater: Updater | None = None

    def _new_updater(self) -> Updater:
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        trusted = self.metadata_dir / "root.json"
        return Updater(
            metadata_dir=str(self.metadata_dir),
            metadata_base_url=f"{self.repo_url}/metadata/",
            target_base_url=f"{self.repo_url}/targets/",
            fetcher=self.fetcher,
            bootstrap=trusted.read_bytes() if trusted.exists() else self._bootstrap,
        )

    def check(self, name: str) -> Offer | None:
        """Refresh metadata; the signed release of `name`, or None if none is published."""
        with _mapped("refresh"):
            self._updater = self._new_updater()
            self._updater.refresh()
            target = self._updater.get_targetinfo(manifest_target(name))
        if target is None:
            return None
        try:
            info = ReleaseInfo.from_custom(target.unrecognized_fields.get("custom"))
        except ManifestError as e:
            raise VerificationError(f"{manifest_target(name)}: {e}") from e
        if info.name != name:
            raise VerificationError(f"{manifest_target(name)} announces model {info.name!r}")
        return Offer(info, target)

    def download(self, offer: Offer, dest: Path) -> ModelManifest:
        """Download the offered manifest and its artifacts into `dest`, each verified."""
        if self._updater is None:
            raise VerificationError("download before check: no trusted metadata loaded")
        updater, info = self._updater, offer.info
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / "manifest.json"
        with _mapped("manifest"):
            updater.download_target(offer.target, str(path))
        try:
            manifest = load_manifest(path)
        except ManifestError as e:
            raise VerificationError(f"signed manifest unusable: {e}") from e
        if not hmac.compare_digest(sha256_file(path), info.manifest_sha256) or (
            (manifest.name, manifest.version) != (info.name, info.version)
        ):
            raise VerificationError(f"manifest is not {info.name} v{info.version} as announced")
        for artifact in manifest.artifacts:
            name = artifact_target(info.name, info.version, artifact.filename)
            with _mapped(name):
                target = updater.get_targetinfo(name)
                if target is None:
                    raise VerificationError(f"{name}: not in signed targets metadata")
                updater.download_target(target, str(dest / artifact.filename))
        return manifest


@contextmanager
def _mapped(what: str) -> Iterator[None]:
    """Map ngclient errors to ours, once, at this boundary."""
    try:
        yield
    except (tuf_errors.DownloadLengthMismatchError, tuf_errors.RepositoryError) as e:
        raise VerificationError(f"{what}: {type(e).__name__}: {e}") from e
    except tuf_errors.DownloadError as e:
        raise TransferError(f"{what}: {type(e).__name__}: {e}") from e
