"""The retrain loop end to end on this CPU, with field cameras the baseline never saw.

Field data: simulated cameras with scene seeds outside the training range, in a humid city
(`HUMID_CITY`) with a more hygroscopic aerosol, written in the real-data format with monitor
noise (what `cloud-hub dataset export` writes). Champion: a small model trained on simulation
only. The warm-started challenger (half field rows) must win on held-out field cameras, be
signed into a real TUF repository, show its report link on the hub's release page, upload its
report to a real hub served over HTTP and start a 5 % canary rollout there. Then a deliberately
worse challenger (from scratch, one epoch) must be refused with the reasons in its report, and
that report must reach the hub too.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pm25.manifest import load_manifest
from tests.cloud_hub.hub_support import running_hub
from tests.cloud_hub.served_hub import ServedHub, served_hub
from tests.ota.helpers import make_keys
from training.cli import main
from training.config import (
    ExportConfig,
    ModelConfig,
    PipelineConfig,
    SplitConfig,
    SynthConfig,
    TrainConfig,
)
from training.mix import MixConfig
from training.pipeline import run_pipeline
from training.retrain.config import GateConfig, RetrainConfig
from training.retrain.field import FieldSpec, render_field_dataset
from training.retrain.publish import HubTarget, PublishError, create_rollout
from training.signing.repo import init_repository
from training.signing.store import RepositoryStore

MODEL = ModelConfig(channels=(8, 16, 32, 48), hidden=32)
TRAIN = TrainConfig(epochs=16, patience=16, batch_size=16, ema_decay=0.9, threads=2, device="cpu")
EXPORT = ExportConfig(calibration_frames=120, golden_count=2)


def sim(seed: int, cameras: int) -> SynthConfig:
    return SynthConfig(seed=seed, cameras=cameras, frames_per_camera=8, width=640, height=360,
                       workers=1)  # fmt: skip


def retrain_config(epochs: int) -> RetrainConfig:
    return RetrainConfig(
        synth=sim(7, 16),
        split=SplitConfig(val_fraction=0.15, test_fraction=0.25, time_holdout_fraction=0.0),
        real_split=SplitConfig(val_fraction=0.1, test_fraction=0.3, time_holdout_fraction=0.2),
        mix=MixConfig(real=0.5, sim=0.5),
        model=MODEL,
        train=TRAIN.model_copy(update={"epochs": epochs, "patience": epochs, "lr": 1e-3}),
        export=EXPORT,
        gate=GateConfig(sim_tolerance=0.5),
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Field data, a sim-only champion (with its weights), keys and an update repository."""
    tmp = tmp_path_factory.mktemp("loop")
    render_field_dataset(FieldSpec(cameras=12, frames_per_camera=20), tmp / "field")
    champion = PipelineConfig(
        synth=sim(3, 30),
        split=SplitConfig(val_fraction=0.15, test_fraction=0.15, time_holdout_fraction=0.0),
        model=MODEL, train=TRAIN, export=EXPORT,
    )  # fmt: skip
    run_pipeline(champion, tmp / "champion")
    keys = make_keys(tmp / "keys")
    store = RepositoryStore(tmp / "repo")
    init_repository(store, keys.signers("root"), 2,
                    {r: [keys.signer(r).public_key] for r in ("targets", "snapshot", "timestamp")},
                    keys.signer("targets"))  # fmt: skip
    for name, epochs in (("good", 6), ("bad", 1)):
        data = retrain_config(epochs).model_dump(mode="json")
        (tmp / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return {"tmp": tmp, "field": tmp / "field", "champion": tmp / "champion" / "release",
            "repo": store.root, "key": keys.files["targets"][0].path}  # fmt: skip


def run_cli(args: list[str]) -> dict[str, Any]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(args)
    assert code == 0, buf.getvalue()
    result: dict[str, Any] = json.loads(buf.getvalue())
    return result


@pytest.fixture(scope="module")
def served(world: dict[str, Path]) -> Iterator[ServedHub]:
    """The hub the runs report to, serving the update repository they sign into."""
    with served_hub(world["tmp"] / "served", rollouts={"repository_dir": str(world["repo"])}) as h:
        yield h


@pytest.fixture(scope="module")
def week1(world: dict[str, Path], served: ServedHub) -> dict[str, Any]:
    """The weekly retrain: warm start from the champion, half field rows, signed, MLflow,
    report and canary rollout on the hub."""
    tmp = world["tmp"]
    live = tmp / "live" / "release"  # a copy the run may replace: release files + model.pt
    shutil.copytree(world["champion"], live)
    shutil.copyfile(world["champion"].parent / "model.pt", live.parent / "model.pt")
    return run_cli(["retrain", "--champion", str(live), "--install-champion",
                   "--real", str(world["field"]),
                   "--config", str(tmp / "good.yaml"), "--work", str(tmp / "week1"),
                   "--trigger", "weekly", "--repo", str(world["repo"]),
                   "--targets-key", str(world["key"]), "--report-url", "https://hub/r/week1",
                   "--hub-url", served.url, "--hub-token", served.tokens["operator"],
                   "--tracking-uri", f"sqlite:///{tmp / 'mlflow.db'}"])  # fmt: skip


def test_challenger_wins_is_signed_reported_and_a_canary_rollout_starts(
    world: dict[str, Path], week1: dict[str, Any], served: ServedHub
) -> None:
    tmp, out = world["tmp"], week1
    assert out["promoted"], out["reasons"]
    decision = json.loads((tmp / "week1" / "retrain-report" / "decision.json").read_text())
    field = decision["evaluations"]["field"]
    champ, chall = field["champion"]["overall"]["rmse"], field["challenger"]["overall"]["rmse"]
    assert chall <= 0.95 * champ
    print(f"\nfield RMSE champion {champ:.1f} → challenger {chall:.1f}; by band:",
          {b: (round(field["champion"]["by_band"][b]["rmse"], 1),
               round(field["challenger"]["by_band"][b]["rmse"], 1))
           for b in field["champion"]["by_band"]}, "seconds:", out["seconds"])  # fmt: skip
    assert "registered version 1" in out["mlflow"]
    live = tmp / "live" / "release"  # installed: the next run compares against v2, starts from it
    assert load_manifest(live / "manifest.json").version == 2 and (live / "model.pt").is_file()
    report = (tmp / "week1" / "retrain-report" / "report.md").read_text()
    assert report.startswith("# Retrain report: challenger PROMOTED")
    for png in ("bands.png", "devices.png"):
        assert (tmp / "week1" / "retrain-report" / png).read_bytes()[:4] == b"\x89PNG"
    assert out["rollout_request"] is None  # a hub was given: the rollout was created there
    assert (out["rollout"]["state"], out["rollout"]["stage"]) == ("running", 0)
    assert out["rollout"]["stages"] == [0.05, 0.25, 1.0]
    # The report reached the hub before the rollout, filed under the release it made.
    [listed] = served.get("/api/v1/retrain-reports", model_name="pm25-haze", version=2).json()
    assert (listed["id"], listed["promoted"], listed["champion_version"]) == (
        out["report_id"], True, 1)  # fmt: skip
    assert listed["challenger_rmse"] == pytest.approx(chall)
    hub_md = served.get(f"/api/v1/retrain-reports/{out['report_id']}/files/report.md").text
    assert (
        hub_md.startswith("# Retrain report: challenger PROMOTED")
        and "signed pm25-haze v2" in hub_md
    )
    assert f"**report upload**: {out['report_id']}" in report  # the local copy says where it went
    r = served.get("/api/v1/releases/pm25-haze/2")
    assert r.status_code == 200
    assert "Retrain report: https://hub/r/week1" in r.json()["model_card"]


def test_create_rollout_through_the_api_and_its_refusal(
    world: dict[str, Path], tmp_path: Path
) -> None:
    """The HubTarget path (httpx; here the hub app's own client), and a refusal as an error."""
    name = load_manifest(world["champion"] / "manifest.json").name
    with running_hub(tmp_path, rollouts={"repository_dir": str(world["repo"])}) as hub:
        target = HubTarget("http://testserver", hub.tokens["operator"], hub.client)
        body = {"model_name": name, "version": 1, "start": False}
        with pytest.raises(PublishError, match=r"hub refused the rollout \(422\).*not published"):
            create_rollout(body, target)
        viewer = HubTarget("http://testserver", hub.tokens["viewer"], hub.client)
        with pytest.raises(PublishError, match="403"):
            create_rollout(body, viewer)


def test_a_worse_challenger_is_refused_with_a_clear_report(
    world: dict[str, Path], week1: dict[str, Any], served: ServedHub
) -> None:
    """Against last week's promoted model: a from-scratch, one-epoch challenger."""
    tmp, champion = world["tmp"], week1["release_dir"]
    out = run_cli(["retrain", "--champion", champion, "--real", str(world["field"]),
                   "--config", str(tmp / "bad.yaml"), "--work", str(tmp / "broken"),
                   "--scratch", "--no-mlflow", "--trigger", "drift:field-50004",
                   "--hub-url", served.url, "--hub-token", served.tokens["operator"]])  # fmt: skip
    assert not out["promoted"]
    assert any(r.startswith("FAILED: field RMSE gain") for r in out["reasons"])
    report = Path(out["report"]).read_text()
    assert report.startswith("# Retrain report: challenger REFUSED")
    assert "FAILED: field RMSE gain" in report and "drift:field-50004" in report
    assert out["rollout_request"] is None and not (tmp / "broken" / "rollout-request.json").exists()
    assert out["rollout"] is None
    # The refused report is on the hub too: newest first, with the reasons.
    newest = served.get("/api/v1/retrain-reports").json()[0]
    assert (newest["id"], newest["promoted"], newest["trigger"]) == (
        out["report_id"], False, "drift:field-50004")  # fmt: skip
    detail = served.get(f"/api/v1/retrain-reports/{out['report_id']}").json()
    assert any(r.startswith("FAILED: field RMSE gain") for r in detail["reasons"])
