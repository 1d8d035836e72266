"""The demo's camera units: who they are, how the hub provisions them, how they run.

Each unit is registered with ``cloud-hub devices add`` like a real one (credentials in the broker,
a config bundle out) and runs as ``edge-agent run --config <bundle>``; what a real unit would have
in its firmware profile (camera, model, pacing) comes as ``EDGE_AGENT_*`` overrides.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from demo.processes import Children

CAMERA_SEEDS = (1, 3, 7, 2, 5, 8, 4, 6)  # streets with depth first: distant targets show low PM
PROFILES: tuple[Literal["default", "humid", "clean"], ...] = (
    "default",
    "humid",
    "default",
    "clean",
)
CITY = (45.070, 7.686)  # the demo city's centre, lat/lon
ZONES = {"north": "North district", "south": "South district"}
BIN = Path(sys.executable).parent  # the venv's console scripts, as a user would run them
EDGE_AGENT = [str(BIN / "edge-agent")]
CLOUD_HUB = [str(BIN / "cloud-hub")]


@dataclass(frozen=True)
class Unit:
    """One simulated camera unit: its street, its pollution pattern and where it stands."""

    device_id: str
    camera_seed: int
    pollution_seed: int
    profile: Literal["default", "humid", "clean"]
    lat: float
    lon: float
    zone: str

    @property
    def name(self) -> str:
        return f"Demo camera {self.device_id[-2:]} (street {self.camera_seed}, {self.profile})"


def plan_units(count: int) -> list[Unit]:
    """``count`` units spread around the city, alternating north and south of the centre."""
    units = []
    for i in range(count):
        north = i % 2 == 0
        lat = CITY[0] + (0.012 if north else -0.012) + 0.004 * (i // 2)
        lon = CITY[1] - 0.015 + 0.01 * i
        units.append(
            Unit(
                device_id=f"demo-cam-{i + 1:02d}",
                camera_seed=CAMERA_SEEDS[i % len(CAMERA_SEEDS)],
                pollution_seed=100 + i,
                profile=PROFILES[i % len(PROFILES)],
                lat=round(lat, 5),
                lon=round(lon, 5),
                zone="north" if north else "south",
            )
        )
    return units


def unit_env(unit: Unit, data_dir: Path, model: Path, interval_s: float) -> dict[str, str]:
    """What the unit's firmware profile would set: daylight synthetic camera, short batches."""
    prefix = "EDGE_AGENT_"
    source = {
        "KIND": "synthetic",
        "CAMERA_SEED": unit.camera_seed,
        "POLLUTION_SEED": unit.pollution_seed,
        "PROFILE": unit.profile,
        "CLOCK": "daylight",
        "WIDTH": 640,
        "HEIGHT": 360,
    }
    env = {f"{prefix}CAPTURE__SOURCE__{k}": str(v) for k, v in source.items()}
    env.update(
        {
            f"{prefix}DATA_DIR": str(data_dir),
            f"{prefix}CAPTURE__INTERVAL_S": str(interval_s),
            f"{prefix}INFERENCE__MODEL": str(model),
            f"{prefix}INFERENCE__THREADS": "1",
            f"{prefix}UPLINK__MAX_COUNT": "1",  # readings appear within seconds
            f"{prefix}UPLINK__MAX_AGE_S": "1",
            f"{prefix}HEARTBEAT__INTERVAL_S": "30",
            f"{prefix}MQTT__KEEPALIVE_S": "30",
            f"{prefix}MQTT__BACKOFF__MAX_S": "5",
            "OMP_NUM_THREADS": "1",
        }
    )
    return env


def provision(unit: Unit, hub_config: Path, bundle: Path) -> list[str]:
    """The ``cloud-hub devices add`` command line that registers ``unit`` and writes its bundle."""
    return [
        *CLOUD_HUB,
        "--config",
        str(hub_config),
        "devices",
        "add",
        unit.device_id,
        "--name",
        unit.name,
        "--zone",
        unit.zone,
        "--lat",
        str(unit.lat),
        "--lon",
        str(unit.lon),
        "--out",
        str(bundle),
    ]


def start_unit(
    unit: Unit, bundle: Path, env: dict[str, str], run_dir: Path, children: Children
) -> None:
    children.start(
        unit.device_id,
        [*EDGE_AGENT, "run", "--config", str(bundle)],
        run_dir / f"{unit.device_id}.log",
        env,
    )
