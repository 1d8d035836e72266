"""Devices that install after the rollout marked them failed for silence, on the real hub app: the
record becomes "updated (late)" with the time, the silence stays in the reason and the audit log,
and decisions already made are not undone (docs/rollouts.md, "Late devices")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud_hub.registry import devices
from cloud_hub.registry.directory import RegistryDirectory
from cloud_hub.rollouts.evaluator import RolloutEvaluator
from cloud_hub.rollouts.fleet_sim import GOOD, SimFleet
from cloud_hub.rollouts.spec import RolloutSettings
from pm25.wire.device import UpdateProgress
from tests.cloud_hub.hub_support import HubClient, running_hub

T0 = 1_800_000_000.0
LATE = "cam-3"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubClient]:
    with running_hub(tmp_path) as h:
        with h.hub.registry.session() as s:
            for i in range(4):
                devices.create_device(s, "test", f"cam-{i}")
        yield h


class Run:
    """A rollout of v2 driven by an evaluator on a simulated clock; LATE never answers."""

    def __init__(self, hub: HubClient, gates: dict[str, Any]) -> None:
        self.hub, self.clock = hub, Clock()
        spec = {"stages": {"fractions": [1.0]}, "gates": {"silent_timeout_s": 600, **gates}}
        body = {"model_name": "fixture", "version": 2, "spec": spec}
        r = hub.client.post("/api/v1/rollouts", json=body, headers=hub.headers("operator"))
        assert r.status_code == 201, r.text
        self.id: str = r.json()["id"]
        self.fleet = SimFleet(RegistryDirectory(hub.hub.registry), {LATE: "silent"})
        self.ev = RolloutEvaluator(hub.hub.registry, self.fleet.publish, RolloutSettings(),
                                   clock=self.clock)  # fmt: skip

    def round(self) -> None:
        self.ev.run_once()
        self.fleet.deliver(self.clock.now)
        self.clock.now += 60
        self.fleet.tick(self.clock.now)

    def until(self, check: Any, rounds: int = 30) -> dict[str, Any]:
        for _ in range(rounds):
            self.round()
            got = self.get()
            if check(got):
                return got
        raise AssertionError(f"not reached: {self.get()}")

    def get(self) -> dict[str, Any]:
        r = self.hub.client.get(f"/api/v1/rollouts/{self.id}", headers=self.hub.headers("viewer"))
        got: dict[str, Any] = r.json()
        return got

    def status(self, device_id: str) -> dict[str, Any]:
        rows: list[dict[str, Any]] = self.get()["device_status"]
        (row,) = [d for d in rows if d["device_id"] == device_id]
        return row

    def comes_back(self, errors: list[dict[str, str]] | None = None, version: int = 2) -> None:
        """LATE installs from its retained desired update and reports the release active."""
        self.fleet.behaviour = {}
        self.fleet.model_version[LATE] = version
        self.fleet.progress[LATE] = UpdateProgress(state="active", version=version,
                                                   rollout=self.id, shadow=GOOD)  # fmt: skip
        self.fleet.tick(self.clock.now)
        if errors:  # the heartbeat's errors section, as ingest would store it
            with self.hub.hub.registry.session() as s:
                device = devices.get_device(s, LATE)
                device.last_heartbeat = {**(device.last_heartbeat or {}), "errors": errors}


def _late_audit(hub: HubClient) -> list[dict[str, Any]]:
    r = hub.client.get("/api/v1/audit?limit=1000", headers=hub.headers("admin"))
    return [e for e in r.json() if e["action"] == "rollout.device_late"]


def test_a_silent_device_that_installs_after_completion_is_recorded_late(hub: HubClient) -> None:
    run = Run(hub, {"max_failure_rate": 0.5})
    done = run.until(lambda g: g["state"] == "completed")
    assert done["gate"]["failed"] == 1 and run.status(LATE)["state"] == "failed"
    silence = run.status(LATE)["reason"]
    assert silence.startswith("silent for")

    run.comes_back()
    seen_at = run.clock.now
    run.ev.run_once()
    row = run.status(LATE)
    assert row["state"] == "updated" and row["updated_at"] == seen_at
    assert row["reason"] == f"updated late; earlier: {silence}"
    got = run.get()
    assert got["state"] == "completed" and got["devices"] == {"updated": 4}
    assert got["gate"] == done["gate"]  # the decision's record is not rewritten
    (entry,) = _late_audit(hub)
    assert entry["target_id"] == run.id and entry["actor"] == "rollout-evaluator"
    assert entry["detail"]["device"] == LATE and entry["detail"]["failed"] == silence
    run.ev.run_once()  # counted once
    assert len(_late_audit(hub)) == 1


def test_a_late_device_counts_in_the_live_gate_of_a_running_rollout(hub: HubClient) -> None:
    run = Run(hub, {"max_failure_rate": 0.5, "soak_s": 86400})  # the soak keeps it running
    held = run.until(lambda g: g["gate"] and g["gate"]["failed"] == 1)
    assert held["state"] == "running"
    run.comes_back()
    run.round()
    got = run.get()
    assert got["state"] == "running" and got["gate"]["failed"] == 0
    assert got["gate"]["updated"] == 4 and run.status(LATE)["state"] == "updated"


def test_a_stage_stopped_by_silence_stays_stopped_until_an_operator_resumes(
    hub: HubClient,
) -> None:
    run = Run(hub, {"max_failure_rate": 0.0})
    paused = run.until(lambda g: g["state"] == "paused")
    run.comes_back()
    run.ev.run_once()
    got = run.get()
    assert got["state"] == "paused" and got["gate"] == paused["gate"]  # not resumed by itself
    assert run.status(LATE)["state"] == "updated"
    hub.hub.publish = run.fleet.publish  # resume publishes the desired installs
    r = hub.client.post(f"/api/v1/rollouts/{run.id}/resume", headers=hub.headers("operator"))
    assert r.status_code == 200, r.text
    assert run.until(lambda g: g["state"] == "completed")["gate"]["failed"] == 0


@pytest.mark.parametrize(
    ("errors", "version"),
    [([{"code": "model_load_failed", "message": "bad"}], 2), (None, 3)],
    ids=["unhealthy on the release", "active on another release"],
)
def test_a_device_not_healthy_on_the_release_stays_failed(
    hub: HubClient, errors: list[dict[str, str]] | None, version: int
) -> None:
    run = Run(hub, {"max_failure_rate": 0.5})
    run.until(lambda g: g["state"] == "completed")
    run.comes_back(errors, version)
    run.ev.run_once()
    assert run.status(LATE)["state"] == "failed" and _late_audit(hub) == []


def test_a_device_that_failed_after_running_the_release_stays_failed(hub: HubClient) -> None:
    """Failures after the update (here: heartbeats stopped) are evidence about the release."""
    run = Run(hub, {"max_failure_rate": 0.5, "heartbeat_max_age_s": 120, "soak_s": 86400})
    run.until(lambda g: g["gate"] and g["gate"]["updated"] == 3)
    del run.fleet.model_version["cam-0"]  # cam-0 stops sending heartbeats
    for _ in range(4):
        run.round()
    assert run.status("cam-0")["state"] == "failed"
    run.fleet.model_version["cam-0"] = 2  # and comes back healthy
    run.fleet.tick(run.clock.now)
    run.round()
    assert run.status("cam-0")["state"] == "failed" and _late_audit(hub) == []
