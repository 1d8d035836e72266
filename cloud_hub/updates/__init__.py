"""The hub's part of signed model updates: online-role refresh and serving the TUF repository.

The hub holds only the snapshot and timestamp keys; root and targets keys stay with the release
pipeline. A hub compromise can therefore freeze or replay metadata (which devices detect by
expiry and version checks) but never make a device install something the targets key did not sign.
"""

from cloud_hub.updates.online import OnlineSigners, refresh
from cloud_hub.updates.refresher import RepositoryRefresher, make_refresher
from cloud_hub.updates.router import make_updates_router
from cloud_hub.updates.settings import UpdatesSettings

__all__ = [
    "OnlineSigners",
    "RepositoryRefresher",
    "UpdatesSettings",
    "make_refresher",
    "make_updates_router",
    "refresh",
]
