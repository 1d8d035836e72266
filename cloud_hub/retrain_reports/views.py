"""What the API takes and shows of retrain reports (In / Public models)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from cloud_hub.api.schemas import Body
from cloud_hub.retrain_reports.files import ALLOWED
from cloud_hub.rollouts.views import NAME_PATTERN

VERSION = Field(ge=1, le=2**31 - 1)


class RetrainReportIn(Body):
    """One run of `pm25-train retrain`: who competed, the decision, and the report's files."""

    model_name: str = Field(pattern=NAME_PATTERN, description="Model family.")
    champion_version: int = Field(ge=1, le=2**31 - 1, description="Version that defended.")
    challenger_version: int = Field(
        ge=1, le=2**31 - 1, description="Version the challenger got (a release only if promoted)."
    )
    promoted: bool = Field(description="The gate's decision; must match decision.json.")
    trigger: str = Field(
        default="manual", pattern=r"^[^\x00-\x1f\x7f]{1,200}$", description="Why the run happened."
    )
    files: dict[str, str] = Field(
        max_length=16,  # more than the allowed names, so unknown ones get named
        description=f"File name → base64 content. Names: {', '.join(ALLOWED)}; "
        "report.md and decision.json are required.",
    )


class RetrainReportPublic(BaseModel):
    id: str
    uploaded_at: float
    uploaded_by: str
    model_name: str
    champion_version: int
    challenger_version: int
    promoted: bool
    trigger: str
    field_frames: int | None = Field(description="Held-out field frames both models ran on.")
    champion_rmse: float | None = Field(description="Champion's RMSE on them (µg/m³).")
    challenger_rmse: float | None = Field(description="Challenger's RMSE on them (µg/m³).")
    files: dict[str, int] = Field(description="Stored file name → size in bytes.")


class RetrainReportDetail(RetrainReportPublic):
    reasons: list[str] = Field(description="Every gate check, pass or fail (from decision.json).")
