"""A broker front that speaks only MQTT 3.1.1: it refuses an MQTT 5 CONNECT with reason 0x84
(unsupported protocol version), as an old broker does, and forwards 3.1.1 clients to Mosquitto."""

from __future__ import annotations

import contextlib
import socket
import threading

V5_UNSUPPORTED_CONNACK = bytes([0x20, 0x03, 0x00, 0x84, 0x00])


def protocol_level(connect: bytes) -> int:
    """The protocol level byte of a CONNECT packet (4 = 3.1.1, 5 = MQTT 5)."""
    pos = 1
    while connect[pos] & 0x80:  # remaining-length varint
        pos += 1
    pos += 1
    name_len = int.from_bytes(connect[pos : pos + 2], "big")
    return connect[pos + 2 + name_len]


class V311OnlyProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.refused_v5 = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        first = client.recv(4096)
        if not first or protocol_level(first) == 5:
            self.refused_v5 += 1
            with contextlib.suppress(OSError):
                client.sendall(V5_UNSUPPORTED_CONNACK)
            client.close()
            return
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        upstream.sendall(first)
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pump, args=(src, dst), daemon=True).start()

    def close(self) -> None:
        self._server.close()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
