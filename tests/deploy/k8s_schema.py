"""Structural validation of Kubernetes manifests with the official client's model classes.

Each model class lists its fields (``attribute_map``: JSON name -> attribute) and their types
(``openapi_types``); walking a manifest against them finds unknown keys, wrong types and
missing required fields, the mistakes kubeconform would catch for built-in kinds.
"""

from __future__ import annotations

import re
from typing import Any

import kubernetes.client as k8s  # type: ignore[import-untyped]

KINDS = {
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Service"): "V1Service",
    ("v1", "Secret"): "V1Secret",
    ("apps/v1", "StatefulSet"): "V1StatefulSet",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("policy/v1", "PodDisruptionBudget"): "V1PodDisruptionBudget",
}
_PRIMITIVES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "float": (int, float),
    "object": (object,),
    "datetime": (str,),
}


def problems(doc: dict[str, Any]) -> list[str]:
    """Everything wrong with one manifest; empty when it is valid."""
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key not in KINDS:
        return [f"unsupported apiVersion/kind {key}"]
    return _check(doc, KINDS[key], doc.get("kind", "?"))


def _check(value: Any, type_name: str, where: str) -> list[str]:
    if match := re.fullmatch(r"list\[(.+)\]", type_name):
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        return [p for i, v in enumerate(value) for p in _check(v, match[1], f"{where}[{i}]")]
    if match := re.fullmatch(r"dict\(str, (.+)\)", type_name):
        if not isinstance(value, dict):
            return [f"{where}: expected a mapping"]
        return [p for k, v in value.items() for p in _check(v, match[1], f"{where}.{k}")]
    if type_name in _PRIMITIVES:
        ok = isinstance(value, _PRIMITIVES[type_name]) and not (
            type_name == "int" and isinstance(value, bool)
        )
        return [] if ok else [f"{where}: expected {type_name}, got {value!r}"]
    if type_name in {"IntOrString", "Quantity"}:
        return [] if isinstance(value, (int, str)) else [f"{where}: expected int or string"]
    cls = getattr(k8s, type_name, None)
    if cls is None:
        return [f"{where}: unknown model {type_name}"]
    if not isinstance(value, dict):
        return [f"{where}: expected a {type_name} mapping"]
    by_json = {j: a for a, j in cls.attribute_map.items()}
    out = [f"{where}: unknown field {k!r} in {type_name}" for k in value if k not in by_json]
    for k, v in value.items():
        if k in by_json:
            out += _check(v, cls.openapi_types[by_json[k]], f"{where}.{k}")
    try:  # the client's own required-field checks run in the constructor
        cls(**{by_json[k]: _placeholder(v) for k, v in value.items() if k in by_json})
    except ValueError as e:
        out.append(f"{where}: {e}")
    return out


def _placeholder(value: Any) -> Any:
    return value if not isinstance(value, (dict, list)) else ("x" if value else value)
