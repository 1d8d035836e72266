"""Hands one alert notice to each of its channels and records how each went (durably).

The evaluator writes ``pending`` rows with the event; :meth:`Deliverer.deliver` sends and settles
them (sent, or failed with attempts and the last error) and counts them for Prometheus.
:meth:`Deliverer.redeliver` is the operator's retry: it re-sends what failed (or was left
pending) of one event, one try per channel, since a person is waiting for the answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from cloud_hub.alerts import notify
from cloud_hub.alerts.metrics import AlertMetrics
from cloud_hub.errors import Conflict, DeliveryFailed, HubError, NotFound
from cloud_hub.registry import Registry, deliveries
from cloud_hub.registry import alerts as alert_repo
from cloud_hub.registry.models import AlertEvent, AlertRule
from cloud_hub.settings import AlertSettings
from pm25.wire import AlertNotice

log = logging.getLogger(__name__)
NO_WEBHOOK = "the rule has no webhook URL any more"


def channels(rule: AlertRule) -> list[str]:
    return ["mqtt", "webhook"] if rule.webhook_url else ["mqtt"]


def notice_for(rule: AlertRule, event: AlertEvent, state: str) -> AlertNotice:
    """The notice as first sent: a re-send carries the original time, not the retry's."""
    at = event.resolved_at if state == "resolved" and event.resolved_at else event.fired_at
    return AlertNotice(
        rule_id=rule.id, rule=rule.name, kind=rule.kind, device_id=event.device_id,
        state=state, message=event.message[:200], t=datetime.fromtimestamp(at, UTC),
    )  # fmt: skip


class Deliverer:
    def __init__(
        self,
        registry: Registry,
        publish: Callable[..., None],
        settings: AlertSettings,
        metrics: AlertMetrics | None = None,
        *,
        clock: Callable[[], float] = time.time,
        webhook: Callable[..., int] = notify.post_webhook,
    ) -> None:
        self._registry = registry
        self._publish = publish
        self._settings = settings
        self._metrics = metrics
        self._clock = clock
        self._webhook = webhook

    def deliver(
        self,
        rule: AlertRule,
        event_id: int,
        notice: AlertNotice,
        only: frozenset[str] | None = None,
        retries: int | None = None,
    ) -> None:
        """Send ``notice`` on the rule's channels (or ``only`` these) and record each outcome."""
        for channel in channels(rule):
            if only is not None and channel not in only:
                continue
            tries, error = self._send(channel, rule, notice, retries)
            if self._metrics is not None:
                self._metrics.deliveries.labels(channel, "failed" if error else "sent").inc()
            if error:
                log.warning(
                    "alert not delivered",
                    extra={"rule_id": rule.id, "event_id": event_id, "channel": channel,
                           "error": error},
                )  # fmt: skip
            with self._registry.session() as s:
                key = (event_id, notice.state, channel)
                deliveries.settle(s, key, attempts=tries, error=error, now=self._clock())

    def redeliver(self, event_id: int) -> None:
        """Re-send every failed or pending notice of one event; Conflict if there is none."""
        with self._registry.session() as s:
            event = s.get(AlertEvent, event_id)
            if event is None:
                raise NotFound(f"alert event {event_id} does not exist")
            rule = alert_repo.get_rule(s, event.rule_id)
            rows = deliveries.for_events(s, [event_id])[event_id]
            todo = [(r.notice, r.channel) for r in rows if r.state in ("failed", "pending")]
            if not todo:
                raise Conflict(f"alert event {event_id} has no failed or pending delivery")
            for notice_state, channel in todo:
                if channel not in channels(rule):
                    row = s.get(deliveries.AlertDelivery, (event_id, notice_state, channel))
                    if row is not None:
                        row.state, row.last_error = "dropped", NO_WEBHOOK
            notices = {n: notice_for(rule, event, n) for n, _ in todo}
        for notice_state, notice in notices.items():
            only = frozenset(c for n, c in todo if n == notice_state)
            self.deliver(rule, event_id, notice, only=only, retries=0)

    def _send(
        self, channel: str, rule: AlertRule, notice: AlertNotice, retries: int | None
    ) -> tuple[int, str | None]:
        """(tries, error or None)."""
        try:
            if channel == "mqtt":
                notify.publish_notice(self._publish, notice)
                return 1, None
            assert rule.webhook_url is not None  # channels() lists it only with a URL
            tries = self._webhook(
                rule.webhook_url,
                notice,
                retries=self._settings.webhook_retries if retries is None else retries,
                timeout_s=self._settings.webhook_timeout_s,
            )
            return tries, None
        except DeliveryFailed as e:
            return e.tries, str(e)
        except HubError as e:
            return 1, str(e)
