"""A hub app served over real HTTP (uvicorn in a thread, free port), with an operator and a
viewer: for clients that make their own connections, such as the pm25-train commands."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from cloud_hub.app import create_app
from cloud_hub.settings import HubSettings
from tests.cloud_hub.ingest_support import wait_until

PASSWORD = "correct horse battery"


@dataclass
class ServedHub:
    url: str
    tokens: dict[str, str]

    def get(self, path: str, **params: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens['viewer']}"}
        return httpx.get(self.url + path, params=params, headers=headers)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served_hub(tmp_path: Path, **settings: object) -> Iterator[ServedHub]:
    app = create_app(HubSettings.model_validate({"data_dir": tmp_path / "hub", **settings}))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: server.started, 15), "hub did not start"
        url = f"http://127.0.0.1:{server.config.port}"
        tokens = {}
        for role in ("viewer", "operator"):
            app.state.hub.auth.create_user("test", role, PASSWORD, role)
            r = httpx.post(
                f"{url}/api/v1/auth/login", json={"username": role, "password": PASSWORD}
            )
            tokens[role] = r.json()["access_token"]
        yield ServedHub(url, tokens)
    finally:
        server.should_exit = True
        thread.join(10)
