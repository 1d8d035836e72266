"""The console in real headless Chromium against a live hub fed over a real Mosquitto.

Every test ends with ``browser.check_clean()``: no console error, no page error, and no request
to anything but the local hub. Screenshots of each page (desktop 1366×900, phone 390×844) go to
docs/screenshots/ from this run.
"""

from __future__ import annotations

import base64
import math
import time

import httpx
from playwright.sync_api import Page, Route, expect

from cloud_hub.loop.tables import DriftResult, FleetDrift
from tests.console.browser import DESKTOP, PHONE, Browser, screenshot
from tests.console.live_hub import DEVICES, PASSWORD, LiveHub

TIMEOUT_MS = 30_000  # generous: CI shares 2 cores with the whole suite
ONE_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _login(page: Page, live: LiveHub, role: str) -> None:
    page.goto(f"{live.url}/console/")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#who")).to_contain_text(f"({role})", timeout=TIMEOUT_MS)


def _fleet_ready(page: Page, live: LiveHub) -> None:
    """Every device with coordinates is drawn (the seeded ones, and any a test added)."""
    devices = httpx.get(f"{live.url}/api/v1/devices", headers=live.headers("viewer")).json()
    placed = [d for d in devices if d["lat"] is not None]
    assert len(placed) >= len(DEVICES)
    dots = page.locator("#fleet-map circle.device-dot")
    expect(dots).to_have_count(len(placed), timeout=TIMEOUT_MS)


def _device_ready(page: Page) -> int:
    chart = page.locator("#pm25-chart")
    expect(chart.locator("canvas")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(chart).to_have_attribute("data-points", "100", timeout=TIMEOUT_MS)
    return int(chart.get_attribute("data-points") or 0)


def test_admin_sees_every_page_on_desktop_and_phone(live: LiveHub, browser: Browser) -> None:
    for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = browser.page(viewport, mobile=viewport is PHONE)
        _login(page, live, "admin")
        _fleet_ready(page, live)
        expect(page.locator(".count[data-state=online] b")).to_have_text("3")
        screenshot(page, f"fleet-{suffix}")

        page.click("a.device-link:text('cam-centre')")
        assert _device_ready(page) == 100  # two hours at 1/min minus the 20 min gap
        health = page.locator("#health canvas")
        expect(health).to_have_count(3, timeout=TIMEOUT_MS)
        expect(page.locator("#sample img")).to_be_visible()
        expect(page.locator("#chart-note")).to_contain_text("reference: Reference Centre")
        expect(page.locator("#chart-note")).to_contain_text("1 gap records")
        screenshot(page, f"device-{suffix}")

        page.click("#nav a[data-page=analytics]")
        expect(page.locator("#zone-trend canvas")).to_have_count(1, timeout=TIMEOUT_MS)
        expect(page.locator("#aqi-calendar .day[data-day]:not(.empty)")).not_to_have_count(0)
        screenshot(page, f"analytics-{suffix}")

        page.click("#nav a[data-page=provisioning]")
        expect(page.locator("#users table")).to_be_visible(timeout=TIMEOUT_MS)
        screenshot(page, f"provisioning-{suffix}")

        page.click("#nav a[data-page=rollouts]")
        expect(page.locator("#create-rollout")).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.locator("#releases")).to_contain_text("No published releases")
        screenshot(page, f"rollouts-{suffix}")
        page.context.close()
    browser.check_clean()


def test_fleet_filters_and_colour_toggle(live: LiveHub, browser: Browser) -> None:
    page = browser.page()
    _login(page, live, "viewer")
    _fleet_ready(page, live)
    page.select_option("select[name=tag]", "row-0")
    expect(page.locator("#fleet-map circle.device-dot")).to_have_count(2)
    first = page.locator("#fleet-map circle.device-dot").first
    aqi_fill = first.get_attribute("fill")
    assert aqi_fill == "#FFFF00"  # moderate readings: the EPA colour from pm25.aqi
    page.select_option("select[name=colour]", "health")
    expect(first).to_have_attribute("fill", "#2e9d4f")  # online
    page.context.close()
    browser.check_clean()


