"""The series store's settings section (``series:`` in the hub config) and its factory."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["InfluxSettings", "SeriesSettings"]


class InfluxSettings(BaseModel):
    """Where InfluxDB is. Writes: v2 API (``/api/v2/write``) or v1 (``/write``); reads: InfluxQL."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(default="http://127.0.0.1:8086", description="Base URL of the write API.")
    token: SecretStr = Field(default=SecretStr(""), description="API token (empty: no auth).")
    org: str = Field(default="pm25", description="Organisation (v2 writes).")
    bucket: str = Field(default="pm25", description="Bucket (v2) or database (v1) to write to.")
    write_api: Literal["v2", "v1"] = Field(
        default="v2", description="v2: influxdb-client /api/v2/write; v1: /write?db= (1.x, 3.x)."
    )
    query_url: str | None = Field(
        default=None, description="Base URL of the InfluxQL /query endpoint; default: url."
    )
    database: str | None = Field(
        default=None, description="InfluxQL database (DBRP mapping name in 2.x); default: bucket."
    )
    timeout_s: float = Field(default=10.0, gt=0, description="HTTP timeout per request.")
    retries: int = Field(
        default=3,
        ge=0,
        le=10,
        description="HTTP retries of a write, with backoff, before failing.",
    )


class SeriesSettings(BaseModel):
    """Which series store the hub uses."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["sqlite", "influx"] = Field(
        default="sqlite", description="sqlite: embedded file (default); influx: InfluxDB server."
    )
    sqlite_path: Path | None = Field(
        default=None, description="SQLite series file; default: series.db under data_dir."
    )
    influx: InfluxSettings = Field(
        default_factory=InfluxSettings, description="InfluxDB connection (backend influx)."
    )
