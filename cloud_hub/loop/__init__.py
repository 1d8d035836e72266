"""The hub side of the closed loop: field samples, reference labels, per-device calibration,
dataset export for training, and drift watch. See docs/closed-loop.md.

Pure policies (``samples``, ``labels``, ``calibration``, ``drift``) hold the decisions; ``job`` is
the periodic I/O shell, like the alert evaluator; ``store`` keeps the sample files.
"""
