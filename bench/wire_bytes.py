"""Bytes per reading on the wire for batches of 1, 10 and 60 readings, MQTT overhead included.

MQTT 5 PUBLISH at QoS 1 (OASIS MQTT 5.0, section 3.3), no properties, no topic alias:

    remaining = (2 + len(topic)) + 2 (packet id) + 1 (property length 0) + len(payload)
    publish   = 1 (fixed header byte) + varint_len(remaining) + remaining
    puback    = 4 (fixed header 2 + packet id 2; reason code and properties omitted on success)

bytes per reading = (publish + puback) / readings. TCP/IP and TLS framing is not counted: it depends
on the link and on how many PUBLISH packets share a segment.

Run ``python -m bench.wire_bytes``: prints a table, writes ``bench/results/wire_bytes.json``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Final, cast

from bench.report import RESULTS_DIR, print_table, write_json
from pm25 import topics
from pm25.aqi import AqiCategory
from pm25.wire import QualityFlag, Reading, ReadingBatch, encode

BATCH_SIZES: Final = (1, 10, 60)
DEVICE_ID: Final = "cam-0042"
PUBACK_BYTES: Final = 4
_BREAKS: Final = (9.0, 35.4, 55.4, 125.4, 225.4)  # EPA 2024 category upper bounds, µg/m³


def varint_len(value: int) -> int:
    """Length of an MQTT variable byte integer (1..4 bytes, 7 bits each)."""
    length = 1
    while value >= 128:
        value //= 128
        length += 1
    return length


def publish_bytes(topic: str, payload_len: int) -> int:
    """Size of an MQTT 5 QoS 1 PUBLISH packet without properties (formula in module docstring)."""
    remaining = 2 + len(topic.encode("utf-8")) + 2 + 1 + payload_len
    return 1 + varint_len(remaining) + remaining


def realistic_readings(n: int, seed: int = 7) -> list[Reading]:
    """``n`` readings every ~10 s: a slowly drifting urban PM level, calibrated, seq ~ 1.2 M."""
    rng = random.Random(seed)
    start = datetime(2025, 6, 1, 8, 0, 0, tzinfo=UTC)
    level, out = 18.0, []
    for i in range(n):
        level = max(0.5, level + rng.gauss(0, 0.8))
        pm = round(level + rng.gauss(0, 1.5), 1)
        pm = max(pm, 0.0)
        flags = QualityFlag.CALIBRATED | (QualityFlag.BLUR if rng.random() < 0.05 else 0)
        out.append(
            Reading(
                device_id=DEVICE_ID,
                seq=1_234_567 + i,
                captured_at=start + timedelta(seconds=10 * i + rng.choice((0, 0, 0, 1))),
                pm25=pm,
                pm25_sd=round(2.0 + 0.15 * pm + rng.random(), 1),
                aqi=AqiCategory(sum(pm > b for b in _BREAKS)),
                flags=flags,
                model_version=12,
            )
        )
    return out


def measure(n: int) -> dict[str, float | int]:
    """Encoded sizes for one batch of ``n`` realistic readings."""
    batch = ReadingBatch.from_readings(DEVICE_ID, 12, realistic_readings(n))
    payload = len(encode(batch))
    packet = publish_bytes(topics.readings(DEVICE_ID), payload)
    return {
        "readings": n,
        "payload_bytes": payload,
        "publish_bytes": packet,
        "puback_bytes": PUBACK_BYTES,
        "bytes_per_reading": round((packet + PUBACK_BYTES) / n, 2),
        "payload_bytes_per_reading": round(payload / n, 2),
    }


def run() -> dict[str, object]:
    """Measure every batch size, write ``bench/results/wire_bytes.json``, return the figures."""
    rows = [measure(n) for n in BATCH_SIZES]
    result: dict[str, object] = {
        "topic": topics.readings(DEVICE_ID),
        "formula": "(1 + varint(rl) + rl + 4) / n, rl = 2 + len(topic) + 2 + 1 + len(payload)",
        "budget_bytes_per_reading": 19,
        "batches": rows,
    }
    write_json("wire_bytes", result)
    return result


def main() -> None:
    """Print the table and write the JSON."""
    rows = cast(list[dict[str, float | int]], run()["batches"])
    header = ("readings", "payload B", "PUBLISH B", "PUBACK B", "B/reading all-in")
    table = [
        (
            r["readings"],
            r["payload_bytes"],
            r["publish_bytes"],
            r["puback_bytes"],
            r["bytes_per_reading"],
        )
        for r in rows
    ]
    print_table("Readings on the wire (MQTT 5, QoS 1)", header, table)
    print(f"wrote {RESULTS_DIR / 'wire_bytes.json'}")


if __name__ == "__main__":
    main()
