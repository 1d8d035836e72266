"""On-device inference: one small Backend interface, one file per runtime, the Estimator."""
