"""Users, roles, bearer tokens and login throttling."""

from cloud_hub.auth.roles import Principal
from cloud_hub.auth.service import AuthService, IssuedToken

__all__ = ["AuthService", "IssuedToken", "Principal"]
