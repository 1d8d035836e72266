"""Staged model rollouts: pure policy (``cohorts``, ``gates``, ``machine``), persistence in the
registry (``service``), the periodic ``evaluator`` that notifies devices and advances stages,
and the release catalogue (``releases``). See docs/rollouts.md."""
