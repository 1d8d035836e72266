"""pm25-train keys/release commands (training.signing.cli), end to end with a device check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloud_hub.updates import OnlineSigners, refresh
from pm25.ota import RepositoryFiles
from tests.ota.helpers import make_manager, provision, release_folder
from tests.ota.server import RepoServer
from training.signing.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(list(argv)) == 0
    result: dict[str, object] = json.loads(capsys.readouterr().out)
    return result


def test_generate_init_release_rotate(
    tmp_path: Path, template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys, hub, repo = tmp_path / "keys", tmp_path / "hub", tmp_path / "repo"
    for role, n in (("root", 3), ("targets", 1)):
        _run(capsys, "keys", "generate", "--role", role, "--dir", str(keys), "--count", str(n))
    for role in ("snapshot", "timestamp"):
        _run(capsys, "keys", "generate", "--role", role, "--dir", str(hub))
    for pub in hub.glob("*.pub.json"):  # the hub hands over public halves only
        (keys / pub.name).write_text(pub.read_text())
    assert "private" not in capsys.readouterr().out
    _run(capsys, "keys", "init", "--repo", str(repo), "--dir", str(keys))
    manifest = release_folder(template, tmp_path / "rel", 2)
    targets_key = str(next(keys.glob("targets-*.pem")))
    out = _run(capsys, "release", "--repo", str(repo), "--manifest", str(manifest),
               "--targets-key", targets_key)  # fmt: skip
    assert out["released"] == {**out["released"], "name": "fixture", "version": 2}  # type: ignore[dict-item]
    refresh(RepositoryFiles(repo), OnlineSigners.load(hub))
    roots = sorted(keys.glob("root-*.pem"))
    revoked = roots[0].name.split("-")[1].removesuffix(".pem")
    keyid = json.loads(roots[0].with_suffix(".pub.json").read_text())["keyid"]
    assert keyid.startswith(revoked)
    out = _run(capsys, "keys", "revoke", "--repo", str(repo), "--role", "root", "--remove",
               keyid, "--root-key", str(roots[1]), "--root-key", str(roots[2]))  # fmt: skip
    assert out == {"root_version": 2}
    with RepoServer(repo) as server:
        provision(tmp_path / "device", template)
        report = make_manager(repo, server.url, tmp_path / "device").run_once()
    assert report.outcome == "installed"


def test_release_of_a_broken_manifest_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    key = tmp_path / "k"
    assert main(["keys", "generate", "--role", "targets", "--dir", str(key)]) == 0
    code = main(["release", "--repo", str(tmp_path / "repo"), "--manifest",
                 str(tmp_path / "manifest.json"), "--targets-key",
                 str(next(key.glob("*.pem")))])  # fmt: skip
    assert code == 2
    assert "release refused" in capsys.readouterr().err
