"""The hub picks up a release's drift-reference.json from the signed update repository."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud_hub.loop.references import store_reference, sync_from_releases
from cloud_hub.loop.tables import DriftReference
from cloud_hub.registry import Registry
from cloud_hub.rollouts.releases import ReleaseCatalogue
from pm25.drift_bins import REFERENCE_FILE, reference_json
from tests.ota.helpers import Repo, build_template, make_repo, release_folder
from training.signing.repo import add_release

COUNTS = {"pm25": [5] * 10, "flags": [50] + [0] * 7, "edge_density": list(range(1, 11))}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("template") / "release")


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    reg = Registry.open(registry_url)
    yield reg
    reg.close()


def _release(repo: Repo, version: int, reference: bytes | None) -> None:
    manifest = release_folder(repo.template, repo.work / f"rel-{version}", version)
    if reference is not None:
        (manifest.parent / REFERENCE_FILE).write_bytes(reference)
    add_release(repo.store, manifest, repo.keys.signer("targets"))


def _stored(registry: Registry) -> dict[int, dict[str, list[int]]]:
    with registry.session() as s:
        out: dict[int, dict[str, list[int]]] = {}
        for r in s.scalars(select(DriftReference)):
            out.setdefault(r.model_version, {})[r.signal] = list(r.counts)
        return out


def test_signing_publishes_the_reference_and_the_hub_stores_it(
    registry: Registry, template: Path, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path, template)
    name = json.loads((template / "manifest.json").read_text())["name"]
    _release(repo, 2, reference_json(name, 2, COUNTS))
    _release(repo, 3, None)  # an older-style release: nothing to pick up
    catalogue = ReleaseCatalogue(repo.store.root)
    assert catalogue.read_file(name, 2, REFERENCE_FILE) == reference_json(name, 2, COUNTS)
    tried: set[tuple[str, int]] = set()
    assert sync_from_releases(registry, repo.store.root, 100.0, tried) == [2]
    assert _stored(registry) == {2: COUNTS}
    assert sync_from_releases(registry, repo.store.root, 200.0, set()) == []  # stored once


def test_an_operators_reference_wins_and_bad_signals_are_left_out(
    registry: Registry, template: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = make_repo(tmp_path, template)
    name = json.loads((template / "manifest.json").read_text())["name"]
    store_reference(registry, 2, {"pm25": [1] * 10}, 1.0)
    _release(repo, 2, reference_json(name, 2, COUNTS))
    doc = json.loads(reference_json(name, 3, COUNTS))
    doc["edges"]["edge_density"][0] = 0.1  # binned by a build with other edges
    _release(repo, 3, json.dumps(doc).encode())
    _release(repo, 4, reference_json(name, 5, COUNTS))  # made for another version
    tried: set[tuple[str, int]] = set()
    with caplog.at_level(logging.WARNING):
        assert sync_from_releases(registry, repo.store.root, 100.0, tried) == [3]
    assert _stored(registry) == {
        2: {"pm25": [1] * 10},
        3: {"pm25": [5] * 10, "flags": [50] + [0] * 7},
    }
    assert "v3: signal 'edge_density': binned with other edges" in caplog.text
    assert "v4: made for version 5, not 4" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):  # a bad file is read and logged once
        assert sync_from_releases(registry, repo.store.root, 200.0, tried) == []
    assert caplog.text == ""


def test_no_repository_no_references(registry: Registry, tmp_path: Path) -> None:
    assert sync_from_releases(registry, None, 1.0, set()) == []
    assert sync_from_releases(registry, tmp_path / "absent", 1.0, set()) == []
