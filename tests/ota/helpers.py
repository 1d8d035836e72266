"""Building blocks of the OTA tests: keys, a repository with releases, a device client."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from securesystemslib.signer import CryptoSigner

from cloud_hub.updates import OnlineSigners, refresh
from edge_agent.inference.config import InferenceConfig
from edge_agent.update.manager import UpdateManager
from edge_agent.update.policy import UpdatePolicy
from edge_agent.update.slots import Slots
from edge_agent.update.state import StateFile
from edge_agent.update.updater import TufClient
from pm25.manifest import load_manifest, write_manifest
from pm25.ota import RepositoryFiles
from tests.edge_agent.model_factory import build_fixture_model
from training.signing.keys import KeyFile, generate_key, load_signer
from training.signing.repo import add_release, init_repository
from training.signing.store import RepositoryStore


@dataclass
class Keys:
    dir: Path
    files: dict[str, list[KeyFile]]

    def signers(self, role: str) -> list[CryptoSigner]:
        return [load_signer(k.path, k.role) for k in self.files[role]]

    def signer(self, role: str) -> CryptoSigner:
        return self.signers(role)[0]


def make_keys(keys_dir: Path) -> Keys:
    counts = {"root": 3, "targets": 1, "snapshot": 1, "timestamp": 1}
    files = {role: [generate_key(keys_dir, role) for _ in range(n)]  # type: ignore[arg-type]
             for role, n in counts.items()}  # fmt: skip
    return Keys(keys_dir, files)


def online_dir(keys: Keys, where: Path) -> Path:
    """A directory holding only the hub's keys, as deployed."""
    where.mkdir()
    for role in ("snapshot", "timestamp"):
        shutil.copy2(keys.files[role][0].path, where / keys.files[role][0].path.name)
    return where


def release_folder(template: Path, where: Path, version: int, shift: float = 0.0) -> Path:
    """A copy of the fixture release at `version` (goldens shifted by `shift`); its manifest."""
    shutil.copytree(template, where)
    manifest = load_manifest(template / "manifest.json")
    golden = tuple(g.model_copy(update={"expected_pm25": g.expected_pm25 + shift})
                   for g in manifest.golden)  # fmt: skip
    manifest = manifest.model_copy(update={"version": version, "golden": golden})
    write_manifest(manifest, where / "manifest.json")
    return where / "manifest.json"


@dataclass
class Repo:
    store: RepositoryStore
    keys: Keys
    online: OnlineSigners
    template: Path
    work: Path

    def release(self, version: int, shift: float = 0.0) -> None:
        folder = self.work / f"release-{version}-{shift}"
        manifest = release_folder(self.template, folder, version, shift)
        add_release(self.store, manifest, self.keys.signer("targets"))
        refresh(RepositoryFiles(self.store.root), self.online)

    def client(self, url: str, device_dir: Path) -> TufClient:
        return TufClient(metadata_dir=device_dir / "tuf", partial_dir=device_dir / "partial",
                         repo_url=url, bootstrap_root=self.store.read("root", 1),
                         timeout_s=5.0)  # fmt: skip


def make_repo(tmp: Path, template: Path) -> Repo:
    keys = make_keys(tmp / "keys")
    store = RepositoryStore(tmp / "repo")
    init_repository(store, keys.signers("root"), 2,
                    {r: [keys.signer(r).public_key] for r in ("targets", "snapshot", "timestamp")},
                    keys.signer("targets"))  # fmt: skip
    online = OnlineSigners.load(online_dir(keys, tmp / "hub-keys"))
    refresh(RepositoryFiles(store.root), online)
    return Repo(store, keys, online, template, tmp)


def build_template(where: Path) -> Path:
    build_fixture_model(where, int8=False)
    return where


def provision(device: Path, template: Path, version: int = 1) -> Slots:
    """A device with release `version` of the template active in slot a."""
    slots = Slots(device / "models")
    release_folder(template, slots.path("a"), version)
    slots.activate("a")
    return slots


INFERENCE = InferenceConfig(warmup_runs=0, timing_runs=1)


def make_manager(
    repo_dir: Path,
    url: str,
    device: Path,
    policy: UpdatePolicy | None = None,
    **kwargs: Any,
) -> UpdateManager:
    files = RepositoryFiles(repo_dir)
    client = TufClient(
        metadata_dir=device / "tuf",
        partial_dir=device / "partial",
        repo_url=url,
        bootstrap_root=files.read("root", 1),
        timeout_s=5.0,
    )
    return UpdateManager(
        client=client,
        slots=Slots(device / "models"),
        state=StateFile(device / "update-state.json"),
        policy=policy or UpdatePolicy(),
        inference=INFERENCE,
        model_name="fixture",
        **kwargs,
    )
