"""A byte-counting TCP proxy for the uplink benchmark: what really crosses the wire.

Counts application bytes (MQTT, TLS if any) each way and the number of socket reads, a lower
bound on TCP segments (each costs ~52 bytes of IPv4+TCP headers with timestamps on a real link).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field


@dataclass
class Counts:
    up: int = 0
    down: int = 0
    segments: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, n: int, upstream: bool) -> None:
        with self.lock:
            if upstream:
                self.up += n
            else:
                self.down += n
            self.segments += 1

    def snapshot(self) -> tuple[int, int, int]:
        with self.lock:
            return self.up, self.down, self.segments


class CountingProxy:
    """Listens on a free local port and forwards every connection to ``target_port``."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.counts = Counts()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for src, dst, up in ((client, upstream, True), (upstream, client, False)):
                t = threading.Thread(target=self._pump, args=(src, dst, up), daemon=True)
                t.start()

    def _pump(self, src: socket.socket, dst: socket.socket, up: bool) -> None:
        try:
            while data := src.recv(65536):
                self.counts.add(len(data), up)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._server.close()
