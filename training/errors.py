"""Errors of the training package: one root, two kinds callers handle differently."""

from __future__ import annotations

from pm25.errors import Pm25Error


class TrainingError(Pm25Error):
    """Root of everything `pm25-train` raises on purpose."""


class DatasetError(TrainingError, ValueError):
    """A dataset file or row we cannot use; the message names the file (and row, if any)."""


class ExportError(TrainingError):
    """An exported model that does not run, does not match torch, or loses too much as INT8."""
