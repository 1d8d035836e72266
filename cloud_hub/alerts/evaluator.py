"""The periodic alert evaluator: rules × devices → fire new alerts, resolve cleared ones, notify.

One round (:meth:`AlertEvaluator.run_once`) reads rules and device state from the registry and
recent readings from the series store, applies the pure :func:`rules.evaluate`, and records the
changes. `PeriodicTask`'s loop is the only place that catches everything: it logs and carries on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import TypeAdapter

from cloud_hub.alerts import notify
from cloud_hub.alerts.delivery import Deliverer, channels
from cloud_hub.alerts.metrics import AlertMetrics
from cloud_hub.alerts.rules import (
    AqiAbove,
    DeviceState,
    Drift,
    Pm25Above,
    RuleParams,
    evaluate,
)
from cloud_hub.periodic import PeriodicTask
from cloud_hub.registry import Registry, deliveries, devices
from cloud_hub.registry import alerts as alert_repo
from cloud_hub.registry.models import AlertEvent, AlertRule
from cloud_hub.series import Selection, SeriesStore
from cloud_hub.settings import AlertSettings
from pm25.wire import AlertNotice

log = logging.getLogger(__name__)
PARAMS: TypeAdapter[RuleParams] = TypeAdapter(RuleParams)


class AlertEvaluator:
    def __init__(
        self,
        registry: Registry,
        series: SeriesStore,
        publish: Callable[..., None],
        settings: AlertSettings,
        *,
        clock: Callable[[], float] = time.time,
        webhook: Callable[..., int] = notify.post_webhook,
        metrics: AlertMetrics | None = None,
    ) -> None:
        self._registry = registry
        self._series = series
        self._clock = clock
        self._deliverer = Deliverer(
            registry, publish, settings, metrics, clock=clock, webhook=webhook
        )
        self._task = PeriodicTask("alerts", settings.interval_s, self.run_once)

    def run_once(self) -> list[AlertNotice]:
        """Evaluate every enabled rule once; return the notices of alerts fired or resolved."""
        now = self._clock()
        notices: list[AlertNotice] = []
        with self._registry.session() as s:
            rules = list(alert_repo.list_rules(s, enabled_only=True))
        for rule in rules:
            notices += self._rule(rule, now)
        return notices

    def _rule(self, rule: AlertRule, now: float) -> list[AlertNotice]:
        params = PARAMS.validate_python({"kind": rule.kind, **rule.params})
        if isinstance(params, Drift):
            return []  # the closed-loop job owns drift rules (cloud_hub.loop.watch)
        with self._registry.session() as s:
            scoped = devices.list_devices(s, zone_id=rule.zone_id)
            states = [
                DeviceState(d.id, d.last_seen_at, d.last_heartbeat)
                for d in scoped
                if d.status != "revoked" and rule.device_id in (None, d.id)
            ]
        readings: dict[str, list[tuple[int, float]]] = {st.device_id: [] for st in states}
        if isinstance(params, Pm25Above | AqiAbove) and states:
            start = int(now) - params.minutes * 60
            raw = self._series.query_raw(
                Selection(start, int(now) + 1, device_ids=tuple(readings)), 100_000
            )
            for r in raw.readings:
                readings[r.device_id].append((r.captured_at, r.pm25))
        sent: list[tuple[int, AlertNotice]] = []
        with self._registry.session() as s:
            open_now = alert_repo.open_events(s, rule.id)
            for st in states:
                message = evaluate(params, st, readings[st.device_id], now)
                event = open_now.get(st.device_id)
                if message and event is None:
                    event = AlertEvent(
                        rule_id=rule.id, device_id=st.device_id, fired_at=now, message=message
                    )
                    s.add(event)
                    s.flush()  # the event's id, for its delivery rows
                    notice = self._notice(rule, st.device_id, "firing", message, now)
                elif not message and event is not None:
                    event.resolved_at = now
                    notice = self._notice(rule, st.device_id, "resolved", event.message, now)
                else:
                    continue
                # Pending in the same transaction as the event: a crash before the send
                # leaves a visible "pending", not a silently lost notice.
                deliveries.add_pending(s, event.id, notice.state, channels(rule), now)
                sent.append((event.id, notice))
        for event_id, n in sent:
            self._deliverer.deliver(rule, event_id, n)
        return [n for _, n in sent]

    @staticmethod
    def _notice(
        rule: AlertRule, device_id: str, state: str, message: str, now: float
    ) -> AlertNotice:
        return AlertNotice(
            rule_id=rule.id, rule=rule.name, kind=rule.kind, device_id=device_id,
            state=state, message=message, t=datetime.fromtimestamp(now, UTC),
        )  # fmt: skip

    def start(self) -> None:
        self._task.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._task.stop(timeout_s)
