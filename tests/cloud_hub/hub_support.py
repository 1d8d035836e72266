"""A hub app on a temporary SQLite registry, with one user and token per role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from cloud_hub.app import create_app
from cloud_hub.hub import Hub
from cloud_hub.settings import HubSettings

PASSWORD = "correct horse battery"


@dataclass
class HubClient:
    client: TestClient
    hub: Hub
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@contextmanager
def running_hub(tmp_path: Path, **settings: object) -> Iterator[HubClient]:
    config = HubSettings.model_validate({"data_dir": tmp_path / "hub", **settings})
    app = create_app(config)
    hub: Hub = app.state.hub
    with TestClient(app) as client:
        tokens = {}
        for role in ("viewer", "operator", "admin"):
            hub.auth.create_user("test", role, PASSWORD, role)
            r = client.post("/api/v1/auth/login", json={"username": role, "password": PASSWORD})
            assert r.status_code == 200, r.text
            tokens[role] = r.json()["access_token"]
        yield HubClient(client, hub, tokens)
