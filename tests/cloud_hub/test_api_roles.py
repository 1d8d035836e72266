"""Every route in the OpenAPI spec refuses callers without a token (401) and with too small a
role (403). The spec is walked, so a new route is covered without editing this test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cloud_hub.hub_support import HubClient, running_hub

PUBLIC = {("post", "/api/v1/auth/login")}
ANY_USER = {("post", "/api/v1/auth/logout"), ("get", "/api/v1/auth/me")}
ADMIN_PREFIXES = ("/api/v1/users", "/api/v1/tokens", "/api/v1/audit")
OPERATOR_READS = {("get", "/api/v1/quarantine")}


def _routes() -> list[tuple[str, str]]:
    import tempfile

    from cloud_hub.app import create_app
    from cloud_hub.settings import HubSettings

    spec: dict[str, Any] = create_app(HubSettings(data_dir=Path(tempfile.mkdtemp()))).openapi()
    return sorted((m, p) for p, ops in spec["paths"].items() for m in ops)


ROUTES = _routes()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubClient]:
    with running_hub(tmp_path_factory.mktemp("roles")) as h:
        yield h


def _call(hub: HubClient, method: str, path: str, role: str | None) -> int:
    url = re.sub(r"\{[a-z_]+\}", "1", path)
    headers = hub.headers(role) if role else {}
    status: int = hub.client.request(method, url, headers=headers, json={}).status_code
    return status


def test_spec_has_the_expected_routes() -> None:
    assert len(ROUTES) >= 18
    assert all(p.startswith("/api/v1/") for _, p in ROUTES)


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r not in PUBLIC])
def test_no_token_is_401(hub: HubClient, method: str, path: str) -> None:
    assert _call(hub, method, path, None) == 401


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r not in PUBLIC])
def test_bad_token_is_401(hub: HubClient, method: str, path: str) -> None:
    url = re.sub(r"\{[a-z_]+\}", "1", path)
    r = hub.client.request(method, url, headers={"Authorization": "Bearer pm25h_nope"}, json={})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"


VIEWER_FORBIDDEN = [
    r
    for r in ROUTES
    if r not in PUBLIC | ANY_USER
    and (r[0] != "get" or r[1].startswith(ADMIN_PREFIXES) or r in OPERATOR_READS)
]


@pytest.mark.parametrize(("method", "path"), VIEWER_FORBIDDEN)
def test_viewer_on_write_or_admin_route_is_403(hub: HubClient, method: str, path: str) -> None:
    assert _call(hub, method, path, "viewer") == 403


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[1].startswith(ADMIN_PREFIXES)])
def test_operator_on_admin_route_is_403(hub: HubClient, method: str, path: str) -> None:
    assert _call(hub, method, path, "operator") == 403


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r not in PUBLIC])
def test_admin_is_never_refused(hub: HubClient, method: str, path: str) -> None:
    if (method, path) == ("post", "/api/v1/auth/logout"):
        pytest.skip("would end the shared admin session")
    assert _call(hub, method, path, "admin") not in (401, 403)
