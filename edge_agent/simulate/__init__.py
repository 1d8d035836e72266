"""The fleet simulator: N protocol-faithful simulated camera units in one process.

Protocol-faithful, not image-faithful: every device has a real MQTT connection (its own client
id, persistent session, retained status with last will), its own durable SQLite outbox and the
agent's own batching, sync and heartbeat code; only the readings come from a pollution series
plus model-like noise instead of rendered frames and a model.
"""

from edge_agent.simulate.config import Credentials, SimConfig
from edge_agent.simulate.fleet import Fleet, FleetReport
from edge_agent.simulate.readings import ReadingSource

__all__ = ["Credentials", "Fleet", "FleetReport", "ReadingSource", "SimConfig"]
