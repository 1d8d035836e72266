"""Time series of readings: the :class:`SeriesStore` Protocol and its SQLite and Influx stores."""

from cloud_hub.series.base import (
    Bucket,
    Downsampled,
    RawSeries,
    Selection,
    SeriesStore,
    StoredAggregate,
    StoredGap,
    StoredReading,
)

__all__ = [
    "Bucket",
    "Downsampled",
    "RawSeries",
    "Selection",
    "SeriesStore",
    "StoredAggregate",
    "StoredGap",
    "StoredReading",
]
