"""Valid example messages shared by the wire tests (one of each kind)."""

import base64
from datetime import UTC, datetime, timedelta

from pm25.aqi import AqiCategory
from pm25.wire import (
    Aggregate,
    AlertNotice,
    CaptureSampleCommand,
    CommandAck,
    ConfigCommand,
    DesiredUpdate,
    Gap,
    Heartbeat,
    Latency,
    Message,
    Note,
    PingCommand,
    QualityFlag,
    Reading,
    ReadingBatch,
    Roi,
    Sample,
    Status,
    UpdateNoticeCommand,
)

T = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
# The smallest JPEG-like bytes: the codec checks the start marker, not the whole image.
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16 + b"\xff\xd9"


def readings(n: int = 3, seq0: int = 100) -> list[Reading]:
    return [
        Reading(
            device_id="cam-1",
            seq=seq0 + i,
            captured_at=T + timedelta(seconds=10 * i),
            pm25=12.3 + i,
            pm25_sd=2.5,
            aqi=AqiCategory.MODERATE,
            flags=QualityFlag.CALIBRATED if i % 2 else QualityFlag.NONE,
            model_version=4,
        )
        for i in range(n)
    ]


def batch() -> ReadingBatch:
    agg = Aggregate(seq=99, t_from=T - timedelta(hours=1), t_to=T, n=360, mean=11, min=4, max=20)
    gap = Gap(seq_from=90, seq_to=98, reason="outbox_full")
    return ReadingBatch.from_readings("cam-1", 4, readings(), aggregates=[agg], gaps=[gap])


def messages() -> dict[str, Message]:
    """One valid message per schema name of pm25.schemas (commands: one per type)."""
    return {
        "readings": batch(),
        "heartbeat": Heartbeat(
            t=T,
            agent="0.1.0",
            uptime_s=3600,
            cpu_temp_c=51.5,
            disk_free_b=10**9,
            outbox=3,
            outbox_age_s=25,
            mv=4,
            model="haze-cnn-int8",
            backend="onnxruntime_cpu",
            backend_why="no accelerator found",
            accepted=350,
            rejected={"blur": 7, "low_light": 3},
            lat_ms=Latency(p50=41.2, p95=60.0),
            errors=(Note(code="broker_auth_failed", msg="bad password"),),
        ),
        "status": Status.offline("0.1.0", T),
        "alert": AlertNotice(
            rule_id=3,
            rule="PM2.5 above 55 for 30 min",
            kind="pm25_above",
            device_id="cam-1",
            state="firing",
            message="PM2.5 mean 71.4 µg/m³ over 30 min (limit 55)",
            t=T,
        ),
        "command.ping": PingCommand(id="c1", issued_at=T),
        "command.config": ConfigCommand(id="c2", issued_at=T, patch={"capture": {"fps": 0.1}}),
        "command.capture_sample": CaptureSampleCommand(id="c3", issued_at=T, max_side=320),
        "command.update_notice": UpdateNoticeCommand(
            id="c4",
            issued_at=T,
            release=7,
            target="model-7.onnx",
            repository="https://hub.example.org/updates",
            rollout_id="r-2025-06",
            not_before=T,
            not_after=T + timedelta(days=1),
        ),
        "ack": CommandAck(id="c1", ok=True, result={"rtt_ms": 120}, t=T),
        "sample": Sample(
            id="c3",
            captured_at=T,
            jpeg=base64.b64encode(JPEG).decode(),
            width=320,
            height=200,
            roi=Roi(x=100, y=50, w=640, h=400),
        ),
        "desired": DesiredUpdate(
            action="install",
            release=7,
            target="pm25-haze/manifest.json",
            rollout_id="r-2025-06",
            issued_at=T,
            rev=int(T.timestamp()) * 1000 + 250,
        ),
    }
