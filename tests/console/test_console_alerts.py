"""The Analytics page shows an alert whose webhook failed, with the error, and an operator's
Re-send reaches the (now recovered) receiver: real Chromium, live hub, a real local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from playwright.sync_api import Page, expect

from cloud_hub.registry import alerts as repo
from cloud_hub.registry import deliveries
from cloud_hub.registry.models import AlertEvent
from tests.console.browser import Browser
from tests.console.live_hub import DEVICES, PASSWORD, LiveHub

TIMEOUT_MS = 30_000  # generous: CI shares 2 cores with the whole suite


class _Hook(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def _login(page: Page, live: LiveHub, role: str) -> None:
    page.goto(f"{live.url}/console/")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#who")).to_contain_text(f"({role})", timeout=TIMEOUT_MS)


@pytest.fixture
def hook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    _Hook.bodies = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def test_failed_webhook_shown_and_resent(live: LiveHub, browser: Browser, hook: str) -> None:
    device = next(iter(DEVICES))
    with live.hub.registry.session() as s:
        rule = repo.create_rule(
            s, "test", name="smog", kind="pm25_above",
            params={"level": 35, "minutes": 10}, webhook_url=hook,
        )  # fmt: skip
        event = AlertEvent(rule_id=rule.id, device_id=device, fired_at=1.7e9, message="smog")
        s.add(event)
        s.flush()
        deliveries.add_pending(s, event.id, "firing", ["webhook"], 1.7e9)
        deliveries.settle(
            s, (event.id, "firing", "webhook"), attempts=4,
            error="webhook failed after 4 tries: HTTP 500", now=1.7e9,
        )  # fmt: skip
        event_id = event.id

    viewer = browser.page()
    _login(viewer, live, "viewer")
    viewer.click("#nav a[data-page=analytics]")
    cell = viewer.locator(f".delivery-failed[data-event='{event_id}']")
    expect(cell).to_contain_text(
        "webhook (firing) failed after 4 tries: webhook failed after 4 tries: HTTP 500",
        timeout=TIMEOUT_MS,
    )
    expect(cell.locator("button")).to_have_count(0)  # viewers cannot re-send

    page = browser.page()
    _login(page, live, "operator")
    page.click("#nav a[data-page=analytics]")
    page.click(f"button[data-resend='{event_id}']", timeout=TIMEOUT_MS)
    expect(page.locator(f".delivery-failed[data-event='{event_id}']")).to_have_count(
        0, timeout=TIMEOUT_MS
    )
    assert len(_Hook.bodies) == 1 and b'"state":"firing"' in _Hook.bodies[0].replace(b" ", b"")
    browser.check_clean()
