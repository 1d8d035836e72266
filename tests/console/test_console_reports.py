"""Retrain reports in the console, in real headless Chromium against a live hub: the list on the
Models page with decision badges, a rollout linking the report of its release, and the report
view rendering report.md's tables with the plots loaded. The reports are written by the real
report writer (training/retrain/report.py) and sent by the real uploader's request body."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from playwright.sync_api import expect

from tests.console.browser import PHONE, Browser, screenshot
from tests.console.live_hub import LiveHub
from tests.console.test_console_browser import TIMEOUT_MS, _login
from training import metrics
from training.retrain.policy import Check, Decision
from training.retrain.report import RunId, write_report
from training.retrain.upload import upload_body

BLOB_URL = re.compile(r"^blob:")  # plots are fetched with the token, shown from memory
HOSTILE = "<img src=x onerror=alert(1)>"  # in a fact: must show as text, never become HTML


def _evaluation(bias: float, rng: np.random.Generator) -> dict[str, Any]:
    truth = rng.uniform(5, 90, 60)
    pred = truth + bias + rng.normal(0, 3, 60)
    out: dict[str, Any] = dict(metrics.evaluate(pred, np.full(60, 5.0), truth))
    out["by_device"] = {f"cam-{i}": metrics.errors(pred[i::3], truth[i::3]) for i in range(3)}
    return out


def _upload(live: LiveHub, folder: Path, promote: bool, version: int) -> str:
    rng = np.random.default_rng(version)
    evals = {"field": {"champion": _evaluation(20.0, rng),
                       "challenger": _evaluation(2.0 if promote else 30.0, rng)}}  # fmt: skip
    check = Check("field RMSE gain", promote, "gain 80 %" if promote else "gain -40 %")
    facts = {"trigger": "weekly", "note": HOSTILE}
    write_report(folder, evals, Decision(promote, (check,)), facts,
                 RunId("pm25-haze", 1, version, "weekly"))  # fmt: skip
    r = httpx.post(f"{live.url}/api/v1/retrain-reports", json=upload_body(folder),
                   headers=live.headers("operator"))  # fmt: skip
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_reports_are_listed_linked_and_shown_with_tables_and_plots(
    live: LiveHub, browser: Browser, tmp_path: Path
) -> None:
    promoted = _upload(live, tmp_path / "a", promote=True, version=2)
    refused = _upload(live, tmp_path / "b", promote=False, version=3)
    rollout = {"model_name": "pm25-haze", "version": 2, "start": False}
    r = httpx.post(f"{live.url}/api/v1/rollouts", json=rollout, headers=live.headers("operator"))
    assert r.status_code == 201, r.text

    page = browser.page()
    _login(page, live, "viewer")  # reading reports is a viewer's right
    page.click("#nav a[data-page=rollouts]")
    listing = page.locator("#retrain-reports")
    expect(listing.locator("[data-decision]")).to_have_text(["refused", "promoted"],
                                                            timeout=TIMEOUT_MS)  # fmt: skip
    # The rollout of v2 links the report that promoted v2; a refused v3 is nobody's release.
    expect(page.locator("#rollouts [data-report-for='pm25-haze:2']")).to_have_attribute(
        "href", f"#/report/{promoted}", timeout=TIMEOUT_MS)  # fmt: skip
    page.click(f"[data-report='{refused}']")

    body = page.locator("#report-body")
    expect(body.locator("h2")).to_have_text("Retrain report: challenger REFUSED",
                                            timeout=TIMEOUT_MS)  # fmt: skip
    expect(body.locator("tbody tr", has_text="all").first).to_be_visible()
    expect(body.locator("li", has_text="FAILED: field RMSE gain")).to_be_visible()
    expect(body.locator("li", has_text=HOSTILE)).to_be_visible()  # shown as text ...
    images = body.locator("img")
    expect(images).to_have_count(2)  # ... so the only images are the two plots
    for name in ("bands.png", "devices.png"):
        img = body.locator(f"img[data-file='{name}']")
        expect(img).to_have_attribute("src", BLOB_URL, timeout=TIMEOUT_MS)
        page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=img.element_handle(),
                               timeout=TIMEOUT_MS)  # fmt: skip
    expect(page.locator("#nav a.active")).to_have_attribute("data-page", "rollouts")
    screenshot(page, "retrain-report-desktop")
    page.context.close()

    phone = browser.page(PHONE, mobile=True)
    _login(phone, live, "viewer")
    phone.goto(f"{live.url}/console/#/report/{promoted}")
    expect(phone.locator("#report-body h2")).to_have_text("Retrain report: challenger PROMOTED",
                                                          timeout=TIMEOUT_MS)  # fmt: skip
    phone.context.close()
    browser.check_clean()
    assert httpx.get(f"{live.url}/api/v1/retrain-reports/{promoted}").status_code == 401
