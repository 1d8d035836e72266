"""The one place where domain errors become HTTP answers: ``{"error": kind, "detail": message}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from cloud_hub.errors import (
    Conflict,
    HubError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    StoreUnavailable,
    TooManyAttempts,
    ValidationFailed,
)

STATUS: dict[type[HubError], int] = {
    NotAuthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    ValidationFailed: 422,
    TooManyAttempts: 429,
    StoreUnavailable: 503,
}


def status_of(error: HubError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


async def _handle(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HubError)
    code = status_of(error)
    headers: dict[str, str] = {}
    if code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, TooManyAttempts):
        headers["Retry-After"] = str(max(1, round(error.retry_after_s)))
    body = {"error": type(error).__name__, "detail": str(error)}
    return JSONResponse(body, status_code=code, headers=headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(HubError, _handle)
