"""Alerts: rules (pure evaluation), the periodic evaluator, MQTT and webhook notifications."""

from cloud_hub.alerts.evaluator import AlertEvaluator
from cloud_hub.alerts.notify import AlertNotice
from cloud_hub.alerts.rules import RuleParams, evaluate

__all__ = ["AlertEvaluator", "AlertNotice", "RuleParams", "evaluate"]
