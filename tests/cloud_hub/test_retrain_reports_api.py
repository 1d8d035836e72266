"""Retrain reports over the real hub app: upload, list, detail and files round trip; every bad
input a clear 4xx that stores nothing; no way out of the report folder; roles."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from tests.cloud_hub.hub_support import HubClient, running_hub

URL = "/api/v1/retrain-reports"
MARKDOWN = "# Retrain report: challenger PROMOTED\n\n| | n |\n|---|---|\n| all | 80 |\n"


def png(width: int = 12, height: int = 8) -> bytes:
    ok, data = cv2.imencode(".png", np.full((height, width, 3), 200, np.uint8))
    assert ok
    return data.tobytes()


def decision(promote: bool = True) -> dict[str, Any]:
    overall = {"champion": {"overall": {"n": 80.0, "rmse": 72.0}},
               "challenger": {"overall": {"n": 80.0, "rmse": 24.9}}}  # fmt: skip
    return {"promote": promote, "reasons": ["passed: field RMSE gain 65 %"],
            "evaluations": {"field": overall}}  # fmt: skip


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def body(**changes: Any) -> dict[str, Any]:
    files = {"report.md": b64(MARKDOWN), "decision.json": b64(json.dumps(decision())),
             "bands.png": b64(png()), "devices.png": b64(png(20, 10))}  # fmt: skip
    out = {"model_name": "pm25-haze", "champion_version": 1, "challenger_version": 2,
           "promoted": True, "trigger": "weekly", "files": files}  # fmt: skip
    return out | changes


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubClient]:
    with running_hub(tmp_path) as h:
        yield h


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubClient]:
    """One hub for the many one-request cases (a hub per case costs seconds each)."""
    with running_hub(tmp_path_factory.mktemp("reports")) as h:
        yield h


def upload(hub: HubClient, payload: dict[str, Any], role: str = "operator") -> Any:
    return hub.client.post(URL, json=payload, headers=hub.headers(role))


def stored(hub: HubClient) -> list[str]:
    root = hub.hub.settings.data_dir / "retrain-reports"
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def test_round_trip_newest_first_and_files_served_as_what_they_are(hub: HubClient) -> None:
    r = upload(hub, body())
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["id"].startswith("rr-") and first["uploaded_by"] == "operator"
    assert (first["field_frames"], first["champion_rmse"], first["challenger_rmse"]) == (
        80, 72.0, 24.9
    )  # fmt: skip
    assert first["reasons"] == ["passed: field RMSE gain 65 %"]
    refused = body(promoted=False, challenger_version=3, trigger="drift:cam-1")
    refused["files"]["decision.json"] = b64(json.dumps(decision(promote=False)))
    second = upload(hub, refused).json()
    viewer = hub.headers("viewer")
    listed = hub.client.get(URL, headers=viewer).json()
    assert [x["id"] for x in listed] == [second["id"], first["id"]]
    assert [x["promoted"] for x in listed] == [False, True]
    # The report of release pm25-haze v2 (promoted); the refused v3 is not a release.
    by_release = hub.client.get(URL, params={"model_name": "pm25-haze", "version": 2},
                                headers=viewer).json()  # fmt: skip
    assert [x["id"] for x in by_release] == [first["id"]]
    assert hub.client.get(URL, params={"version": 3}, headers=viewer).json() == []
    detail = hub.client.get(f"{URL}/{first['id']}", headers=viewer).json()
    assert detail["files"] == {"bands.png": len(png()), "decision.json": detail["files"][
        "decision.json"], "devices.png": len(png(20, 10)), "report.md": len(MARKDOWN)}  # fmt: skip
    md = hub.client.get(f"{URL}/{first['id']}/files/report.md", headers=viewer)
    assert md.status_code == 200 and md.text == MARKDOWN
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert md.headers["x-content-type-options"] == "nosniff"
    image = hub.client.get(f"{URL}/{first['id']}/files/devices.png", headers=viewer)
    assert image.headers["content-type"] == "image/png" and image.content == png(20, 10)
    assert image.headers["x-content-type-options"] == "nosniff"


def bad_files(name: str, value: bytes | str | None) -> dict[str, Any]:
    b = body()
    if value is None:
        del b["files"][name]
    else:
        b["files"][name] = value if isinstance(value, str) and name == "raw" else b64(value)
    return b


@pytest.mark.parametrize(
    ("payload", "status", "says"),
    [
        (bad_files("report.md", None), 422, "needs ['report.md']"),
        (bad_files("decision.json", None), 422, "needs ['decision.json']"),
        (bad_files("../../etc/passwd", b"x"), 422, "unknown report files"),
        (bad_files("notes.html", b"<script>"), 422, "unknown report files"),
        (bad_files("bands.png", b"GIF89a not a png"), 422, "bands.png is not a PNG"),
        (bad_files("report.md", b"\xff\xfe bad utf-8"), 422, "report.md is not UTF-8"),
        (bad_files("decision.json", b"{not json"), 422, "decision.json is not JSON"),
        (bad_files("decision.json", b"[1, 2]"), 422, "boolean 'promote'"),
        (bad_files("decision.json", json.dumps(decision(False)).encode()), 422,
         "promoted is True but decision.json says promote is False"),
        (body(files={**body()["files"], "report.md": "not base64!"}), 422, "not valid base64"),
        (bad_files("bands.png", b"\x89PNG\r\n\x1a\n" + b"0" * (4 * 1024 * 1024)), 413,
         "bands.png is larger than its limit"),
        (body(model_name="../x"), 422, "model_name"),
        (body(trigger="a\nb"), 422, "trigger"),
        (body(champion_version=0), 422, "champion_version"),
        (body(extra=1), 422, "extra"),
        ({"files": {}}, 422, "model_name"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_4xx_and_stores_nothing(
    shared: HubClient, payload: dict[str, Any], status: int, says: str
) -> None:
    before = stored(shared)
    r = upload(shared, payload)
    assert r.status_code == status, r.text
    assert says in r.text
    assert stored(shared) == before


def test_bodies_that_are_not_json_or_too_big(hub: HubClient) -> None:
    headers = hub.headers("operator") | {"Content-Type": "application/json"}
    r = hub.client.post(URL, content=b"{", headers=headers)
    assert r.status_code == 422 and "json" in r.text.lower()
    r = hub.client.post(URL, content=b"x" * (25 * 1024 * 1024), headers=headers)
    assert r.status_code == 413 and "request body over" in r.json()["detail"]
    assert stored(hub) == []


@pytest.mark.parametrize(
    "path",
    [
        "{id}/files/..%2Fmeta.json",
        "{id}/files/meta.json",
        "{id}/files/%2e%2e%2f%2e%2e%2fregistry.db",
        "..%2F..%2Fregistry.db/files/report.md",
        "{id}%2F..%2F..%2Fregistry.db/files/report.md",
        "rr-20990101-000000-00000000/files/report.md",
        "rr-20990101-000000-0000000/files/report.md",
        ".tmp-{id}/files/report.md",
    ],
)
def test_nothing_outside_a_report_is_served(shared: HubClient, path: str) -> None:
    hub = shared
    rid = upload(hub, body()).json()["id"]
    (hub.hub.settings.data_dir / "retrain-reports" / f".tmp-{rid}").mkdir()
    r = hub.client.get(f"{URL}/{path.format(id=rid)}", headers=hub.headers("admin"))
    assert r.status_code in (404, 422), r.text
    assert b"sqlite" not in r.content.lower() and b"uploaded_at" not in r.content


def test_a_half_written_or_damaged_report_does_not_hide_the_others(hub: HubClient) -> None:
    rid = upload(hub, body()).json()["id"]
    root = hub.hub.settings.data_dir / "retrain-reports"
    (root / ".tmp-rr-20990101-000000-0000abcd").mkdir()  # an upload in progress
    broken = root / "rr-20990101-000000-0000dead"
    broken.mkdir()
    (broken / "meta.json").write_text("{half")
    listed = hub.client.get(URL, headers=hub.headers("viewer")).json()
    assert [x["id"] for x in listed] == [rid]
    r = hub.client.get(f"{URL}/{broken.name}", headers=hub.headers("viewer"))
    assert r.status_code == 503 and "cannot be read" in r.text


def test_roles(hub: HubClient) -> None:
    assert upload(hub, body(), role="viewer").status_code == 403
    assert hub.client.post(URL, json=body()).status_code == 401
    rid = upload(hub, body(), role="admin").json()["id"]
    assert hub.client.get(f"{URL}/{rid}/files/bands.png").status_code == 401
    assert hub.client.get(URL).status_code == 401
    assert stored(hub) == [rid]
