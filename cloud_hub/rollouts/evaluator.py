"""The periodic rollout evaluator: collect device progress, decide the stage, notify the next wave.

One round (:meth:`RolloutEvaluator.run_once`) takes each running rollout through four steps, in
one registry transaction per rollout:

1. membership: selected, non-revoked devices get a row, their stage fixed when first seen;
2. progress: each notified device's state from its heartbeat (``update`` section, active model
   version, errors, outbox age) and the ack of its update notice (:mod:`rollouts.progress`);
3. gates: the pure :func:`gates.decide` on the current stage's cohort; a failure pauses or rolls
   back the rollout, a pass advances it when the rollout is automatic;
4. notices: the next wave of the cohort (zone budget permitting) gets an ``update_notice``
   through the hub's command path (command log + MQTT publish), and its retained ``desired``
   update (:mod:`rollouts.desired`), which a device that misses the notice still reads.

A failing gate that pauses or rolls back the rollout gives every device told so far a ``hold``
before the transaction commits (if the broker cannot take it, the round fails and the next one
decides again). Each round also counts devices that installed after being marked failed
(:mod:`rollouts.late`), in running rollouts before their gate and in stopped ones.

`PeriodicTask`'s loop is the only place that catches everything: it logs and carries on.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud_hub.errors import HubError
from cloud_hub.hub import publish_many
from cloud_hub.periodic import PeriodicTask
from cloud_hub.registry import Registry, logs
from cloud_hub.registry.models import Device, Rollout, RolloutDevice
from cloud_hub.rollouts import cohorts, desired, gates, late, progress, reference, service
from cloud_hub.rollouts.spec import RolloutSettings, RolloutSpec
from cloud_hub.series import SeriesStore
from pm25 import topics
from pm25.wire import UpdateNoticeCommand, encode

log = logging.getLogger(__name__)


class RolloutEvaluator:
    def __init__(
        self,
        registry: Registry,
        publish: Callable[..., None],
        settings: RolloutSettings,
        *,
        series: SeriesStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._registry = registry
        self._series = series
        self._publish = publish
        self._settings = settings
        self._clock = clock
        self._task = PeriodicTask("rollouts", settings.interval_s, self.run_once)
        self.notices_sent = 0

    def run_once(self) -> dict[str, gates.Verdict]:
        """Evaluate every running rollout once; return each one's verdict."""
        with self._registry.session() as s:
            running = [r.id for r in service.list_all(s, state="running", limit=1000)]
            late.settle_stopped(s, self._clock())
        return {rid: self.evaluate(rid) for rid in running}

    def evaluate(self, rollout_id: str) -> gates.Verdict:
        now = self._clock()
        outgoing: list[tuple[str, bytes, bool]] = []
        with self._registry.session() as s:
            rollout = service.get(s, rollout_id, lock=True)
            if rollout.state != "running":  # paused or stopped since the list was read
                return "hold"
            spec = service.spec_of(rollout)
            rows, targets, zone_sizes = self._membership(s, rollout, spec)
            device_map = {d.id: d for d in s.scalars(select(Device).where(Device.id.in_(rows)))}
            for row in rows.values():
                progress.refresh(row, device_map[row.device_id], rollout.version, s, now)
            pairs = [(r, device_map[r.device_id]) for r in rows.values()]
            late.settle(s, rollout, pairs, now)  # before the gate: it counts them updated
            cohort = [r for r in rows.values() if r.stage <= rollout.stage]
            if self._series is not None and spec.gates.max_reference_mae is not None:
                reference.reference_errors(s, self._series, cohort, now)
            reports = [progress.report(r, device_map[r.device_id]) for r in cohort]
            verdict = gates.decide(reports, spec.gates, now)
            rollout.gate = _gate_json(verdict, now)
            for device_id, why in verdict.failures.items():
                rows[device_id].state, rows[device_id].reason = "failed", why
            if verdict.verdict == "fail":
                service.act(s, service.EVALUATOR, rollout.id, spec.on_failure,
                            {"reasons": list(verdict.reasons)})  # fmt: skip
                holds = desired.after_action(rollout, spec.on_failure, list(rows.values()), now)
                desired.publish_all(self._publish, holds)  # before commit: see the module doc
                return "fail"
            if verdict.verdict == "advance" and spec.mode == "auto":
                service.act(s, service.EVALUATOR, rollout.id, "advance")
                if rollout.state != "running":
                    return "advance"
                cohort = [r for r in rows.values() if r.stage <= rollout.stage]
            outgoing = self._wave(s, rollout, spec, cohort, targets, zone_sizes, now)
        try:  # the whole wave over one broker connection
            publish_many(self._publish, outgoing)
            # the desired updates go with the notices; count the notices
            self.notices_sent += sum(1 for _, _, retain in outgoing if not retain)
        except HubError as e:  # the devices stay "updating" and time out if never told
            log.warning("update notices not sent",
                        extra={"rollout_id": rollout_id, "messages": len(outgoing),
                               "error": str(e)})  # fmt: skip
        return verdict.verdict

    def _membership(
        self, s: Session, rollout: Rollout, spec: RolloutSpec
    ) -> tuple[dict[str, RolloutDevice], dict[str, cohorts.Target], dict[str, int]]:
        live = [d for d in s.scalars(select(Device)) if d.status != "revoked"]
        zone_sizes = Counter(d.zone_id for d in live if d.zone_id is not None)
        targets = {
            d.id: t
            for d in live
            if cohorts.matches(
                spec.selector,
                t := cohorts.Target(d.id, d.zone_id, tuple(d.tags or ()), d.hardware_profile),
            )
        }
        rows = {r.device_id: r for r in service.devices(s, rollout.id)}
        new = [t for i, t in targets.items() if i not in rows]
        if new:
            fractions = spec.stages.fractions
            stages = cohorts.assign_stages(rollout.id, fractions, list(targets.values()))
            for t in new:
                row = RolloutDevice(rollout_id=rollout.id, device_id=t.device_id,
                                    stage=stages[t.device_id], state="pending",
                                    point=cohorts.point(rollout.id, t.device_id))  # fmt: skip
                s.add(row)
                rows[t.device_id] = row
            s.flush()
        return rows, targets, dict(zone_sizes)

    def _wave(  # noqa: PLR0917 - one step of run_once, split out for length
        self,
        s: Session,
        rollout: Rollout,
        spec: RolloutSpec,
        cohort: list[RolloutDevice],
        targets: dict[str, cohorts.Target],
        zone_sizes: dict[str, int],
        now: float,
    ) -> list[tuple[str, bytes, bool]]:
        in_flight = Counter(
            targets[r.device_id].zone
            for r in cohort
            if r.state == "updating" and r.device_id in targets
        )
        candidates = [targets[r.device_id] for r in cohort
                      if r.state == "pending" and r.device_id in targets]  # fmt: skip
        order = {r.device_id: r.point for r in cohort}
        busy = {z: n for z, n in in_flight.items() if z is not None}
        chosen = cohorts.next_wave(candidates, busy, zone_sizes, spec.budget, order)
        rows = {r.device_id: r for r in cohort}
        out: list[tuple[str, bytes, bool]] = []
        install = desired.message(rollout, "install", now)
        for device_id in chosen:
            cmd = self._notice(rollout, spec, now)
            logs.log_command(s, f"rollout:{rollout.id}", device_id, command_id=cmd.id,
                             kind=cmd.type, payload=cmd.model_dump(mode="json"))  # fmt: skip
            row = rows[device_id]
            row.state, row.command_id, row.notified_at = "updating", cmd.id, now
            out.append((topics.desired(device_id), install, True))  # retained: read on reconnect
            out.append((topics.cmd(device_id), encode(cmd), False))
        return out

    def _notice(self, rollout: Rollout, spec: RolloutSpec, now: float) -> UpdateNoticeCommand:
        issued = datetime.fromtimestamp(int(now), tz=UTC)
        after = None
        if spec.window_s is not None:
            after = datetime.fromtimestamp(int(now) + spec.window_s, tz=UTC)
        return UpdateNoticeCommand(
            id=f"u-{secrets.token_hex(8)}", issued_at=issued, release=rollout.version,
            target=rollout.target, repository=self._settings.repository_url,
            rollout_id=rollout.id, not_after=after,
        )  # fmt: skip

    def start(self) -> None:
        self._task.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._task.stop(timeout_s)


def _gate_json(v: gates.Verdicts, now: float) -> dict[str, object]:
    data = asdict(v)
    data["reasons"] = list(v.reasons)
    data["at"] = now
    return data