def test_viewer_is_not_offered_what_the_api_refuses(live: LiveHub, browser: Browser) -> None:
    page = browser.page()
    _login(page, live, "viewer")
    _fleet_ready(page, live)
    expect(page.locator("#nav a[data-page=provisioning]")).to_be_hidden()
    page.goto(f"{live.url}/console/#/device/cam-centre")
    _device_ready(page)
    expect(page.locator("#request-sample")).to_have_count(0)
    page.goto(f"{live.url}/console/#/provisioning")
    expect(page.locator("#add-device")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("needs the operator role")
    page.context.close()
    browser.check_clean()
    url = f"{live.url}/api/v1/devices/cam-centre/commands"
    refused = httpx.post(url, json={"type": "capture_sample"}, headers=live.headers("viewer"))
    assert refused.status_code == 403
    assert (
        httpx.post(
            f"{live.url}/api/v1/devices", json={"id": "x"}, headers=live.headers("viewer")
        ).status_code
        == 403
    )


def test_operator_requests_a_sample_and_adds_a_device(live: LiveHub, browser: Browser) -> None:
    page = browser.page()
    _login(page, live, "operator")
    page.goto(f"{live.url}/console/#/device/cam-east")
    _device_ready(page)
    page.click("button[data-range='604800']")  # 7 days: interval means instead of every reading
    expect(page.locator("#chart-note")).to_contain_text("intervals of 10 min", timeout=TIMEOUT_MS)
    buckets = int(page.locator("#pm25-chart").get_attribute("data-points") or 0)
    assert 8 <= buckets <= 12  # 2 h of readings minus the 20 min gap, in 10 min buckets
    expect(page.locator("#pm25-chart canvas")).to_have_count(1)
    expect(page.locator("#sample")).to_contain_text("No sample captured yet")
    expect(page.locator("#drift")).to_contain_text("No drift check yet")  # closed-loop panel
    with live.hub.registry.session() as s:  # what the loop job stores after a drift check
        s.add(DriftResult(device_id="cam-east", signal="pm25", statistic=0.41, threshold=0.25,
                          n=500, baseline="device", drifted=True, at=time.time()))  # fmt: skip
        s.add(DriftResult(device_id="cam-east", signal="edge_density", kind="training",
                          statistic=4.2, threshold=0.25, n=900, baseline="model:1", drifted=False,
                          at=time.time()))  # fmt: skip
        s.add(FleetDrift(model_version=3, signal="edge_density",  # live_hub's devices run v3
                         statistic=0.07, threshold=0.25, n=90000, devices=60, drifted=False,
                         at=time.time()))  # fmt: skip
    page.click("#request-sample")
    expect(page.locator("#commands td:text('capture_sample')")).to_have_count(1, timeout=TIMEOUT_MS)
    # The device (over the real broker) sends the crop and acks; the page shows both live.
    expect(page.locator("#commands td:text('ok')")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(page.locator("#sample img")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#drift tr:has-text('pm25')")).to_contain_text("drifted")
    # PSI vs the training data is shown as information; the fleet's comparison below it.
    expect(page.locator("#drift tr:has-text('vs training data')")).to_contain_text("info")
    expect(page.locator("#drift tr:has-text('60')")).to_contain_text("edge_density")
    commands = httpx.get(
        f"{live.url}/api/v1/devices/cam-east/commands", headers=live.headers("viewer")
    ).json()
    assert [(c["type"], c["issued_by"]) for c in commands] == [("capture_sample", "operator")]

    page.goto(f"{live.url}/console/#/provisioning")
    page.fill("#add-device input[name=id]", "cam-new")
    page.fill("#add-device input[name=lat]", "48.86")
    page.fill("#add-device input[name=lon]", "2.35")
    page.click("#add-device button[type=submit]")
    with page.expect_download() as download:
        page.click("#download-bundle")
    bundle = download.value.path().read_text()
    assert "device_id: cam-new" in bundle and "password:" in bundle
    expect(page.locator("#users")).to_have_count(0)  # admin only: not drawn for an operator
    page.context.close()
    browser.check_clean()


def test_operator_creates_and_advances_a_rollout_viewer_cannot(
    live: LiveHub, browser: Browser
) -> None:
    page = browser.page()
    _login(page, live, "operator")
    page.click("#nav a[data-page=rollouts]")
    form = page.locator("#create-rollout")
    form.locator("input[name=version]").fill("4")
    # Cohorts come from a hash of the (random) rollout id: with 3 devices a 34 % first stage is
    # empty about one run in three, and an empty stage has nobody "updating". A 98 % first stage
    # holds a device in all but ~1e-5 of runs.
    form.locator("input[name=stages]").fill("0.98, 0.99, 1")
    form.locator("select[name=mode]").select_option("manual")
    form.locator("button[type=submit]").click()
    [rollout] = httpx.get(f"{live.url}/api/v1/rollouts", headers=live.headers("viewer")).json()
    rid = rollout["id"]
    assert (rollout["model_name"], rollout["version"], rollout["state"]) == (
        "pm25-haze",
        4,
        "running",
    )
    expect(page.locator(f"[data-stage-of='{rid}']")).to_contain_text("1 / 3", timeout=TIMEOUT_MS)
    rows = page.locator("#rollout-detail tbody tr")
    expect(rows).not_to_have_count(0, timeout=TIMEOUT_MS)  # per-device status, from the evaluator
    notified = page.locator("#rollout-detail tbody tr td:nth-child(3)", has_text="updating")
    expect(notified).not_to_have_count(0, timeout=TIMEOUT_MS)  # update notices sent to stage 1

    page.click(f"[data-for='{rid}'][data-action=advance]")
    expect(page.locator(f"[data-stage-of='{rid}']")).to_contain_text("2 / 3", timeout=TIMEOUT_MS)
    screenshot(page, "rollout-advanced-desktop")
    page.click(f"[data-for='{rid}'][data-action=pause]")
    expect(page.locator(f"[data-state-of='{rid}']")).to_have_text("paused", timeout=TIMEOUT_MS)
    page.click(f"[data-for='{rid}'][data-action=resume]")
    expect(page.locator(f"[data-state-of='{rid}']")).to_have_text("running", timeout=TIMEOUT_MS)
    page.context.close()

    viewer = browser.page()
    _login(viewer, live, "viewer")
    viewer.click("#nav a[data-page=rollouts]")
    expect(viewer.locator(f"[data-state-of='{rid}']")).to_have_text("running", timeout=TIMEOUT_MS)
    expect(viewer.locator("#create-rollout")).to_have_count(0)
    expect(viewer.locator("[data-action]")).to_have_count(0)
    viewer.context.close()
    browser.check_clean()
    for action in ("advance", "abort"):
        url = f"{live.url}/api/v1/rollouts/{rid}/{action}"
        assert httpx.post(url, headers=live.headers("viewer")).status_code == 403


def test_configured_tile_layer_is_drawn_behind_the_plot(live: LiveHub, browser: Browser) -> None:
    """With console.tile_url set the plot switches to Web Mercator and draws those tiles; the
    config and a local tile server are stood in for by routes (no tile server here)."""
    config = httpx.get(f"{live.url}/console/config.json").json()
    config["tile_url"] = "http://localhost:9/tiles/{z}/{x}/{y}.png"
    page = browser.page()
    page.route("**/console/config.json", lambda route: route.fulfill(json=config))
    tiles: list[str] = []

    def tile(route: Route) -> None:
        tiles.append(route.request.url)
        route.fulfill(body=ONE_PIXEL_PNG, content_type="image/png")

    page.route("http://localhost:9/tiles/**", tile)
    _login(page, live, "viewer")
    _fleet_ready(page, live)
    images = page.locator("#fleet-map g.tiles image")
    expect(images).not_to_have_count(0, timeout=TIMEOUT_MS)
    href = images.first.get_attribute("href") or ""
    z, x, y = (int(v) for v in href.removesuffix(".png").split("/")[-3:])
    # Paris at this zoom: the tile column and row of lon 2.35, lat 48.86 in Web Mercator.
    n = 2**z
    assert abs(x - int((2.35 + 180) / 360 * n)) <= 2
    assert abs(y - int((1 - math.asinh(math.tan(math.radians(48.86))) / math.pi) / 2 * n)) <= 2
    assert 12 <= z <= 16 and tiles
    page.context.close()
    browser.check_clean()


def test_pages_update_live_without_reloading(live: LiveHub, browser: Browser) -> None:
    page = browser.page()
    _login(page, live, "viewer")
    _fleet_ready(page, live)
    before = page.locator("#fleet-map circle.device-dot").count()
    never_seen = page.locator(".count[data-state=never_seen] b")
    unseen = int(never_seen.inner_text())
    page.evaluate("window.__sameDocument = true")
    body = {"id": "cam-live", "lat": 48.853, "lon": 2.340, "zone_id": "centre"}
    r = httpx.post(f"{live.url}/api/v1/devices", json=body, headers=live.headers("operator"))
    assert r.status_code == 201
    # The next poll (console.poll_s = 2 s here) draws it; the document was never reloaded.
    expect(page.locator("#fleet-map circle.device-dot")).to_have_count(
        before + 1, timeout=TIMEOUT_MS
    )
    expect(page.locator("#fleet-map circle[data-device=cam-live]")).to_have_count(1)
    assert page.evaluate("window.__sameDocument") is True
    expect(never_seen).to_have_text(str(unseen + 1))
    page.context.close()
    browser.check_clean()
