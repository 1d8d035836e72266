"""deploy/grafana and deploy/prometheus: every metric the dashboard queries exists in the hub."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from cloud_hub.app import create_app
from cloud_hub.settings import HubSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gauge": ("",),
    "summary": ("", "_count", "_sum", "_created"),
}
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
PROMQL_WORDS = {"sum", "by", "rate", "max", "histogram_quantile", "le", "irate", "avg", "min"}


@pytest.fixture(scope="module")
def hub_metric_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Sample names the real hub's /metrics declares (from its # TYPE lines)."""
    app = create_app(HubSettings(data_dir=tmp_path_factory.mktemp("hub")))
    with TestClient(app) as client:
        text = client.get("/metrics").text
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            name = name.removesuffix("_total") if kind == "counter" else name
            names.update(name + s for s in SUFFIXES[kind])
    return names


def _dashboard_metrics() -> set[str]:
    dash = json.loads((DEPLOY / "grafana/pm25-fleet.json").read_text())
    names: set[str] = set()
    for panel in dash["panels"]:
        for target in panel.get("targets", []):
            expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"|by\s*\([^)]*\)", "", target["expr"])
            names.update(w for w in _IDENT.findall(expr) if w not in PROMQL_WORDS)
    return names


def test_every_dashboard_metric_exists_in_the_hub(hub_metric_names: set[str]) -> None:
    used = _dashboard_metrics()
    assert "hub_ingest_readings_total" in used and "hub_ingest_lag_seconds_bucket" in used
    assert used - hub_metric_names == set()


def test_dashboard_is_importable_json() -> None:
    dash = json.loads((DEPLOY / "grafana/pm25-fleet.json").read_text())
    ids = [p["id"] for p in dash["panels"]]
    assert dash["uid"] and len(ids) == len(set(ids)) >= 8
    for p in dash["panels"]:
        pos = p["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24


def test_prometheus_scrapes_the_hub_where_compose_and_k8s_serve_it() -> None:
    prom = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    compose = yaml.safe_load((DEPLOY / "compose/compose.yaml").read_text())
    port = compose["services"]["hub"]["environment"]["CLOUD_HUB_HTTP__PORT"]
    assert jobs["cloud-hub"]["static_configs"][0]["targets"] == [f"hub:{port}"]
    k8s = yaml.safe_load_all((DEPLOY / "k8s/hub.yaml").read_text())
    (sts,) = [d for d in k8s if d["kind"] == "StatefulSet"]
    notes = sts["spec"]["template"]["metadata"]["annotations"]
    assert notes["prometheus.io/scrape"] == "true" and notes["prometheus.io/port"] == port
    assert "cloud-hub-k8s" in jobs
