"""The retrain report goes to the hub (promoted and refused runs), and a failed upload loses
nothing: the folder stays, the run says how to send it later, and only a rollout that could not
be created stops the command. Real hub apps: in-process (TestClient) and over HTTP (uvicorn)."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pm25.ota import ReleaseInfo
from tests.cloud_hub.hub_support import HubClient, running_hub
from tests.cloud_hub.served_hub import ServedHub, free_port, served_hub
from training import metrics
from training.cli import main
from training.retrain.config import RolloutConfig
from training.retrain.handover import Outcome, Promotion, hand_over
from training.retrain.policy import Check, Decision
from training.retrain.publish import HubTarget, PublishError
from training.retrain.report import RunId, write_report
from training.retrain.upload import upload_body, upload_report

RNG = np.random.default_rng(0)


def evaluation(bias: float) -> dict[str, Any]:
    truth = RNG.uniform(5, 90, 60)
    pred = truth + bias + RNG.normal(0, 3, 60)
    out: dict[str, Any] = dict(metrics.evaluate(pred, np.full(60, 5.0), truth))
    out["by_device"] = {f"cam-{i}": metrics.errors(pred[i::3], truth[i::3]) for i in range(3)}
    return out


def make_report(folder: Path, promote: bool) -> Decision:
    decision = Decision(promote, (Check("field RMSE gain", promote, "gain 40 %"),))
    evals = {"field": {"champion": evaluation(20.0), "challenger": evaluation(2.0)}}
    facts = {"trigger": "weekly", "champion": "pm25-haze v1"}
    write_report(folder, evals, decision, facts, RunId("pm25-haze", 1, 2, "weekly"))
    return decision


def outcome(folder: Path, promote: bool, signed: bool = False) -> Outcome:
    decision = make_report(folder, promote)
    info = {"name": "pm25-haze", "version": 2, "label": "r", "manifest_sha256": "0" * 64}
    release = ReleaseInfo.model_validate(info) if signed else None
    return Outcome(promote, decision, folder / "report.md", folder, "pm25-haze", 2, {"x": 1},
                   release=release)  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedHub]:
    with served_hub(tmp_path_factory.mktemp("served")) as hub:
        yield hub


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubClient]:
    with running_hub(tmp_path) as h:
        yield h


def target(hub: HubClient, role: str = "operator") -> HubTarget:
    return HubTarget("http://testserver", hub.tokens[role], hub.client)


def test_a_report_folder_arrives_whole_with_its_headline(hub: HubClient, tmp_path: Path) -> None:
    folder = tmp_path / "retrain-report"
    make_report(folder, promote=True)
    report_id = upload_report(folder, target(hub))
    [listed] = hub.client.get("/api/v1/retrain-reports", headers=hub.headers("viewer")).json()
    assert (listed["id"], listed["promoted"], listed["trigger"]) == (report_id, True, "weekly")
    assert (listed["champion_version"], listed["challenger_version"]) == (1, 2)
    decision = json.loads((folder / "decision.json").read_text())
    field = decision["evaluations"]["field"]
    assert listed["champion_rmse"] == pytest.approx(field["champion"]["overall"]["rmse"])
    assert listed["challenger_rmse"] < listed["champion_rmse"]
    assert listed["field_frames"] == 60
    for name in ("report.md", "decision.json", "bands.png", "devices.png"):
        r = hub.client.get(f"/api/v1/retrain-reports/{report_id}/files/{name}",
                           headers=hub.headers("viewer"))  # fmt: skip
        assert r.content == (folder / name).read_bytes(), name


def test_refused_run_uploads_and_a_failed_upload_is_noted_not_fatal(
    hub: HubClient, tmp_path: Path
) -> None:
    out = outcome(tmp_path / "r", promote=False)
    hand_over(out, RolloutConfig(), Promotion(hub=target(hub)), tmp_path)
    assert out.report_id is not None and out.facts["report upload"].startswith(out.report_id)
    assert out.rollout is None and out.rollout_request is None
    # A viewer token: the hub says 403; the run goes on and says how to send the folder later.
    again = outcome(tmp_path / "v", promote=False)
    hand_over(again, RolloutConfig(), Promotion(hub=target(hub, "viewer")), tmp_path)
    assert again.report_id is None
    note = again.facts["report upload"]
    assert "FAILED" in note and "403" in note and f"upload-report {tmp_path / 'v'}" in note
    assert (tmp_path / "v" / "report.md").is_file() and (tmp_path / "v" / "bands.png").is_file()


def test_no_hub_writes_the_rollout_request_and_uploads_nothing(tmp_path: Path) -> None:
    out = outcome(tmp_path / "r", promote=True, signed=True)
    hand_over(out, RolloutConfig(), Promotion(), tmp_path)
    assert out.report_id is None and "report upload" not in out.facts
    assert json.loads((tmp_path / "rollout-request.json").read_text())["version"] == 2


def test_hub_down_the_report_stays_and_the_rollout_failure_stops_the_run(tmp_path: Path) -> None:
    down = HubTarget(f"http://127.0.0.1:{free_port()}", "token")
    out = outcome(tmp_path / "r", promote=True, signed=True)
    with pytest.raises(PublishError, match="unreachable"):
        hand_over(out, RolloutConfig(), Promotion(hub=down), tmp_path)
    assert "FAILED" in out.facts["report upload"] and "FAILED" in out.facts["rollout"]
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "bands.png", "decision.json", "devices.png", "report.md"]  # fmt: skip


def test_a_folder_without_a_run_block_is_named(tmp_path: Path) -> None:
    (tmp_path / "decision.json").write_text(json.dumps({"promote": False}))
    with pytest.raises(PublishError, match="has no run block"):
        upload_body(tmp_path)
    with pytest.raises(PublishError, match=r"no readable decision\.json"):
        upload_body(tmp_path / "missing")


def cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def test_upload_report_command_over_http(served: ServedHub, tmp_path: Path) -> None:
    folder = tmp_path / "retrain-report"
    make_report(folder, promote=False)
    code, out, err = cli(["upload-report", str(folder), "--hub-url", served.url,
                          "--hub-token", served.tokens["operator"]])  # fmt: skip
    assert code == 0, err
    report_id = json.loads(out)["report_id"]
    listed = served.get("/api/v1/retrain-reports").json()
    assert [r["id"] for r in listed if r["id"] == report_id] == [report_id]
    code, _, err = cli(["upload-report", str(folder), "--hub-url", served.url,
                        "--hub-token", served.tokens["viewer"]])  # fmt: skip
    assert code == 1 and "hub refused the report upload (403)" in err
    code, _, err = cli(["upload-report", str(folder), "--hub-url", served.url])
    assert code == 1 and "needs an operator token" in err
