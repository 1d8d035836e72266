"""What the API shows of rollouts and releases (Create/Public models) and how it is computed."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud_hub.registry.models import Rollout, RolloutDevice
from cloud_hub.rollouts.releases import Release
from cloud_hub.rollouts.spec import RolloutSpec

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class RolloutCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_name: str = Field(pattern=NAME_PATTERN, description="Model family of the release.")
    version: int = Field(ge=1, le=2**31 - 1, description="Release version to roll out.")
    spec: RolloutSpec = Field(default_factory=RolloutSpec, description="Selector, stages, gates.")
    start: bool = Field(default=True, description="Start at once (else stays a draft).")


class RolloutPublic(BaseModel):
    id: str
    model_name: str
    version: int
    target: str
    state: str
    stage: int
    stages: list[float]
    mode: str
    on_failure: str
    created_by: str
    created_at: float
    updated_at: float
    gate: dict[str, Any] | None
    devices: dict[str, int] = Field(description="Devices by update state.")


class RolloutDevicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    device_id: str
    stage: int
    state: str
    notified_at: float | None
    updated_at: float | None
    reason: str | None
    shadow: dict[str, Any] | None
    reference_mae: float | None


class RolloutDetail(RolloutPublic):
    spec: dict[str, Any]
    device_status: list[RolloutDevicePublic]


class ReleasePublic(BaseModel):
    name: str
    version: int
    current: bool
    label: str | None
    files: list[str]
    metrics: dict[str, Any] = Field(default_factory=dict)
    model_card: str | None = None


class VersionQuality(BaseModel):
    """Shadow agreement and reference error of one model version, over all its rollouts."""

    version: int
    devices: int
    shadow_frames: int
    shadow_agreement: float | None
    shadow_mad: float | None
    reference_devices: int
    reference_mae: float | None


def public(r: Rollout, rows: Sequence[RolloutDevice]) -> RolloutPublic:
    spec = RolloutSpec.model_validate(r.spec)
    return RolloutPublic(
        id=r.id, model_name=r.model_name, version=r.version, target=r.target, state=r.state,
        stage=r.stage, stages=list(spec.stages.fractions), mode=spec.mode,
        on_failure=spec.on_failure, created_by=r.created_by, created_at=r.created_at,
        updated_at=r.updated_at, gate=r.gate, devices=dict(Counter(row.state for row in rows)),
    )  # fmt: skip


def detail(r: Rollout, rows: Sequence[RolloutDevice]) -> RolloutDetail:
    return RolloutDetail(
        **public(r, rows).model_dump(),
        spec=r.spec,
        device_status=[RolloutDevicePublic.model_validate(row) for row in rows],
    )


def release_public(r: Release) -> ReleasePublic:
    return ReleasePublic(
        name=r.name,
        version=r.version,
        current=r.current,
        label=r.label,
        files=list(r.files),
        metrics=r.metrics,
        model_card=r.model_card,
    )


def quality(session: Session, model_name: str) -> list[VersionQuality]:
    """Per version of ``model_name``: shadow stats weighted by frames, mean reference error."""
    rows = session.execute(
        select(Rollout.version, RolloutDevice.shadow, RolloutDevice.reference_mae)
        .join(Rollout, Rollout.id == RolloutDevice.rollout_id)
        .where(Rollout.model_name == model_name)
    )
    acc: dict[int, list[tuple[dict[str, Any] | None, float | None]]] = defaultdict(list)
    for version, shadow, ref in rows:
        acc[version].append((shadow, ref))
    out = []
    for version, items in sorted(acc.items()):
        shadows = [s for s, _ in items if s and int(s.get("n", 0)) > 0]
        frames = sum(int(s["n"]) for s in shadows)
        refs = [r for _, r in items if r is not None]
        out.append(VersionQuality(
            version=version, devices=len(items), shadow_frames=frames,
            shadow_agreement=sum(s["n"] * s.get("within", 0) for s in shadows) / frames
            if frames else None,
            shadow_mad=sum(s["n"] * s.get("mad", 0) for s in shadows) / frames if frames else None,
            reference_devices=len(refs), reference_mae=sum(refs) / len(refs) if refs else None,
        ))  # fmt: skip
    return out
