"""Releases in the update repository, and their model quality in the field, side by side."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from cloud_hub.api.deps import HubDep, Viewer
from cloud_hub.rollouts.releases import ReleaseCatalogue
from cloud_hub.rollouts.views import (
    NAME_PATTERN,
    ReleasePublic,
    VersionQuality,
    quality,
    release_public,
)

router = APIRouter(prefix="/releases", tags=["releases"])
Name = Annotated[str, Path(pattern=NAME_PATTERN)]


@router.get("", response_model=list[ReleasePublic])
def list_releases(_: Viewer, hub: HubDep) -> list[ReleasePublic]:
    catalogue = ReleaseCatalogue(hub.settings.rollouts.repository_dir)
    return [release_public(r) for r in catalogue.list()]


@router.get("/{name}/quality", response_model=list[VersionQuality])
def release_quality(name: Name, _: Viewer, hub: HubDep) -> list[VersionQuality]:
    """Shadow-run agreement and reference-monitor error of every rolled-out version."""
    with hub.registry.session() as s:
        return quality(s, name)


@router.get("/{name}/{version}", response_model=ReleasePublic)
def get_release(
    name: Name, version: Annotated[int, Path(ge=1, le=2**31 - 1)], _: Viewer, hub: HubDep
) -> ReleasePublic:
    """One release with its evaluation metrics and model card."""
    catalogue = ReleaseCatalogue(hub.settings.rollouts.repository_dir)
    return release_public(catalogue.get(name, version))
