"""deploy/k8s: valid manifests, three hub replicas with stable client ids, drift-free env."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloud_hub.settings import HubSettings
from tests.deploy.envcheck import unknown_field
from tests.deploy.k8s_schema import problems

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"


def _docs() -> list[dict[str, Any]]:
    return [d for f in sorted(K8S.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]


def _one(kind: str) -> dict[str, Any]:
    (doc,) = [d for d in _docs() if d["kind"] == kind]
    return doc


@pytest.mark.parametrize("doc", _docs(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_manifest_is_structurally_valid(doc: dict[str, Any]) -> None:
    assert problems(doc) == []


def test_the_validator_finds_mistakes() -> None:
    sts = _one("StatefulSet")
    pod = sts["spec"]["template"]["spec"]
    typo = [{**pod["containers"][0], "imagePullPolcy": "x"}]
    template = {**sts["spec"]["template"], "spec": {**pod, "containers": typo}}
    bad = {**sts, "spec": {**sts["spec"], "replicas": "3", "template": template}}
    found = problems(bad)
    assert any("replicas: expected int" in p for p in found)
    assert any("unknown field 'imagePullPolcy'" in p for p in found)
    assert problems({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {},
                     "spec": {"minAvailable": 2, "selectr": {}}})  # fmt: skip


def test_three_replicas_each_with_its_own_stable_client_id() -> None:
    sts = _one("StatefulSet")
    assert sts["spec"]["replicas"] == 3
    (container,) = sts["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    client_id = env["CLOUD_HUB_INGEST__CLIENT_ID"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert client_id == "metadata.name"  # cloud-hub-0, -1, -2: stable across restarts
    config = _one("ConfigMap")["data"]
    assert config["CLOUD_HUB_INGEST__ENABLED"] == "true" and config["CLOUD_HUB_INGEST__GROUP"]


def test_env_names_are_settings_fields_and_secrets_are_references() -> None:
    sts = _one("StatefulSet")
    (container,) = sts["spec"]["template"]["spec"]["containers"]
    names = [e["name"] for e in container["env"]] + list(_one("ConfigMap")["data"])
    assert [n for n in map(unknown_field, names) if n] == []
    for e in container["env"]:
        assert "value" not in e, f"{e['name']}: literal values belong in the ConfigMap"
    secret_like = ("SECRET", "PASSWORD", "TOKEN", "REGISTRY__URL")
    assert not [n for n in _one("ConfigMap")["data"] if any(s in n for s in secret_like)]
    assert not [d for d in _docs() if d["kind"] == "Secret"]


def test_probes_ports_selectors_and_budget_agree() -> None:
    sts = _one("StatefulSet")
    pod = sts["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    port = int(_one("ConfigMap")["data"]["CLOUD_HUB_HTTP__PORT"])
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    labels = pod["metadata"]["labels"]
    for doc in _docs():
        selector = doc.get("spec", {}).get("selector")
        if selector is not None:
            wanted = selector.get("matchLabels", selector)
            assert wanted.items() <= labels.items(), doc["metadata"]["name"]
    pdb = _one("PodDisruptionBudget")
    assert 0 < pdb["spec"]["minAvailable"] < sts["spec"]["replicas"]


def test_the_hub_trusts_forwarded_addresses_from_the_ingress_network_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Behind the ingress controller the client address is X-Forwarded-For, trusted from the
    pod network the controller connects from: a valid network, never every peer."""
    config = _one("ConfigMap")["data"]
    trusted = config["CLOUD_HUB_HTTP__FORWARDED_ALLOW_IPS"]
    assert trusted != "*"
    for item in trusted.split(","):
        assert ipaddress.ip_network(item.strip()).is_private, item
    assert config["CLOUD_HUB_HTTP__PROXY_HEADERS"] == "true"
    for name in ("CLOUD_HUB_HTTP__FORWARDED_ALLOW_IPS", "CLOUD_HUB_HTTP__PROXY_HEADERS"):
        monkeypatch.setenv(name, config[name])
    assert HubSettings().http.forwarded_allow_ips == trusted
