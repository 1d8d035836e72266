"""Rollout state machine on a real registry (SQLite and PostgreSQL): transitions, audit, and the
evaluator driving simulated devices that report through the ingest path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from cloud_hub.errors import Conflict, NotFound
from cloud_hub.registry import Registry, audit, devices
from cloud_hub.registry.directory import RegistryDirectory
from cloud_hub.rollouts import service
from cloud_hub.rollouts.cohorts import zone_cap
from cloud_hub.rollouts.evaluator import RolloutEvaluator
from cloud_hub.rollouts.fleet_sim import Behaviour, SimFleet
from cloud_hub.rollouts.spec import RolloutSettings, RolloutSpec
from pm25 import topics

T0 = 1_800_000_000.0
ZONES = {"north": 6, "south": 5, "east": 1}


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    reg = Registry.open(registry_url)
    with reg.session() as s:
        for zone, n in ZONES.items():
            devices.create_zone(s, "test", zone, zone, [])
            for i in range(n):
                devices.create_device(s, "test", f"{zone}-{i}", zone_id=zone, tags=["street"])
        devices.create_device(s, "test", "lab-0", tags=["indoor"])
    yield reg
    reg.close()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def rollout(reg: Registry, **spec: object) -> str:
    with reg.session() as s:
        r = service.create(s, "alice", model_name="pm25-haze", version=2,
                           target="pm25-haze/manifest.json",
                           spec=RolloutSpec.model_validate(spec))  # fmt: skip
        service.act(s, "alice", r.id, "start")
        return r.id


def drive(
    reg: Registry, rid: str, behaviour: dict[str, Behaviour], rounds: int = 40, step: float = 60
) -> tuple[SimFleet, list[str]]:
    """Evaluate, let devices answer, advance the clock; return the fleet and states seen."""
    clock = Clock()
    fleet = SimFleet(RegistryDirectory(reg), behaviour)
    ev = RolloutEvaluator(reg, fleet.publish, RolloutSettings(), clock=clock)
    seen = []
    for _ in range(rounds):
        ev.run_once()
        with reg.session() as s:
            r = service.get(s, rid)
            seen.append(f"{r.state}:{r.stage}")
            if r.state != "running":
                break
            _check_zone_budget(reg, rid, fleet)
        fleet.deliver(clock.now)
        clock.now += step
        fleet.tick(clock.now)
    return fleet, seen


def _check_zone_budget(reg: Registry, rid: str, fleet: SimFleet) -> None:
    """Devices told but not finished never exceed a zone's cap (and never a whole zone)."""
    with reg.session() as s:
        spec = service.spec_of(service.get(s, rid))
        rows = service.devices(s, rid)
        zone = {d.id: d.zone_id for d in devices.list_devices(s)}
    busy = Counter(zone[r.device_id] for r in rows if r.state == "updating")
    for z, n in busy.items():
        if z is not None:
            assert n <= zone_cap(ZONES[z], spec.budget), (z, n)


def test_auto_rollout_completes_stage_by_stage_with_audit(registry: Registry) -> None:
    rid = rollout(registry, selector={"tags": ["street"]}, stages={"fractions": [0.2, 0.5, 1.0]},
                  gates={"min_reported": 1})  # fmt: skip
    fleet, seen = drive(registry, rid, {})
    assert seen[-1] == "completed:2"
    stages = [int(x.split(":")[1]) for x in seen]
    assert stages == sorted(stages)  # never back; an empty cohort may pass in its first round
    assert fleet.notices == 12  # every street camera once; lab-0 (indoor) not selected
    with registry.session() as s:
        rows = service.devices(s, rid)
        assert {r.device_id for r in rows} == {
            f"{z}-{i}" for z, n in ZONES.items() for i in range(n)
        }
        assert {r.state for r in rows} == {"updated"}
        actions = [(e.actor, e.action) for e in audit.recent(s, 100, target_id=rid)][::-1]
    assert actions == [("alice", "rollout.create"), ("alice", "rollout.start"),
                       ("rollout-evaluator", "rollout.advance"),
                       ("rollout-evaluator", "rollout.advance"),
                       ("rollout-evaluator", "rollout.advance")]  # fmt: skip


