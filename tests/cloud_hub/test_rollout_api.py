"""Releases and rollouts over the REST API, with roles, on a hub whose update repository is a real
signed TUF repository."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud_hub.registry import audit, devices
from cloud_hub.registry.directory import RegistryDirectory
from cloud_hub.rollouts.evaluator import RolloutEvaluator
from cloud_hub.rollouts.fleet_sim import SimFleet
from pm25.manifest import load_manifest
from tests.cloud_hub.hub_support import HubClient, running_hub
from tests.ota.helpers import Repo, build_template, make_repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    template = build_template(tmp_path_factory.mktemp("template") / "release")
    repo = make_repo(tmp_path_factory.mktemp("repo"), template)
    repo.release(2)
    repo.release(3)
    return repo


@pytest.fixture
def hub(tmp_path: Path, repo: Repo) -> Iterator[HubClient]:
    settings = {"rollouts": {"repository_dir": str(repo.store.root)}}
    with running_hub(tmp_path, **settings) as h:
        with h.hub.registry.session() as s:
            for i in range(4):
                devices.create_device(s, "test", f"cam-{i}")
        yield h


def name_of(repo: Repo) -> str:
    return load_manifest(repo.template / "manifest.json").name


def test_releases_list_and_detail(hub: HubClient, repo: Repo) -> None:
    name = name_of(repo)
    r = hub.client.get("/api/v1/releases", headers=hub.headers("viewer"))
    assert r.status_code == 200
    listed = {(x["name"], x["version"]): x for x in r.json()}
    assert set(listed) == {(name, 2), (name, 3)}
    assert listed[(name, 3)]["current"] and not listed[(name, 2)]["current"]
    assert listed[(name, 3)]["files"]
    r = hub.client.get(f"/api/v1/releases/{name}/3", headers=hub.headers("viewer"))
    assert r.status_code == 200 and isinstance(r.json()["metrics"], dict)
    r = hub.client.get(f"/api/v1/releases/{name}/9", headers=hub.headers("viewer"))
    assert r.status_code == 404 and r.json()["error"] == "NotFound"
    r = hub.client.get("/api/v1/releases/Bad..Name/1", headers=hub.headers("viewer"))
    assert r.status_code == 422


def test_create_needs_a_published_release_and_an_operator(hub: HubClient, repo: Repo) -> None:
    body = {"model_name": name_of(repo), "version": 3, "spec": {"stages": {"fractions": [1.0]}}}
    r = hub.client.post("/api/v1/rollouts", json=body, headers=hub.headers("viewer"))
    assert r.status_code == 403
    r = hub.client.post("/api/v1/rollouts", json={**body, "version": 7},
                        headers=hub.headers("operator"))  # fmt: skip
    assert r.status_code == 422 and "not published" in r.json()["detail"]
    bad = {**body, "spec": {"stages": {"fractions": [0.5, 0.2, 1.0]}}}
    r = hub.client.post("/api/v1/rollouts", json=bad, headers=hub.headers("operator"))
    assert r.status_code == 422
    r = hub.client.post("/api/v1/rollouts", json=body, headers=hub.headers("operator"))
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["state"], created["stage"], created["stages"]) == ("running", 0, [1.0])
    assert created["created_by"] == "operator"


def test_lifecycle_over_the_api_is_audited(hub: HubClient, repo: Repo) -> None:
    body = {"model_name": name_of(repo), "version": 3, "start": False}
    rid = hub.client.post("/api/v1/rollouts", json=body, headers=hub.headers("operator")).json()[
        "id"
    ]
    op = hub.headers("operator")
    for action, state in [("start", "running"), ("pause", "paused"), ("resume", "running")]:
        r = hub.client.post(f"/api/v1/rollouts/{rid}/{action}", headers=op)
        assert (r.status_code, r.json()["state"]) == (200, state)
    r = hub.client.post(f"/api/v1/rollouts/{rid}/resume", headers=op)
    assert r.status_code == 409 and r.json()["error"] == "Conflict"
    assert (
        hub.client.post(f"/api/v1/rollouts/{rid}/pause", headers=hub.headers("viewer")).status_code
        == 403
    )
    assert (
        hub.client.post(f"/api/v1/rollouts/{rid}/rollback", headers=op).json()["state"]
        == "rolled_back"
    )
    assert hub.client.post("/api/v1/rollouts/r-nope/abort", headers=op).status_code == 404
    with hub.hub.registry.session() as s:
        actions = [(e.actor, e.action) for e in audit.recent(s, 10, target_id=rid)][::-1]
    assert actions == [("operator", f"rollout.{a}")
                       for a in ("create", "start", "pause", "resume", "roll_back")]  # fmt: skip
    listed = hub.client.get("/api/v1/rollouts?state=rolled_back", headers=hub.headers("viewer"))
    assert [x["id"] for x in listed.json()] == [rid]


def test_progress_and_quality_views(hub: HubClient, repo: Repo) -> None:
    name = name_of(repo)
    body = {"model_name": name, "version": 3, "spec": {"stages": {"fractions": [1.0]}}}
    rid = hub.client.post("/api/v1/rollouts", json=body, headers=hub.headers("operator")).json()[
        "id"
    ]
    fleet = SimFleet(RegistryDirectory(hub.hub.registry), {"cam-3": "fails"})
    ev = RolloutEvaluator(hub.hub.registry, fleet.publish, hub.hub.settings.rollouts)
    ev.run_once()
    fleet.deliver(time.time())
    ev.run_once()
    got = hub.client.get(f"/api/v1/rollouts/{rid}", headers=hub.headers("viewer")).json()
    status = {d["device_id"]: d for d in got["device_status"]}
    assert status["cam-3"]["state"] == "failed" and "golden" in status["cam-3"]["reason"]
    assert got["gate"]["verdict"] in ("hold", "fail") and got["gate"]["cohort"] == 4
    q = hub.client.get(f"/api/v1/releases/{name}/quality", headers=hub.headers("viewer")).json()
    assert [v["version"] for v in q] == [3]
    assert q[0]["shadow_frames"] > 0 and 0.9 < q[0]["shadow_agreement"] <= 1


def test_stopping_a_rollout_holds_every_told_device_before_it_commits(
    hub: HubClient, repo: Repo
) -> None:
    from cloud_hub.errors import StoreUnavailable
    from pm25 import topics
    from pm25.wire import decode

    body = {"model_name": name_of(repo), "version": 3, "spec": {"stages": {"fractions": [1.0]}}}
    op = hub.headers("operator")
    rid = hub.client.post("/api/v1/rollouts", json=body, headers=op).json()["id"]
    fleet = SimFleet(RegistryDirectory(hub.hub.registry))
    RolloutEvaluator(hub.hub.registry, fleet.publish, hub.hub.settings.rollouts).run_once()
    told = sorted(topics.parse_topic(t)[0] for t, _ in fleet.outbox if t.endswith("/desired"))
    assert told

    def broker_down(topic: str, payload: bytes, *, retain: bool = False) -> None:
        raise StoreUnavailable("broker unreachable, command not sent")

    hub.hub.publish = broker_down
    r = hub.client.post(f"/api/v1/rollouts/{rid}/abort", headers=op)
    assert r.status_code == 503 and "broker unreachable" in r.text
    got = hub.client.get(f"/api/v1/rollouts/{rid}", headers=hub.headers("viewer")).json()
    assert got["state"] == "running"  # not stopped without its devices knowing

    sent: list[tuple[str, bytes, bool]] = []
    hub.hub.publish = lambda topic, payload, *, retain=False: sent.append((topic, payload, retain))
    assert hub.client.post(f"/api/v1/rollouts/{rid}/abort", headers=op).status_code == 200
    assert sorted(topics.parse_topic(t)[0] for t, _, _ in sent) == told
    for topic, payload, retain in sent:
        hold = decode("desired", payload)
        assert retain and topic.endswith("/desired")
        assert (hold.action, hold.release, hold.rollout_id) == ("hold", 3, rid)
        assert hold.reason == "rollout aborted"
