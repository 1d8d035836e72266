"""Drift alerts go through the alert delivery like every other alert: pending rows with the event,
each channel settled sent/failed, the failed-delivery metric, and an operator's re-send. The
channels are real: a Mosquitto broker and a local webhook receiver that fails, then recovers."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from cloud_hub.alerts.delivery import Deliverer
from cloud_hub.alerts.metrics import AlertMetrics
from cloud_hub.alerts.notify import post_webhook
from cloud_hub.app import MqttPublisher
from cloud_hub.loop import watch
from cloud_hub.loop.tables import DriftResult
from cloud_hub.mqtt_client import MqttSettings
from cloud_hub.registry import Registry, deliveries, devices
from cloud_hub.registry import alerts as repo
from cloud_hub.settings import AlertSettings
from pm25 import topics
from tests.cloud_hub.hub_support import running_hub
from tests.conftest import HUB_USER, WATCHER_USER
from tests.support.mosquitto import MosquittoBroker
from tests.support.mqtt import Watcher
from tests.support.webhook import Hook as _Hook
from tests.support.webhook import serve_hook

NOW = 1_767_225_600.0
NO_WAIT = functools.partial(post_webhook, sleep=lambda _s: None)


@pytest.fixture
def hook() -> Iterator[str]:
    """A real webhook receiver answering 500 until a test sets ``_Hook.status = 200``."""
    yield from serve_hook()


def _drifted(registry: Registry, device_id: str, drifted: bool) -> None:
    """The drift watch's stored result (computed in the loop tests), as it would leave it."""
    with registry.session() as s:
        row = s.get(DriftResult, (device_id, "edge_density", "outside"))
        if row is None:
            row = DriftResult(device_id=device_id, signal="edge_density", kind="outside",
                              threshold=0.2, n=120, baseline="model:1")  # fmt: skip
            s.add(row)
        row.statistic, row.drifted, row.at = (0.5 if drifted else 0.0), drifted, NOW


def test_drift_alert_deliveries_are_recorded_shown_counted_and_resent(
    tmp_path: Path, mosquitto: MosquittoBroker, hook: str
) -> None:
    mosquitto.start()
    watcher = Watcher(mosquitto.port, *WATCHER_USER, ["pm25/v1/+/alert"]).start()
    mqtt = {"port": mosquitto.port, "username": HUB_USER[0], "password": HUB_USER[1]}
    with running_hub(tmp_path, mqtt=mqtt) as h:
        op, viewer = h.headers("operator"), h.headers("viewer")
        h.client.post("/api/v1/devices", json={"id": "cam-1"}, headers=op)
        rule = {"name": "drift", "params": {"kind": "drift"}, "webhook_url": hook}
        assert h.client.post("/api/v1/alerts/rules", json=rule, headers=op).status_code == 201
        deliverer = Deliverer(h.hub.registry, h.hub.publish, AlertSettings(webhook_retries=1),
                              h.hub.alert_metrics, webhook=NO_WAIT)  # fmt: skip
        _drifted(h.hub.registry, "cam-1", True)

        assert [n.state for n in watch.alert(h.hub.registry, deliverer, NOW)] == ["firing"]
        [event] = h.client.get("/api/v1/alerts/events", headers=viewer).json()
        got = {d["channel"]: d for d in event["deliveries"]}
        assert (got["mqtt"]["state"], got["mqtt"]["attempts"]) == ("sent", 1)
        assert (got["webhook"]["state"], got["webhook"]["attempts"]) == ("failed", 2)
        assert got["webhook"]["last_error"] == "webhook failed after 2 tries: HTTP 500"
        metrics = h.client.get("/metrics").text
        assert 'hub_alert_deliveries_failed{channel="webhook"} 1.0' in metrics
        assert 'hub_alert_deliveries_total{channel="webhook",outcome="failed"} 1.0' in metrics
        (alert,) = watcher.wait_for(1)
        assert alert.topic == topics.alert("cam-1")
        assert json.loads(alert.payload)["message"].startswith("drift: edge_density outside")

        _Hook.status = 200  # the receiver is back; an operator re-sends
        r = h.client.post(f"/api/v1/alerts/events/{event['id']}/redeliver", headers=op)
        assert r.status_code == 200, r.text
        assert {d["channel"]: d["state"] for d in r.json()["deliveries"]} == {
            "mqtt": "sent", "webhook": "sent"
        }  # fmt: skip
        assert json.loads(_Hook.bodies[-1])["kind"] == "drift"
        assert len(watcher.wait_for(2, timeout_s=0.5)) == 1  # MQTT had gone out: not again
        metrics = h.client.get("/metrics").text
        assert 'hub_alert_deliveries_failed{channel="webhook"} 0.0' in metrics

        _drifted(h.hub.registry, "cam-1", False)  # the camera is back in range: resolved
        assert [n.state for n in watch.alert(h.hub.registry, deliverer, NOW + 60)] == ["resolved"]
        [event] = h.client.get("/api/v1/alerts/events", headers=viewer).json()
        states = {(d["notice"], d["channel"]): d["state"] for d in event["deliveries"]}
        both = [(n, c) for n in ("firing", "resolved") for c in ("mqtt", "webhook")]
        assert states == dict.fromkeys(both, "sent")
    watcher.stop()


def _deliveries(registry: Registry) -> dict[tuple[str, str], tuple[str, int, str | None]]:
    with registry.session() as s:
        [event] = repo.list_events(s)
        rows = deliveries.for_events(s, [event.id])[event.id]
        return {(d.notice, d.channel): (d.state, d.attempts, d.last_error) for d in rows}


def test_a_broker_outage_is_recorded_and_resent_once_it_is_back(
    registry_url: str, mosquitto: MosquittoBroker
) -> None:
    registry = Registry.open(registry_url)
    with registry.session() as s:
        devices.create_device(s, "t", "cam-1")
        repo.create_rule(s, "t", name="drift", kind="drift", params={})
    _drifted(registry, "cam-1", True)
    settings = MqttSettings(port=mosquitto.port, username=HUB_USER[0], password=HUB_USER[1])
    metrics = AlertMetrics(CollectorRegistry())
    deliverer = Deliverer(registry, MqttPublisher(settings), AlertSettings(), metrics)

    watch.alert(registry, deliverer, NOW)  # the broker is not running
    ((state, tries, error),) = _deliveries(registry).values()
    assert (state, tries) == ("failed", 1) and error is not None and "broker unreachable" in error
    assert metrics.deliveries.labels("mqtt", "failed")._value.get() == 1
    assert watch.alert(registry, deliverer, NOW + 60) == []  # still open: not fired again

    mosquitto.start()
    with registry.session() as s:
        [event] = repo.list_events(s)
    deliverer.redeliver(event.id)
    assert _deliveries(registry) == {("firing", "mqtt"): ("sent", 2, None)}
    registry.close()


def test_a_crash_before_sending_leaves_a_pending_delivery(registry_url: str) -> None:
    """The pending rows are written with the event: a send that never happens stays visible."""
    registry = Registry.open(registry_url)
    with registry.session() as s:
        devices.create_device(s, "t", "cam-1")
        repo.create_rule(s, "t", name="drift", kind="drift", params={})
    _drifted(registry, "cam-1", True)

    class CrashError(Exception):
        pass

    def crash(*_a: Any, **_k: Any) -> None:
        raise CrashError

    with pytest.raises(CrashError):
        watch.alert(registry, Deliverer(registry, crash, AlertSettings()), NOW)
    assert _deliveries(registry) == {("firing", "mqtt"): ("pending", 0, None)}
    registry.close()
