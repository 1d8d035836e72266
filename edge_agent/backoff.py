"""Exponential backoff with jitter: a pure retry-delay policy (camera reopen, MQTT reconnect).

``next_delay()`` returns initial·factorⁿ capped at max_s, then scaled by a random factor in
[1 − jitter, 1] ("equal-ish jitter": never longer than the cap, so the worst case is known, and
never zero, so a fleet that lost its broker at the same instant spreads its reconnects).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, model_validator


class BackoffConfig(BaseModel):
    """Retry delays of a stage that reconnects to something (camera, broker)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial_s: float = Field(1.0, gt=0.0, description="First delay after a failure, seconds.")
    max_s: float = Field(60.0, gt=0.0, description="Upper bound of any delay, seconds.")
    factor: float = Field(2.0, ge=1.0, description="Growth of the delay per consecutive failure.")
    jitter: float = Field(
        0.5, ge=0.0, le=1.0, description="Fraction of the delay that is randomised away (0..1)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> BackoffConfig:
        if self.max_s < self.initial_s:
            raise ValueError(f"max_s {self.max_s} must be >= initial_s {self.initial_s}")
        return self


@dataclass
class Backoff:
    """Delays for consecutive failures; ``reset()`` after a success. No sleeping, no clock."""

    initial_s: float = 1.0
    max_s: float = 60.0
    factor: float = 2.0
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random, repr=False)
    attempts: int = 0

    def __post_init__(self) -> None:
        BackoffConfig(  # one set of rules for the numbers, whether from config or code
            initial_s=self.initial_s, max_s=self.max_s, factor=self.factor, jitter=self.jitter
        )

    @classmethod
    def from_config(cls, config: BackoffConfig, rng: random.Random | None = None) -> Backoff:
        """A policy with the numbers of a config section."""
        return cls(
            config.initial_s, config.max_s, config.factor, config.jitter, rng or random.Random()
        )

    def ceiling(self) -> float:
        """The un-jittered delay of the next attempt: initial·factorⁿ, capped at max_s."""
        # Compare exponents rather than computing factor**n: no overflow after many failures.
        if self.attempts * math.log(self.factor) >= math.log(self.max_s / self.initial_s):
            return self.max_s
        return min(self.initial_s * self.factor**self.attempts, self.max_s)

    def next_delay(self) -> float:
        """Delay before the next attempt, in seconds; counts the attempt."""
        ceiling = self.ceiling()
        self.attempts += 1
        return ceiling * (1.0 - self.jitter * self.rng.random())

    def reset(self) -> None:
        """Forget past failures (call after a success)."""
        self.attempts = 0
