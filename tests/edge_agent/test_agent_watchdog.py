"""The agent's watchdog and systemd notifications, with stages of our own."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from edge_agent.agent import RESTART_BUDGET, EdgeAgent, StageThread
from edge_agent.config import AgentConfig
from edge_agent.sdnotify import notify, watchdog_interval_s


class Dying:
    name = "dying"

    def __init__(self, times: int) -> None:
        self.runs = 0
        self.times = times

    def run(self, stop: threading.Event) -> None:
        self.runs += 1
        if self.runs <= self.times:
            raise RuntimeError("boom")
        stop.wait()


def _agent(tmp_path: Path) -> EdgeAgent:
    agent = EdgeAgent(AgentConfig(device_id="cam-1", data_dir=tmp_path), None)
    agent.watch_interval_s = 0.01
    return agent


def test_a_dead_stage_is_restarted(tmp_path: Path) -> None:
    stage, stop, halt = Dying(times=2), threading.Event(), threading.Event()
    thread, problems = StageThread(stage), dict[str, str]()
    thread.start(halt)
    timer = threading.Timer(1.0, stop.set)
    timer.start()
    assert _agent(tmp_path)._supervise([thread], stop, halt, problems) == 0
    halt.set()
    assert stage.runs == 3 and "dying_restarted" in problems


def test_a_stage_that_keeps_dying_stops_the_agent(tmp_path: Path) -> None:
    stage, stop, halt = Dying(times=100), threading.Event(), threading.Event()
    thread = StageThread(stage)
    thread.start(halt)
    agent = _agent(tmp_path)
    threading.Timer(10.0, stop.set).start()
    assert agent._supervise([thread], stop, halt, {}) == 1
    stop.set()
    assert stage.runs == RESTART_BUDGET + 1 and agent.exit_reason is not None


def test_sd_notify_sends_to_the_socket(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        assert notify("READY=1", {"NOTIFY_SOCKET": str(path)})
        assert server.recv(100) == b"READY=1"


@pytest.mark.parametrize(
    ("env", "interval"),
    [({}, None), ({"WATCHDOG_USEC": "30000000"}, 15.0), ({"WATCHDOG_USEC": "x"}, None)],
)
def test_watchdog_interval(env: dict[str, str], interval: float | None) -> None:
    assert watchdog_interval_s(env) == interval


def test_notify_outside_systemd_is_a_no_op() -> None:
    assert notify("READY=1", {}) is False
    assert notify("READY=1", {"NOTIFY_SOCKET": "/nonexistent/socket"}) is False
