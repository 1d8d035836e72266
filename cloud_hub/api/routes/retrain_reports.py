"""Retrain reports: the training box uploads each run's report (promoted or refused), people
read them. Storage is a folder under data_dir (cloud_hub.retrain_reports.store).

The upload reads its body itself, after the role check and with a byte cap, instead of
declaring a JSON body parameter: FastAPI would read and parse any body (of any size, from
anyone) before the role check ran. Files are base64 in JSON rather than multipart for the same
reason (multipart forms are parsed before dependencies too) and because one pydantic model
then documents and checks the whole request.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from cloud_hub.api.deps import HubDep, Operator, Viewer
from cloud_hub.errors import TooLarge, ValidationFailed
from cloud_hub.retrain_reports.files import ALLOWED, accept, decode_files
from cloud_hub.retrain_reports.store import ID_PATTERN, ReportStore
from cloud_hub.retrain_reports.views import (
    RetrainReportDetail,
    RetrainReportIn,
    RetrainReportPublic,
)
from cloud_hub.rollouts.views import NAME_PATTERN

log = logging.getLogger(__name__)
router = APIRouter(prefix="/retrain-reports", tags=["retrain reports"])
MAX_BODY = 24 * 1024 * 1024  # every file at its limit, base64-encoded, fits
ReportId = Annotated[str, Path(pattern=ID_PATTERN)]
# Served files are never rendered by the browser as anything but what we say they are.
SAFE = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox",
        "Cache-Control": "private, max-age=3600"}  # fmt: skip


def store_of(hub: HubDep) -> ReportStore:
    return ReportStore(hub.settings.data_dir / "retrain-reports")


async def _read_capped(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise TooLarge(f"request body over {MAX_BODY} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise TooLarge(f"request body over {MAX_BODY} bytes")
    return bytes(body)


@router.post(
    "",
    response_model=RetrainReportDetail,
    status_code=201,
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": RetrainReportIn.model_json_schema()}}}},
)  # fmt: skip
async def upload(request: Request, me: Operator, hub: HubDep) -> RetrainReportDetail:
    """Store one run's report (JSON, files base64): 413 over the size limits, 422 for unknown
    file names, missing report.md/decision.json, a PNG that is not one, or a decision.json
    that disagrees with ``promoted``."""
    raw = await _read_capped(request)
    try:
        body = RetrainReportIn.model_validate_json(raw)
    except ValidationError as e:  # short: the default 422 would echo megabytes of base64 back
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc'])) or 'body'}: {err['msg']}" for err in e.errors()
        )
        raise ValidationFailed(f"invalid retrain report upload: {problems}") from e
    accepted = accept(decode_files(body.files), body.promoted)
    meta = body.model_dump(exclude={"files"}) | {"uploaded_by": me.username}
    stored = await run_in_threadpool(store_of(hub).save, meta, accepted, time.time())
    return RetrainReportDetail.model_validate(stored)


@router.get("", response_model=list[RetrainReportPublic])
def list_reports(
    _: Viewer,
    hub: HubDep,
    model_name: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[RetrainReportPublic]:
    """Newest first. With ``model_name`` and ``version``: the report that promoted that release."""
    metas = store_of(hub).list()
    if model_name is not None:
        metas = [m for m in metas if m.get("model_name") == model_name]
    if version is not None:
        metas = [m for m in metas if m.get("promoted") and m.get("challenger_version") == version]
    out = []
    for meta in metas[:limit]:
        try:
            out.append(RetrainReportPublic.model_validate(meta))
        except ValidationError:  # a meta.json edited by hand: skip it, show the rest
            log.warning("retrain report %s has an unreadable meta.json", meta.get("id"))
    return out


@router.get("/{report_id}", response_model=RetrainReportDetail)
def get_report(report_id: ReportId, _: Viewer, hub: HubDep) -> RetrainReportDetail:
    return RetrainReportDetail.model_validate(store_of(hub).get(report_id))


@router.get(
    "/{report_id}/files/{name}",
    response_class=Response,
    responses={200: {"content": {t: {} for t, _ in ALLOWED.values()}}},
)
def get_file(report_id: ReportId, name: str, _: Viewer, hub: HubDep) -> Response:
    """report.md (text/markdown), decision.json, bands.png, devices.png; nothing else."""
    data = store_of(hub).read(report_id, name)
    return Response(data, media_type=ALLOWED[name][0], headers=SAFE)
