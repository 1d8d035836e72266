"""The probes of ``edge-agent check``: camera, model, broker. Each returns (ok, one line).

The broker probe is a minimal paho CONNECT with the unit's credentials under the client id
``<device_id>-check`` and a clean session: connecting as ``<device_id>`` would take over the
running agent's persistent session and publish its status. (It is the only paho use outside
``edge_agent.uplink``; it belongs there once the uplink offers a probe.)
"""

from __future__ import annotations

import ssl
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge_agent.capture import CaptureConfig, open_camera
from edge_agent.config_sections import MqttConfig
from edge_agent.errors import EdgeAgentError
from edge_agent.gate import GateConfig, QualityGate
from edge_agent.inference.config import InferenceConfig
from edge_agent.inference.model import load_estimator

Probe = tuple[bool, str]


def probe_camera(capture: CaptureConfig, gate: GateConfig) -> Probe:
    """Open the camera, read one frame, and give the gate's verdict on it."""
    camera = open_camera(capture)
    try:
        camera.open()
        frame = camera.read()
    except Exception as e:  # any driver failure is a failed probe, reported, not raised
        return False, f"{camera.describe()}: {e}"
    finally:
        camera.close()
    verdict = QualityGate(gate).check(frame.image, capture.roi)
    h, w = frame.image.shape[:2]
    gate_text = "accepted" if verdict.accepted else f"rejected ({verdict.reason})"
    if verdict.accepted and verdict.flags:
        gate_text += f" with flags {verdict.flags!r}"
    return True, f"{camera.describe()}: {w}x{h} frame, gate {gate_text}"


def probe_model(inference: InferenceConfig, data_dir: Path | None) -> Probe:
    """Load the release: manifest, hashes, warm-up, goldens, precision choice."""
    try:
        est = load_estimator(inference.model, inference, data_dir)
    except EdgeAgentError as e:
        return False, str(e)
    n = len(est.manifest.golden)
    return True, (
        f"{est.model_version} {est.role} on {est.backend.name} {list(est.backend.devices)} "
        f"({est.backend_reason}); {n} golden test(s) passed"
    )


def probe_broker(device_id: str, config: MqttConfig, timeout_s: float = 5.0) -> Probe:
    """TCP connect + MQTT CONNECT with the configured credentials; the CONNACK's verdict."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"{device_id}-check",
        protocol=mqtt.MQTTv311 if config.protocol == "3.1.1" else mqtt.MQTTv5,
    )
    try:
        password = config.secret()
    except OSError as e:
        return False, f"cannot read password_file: {e}"
    client.username_pw_set(config.username or device_id, password)
    if config.tls is not None:
        tls = config.tls
        client.tls_set(
            ca_certs=str(tls.ca) if tls.ca else None,
            certfile=str(tls.cert) if tls.cert else None,
            keyfile=str(tls.key) if tls.key else None,
            cert_reqs=ssl.CERT_REQUIRED if tls.verify else ssl.CERT_NONE,
        )
        client.tls_insecure_set(not tls.verify)
    answered = threading.Event()
    result: list[str] = []

    def on_connect(_c: mqtt.Client, _u: object, _f: object, rc: object, _p: object) -> None:
        result.append(str(rc))
        answered.set()

    client.on_connect = on_connect
    where = f"{config.host}:{config.port}"
    try:
        client.connect(config.host, config.port, keepalive=30)
    except (OSError, ValueError) as e:
        return False, f"{where}: cannot connect: {e}"
    client.loop_start()
    try:
        if not answered.wait(timeout_s):
            return False, f"{where}: no CONNACK within {timeout_s:g} s"
    finally:
        client.disconnect()
        client.loop_stop()
    verdict = result[0]
    ok = verdict == "Success"
    user = config.username or device_id
    return ok, f"{where}: {'connected' if ok else 'refused: ' + verdict} as {user}"
