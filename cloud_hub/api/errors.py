"""The one place where domain errors become HTTP answers: ``{"error": kind, "detail": message}``."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from cloud_hub.errors import (
    Conflict,
    HubError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    StoreUnavailable,
    TooLarge,
    TooManyAttempts,
    ValidationFailed,
)

STATUS: dict[type[HubError], int] = {
    NotAuthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
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


async def _invalid_request(_request: Request, error: Exception) -> JSONResponse:
    """FastAPI's own 422 answer, except that NaN and infinite inputs are echoed as text: JSON has
    no such numbers, so echoing a client's ``NaN`` (Python's json sends it) crashed into a 500."""
    assert isinstance(error, RequestValidationError)
    return JSONResponse({"detail": jsonable_encoder(_finite(error.errors()))}, status_code=422)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def install(app: FastAPI) -> None:
    app.add_exception_handler(HubError, _handle)
    app.add_exception_handler(RequestValidationError, _invalid_request)
