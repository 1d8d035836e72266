"""Alerts: rules (pure evaluation), the periodic evaluator, MQTT and webhook notifications."""

from cloud_hub.alerts.evaluator import AlertEvaluator
from cloud_hub.alerts.rules import RuleParams, evaluate

__all__ = ["AlertEvaluator", "RuleParams", "evaluate"]
