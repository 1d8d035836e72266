"""Alert delivery outcomes are recorded: a webhook that fails every retry (a real local HTTP
server answering 500) leaves a failed delivery in the registry, the events API, the metrics;
after the server recovers an operator re-sends it. Registry parts run on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from cloud_hub.alerts import AlertEvaluator
from cloud_hub.alerts.delivery import Deliverer
from cloud_hub.alerts.metrics import AlertMetrics
from cloud_hub.alerts.notify import post_webhook
from cloud_hub.errors import Conflict, NotFound
from cloud_hub.registry import Registry, deliveries, devices
from cloud_hub.registry import alerts as repo
from cloud_hub.series import StoredReading
from cloud_hub.series.sqlite import SqliteSeriesStore
from cloud_hub.settings import AlertSettings
from tests.cloud_hub.hub_support import running_hub
from tests.support.webhook import Hook as _Hook
from tests.support.webhook import serve_hook

NOW = 1_767_225_600.0
NO_WAIT = functools.partial(post_webhook, sleep=lambda _s: None)


@pytest.fixture
def hook() -> Iterator[str]:
    """A real webhook receiver answering 500 until a test sets ``_Hook.status = 200``."""
    yield from serve_hook()


def _smog(registry: Registry, series: SqliteSeriesStore, hook: str) -> None:
    with registry.session() as s:
        devices.create_device(s, "t", "cam-1")
        params = {"level": 35, "minutes": 10}
        repo.create_rule(s, "t", name="smog", kind="pm25_above", params=params, webhook_url=hook)
    series.write(
        [StoredReading("cam-1", i, int(NOW) - 600 + 60 * i, 50.0, 1, 0, 0, 1) for i in range(11)]
    )


def _states(registry: Registry) -> dict[tuple[str, str], tuple[str, int, str | None]]:
    with registry.session() as s:
        [event] = repo.list_events(s)
        rows = deliveries.for_events(s, [event.id])[event.id]
        return {(d.notice, d.channel): (d.state, d.attempts, d.last_error) for d in rows}


def test_failed_webhook_is_recorded_and_resent(
    registry_url: str, tmp_path: Path, hook: str
) -> None:
    registry = Registry.open(registry_url)
    series = SqliteSeriesStore(tmp_path / "series.db")
    sent: list[str] = []
    metrics = AlertMetrics(CollectorRegistry())
    settings = AlertSettings(webhook_retries=2)
    publish = lambda topic, payload, **_: sent.append(topic)  # noqa: E731
    evaluator = AlertEvaluator(
        registry, series, publish, settings, clock=lambda: NOW, webhook=NO_WAIT, metrics=metrics
    )
    _smog(registry, series, hook)
    assert [n.state for n in evaluator.run_once()] == ["firing"]
    assert len(_Hook.bodies) == 3  # one try and two retries, all answered 500
    assert _states(registry) == {
        ("firing", "mqtt"): ("sent", 1, None),
        ("firing", "webhook"): ("failed", 3, "webhook failed after 3 tries: HTTP 500"),
    }
    assert metrics.deliveries.labels("webhook", "failed")._value.get() == 1
    with registry.session() as s:
        metrics.refresh(s)
    assert metrics.failed.labels("webhook")._value.get() == 1

    _Hook.status = 200  # the receiver is back
    deliverer = Deliverer(registry, publish, settings, metrics, clock=lambda: NOW + 60)
    with registry.session() as s:
        [event] = repo.list_events(s)
    deliverer.redeliver(event.id)
    assert _states(registry)[("firing", "webhook")] == ("sent", 4, None)
    assert json.loads(_Hook.bodies[-1])["state"] == "firing"
    assert sent == ["pm25/v1/cam-1/alert"]  # MQTT had gone out: not sent twice
    with registry.session() as s:
        metrics.refresh(s)
    assert metrics.failed.labels("webhook")._value.get() == 0
    with pytest.raises(Conflict, match="no failed or pending"):
        deliverer.redeliver(event.id)
    with pytest.raises(NotFound):
        deliverer.redeliver(event.id + 1000)
    series.close()
    registry.close()


def test_refusal_is_not_retried_and_broker_outage_is_recorded(
    registry_url: str, tmp_path: Path, hook: str
) -> None:
    from cloud_hub.errors import StoreUnavailable

    def broker_down(*_a: object, **_k: object) -> None:
        raise StoreUnavailable("broker unreachable, command not sent: refused")

    registry = Registry.open(registry_url)
    series = SqliteSeriesStore(tmp_path / "series.db")
    _Hook.status = 404
    evaluator = AlertEvaluator(
        registry, series, broker_down, AlertSettings(webhook_retries=3),
        clock=lambda: NOW, webhook=NO_WAIT,
    )  # fmt: skip
    _smog(registry, series, hook)
    evaluator.run_once()
    assert len(_Hook.bodies) == 1  # a 4xx is an answer: no retry
    assert _states(registry) == {
        ("firing", "mqtt"): ("failed", 1, "broker unreachable, command not sent: refused"),
        ("firing", "webhook"): ("failed", 1, "webhook refused: HTTP 404"),
    }
    series.close()
    registry.close()


def test_pending_delivery_survives_a_crash_and_can_be_resent(registry_url: str) -> None:
    """A hub that stopped between storing the event and sending leaves the rows pending."""
    registry = Registry.open(registry_url)
    with registry.session() as s:
        devices.create_device(s, "t", "cam-1")
        rule = repo.create_rule(s, "t", name="down", kind="offline", params={"after_s": 60})
        from cloud_hub.registry.models import AlertEvent

        event = AlertEvent(rule_id=rule.id, device_id="cam-1", fired_at=NOW, message="offline")
        s.add(event)
        s.flush()
        deliveries.add_pending(s, event.id, "firing", ["mqtt"], NOW)
    assert _states(registry) == {("firing", "mqtt"): ("pending", 0, None)}
    sent: list[bytes] = []
    Deliverer(registry, lambda _t, p, **_: sent.append(p), AlertSettings()).redeliver(event.id)
    assert _states(registry) == {("firing", "mqtt"): ("sent", 1, None)}
    assert json.loads(sent[0])["message"] == "offline"
    registry.close()


def test_events_api_shows_deliveries_and_redeliver_resends(tmp_path: Path, hook: str) -> None:
    with running_hub(tmp_path) as h:
        published: list[str] = []
        h.hub.publish = lambda topic, payload, **_: published.append(topic)
        series = SqliteSeriesStore(tmp_path / "series.db")
        _smog(h.hub.registry, series, hook)
        AlertEvaluator(
            h.hub.registry, series, h.hub.publish, AlertSettings(webhook_retries=1),
            clock=lambda: NOW, webhook=NO_WAIT, metrics=h.hub.alert_metrics,
        ).run_once()  # fmt: skip
        viewer, op = h.headers("viewer"), h.headers("operator")
        [event] = h.client.get("/api/v1/alerts/events", headers=viewer).json()
        hooks = {d["channel"]: d for d in event["deliveries"]}
        assert hooks["webhook"]["state"] == "failed" and hooks["webhook"]["attempts"] == 2
        assert hooks["webhook"]["last_error"] == "webhook failed after 2 tries: HTTP 500"
        metrics = h.client.get("/metrics").text
        assert 'hub_alert_deliveries_failed{channel="webhook"} 1.0' in metrics
        assert 'hub_alert_deliveries_total{channel="webhook",outcome="failed"} 1.0' in metrics

        url = f"/api/v1/alerts/events/{event['id']}/redeliver"
        assert h.client.post(url, headers=viewer).status_code == 403
        r = h.client.post(url, headers=op)  # still failing: one more try, recorded
        assert r.status_code == 200
        assert {d["channel"]: d["attempts"] for d in r.json()["deliveries"]}["webhook"] == 3
        _Hook.status = 200
        r = h.client.post(url, headers=op)
        assert r.status_code == 200
        assert {d["channel"]: d["state"] for d in r.json()["deliveries"]} == {
            "mqtt": "sent",
            "webhook": "sent",
        }
        assert 'hub_alert_deliveries_failed{channel="webhook"} 0.0' in h.client.get("/metrics").text
        r = h.client.post(url, headers=op)
        assert r.status_code == 409 and r.json()["error"] == "Conflict"
        missing = h.client.post("/api/v1/alerts/events/999999/redeliver", headers=op)
        assert missing.status_code == 404
        assert published == ["pm25/v1/cam-1/alert"]
        series.close()