def test_silent_devices_count_as_failed_and_pause_the_rollout(registry: Registry) -> None:
    rid = rollout(registry, stages={"fractions": [1.0]},
                  gates={"silent_timeout_s": 300, "max_failure_rate": 0.1},
                  budget={"max_fraction": 1.0, "max_devices": 100})  # fmt: skip
    quiet: dict[str, Behaviour] = {"north-0": "silent", "south-1": "silent"}
    _, seen = drive(registry, rid, quiet)
    assert seen[-1] == "paused:0"
    with registry.session() as s:
        rows = {r.device_id: r for r in service.devices(s, rid)}
        entry = audit.recent(s, 1, target_id=rid)[0]
    assert rows["north-0"].state == "failed" and "silent" in (rows["north-0"].reason or "")
    assert rows["south-1"].state == "failed"
    assert (entry.actor, entry.action) == ("rollout-evaluator", "rollout.pause")
    assert "failure rate" in entry.detail["reasons"][0]


def test_wild_shadow_disagreement_stops_at_the_gate_and_rolls_back(registry: Registry) -> None:
    rid = rollout(registry, stages={"fractions": [0.3, 1.0]}, on_failure="roll_back",
                  gates={"min_shadow_agreement": 0.8})  # fmt: skip
    wild: dict[str, Behaviour] = {
        f"{z}-{i}": "disagrees" for z, n in ZONES.items() for i in range(n)
    }
    fleet, seen = drive(registry, rid, wild)
    assert seen[-1] == "rolled_back:0"
    with registry.session() as s:
        r = service.get(s, rid)
        later = [row for row in service.devices(s, rid) if row.stage > 0]
        told = [row for row in service.devices(s, rid) if row.notified_at is not None]
    assert r.gate is not None and r.gate["verdict"] == "fail"
    assert r.gate["shadow_agreement"] < 0.8  # lab-0 agrees; the street cameras do not
    assert any(x.startswith("shadow agreement") for x in r.gate["reasons"])
    # it stopped at the first reports: later stages were never told
    assert 0 < fleet.notices == len(told) < 13
    assert later and all(row.state == "pending" for row in later)


def test_a_failed_self_test_is_a_failure_with_its_reason(registry: Registry) -> None:
    rid = rollout(registry, stages={"fractions": [1.0]}, gates={"max_failure_rate": 0.0})
    _, seen = drive(registry, rid, {"east-0": "fails"})
    assert seen[-1] == "paused:0"
    with registry.session() as s:
        row = next(r for r in service.devices(s, rid) if r.device_id == "east-0")
    assert row.state == "failed" and "golden output" in (row.reason or "")


def test_manual_rollout_waits_for_a_person(registry: Registry) -> None:
    rid = rollout(registry, mode="manual", stages={"fractions": [0.5, 1.0]})
    _, seen = drive(registry, rid, {}, rounds=8)
    assert set(seen) == {"running:0"}
    with registry.session() as s:
        assert service.get(s, rid).gate["verdict"] == "advance"  # type: ignore[index]
        service.act(s, "bob", rid, "advance")
    _, seen = drive(registry, rid, {}, rounds=8)
    assert set(seen) == {"running:1"}
    with registry.session() as s:
        service.act(s, "bob", rid, "advance")
        assert service.get(s, rid).state == "completed"


def test_transitions_are_checked_and_audited(registry: Registry) -> None:
    rid = rollout(registry)
    with registry.session() as s:
        service.act(s, "carol", rid, "pause")
        with pytest.raises(Conflict, match="cannot pause a rollout that is paused"):
            service.act(s, "carol", rid, "pause")
    with registry.session() as s:
        service.act(s, "carol", rid, "resume")
        service.act(s, "carol", rid, "abort")
    with registry.session() as s:
        with pytest.raises(Conflict):
            service.act(s, "carol", rid, "resume")
        log = [(e.actor, e.action, e.detail["to"]) for e in audit.recent(s, 3, target_id=rid)]
        with pytest.raises(NotFound):
            service.get(s, "r-nope")
    assert log[::-1] == [("carol", "rollout.pause", "paused:0"),
                         ("carol", "rollout.resume", "running:0"),
                         ("carol", "rollout.abort", "aborted:0")]  # fmt: skip


