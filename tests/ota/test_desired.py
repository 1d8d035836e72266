"""The device's desired-update rules (pure) and the updater's staged-rollout guard (real TUF repo).

Which decision wins (newest rev; a hold beats an install at the same rev; a notice and its
retained message are one decision), which payloads are refused and why, and that the updater
installs only the release the rollout assigns and stops before activation when a hold arrives.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge_agent.update.manager import UpdateReport
from edge_agent.update.slots import Slots
from edge_agent.update_checks import CheckSchedule
from edge_agent.update_config import UpdateConfig
from edge_agent.update_desired import Desired, DesiredState
from edge_agent.update_notices import NoticeRunner
from pm25.errors import WireError
from pm25.wire import UpdateNoticeCommand
from tests.ota.helpers import Repo, make_manager, provision
from tests.ota.server import RepoServer

T = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
T_MS = int(T.timestamp()) * 1000


def desired(
    action: str = "install", release: int = 2, rev: int = T_MS + 500, **kw: object
) -> bytes:
    """A desired payload as raw JSON (not validated here, so hostile values can be built)."""
    body = {"v": 1, "action": action, "release": release, "rollout_id": "r-1",
            "target": "fixture/manifest.json", "issued_at": int(T.timestamp()),
            "rev": rev}  # fmt: skip
    return json.dumps(body | kw).encode()


def notice(release: int = 2, rollout: str = "r-1") -> UpdateNoticeCommand:
    return UpdateNoticeCommand(id="u-1", issued_at=T, release=release, target="fixture",
                               repository="http://127.0.0.1:1/tuf", rollout_id=rollout)  # fmt: skip


def test_a_hold_after_a_notice_wins_and_a_queued_notice_cannot_undo_it() -> None:
    state = DesiredState("fixture")
    assert state.offer(Desired.from_notice(notice())) is None
    assert state.approves(2) is None
    assert state.offer(state.parse(desired("hold", reason="rollout aborted"))) is None
    assert state.approves(2) == "rollout r-1 holds v2: rollout aborted"
    why = state.offer(Desired.from_notice(notice()))  # redelivered from the session, older
    assert why is not None and "superseded by the hub's later hold of v2" in why
    assert state.approves(2) is not None


def test_at_the_same_rev_a_hold_beats_an_install_in_either_order() -> None:
    state = DesiredState("fixture")
    state.offer(state.parse(desired("hold", rev=T_MS)))
    assert state.offer(state.parse(desired("install", rev=T_MS, rollout_id="r-2"))) is not None
    other = DesiredState("fixture")
    other.offer(state.parse(desired("install", rev=T_MS, rollout_id="r-2")))
    assert other.offer(state.parse(desired("hold", rev=T_MS))) is None
    assert (cur := other.current()) is not None and cur.action == "hold"


def test_a_notice_and_its_retained_message_are_one_decision() -> None:
    state = DesiredState("fixture")
    assert state.offer(state.parse(desired(rev=T_MS + 900))) is None
    assert state.offer(Desired.from_notice(notice())) is None  # older rev, same decision: fine
    assert (cur := state.current()) is not None and cur.rev == T_MS + 900


def test_a_later_rollout_supersedes_and_only_its_release_is_approved() -> None:
    state = DesiredState("fixture")
    state.offer(state.parse(desired(release=2)))
    state.offer(state.parse(desired(release=3, rev=T_MS + 5000, rollout_id="r-2")))
    assert state.approves(3) is None
    assert state.approves(2) == "rollout r-2 assigns v3, not v2"
    assert DesiredState().approves(2) == "no rollout assigns a release to this device"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty payload"),
        (b"{not json", "not valid JSON"),
        (b'{"v":1,"action":"install","release":2}', "field 'target'"),
        (desired("delete-everything"), "field 'action'"),
        (desired(release=0), "field 'release'"),
        (desired(rev=2**60), "field 'rev'"),
        (desired(target="../../etc/manifest.json"), "not this device's model family"),
        (desired(target="other-model/manifest.json"), "not this device's model family"),
        (b'{"v":1,"x":' + b"[" * 40 + b"]" * 40 + b"}", "nested deeper"),
        (b"x" * 300_000, "limit"),
    ],
)
def test_hostile_or_malformed_payloads_are_refused_with_a_reason(
    payload: bytes, reason: str
) -> None:
    state = DesiredState("fixture")
    state.offer(state.parse(desired()))
    with pytest.raises(WireError, match=reason):
        state.parse(payload)
    assert (cur := state.current()) is not None and cur.release == 2  # the last one stands


def test_schedule_spreads_the_interval_and_backs_off_after_failures() -> None:
    cfg = UpdateConfig(check_interval_s=1000, check_jitter=0.2, check_startup_delay_s=10)
    schedule = CheckSchedule(cfg, random.Random(1))
    assert 8 <= schedule.first_s <= 12
    regular = [schedule.after(UpdateReport("installed", 2)) for _ in range(200)]
    assert 800 <= min(regular) < 850 and 1150 < max(regular) <= 1200  # spread, both ways
    failed = UpdateReport("failed", 2, "connection reset")
    ceilings = [schedule.after(failed) for _ in range(8)]
    assert ceilings[0] <= 60 and ceilings[3] <= 480 and max(ceilings) <= 1200  # capped
    assert all(c > 0 for c in ceilings)
    assert schedule.after(UpdateReport("refused", 2, "golden")) >= 800  # not retried early
    assert schedule.after(failed) <= 60  # a success or give-up resets the backoff


def test_the_updater_installs_only_the_assigned_release(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    slots = provision(device, repo.template)
    repo.release(2)
    repo.release(3)  # published, but its rollout has not reached this device
    manager = make_manager(repo.store.root, server.url, device)
    report = manager.run_once(want=2)
    assert report.outcome == "deferred" and "offers v3, the rollout assigns v2" in report.detail
    assert slots.active() == "a"
    assert manager.run_once(want=3).outcome == "installed" and slots.active() == "b"


def test_a_hold_arriving_during_the_run_stops_it_before_activation(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    slots = provision(device, repo.template)
    repo.release(2)
    state = DesiredState("fixture")
    state.offer(state.parse(desired()))

    def shadow_then_hold(_candidate: object) -> object:  # the hold comes in mid-shadow
        state.offer(state.parse(desired("hold", rev=T_MS + 9000, reason="rollout paused")))
        from edge_agent.update.shadow import ShadowStats

        return ShadowStats(n=0, mean_abs_diff=0.0, bias=0.0, correlation=None,
                           within_tolerance=0.0)  # fmt: skip

    manager = make_manager(repo.store.root, server.url, device, shadow=shadow_then_hold)
    report = manager.run_once(want=2, approve=state.approves)
    assert report.outcome == "held" and "rollout paused" in report.detail
    assert slots.active() == "a"  # the active model was never touched
    assert manager.state.load().phase == "idle"


def test_runner_refuses_a_bad_payload_reports_it_and_keeps_the_model(
    repo: Repo, server: RepoServer, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    slots = provision(device, repo.template)
    repo.release(2)
    runner = NoticeRunner(make_manager(repo.store.root, server.url, device),
                          desired=DesiredState("fixture"))  # fmt: skip
    why = runner.desired_payload(desired(target="evil/manifest.json"))
    assert why is not None and "not this device's model family" in why
    assert runner.problems() == {"desired_update_refused": why}
    assert not runner.check() and slots.active() == "a"
    assert runner.desired_payload(desired()) is None  # a good one clears the note and installs
    assert runner.problems() == {}
    assert runner.wait_report(60) is not None
    assert Slots(device / "models").active() == "b"
    progress = runner.progress()
    assert progress is not None and (progress.state, progress.version) == ("active", 2)
