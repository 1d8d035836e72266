"""Errors of the hub's update repository."""

from cloud_hub.errors import HubError


class UpdateRepositoryError(HubError):
    """Repository metadata the hub cannot refresh, or a key the hub must not hold."""