def test_notices_are_valid_commands_in_the_command_log(registry: Registry) -> None:
    rid = rollout(registry, stages={"fractions": [1.0]}, window_s=3600)
    clock = Clock()
    fleet = SimFleet(RegistryDirectory(registry))
    RolloutEvaluator(registry, fleet.publish, RolloutSettings(repository_url="https://hub.example/tuf"),
                     clock=clock).run_once()  # fmt: skip
    assert fleet.outbox
    from pm25.wire import UpdateNoticeCommand, decode

    by_kind = {topics.parse_topic(t)[1]: (t, p) for t, p in fleet.outbox}
    topic, payload = by_kind[topics.Kind.CMD]
    device_id, _ = topics.parse_topic(topic)
    cmd = decode("cmd", payload)
    want = decode("desired", by_kind[topics.Kind.DESIRED][1])  # the retained twin of the notice
    assert (want.action, want.release, want.rollout_id) == ("install", 2, rid)
    assert isinstance(cmd, UpdateNoticeCommand)
    assert (cmd.release, cmd.rollout_id, cmd.repository) == (2, rid, "https://hub.example/tuf")
    assert cmd.not_after is not None and cmd.not_after.timestamp() == T0 + 3600
    from cloud_hub.registry import logs

    with registry.session() as s:
        logged = logs.list_commands(s, device_id)
    assert [(c.id, c.type, c.issued_by) for c in logged] == [
        (cmd.id, "update_notice", f"rollout:{rid}")
    ]


def test_a_device_already_on_a_newer_release_counts_as_updated(registry: Registry) -> None:
    from datetime import UTC, datetime

    from cloud_hub.rollouts.fleet_sim import heartbeat

    rid = rollout(registry, selector={"zones": ["east"]}, stages={"fractions": [1.0]})
    at = datetime.fromtimestamp(T0, tz=UTC)
    RegistryDirectory(registry).record_heartbeat("east-0", heartbeat(T0, 5), at)
    _, seen = drive(registry, rid, {"east-0": "silent"}, rounds=3)
    assert seen[-1] == "completed:0"


def test_an_action_during_an_evaluation_is_never_lost(registry: Registry) -> None:
    """The evaluator holds the rollout's row for its round; a concurrent pause waits for it and
    then applies to the new stage (PostgreSQL), or fails cleanly to be retried (SQLite)."""
    import threading

    from cloud_hub.errors import StoreUnavailable

    rid = rollout(registry, stages={"fractions": [0.5, 1.0]})
    outcome: list[str] = []
    locked = threading.Event()

    def pause() -> None:
        locked.wait(5)
        try:
            with registry.session() as s:
                outcome.append(service.act(s, "dave", rid, "pause").state)
        except StoreUnavailable:
            outcome.append("busy")

    worker = threading.Thread(target=pause)
    worker.start()
    postgres = registry.engine.dialect.name == "postgresql"
    advanced = True
    try:
        with registry.session() as s:
            service.get(s, rid, lock=True)
            locked.set()
            worker.join(0.5)
            assert worker.is_alive() or not postgres  # PostgreSQL: the pause waits for our row
            service.act(s, service.EVALUATOR, rid, "advance")
    except (Conflict, StoreUnavailable):  # SQLite: the pause got in first; retried next round
        assert not postgres
        advanced = False
    worker.join(10)
    with registry.session() as s:
        r = service.get(s, rid)
    paused = outcome == ["paused"]
    assert advanced or paused  # at least one applied, and the row shows exactly what applied
    assert (r.state, r.stage) == ("paused" if paused else "running", 1 if advanced else 0)
    if postgres:
        assert advanced and paused


def test_a_paused_rollout_is_left_alone(registry: Registry) -> None:
    rid = rollout(registry)
    with registry.session() as s:
        service.act(s, "erin", rid, "pause")
    fleet = SimFleet(RegistryDirectory(registry))
    assert RolloutEvaluator(registry, fleet.publish, RolloutSettings()).evaluate(rid) == "hold"
    assert fleet.outbox == []
