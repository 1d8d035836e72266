"""The drift watch's reference histograms per model version: stored by an operator's PUT or
picked up from the signed releases in the hub's update repository.

A release built by ``pm25-train`` carries ``drift-reference.json`` (its training frames binned
with ``pm25.drift_bins``), signed as a target next to its artifacts. The hub reads it from the
repository it already serves, so no extra credentials are needed and no release step can forget
to upload it. A version that already has stored rows is left alone: an operator's PUT wins.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import select

from cloud_hub.errors import StoreUnavailable
from cloud_hub.loop.tables import DriftReference
from cloud_hub.registry import Registry
from cloud_hub.rollouts.releases import ReleaseCatalogue
from pm25.drift_bins import DECILE_BINS, HAZE_SIGNALS, REFERENCE_FILE, parse_reference

log = logging.getLogger(__name__)


def store_reference(
    registry: Registry, model_version: int, counts: Mapping[str, Sequence[int]], now: float
) -> None:
    """Store (or replace) the reference histogram of each given signal of a model version."""
    for signal, c in sorted(counts.items()):
        if signal in HAZE_SIGNALS and len(c) == DECILE_BINS:
            log.info(
                "drift reference of v%d: %s has the deciles only (built before the tail bins): "
                "compared by PSI, but its out-of-range share is not measured",
                model_version, signal,
            )  # fmt: skip
    with registry.session() as s:
        for signal, c in counts.items():
            s.merge(DriftReference(model_version=model_version, signal=signal, counts=list(c),
                                   created_at=now))  # fmt: skip


def sync_from_releases(
    registry: Registry, repo_dir: Path | None, now: float, tried: set[tuple[str, int]]
) -> list[int]:
    """Store the references of released versions that have none yet; the versions stored.
    ``tried`` (kept by the caller) holds releases already read, so a bad file is logged once."""
    catalogue = ReleaseCatalogue(repo_dir)
    try:
        releases = catalogue.list()
    except StoreUnavailable as e:
        log.warning("drift references: %s", e)
        return []
    with registry.session() as s:
        known = set(s.scalars(select(DriftReference.model_version).distinct()))
    added: list[int] = []
    for r in releases:
        if r.version in known or REFERENCE_FILE not in r.files or (r.name, r.version) in tried:
            continue
        tried.add((r.name, r.version))
        data = catalogue.read_file(r.name, r.version, REFERENCE_FILE)
        counts, problems = parse_reference(data or b"", r.version)
        for p in problems:
            log.warning("drift reference of %s v%d: %s", r.name, r.version, p)
        if counts:
            store_reference(registry, r.version, counts, now)
            known.add(r.version)
            added.append(r.version)
    return added
