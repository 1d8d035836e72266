"""The releases the hub serves, read from its TUF repository directory (the files it serves).

This is a catalogue for people, not a verification step: devices verify everything themselves.
The current release of each model family is the ``<name>/manifest.json`` target (its custom
metadata is a ``pm25.ota.ReleaseInfo``); earlier versions are known from their artifact paths
``<name>/v<version>/<file>``. The manifest of the current release gives metrics; a model card is
shown when the release published one as ``<name>/v<version>/MODEL_CARD.md``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloud_hub.errors import NotFound, StoreUnavailable
from pm25.errors import ManifestError
from pm25.ota import (
    METADATA_DIR,
    TARGETS_DIR,
    ReleaseInfo,
    RepositoryFiles,
    artifact_target,
    target_filename,
)

_ARTIFACT = re.compile(r"^([a-z0-9][a-z0-9_-]{0,63})/v(\d{1,9})/[^/]+$")
CARD = "MODEL_CARD.md"
MAX_CARD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Release:
    name: str
    version: int
    current: bool
    label: str | None = None
    files: tuple[str, ...] = ()
    metrics: dict[str, Any] = field(default_factory=dict)
    model_card: str | None = None


class ReleaseCatalogue:
    """Releases in a repository directory; an absent directory is an empty catalogue."""

    def __init__(self, repo_dir: Path | None) -> None:
        self._dir = repo_dir

    def _targets(self) -> dict[str, Any]:
        if self._dir is None or not (self._dir / METADATA_DIR).exists():
            return {}
        files = RepositoryFiles(self._dir)
        if files.latest_version("targets") == 0:
            return {}
        try:
            signed = json.loads(files.read("targets"))["signed"]
            targets: dict[str, Any] = signed["targets"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise StoreUnavailable(f"update repository unreadable: {e}") from e
        return targets

    def list(self) -> list[Release]:
        targets = self._targets()
        current: dict[str, ReleaseInfo] = {}
        for meta in targets.values():
            try:
                info = ReleaseInfo.from_custom(meta.get("custom"))
            except ManifestError:
                continue
            current[info.name] = info
        files: dict[tuple[str, int], list[str]] = {}
        for path in targets:
            if m := _ARTIFACT.match(path):
                files.setdefault((m[1], int(m[2])), []).append(path.rsplit("/", 1)[1])
        out = []
        for (name, version), names in sorted(files.items()):
            now = current.get(name)
            is_current = now is not None and now.version == version
            label = now.label if now is not None and is_current else None
            out.append(Release(name, version, is_current, label, tuple(sorted(names))))
        return out

    def get(self, name: str, version: int) -> Release:
        found = [r for r in self.list() if r.name == name and r.version == version]
        if not found:
            raise NotFound(f"release {name} v{version} is not in the update repository")
        release = found[0]
        targets = self._targets()
        metrics: dict[str, Any] = {}
        if release.current:
            manifest = self._read(targets, f"{name}/manifest.json")
            if manifest is not None:
                metrics = json.loads(manifest).get("metrics", {})
        card = self._read(targets, artifact_target(name, version, CARD))
        text = card.decode("utf-8", errors="replace")[:MAX_CARD_BYTES] if card else None
        return Release(name, version, release.current, release.label, release.files,
                       metrics, text)  # fmt: skip

    def read_file(self, name: str, version: int, filename: str) -> bytes | None:
        """A file the release published next to its artifacts (e.g. ``drift-reference.json``)."""
        return self._read(self._targets(), artifact_target(name, version, filename))

    def _read(self, targets: dict[str, Any], path: str) -> bytes | None:
        meta = targets.get(path)
        if meta is None or self._dir is None:
            return None
        sha = meta.get("hashes", {}).get("sha256", "")
        try:
            return (self._dir / TARGETS_DIR / target_filename(path, sha)).read_bytes()
        except OSError:
            return None
