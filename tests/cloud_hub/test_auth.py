"""Password and token hashing, login throttling (policy and HTTP; the shared counters are in
test_login_throttle.py), sessions and API tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_hub.auth.hashing import hash_password, hash_token, new_token, verify_password
from cloud_hub.auth.roles import Principal
from cloud_hub.auth.throttle import ThrottlePolicy
from cloud_hub.errors import PermissionDenied
from tests.cloud_hub.hub_support import PASSWORD, running_hub


def test_password_hash_roundtrip_and_damage() -> None:
    h = hash_password("a long password")
    assert h.startswith("$argon2id$") and "a long password" not in h
    assert verify_password(h, "a long password")
    assert not verify_password(h, "a long passwore")
    assert not verify_password("not-a-hash", "a long password")


def test_tokens_are_random_and_hashed() -> None:
    a, b = new_token(), new_token()
    assert a != b and len(a) > 40
    assert hash_token(a) != hash_token(b) and a not in hash_token(a)


@pytest.mark.parametrize(
    ("failures", "delay"), [(0, 0), (1, 0), (3, 0), (4, 1), (5, 2), (6, 4), (13, 512), (14, 900)]
)
def test_throttle_policy(failures: int, delay: float) -> None:
    assert ThrottlePolicy(free_failures=3, base_s=1, max_s=900).delay_after(failures) == delay


def test_roles_rank() -> None:
    viewer = Principal(1, "v", "viewer", 1)
    assert viewer.require("viewer") is viewer
    with pytest.raises(PermissionDenied, match="operator"):
        viewer.require("operator")
    Principal(2, "a", "admin", 2).require("operator")


def test_login_throttled_over_http(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        bad = {"username": "viewer", "password": "wrong password!"}
        for _ in range(3):
            assert h.client.post("/api/v1/auth/login", json=bad).status_code == 401
        assert h.client.post("/api/v1/auth/login", json=bad).status_code == 401
        good = {"username": "viewer", "password": PASSWORD}
        r = h.client.post("/api/v1/auth/login", json=good)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert r.json()["error"] == "TooManyAttempts"


def test_unknown_user_and_wrong_password_look_the_same(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        r1 = h.client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"})
        r2 = h.client.post("/api/v1/auth/login", json={"username": "admin", "password": "x"})
        assert (r1.status_code, r1.json()) == (r2.status_code, r2.json())


def test_logout_revokes_and_api_tokens_work(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        r = h.client.post("/api/v1/tokens", json={"name": "grafana"}, headers=h.headers("admin"))
        assert r.status_code == 201
        api = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert h.client.get("/api/v1/auth/me", headers=api).json() == {
            "username": "admin",
            "role": "admin",
        }
        assert h.client.post("/api/v1/auth/logout", headers=h.headers("viewer")).status_code == 204
        assert h.client.get("/api/v1/auth/me", headers=h.headers("viewer")).status_code == 401
        token_id = r.json()["token_id"]
        assert h.client.delete(f"/api/v1/tokens/{token_id}", headers=api).status_code == 204
        assert h.client.get("/api/v1/auth/me", headers=api).status_code == 401


def test_users_admin_flow(tmp_path: Path) -> None:
    with running_hub(tmp_path) as h:
        admin = h.headers("admin")
        body = {"username": "dora", "password": "short", "role": "viewer"}
        assert h.client.post("/api/v1/users", json=body, headers=admin).status_code == 422
        body["password"] = "long enough password"
        r = h.client.post("/api/v1/users", json=body, headers=admin)
        assert r.status_code == 201 and "password" not in r.text
        assert h.client.post("/api/v1/users", json=body, headers=admin).status_code == 409
        uid = r.json()["id"]
        r = h.client.patch(f"/api/v1/users/{uid}", json={"role": "operator"}, headers=admin)
        assert r.json()["role"] == "operator"
        login = {"username": "dora", "password": "long enough password"}
        assert h.client.post("/api/v1/auth/login", json=login).status_code == 200
        h.client.patch(f"/api/v1/users/{uid}", json={"disabled": True}, headers=admin)
        assert h.client.post("/api/v1/auth/login", json=login).status_code == 401


def test_bootstrap_admin(tmp_path: Path) -> None:
    auth = {"admin_username": "root", "admin_password": "bootstrap password"}
    with running_hub(tmp_path, auth=auth) as h:
        login = {"username": "root", "password": "bootstrap password"}
        assert h.client.post("/api/v1/auth/login", json=login).status_code == 200


def test_cli_users_add(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cloud_hub import cli
    from cloud_hub.registry import Registry, people

    monkeypatch.setenv("CLOUD_HUB_DATA_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("CLOUD_HUB_NEW_PASSWORD", "a long enough password")
    assert cli.main(["users", "add", "eve", "--role", "operator"]) == 0
    assert '"role": "operator"' in capsys.readouterr().out
    monkeypatch.setenv("CLOUD_HUB_NEW_PASSWORD", "short")
    assert cli.main(["users", "add", "mallory", "--role", "admin"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    registry = Registry.open(f"sqlite:///{tmp_path / 'hub' / 'registry.db'}")
    with registry.session() as s:
        user = people.find_user(s, "eve")
        assert user is not None and verify_password(user.password_hash, "a long enough password")
        assert people.find_user(s, "mallory") is None
    registry.close()
