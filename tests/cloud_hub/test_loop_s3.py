"""Samples in an S3-compatible store: a real S3 HTTP server (moto's, with signature checks)."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from cloud_hub.errors import NotFound, StoreUnavailable
from cloud_hub.loop import harvest
from cloud_hub.loop.job import LoopJob, open_store
from cloud_hub.loop.s3 import S3SampleStore
from cloud_hub.loop.settings import S3Settings, SampleSettings
from cloud_hub.loop.tables import LoopSample
from cloud_hub.registry import Registry
from cloud_hub.registry.models import DeviceSample
from cloud_hub.settings import HubSettings
from tests.cloud_hub.hub_support import running_hub
from tests.support.s3 import S3Server, s3_server


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server(auth=True) as server:
        server.client().create_bucket(Bucket="samples")
        yield server


def _settings(server: S3Server, **over: object) -> S3Settings:
    base: dict[str, object] = {
        "endpoint_url": server.url, "bucket": "samples", "prefix": "hub/a",
        "access_key_id": server.access_key_id, "secret_access_key": server.secret_access_key,
        "path_style": True, "timeout_s": 2, "max_attempts": 1,
    }  # fmt: skip
    return S3Settings.model_validate({**base, **over})


def test_put_get_keys_round_trip(s3: S3Server) -> None:
    store = S3SampleStore(_settings(s3))
    store.put("cam-1/20261130/20261130T101500Z_7.jpg", b"\xff\xd8jpeg-1")
    store.put("cam-2/20261130/20261130T101600Z_8.jpg", b"\xff\xd8jpeg-2")
    assert store.get("cam-1/20261130/20261130T101500Z_7.jpg") == b"\xff\xd8jpeg-1"
    assert store.keys("cam-1/") == ["cam-1/20261130/20261130T101500Z_7.jpg"]
    assert len(store.keys()) == 2
    # The object sits under the prefix, as another S3 client sees it.
    listed = s3.client().list_objects_v2(Bucket="samples", Prefix="hub/a/")["Contents"]
    assert sorted(o["Key"] for o in listed)[0] == "hub/a/cam-1/20261130/20261130T101500Z_7.jpg"
    with pytest.raises(NotFound, match="missing"):
        store.get("cam-1/20261130/nope.jpg")
    assert s3.secret_access_key not in store.describe()
    with pytest.raises(ValueError, match="escapes"):
        store.put("../other/x.jpg", b"x")


def test_missing_bucket_is_refused_or_created(s3: S3Server) -> None:
    store = S3SampleStore(_settings(s3, bucket="not-there"))
    with pytest.raises(StoreUnavailable, match="bucket does not exist"):
        store.put("cam-1/a.jpg", b"x")
    created = S3SampleStore(_settings(s3, bucket="made-at-first-use", create_bucket=True))
    created.put("cam-1/a.jpg", b"x")
    assert created.get("cam-1/a.jpg") == b"x"


@pytest.mark.parametrize(("key_id", "secret"), [(None, "wrong-secret"), ("AKIANOTKNOWN", "x" * 40)])
def test_wrong_credentials_are_a_clear_store_error(
    s3: S3Server, key_id: str | None, secret: str
) -> None:
    store = S3SampleStore(
        _settings(s3, access_key_id=key_id or s3.access_key_id, secret_access_key=secret)
    )
    with pytest.raises(StoreUnavailable, match="access denied") as e:
        store.put("cam-1/a.jpg", b"x")
    assert secret not in str(e.value) and s3.url in str(e.value)
    # Past the bucket check, a bad signature on the object itself is named as such.
    store._ready = True
    with pytest.raises(StoreUnavailable, match=r"secret access key is wrong|not known"):
        store.put("cam-1/a.jpg", b"x")


def _jpeg(w: int, h: int) -> str:
    ok, buf = cv2.imencode(".jpg", np.full((h, w, 3), 128, np.uint8))
    assert ok
    return base64.b64encode(buf.tobytes()).decode()


def _add_sample(registry: Registry, device_id: str) -> None:
    row = DeviceSample(
        device_id=device_id, command_id="c", captured_at=time.time(), received_at=time.time(),
        width=32, height=16, jpeg_b64=_jpeg(32, 16), roi={"x": 0, "y": 0, "w": 32, "h": 16},
    )  # fmt: skip
    with registry.session() as s:
        s.add(row)


def test_store_down_mid_run_keeps_the_sample_for_a_later_round(tmp_path: Path) -> None:
    with s3_server() as server:
        s3 = {
            **_settings(server).model_dump(mode="json"), "create_bucket": True,
            "access_key_id": server.access_key_id, "secret_access_key": server.secret_access_key,
        }  # fmt: skip
        loop = {"samples": {"store": "s3", "s3": s3}}
        with running_hub(tmp_path, loop=loop) as h:
            h.client.post("/api/v1/devices", json={"id": "cam-1"}, headers=h.headers("operator"))
            s = h.hub.settings
            store = open_store(s.loop, s.data_dir)
            assert store.describe().startswith(f"s3:{server.url}/samples")
            sent: list[object] = []
            job = LoopJob(
                h.hub.registry, h.hub.series, lambda *a, **k: sent.append(a), s.loop, store
            )
            _add_sample(h.hub.registry, "cam-1")
            assert job.run_once().harvested == 1  # the job harvests into S3
            _add_sample(h.hub.registry, "cam-1")
            server.stop()
            with pytest.raises(StoreUnavailable, match="cannot write sample"):
                job.run_once()
            with h.hub.registry.session() as db:
                assert db.query(LoopSample).count() == 1  # the second is not recorded as taken
            server.start()  # back (empty: moto keeps objects in memory)
            assert job.run_once().harvested == 1
            with h.hub.registry.session() as db:
                rows = db.query(LoopSample).order_by(LoopSample.id).all()
                assert [r.state for r in rows] == ["stored", "stored"]
                key = rows[1].key
            assert store.keys() == [key]
            assert harvest.harvest(h.hub.registry, h.hub.series, store, s.loop, time.time()) == 0


def test_settings_validate_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="bucket is empty"):
        SampleSettings(store="s3")
    with pytest.raises(ValidationError, match="both access_key_id and secret_access_key"):
        SampleSettings.model_validate({"s3": {"bucket": "abc", "access_key_id": "k"}})
    with pytest.raises(ValidationError, match="bucket"):
        S3Settings(bucket="Not_A_Bucket")
    with pytest.raises(ValidationError, match="prefix"):
        S3Settings(prefix="/leading")
    monkeypatch.setenv("CLOUD_HUB_LOOP__SAMPLES__STORE", "s3")
    monkeypatch.setenv("CLOUD_HUB_LOOP__SAMPLES__S3__BUCKET", "from-env")
    monkeypatch.setenv("CLOUD_HUB_LOOP__SAMPLES__S3__ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("CLOUD_HUB_LOOP__SAMPLES__S3__SECRET_ACCESS_KEY", "changeme")
    hub = HubSettings()  # development accepts the placeholder ...
    assert hub.loop.samples.s3.bucket == "from-env"
    assert "changeme" not in repr(hub) and "AKIAEXAMPLE" not in repr(hub)
    prod = {"mode": "production", "auth": {"secret_key": "k" * 40}}
    with pytest.raises(ValidationError, match="S3__SECRET_ACCESS_KEY"):
        HubSettings.model_validate(prod)  # ... production refuses it
    monkeypatch.setenv("CLOUD_HUB_LOOP__SAMPLES__S3__SECRET_ACCESS_KEY", "a-real-looking-secret")
    assert HubSettings.model_validate(prod).loop.samples.store == "s3"


def test_local_store_lists_the_same_keys(tmp_path: Path) -> None:
    store = open_store(HubSettings(data_dir=tmp_path).loop, tmp_path)
    assert store.keys() == []
    store.put("cam-1/20261130/20261130T101500Z_7.jpg", b"x")
    store.put("cam-2/20261130/20261130T101600Z_8.jpg", b"y")
    (tmp_path / "samples" / "cam-1" / "20261130" / ".part-abc").write_bytes(b"half")
    assert store.keys("cam-1/") == ["cam-1/20261130/20261130T101500Z_7.jpg"]
    assert len(store.keys()) == 2
    with pytest.raises(ValueError, match="escapes"):
        store.get("cam-1/../../etc/passwd")
