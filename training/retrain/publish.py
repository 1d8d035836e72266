"""Promotion: sign the challenger into the update repository, then ask the hub for a canary rollout.

Signing is `training.signing` (what `pm25-train release` runs): the release's manifest and
artifacts plus the model card, whose first lines link the retrain report, become TUF targets
signed by the targets key. The hub's snapshot/timestamp refresh (online keys) is the hub's
business. The rollout is `POST /api/v1/rollouts` with an operator token; without a hub URL the
request body is written to a file and the caller says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pm25.ota import ReleaseInfo
from training.errors import TrainingError
from training.retrain.config import RolloutConfig
from training.signing.errors import SigningError
from training.signing.keys import load_signer, passphrase_from_env
from training.signing.repo import add_release
from training.signing.store import RepositoryStore

CARD = "MODEL_CARD.md"
ROLLOUTS_PATH = "/api/v1/rollouts"


class PublishError(TrainingError):
    """Signing or the rollout request failed; the message says which and why."""


def sign(repo: Path, release: Path, targets_key: Path, card: str) -> ReleaseInfo:
    """Publish `release` (manifest.json + artifacts) and the model card as signed targets."""
    try:
        signer = load_signer(targets_key, "targets", passphrase_from_env())
        extra = {CARD: card.encode("utf-8")}
        return add_release(RepositoryStore(repo), release / "manifest.json", signer, extra)
    except SigningError as e:
        raise PublishError(f"signing refused: {e}") from e


def rollout_request(name: str, version: int, cfg: RolloutConfig) -> dict[str, Any]:
    """The body of POST /api/v1/rollouts: a canary first stage, gates on shadow agreement."""
    return {
        "model_name": name,
        "version": version,
        "start": cfg.start,
        "spec": {
            "stages": {"fractions": list(cfg.stages)},
            "gates": {"min_shadow_agreement": cfg.min_shadow_agreement},
            "mode": cfg.mode,
        },
    }


@dataclass(frozen=True)
class HubTarget:
    """Where to create the rollout: base URL (e.g. http://hub:8000) and an operator token.

    `client` lets a caller pass its own httpx.Client (tests pass the hub app's TestClient)."""

    url: str
    token: str
    client: httpx.Client | None = None


def post(hub: HubTarget, path: str, body: dict[str, Any], what: str) -> dict[str, Any]:
    """POST JSON with the operator token; the hub's 201 answer, or PublishError naming `what`."""
    headers = {"Authorization": f"Bearer {hub.token}"}
    url = hub.url.rstrip("/") + path
    try:
        if hub.client is not None:
            r = hub.client.post(url, json=body, headers=headers)
        else:
            with httpx.Client(timeout=60.0) as c:
                r = c.post(url, json=body, headers=headers)
    except httpx.HTTPError as e:
        raise PublishError(f"hub {hub.url} unreachable: {e}") from e
    if r.status_code != 201:
        raise PublishError(f"hub refused the {what} ({r.status_code}): {r.text[:500]}")
    answer: dict[str, Any] = r.json()
    return answer


def create_rollout(body: dict[str, Any], hub: HubTarget) -> dict[str, Any]:
    """POST the rollout; the hub's answer (id, state, stage, stages) or PublishError."""
    return post(hub, ROLLOUTS_PATH, body, "rollout")


def write_request(body: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return path
