"""Maps CLOUD_HUB_* / EDGE_AGENT_* variable names onto the settings models, to catch drift."""

from __future__ import annotations

import re
from typing import Any, get_args

from pydantic import BaseModel

from cloud_hub.settings import HubSettings
from edge_agent.config import AgentConfig

ROOTS: dict[str, type[BaseModel]] = {"CLOUD_HUB_": HubSettings, "EDGE_AGENT_": AgentConfig}
_INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


def unknown_field(name: str) -> str | None:
    """None when ``name`` names a settings field, else why not."""
    for prefix, model in ROOTS.items():
        if name.startswith(prefix):
            return _walk(model, name[len(prefix) :].lower().split("__"), name)
    return f"{name}: not a CLOUD_HUB_ or EDGE_AGENT_ variable"


def _walk(model: type[BaseModel], path: list[str], name: str) -> str | None:
    field = model.model_fields.get(path[0])
    if field is None:
        return f"{name}: {model.__name__} has no field {path[0]!r}"
    if len(path) == 1:
        return None
    nested = [t for t in (field.annotation, *get_args(field.annotation)) if _is_model(t)]
    if not nested:
        return f"{name}: {model.__name__}.{path[0]} is not a section"
    return _walk(nested[0], path[1:], name)


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def interpolated(value: str) -> list[str]:
    """The variables a compose value interpolates (``${NAME}``, ``${NAME:?msg}``...)."""
    return _INTERPOLATION.findall(value)


def substitute(value: str, env: dict[str, str]) -> str:
    return _INTERPOLATION.sub(lambda m: env[m.group(1)], value)
