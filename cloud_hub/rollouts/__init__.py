"""Staged model rollouts: pure policy (cohorts, zone budget, gates, state machine), persistence
in the registry, and the periodic evaluator that notifies devices and advances stages."""

from cloud_hub.rollouts.evaluator import RolloutEvaluator
from cloud_hub.rollouts.spec import RolloutSettings, RolloutSpec

__all__ = ["RolloutEvaluator", "RolloutSettings", "RolloutSpec"]
