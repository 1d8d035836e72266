"""What a retrain run produced (`Outcome`), where a promotion goes (`Promotion`), and the hand-over
to the hub: the report upload (every run) and the canary rollout (a signed release).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pm25.ota import ReleaseInfo
from training.retrain.config import RolloutConfig
from training.retrain.policy import Decision
from training.retrain.publish import (
    HubTarget,
    PublishError,
    create_rollout,
    rollout_request,
    write_request,
)
from training.retrain.upload import upload_report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Promotion:
    """Where a promoted challenger goes; anything None is skipped (and the report says so)."""

    repo: Path | None = None
    targets_key: Path | None = None
    hub: HubTarget | None = None
    report_url: str | None = None  # how the console reaches the report (default: its path)
    tracking_uri: str | None = None
    mlflow: bool = True
    install: bool = False  # after signing, the challenger becomes the champion folder's content


@dataclass
class Outcome:
    promoted: bool
    decision: Decision
    report: Path
    challenger: Path
    name: str
    version: int
    facts: dict[str, Any] = field(default_factory=dict)
    release: ReleaseInfo | None = None
    rollout: dict[str, Any] | None = None
    rollout_request: Path | None = None
    report_id: str | None = None  # the hub's id of the uploaded report


def hand_over(outcome: Outcome, cfg: RolloutConfig, promotion: Promotion, work: Path) -> None:
    """Report to the hub (every run, when a hub is given), then the canary rollout of a signed
    release. A failed upload is noted and the run goes on: the report stays on disk and can be
    sent later. A failed rollout raises (PublishError): the release would not reach devices."""
    facts, hub, folder = outcome.facts, promotion.hub, outcome.report.parent
    if hub is not None:
        try:
            outcome.report_id = upload_report(folder, hub)
            facts["report upload"] = f"{outcome.report_id} on {hub.url}"
        except PublishError as e:
            log.warning("retrain report not uploaded: %s", e)
            facts["report upload"] = (f"FAILED: {e}. The report stays in {folder}; send it "
                                      f"with `pm25-train upload-report {folder}`")  # fmt: skip
    if outcome.release is None:
        return  # refused, or promoted but not signed: nothing to roll out
    body = rollout_request(outcome.name, outcome.version, cfg)
    if hub is None:
        outcome.rollout_request = write_request(body, work / "rollout-request.json")
        facts["rollout"] = (f"no hub URL given: request written to {outcome.rollout_request}; "
                            "POST it to /api/v1/rollouts")  # fmt: skip
        return
    try:
        outcome.rollout = create_rollout(body, hub)
    except PublishError as e:
        facts["rollout"] = f"FAILED: {e}"
        raise
    facts["rollout"] = (f"created {outcome.rollout.get('id')} on {hub.url} "
                        f"(stages {list(cfg.stages)})")  # fmt: skip
