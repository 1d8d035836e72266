"""Alerts: pure rule evaluation, the evaluator on a real registry and series store, webhooks
against a real local HTTP server, rules CRUD over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from cloud_hub.alerts import AlertEvaluator
from cloud_hub.alerts.notify import post_webhook
from cloud_hub.alerts.rules import (
    AqiAbove,
    DeviceState,
    Offline,
    OutboxGrowing,
    Pm25Above,
    QualityFailures,
    evaluate,
)
from cloud_hub.errors import StoreUnavailable
from cloud_hub.registry import Registry, devices
from cloud_hub.registry import alerts as repo
from cloud_hub.registry.directory import RegistryDirectory
from cloud_hub.series import StoredReading
from cloud_hub.series.sqlite import SqliteSeriesStore
from cloud_hub.settings import AlertSettings
from pm25.wire import AlertNotice
from tests.cloud_hub.hub_support import running_hub

NOW = 1_767_225_600.0
DEV = DeviceState("cam-1", NOW - 10, {"outbox": 5, "outbox_age_s": 30, "accepted": 90})


def _series(values: list[float], step: int = 60) -> list[tuple[int, float]]:
    """Readings ending now, oldest first."""
    n = len(values)
    return [(int(NOW) - step * (n - 1 - i), v) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("values", "fires"),
    [
        ([40.0] * 11, True),  # 10 minutes covered, all above 35
        ([40.0] * 5 + [30.0] + [40.0] * 5, False),  # one dip
        ([40.0] * 3, False),  # only 2 minutes of data: the window is not covered
        ([], False),
        ([35.0] * 11, False),  # equal is not above
    ],
)
def test_pm25_above(values: list[float], fires: bool) -> None:
    rule = Pm25Above(level=35, minutes=10)
    assert (evaluate(rule, DEV, _series(values), NOW) is not None) is fires


def test_aqi_above_uses_epa_aqi() -> None:
    assert evaluate(AqiAbove(level=100, minutes=10), DEV, _series([40.0] * 11), NOW)  # AQI 112
    assert not evaluate(AqiAbove(level=150, minutes=10), DEV, _series([40.0] * 11), NOW)


def test_offline_outbox_quality() -> None:
    assert evaluate(Offline(after_s=300), DeviceState("d", NOW - 301, None), [], NOW)
    assert not evaluate(Offline(after_s=300), DeviceState("d", NOW - 299, None), [], NOW)
    assert not evaluate(Offline(after_s=300), DeviceState("d", None, None), [], NOW)
    assert evaluate(
        OutboxGrowing(max_age_s=60), DeviceState("d", NOW, {"outbox_age_s": 61}), [], NOW
    )
    assert not evaluate(OutboxGrowing(max_age_s=60), DEV, [], NOW)
    hb = {"accepted": 50, "rejected": {"blur": 30, "dark": 20}}
    assert evaluate(QualityFailures(max_ratio=0.4), DeviceState("d", NOW, hb), [], NOW)
    assert not evaluate(QualityFailures(max_ratio=0.6), DeviceState("d", NOW, hb), [], NOW)
    few = {"accepted": 1, "rejected": {"blur": 9}}
    assert not evaluate(QualityFailures(max_ratio=0.4), DeviceState("d", NOW, few), [], NOW)


class _Hook(BaseHTTPRequestHandler):
    statuses: ClassVar[list[int]] = []
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(self.statuses.pop(0) if self.statuses else 200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    _Hook.statuses, _Hook.bodies = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


NOTICE = AlertNotice(
    rule_id=1,
    rule="r",
    kind="offline",
    device_id="d",
    state="firing",
    message="m",
    t=datetime.fromtimestamp(NOW, UTC),
)


def test_webhook_retries_then_succeeds(hook: str) -> None:
    _Hook.statuses = [500, 503]
    waits: list[float] = []
    post_webhook(hook, NOTICE, retries=3, timeout_s=5, sleep=waits.append)
    assert waits == [1.0, 2.0] and len(_Hook.bodies) == 3
    assert json.loads(_Hook.bodies[-1])["device_id"] == "d"


def test_webhook_gives_up(hook: str) -> None:
    _Hook.statuses = [500] * 5
    with pytest.raises(StoreUnavailable, match="3 tries: HTTP 500"):
        post_webhook(hook, NOTICE, retries=2, timeout_s=5, sleep=lambda _s: None)
    with pytest.raises(StoreUnavailable, match="ConnectError"):
        post_webhook("http://127.0.0.1:1/", NOTICE, retries=0, timeout_s=1)


def test_evaluator_fires_once_and_resolves(tmp_path: Path, hook: str) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'reg.db'}")
    series = SqliteSeriesStore(tmp_path / "series.db")
    sent: list[tuple[str, bytes]] = []
    now = [NOW]
    evaluator = AlertEvaluator(
        registry,
        series,
        lambda topic, payload, **_: sent.append((topic, payload)),
        AlertSettings(webhook_retries=0),
        clock=lambda: now[0],
    )
    with registry.session() as s:
        devices.create_device(s, "t", "cam-1")
        devices.create_device(s, "t", "cam-2")
        params = {"level": 35, "minutes": 10}
        repo.create_rule(s, "t", name="smog", kind="pm25_above", params=params, webhook_url=hook)
    series.write(
        [StoredReading("cam-1", i, int(NOW) - 600 + 60 * i, 50.0, 1, 0, 0, 1) for i in range(11)]
    )
    fired = evaluator.run_once()
    assert [(n.device_id, n.state) for n in fired] == [("cam-1", "firing")]
    assert sent[0][0] == "pm25/v1/cam-1/alert" and json.loads(sent[0][1])["state"] == "firing"
    assert len(_Hook.bodies) == 1
    assert evaluator.run_once() == []  # still firing: no second notice
    now[0] += 3600  # no readings in the last 10 minutes any more
    resolved = evaluator.run_once()
    assert [(n.device_id, n.state) for n in resolved] == [("cam-1", "resolved")]
    with registry.session() as s:
        [event] = repo.list_events(s)
        assert event.resolved_at == NOW + 3600
    series.close()
    registry.close()


def test_offline_rule_with_registry_state(tmp_path: Path) -> None:
    registry = Registry.open(f"sqlite:///{tmp_path / 'reg.db'}")
    series = SqliteSeriesStore(tmp_path / "series.db")

    from pm25.wire import Status

    with registry.session() as s:
        devices.create_device(s, "t", "cam-1")
        repo.create_rule(s, "t", name="down", kind="offline", params={"after_s": 600})
    seen = datetime.fromtimestamp(NOW - 900, UTC)
    RegistryDirectory(registry).record_status(
        "cam-1", Status(state="online", t=seen, agent="1.0.0"), seen
    )
    ev = AlertEvaluator(registry, series, lambda *a, **k: None, AlertSettings(), clock=lambda: NOW)
    assert [n.message for n in ev.run_once()] == ["offline for 900 s"]
    series.close()
    registry.close()


def test_rules_crud_over_http(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        op, viewer = h.headers("operator"), h.headers("viewer")
        body = {"name": "smog", "params": {"kind": "pm25_above", "level": 35, "minutes": 30}}
        r = h.client.post("/api/v1/alerts/rules", json=body, headers=op)
        assert r.status_code == 201 and r.json()["params"] == {"level": 35.0, "minutes": 30}
        rid = r.json()["id"]
        bad = {"name": "x", "params": {"kind": "pm25_above", "level": -1, "minutes": 30}}
        assert h.client.post("/api/v1/alerts/rules", json=bad, headers=op).status_code == 422
        unknown = {"name": "x", "params": {"kind": "moon_phase"}}
        assert h.client.post("/api/v1/alerts/rules", json=unknown, headers=op).status_code == 422
        r = h.client.patch(f"/api/v1/alerts/rules/{rid}", json={"enabled": False}, headers=op)
        assert r.json()["enabled"] is False
        assert len(h.client.get("/api/v1/alerts/rules", headers=viewer).json()) == 1
        assert h.client.delete(f"/api/v1/alerts/rules/{rid}", headers=op).status_code == 204
        assert h.client.delete(f"/api/v1/alerts/rules/{rid}", headers=op).status_code == 404
        assert h.client.get("/api/v1/alerts/events", headers=viewer).json() == []
