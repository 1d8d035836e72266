"""The production series store: InfluxDB through ``influxdb-client`` writes and InfluxQL reads.

Writes are synchronous, one HTTP request per worker batch (hundreds of messages): the ingest
worker already batches, and a synchronous write lets it acknowledge MQTT messages only once
Influx has them. influxdb-client's asynchronous batching API would acknowledge too early (its
buffer dies with the process). Retries: ``WritesRetry`` (exponential backoff, honours 429/503
``Retry-After``) a bounded number of times; then :class:`StoreUnavailable`, and the worker retries
the batch later while the broker holds the unacknowledged messages: that is the bounded queue.

Reads use InfluxQL through the v1-compatible ``/query`` endpoint (see docs/series-store.md); the
only module importing ``influxdb_client``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write.retry import WritesRetry
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.write_precision import WritePrecision

from cloud_hub.errors import StoreUnavailable
from cloud_hub.series import query as q
from cloud_hub.series.base import (
    Downsampled,
    RawSeries,
    Selection,
    StoredAggregate,
    StoredGap,
    StoredReading,
    check_interval,
)
from cloud_hub.series.lineproto import lines
from cloud_hub.series.settings import InfluxSettings

__all__ = ["InfluxSeriesStore"]


class InfluxSeriesStore:
    """A ``SeriesStore`` on InfluxDB 1.x/2.x/3.x (or anything speaking its write protocol)."""

    def __init__(self, settings: InfluxSettings) -> None:
        self._s = settings
        self._token = settings.token.get_secret_value()
        self._query_url = (settings.query_url or settings.url).rstrip("/")
        self._database = settings.database or settings.bucket
        self._client: InfluxDBClient | None = None
        self._write_api: Any = None
        if settings.write_api == "v2":
            retry = WritesRetry(
                total=settings.retries, retry_interval=0.2, max_retry_delay=5,
                max_retry_time=settings.timeout_s * (settings.retries + 1), exponential_base=2,
            )  # fmt: skip
            self._client = InfluxDBClient(
                url=settings.url, token=self._token, org=settings.org,
                timeout=int(settings.timeout_s * 1000), retries=retry, enable_gzip=False,
            )  # fmt: skip
            self._write_api = self._client.write_api(write_options=SYNCHRONOUS)

    def write(
        self,
        readings: Sequence[StoredReading],
        gaps: Sequence[StoredGap] = (),
        aggregates: Sequence[StoredAggregate] = (),
    ) -> int:
        body = "\n".join(lines(readings, gaps, aggregates))
        if not body:
            return 0
        try:
            if self._write_api is not None:
                self._write_api.write(
                    bucket=self._s.bucket, org=self._s.org, record=body,
                    write_precision=WritePrecision.NS,
                )  # fmt: skip
            else:
                params = {"db": self._s.bucket, "precision": "ns"}
                self._http("POST", f"{self._s.url.rstrip('/')}/write", params, body.encode())
        except StoreUnavailable:
            raise
        except Exception as e:  # influxdb-client raises ApiException, urllib3 and OS errors
            raise StoreUnavailable(f"InfluxDB write to {self._s.url} failed: {e}") from e
        return len(readings)

    def query_raw(self, selection: Selection, limit: int = 10_000) -> RawSeries:
        readings_q, aggs_q = q.raw_statements(selection, limit)
        got = q.parse_readings(self._influxql(readings_q))
        return RawSeries(
            readings=got[:limit],
            aggregates=q.parse_aggregates(self._influxql(aggs_q)),
            gaps=self._gaps(q.selection_filter(selection), selection.start, selection.end),
            truncated=len(got) > limit,
        )

    def query_downsampled(self, selection: Selection, interval_s: int) -> Downsampled:
        step = check_interval(interval_s)
        readings_q, aggs_q = q.downsample_statements(selection, step)
        buckets = q.merge_buckets(self._influxql(readings_q), self._influxql(aggs_q))
        gaps = self._gaps(q.selection_filter(selection), selection.start, selection.end)
        return Downsampled(interval_s=step, buckets=buckets, gaps=gaps)

    def gaps(self, device_id: str, start: int, end: int) -> list[StoredGap]:
        return self._gaps(q.device_filter(device_id), start, end)

    def ping(self) -> None:
        self._influxql("SHOW MEASUREMENTS LIMIT 1")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()  # type: ignore[no-untyped-call]

    def _gaps(self, who: str, start: int, end: int) -> list[StoredGap]:
        return q.parse_gaps(self._influxql(q.gaps_statement(who, start, end)))

    def _influxql(self, statement: str) -> list[dict[str, Any]]:
        params = {"db": self._database, "q": statement, "epoch": "s"}
        answer = json.loads(self._http("POST", f"{self._query_url}/query", params, None))
        try:
            return q.rows(answer)
        except ValueError as e:
            raise StoreUnavailable(f"InfluxQL query refused: {e}") from e

    def _http(self, method: str, url: str, params: dict[str, str], body: bytes | None) -> bytes:
        full = f"{url}?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(full, data=body, method=method)
        if self._token:
            request.add_header("Authorization", f"Token {self._token}")
        try:
            with urllib.request.urlopen(request, timeout=self._s.timeout_s) as response:
                data: bytes = response.read()
                return data
        except (urllib.error.URLError, OSError) as e:
            raise StoreUnavailable(f"InfluxDB {method} {url} failed: {e}") from e
