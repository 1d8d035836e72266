"""Helpers for the outbox tests: readings with predictable values."""

from __future__ import annotations

from edge_agent.outbox import NewReading


def reading(i: int, *, t0: int = 1_750_000_000, step_s: int = 10, mv: int = 1) -> NewReading:
    """The i-th reading of a test series: 10 s apart, pm25 cycling through 5.0 .. 54.0."""
    return NewReading(
        t=t0 + i * step_s, pm25=5.0 + i % 50, sd=2.0, aqi=1, flags=1, model_version=mv
    )
