"""Build the configured series store (the composition root calls this once)."""

from __future__ import annotations

from pathlib import Path

from cloud_hub.series.base import SeriesStore
from cloud_hub.series.influx import InfluxSeriesStore
from cloud_hub.series.settings import SeriesSettings
from cloud_hub.series.sqlite import SqliteSeriesStore

__all__ = ["open_series_store"]


def open_series_store(settings: SeriesSettings, data_dir: Path) -> SeriesStore:
    """The SQLite store under ``data_dir`` by default, or InfluxDB when configured."""
    if settings.backend == "influx":
        return InfluxSeriesStore(settings.influx)
    data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteSeriesStore(settings.sqlite_path or data_dir / "series.db")
