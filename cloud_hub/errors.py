"""The hub's error types. Few roots: the REST layer maps each to one HTTP status in one place.

Names read as HTTP-ish outcomes (``NotFound``), hence no ``Error`` suffix (ruff N818 off here).
Foreign errors (SQLite, HTTP clients, paho) are wrapped once at the boundary that meets them
(``raise StoreUnavailable(...) from e``) so callers catch only these.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "DeliveryFailed",
    "Forbidden",
    "HubError",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
    "StoreUnavailable",
    "TooLarge",
    "TooManyAttempts",
    "ValidationFailed",
]


class HubError(Exception):
    """Root of every error the hub raises on purpose."""


class NotFound(HubError):  # noqa: N818
    """The thing asked for does not exist (a device, zone, token...)."""


class PermissionDenied(HubError):  # noqa: N818
    """The caller is known but may not do this."""


Forbidden = PermissionDenied


class Conflict(HubError):  # noqa: N818
    """The change clashes with the current state (a duplicate id, a revoked device...)."""


class ValidationFailed(HubError, ValueError):  # noqa: N818
    """Input that is well-formed but not acceptable (a time range with end before start...)."""


class TooLarge(ValidationFailed):
    """A request body or an uploaded file over its size limit (refused before it is stored)."""


class StoreUnavailable(HubError):  # noqa: N818
    """A backing store (series store, registry, broker) cannot be reached or refused a write.

    Transient by nature: the ingest worker keeps the messages unacknowledged and retries.
    """


class DeliveryFailed(StoreUnavailable):
    """A notification (an alert webhook) did not get through in ``tries`` tries."""

    def __init__(self, message: str, tries: int) -> None:
        super().__init__(message)
        self.tries = tries


class NotAuthenticated(HubError):  # noqa: N818
    """No credentials, or credentials that are wrong, expired or revoked."""


class TooManyAttempts(HubError):  # noqa: N818
    """Too many failed logins from this user and address: wait ``retry_after_s`` seconds."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
