"""A TCP proxy between devices and the broker whose link can be cut and restored (network faults).

``cut()`` closes the listening socket and every proxied connection (both ends see a reset, as when
a cellular link drops); ``restore()`` listens again on the same port. Bytes are counted both ways.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading

from tests.support.ports import free_port


class CuttableProxy:
    """Forwards ``127.0.0.1:port`` to ``127.0.0.1:target_port`` from one thread until stopped."""

    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target_port = target_port
        self.port = port or free_port()
        self.bytes_up = 0
        self.bytes_down = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._listener: socket.socket | None = None
        self._sel = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="proxy", daemon=True)

    def start(self) -> CuttableProxy:
        self.restore()
        self._thread.start()
        return self

    def restore(self) -> None:
        """Listen again (no-op when listening)."""
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(256)
            listener.setblocking(False)
            self._listener = listener
            self._sel.register(listener, selectors.EVENT_READ)

    def cut(self) -> None:
        """Stop listening and reset every proxied connection."""
        with self._lock:
            if self._listener is not None:
                self._sel.unregister(self._listener)
                self._listener.close()
                self._listener = None
            for sock in list(self._pairs):
                self._close(sock)

    def stop(self) -> None:
        self._stop.set()
        self.cut()
        self._thread.join(timeout=5)

    def _close(self, sock: socket.socket) -> None:
        other = self._pairs.pop(sock, None)
        for s in (sock, other):
            if s is None:
                continue
            self._pairs.pop(s, None)
            with contextlib.suppress(KeyError, ValueError):
                self._sel.unregister(s)
            with contextlib.suppress(OSError):
                s.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
            s.close()

    def _accept(self, listener: socket.socket) -> None:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
        except OSError:
            client.close()  # broker down: the device sees a refused/closed connection
            return
        for s in (client, upstream):
            s.setblocking(False)
            self._sel.register(s, selectors.EVENT_READ)
        self._pairs[client], self._pairs[upstream] = upstream, client
        self.connections += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._sel.select(timeout=0.1):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                with self._lock:
                    if sock is self._listener:
                        self._accept(sock)
                    elif sock in self._pairs:
                        self._forward(sock)

    def _forward(self, sock: socket.socket) -> None:
        other = self._pairs[sock]
        try:
            data = sock.recv(65536)
            if data:
                other.setblocking(True)
                other.sendall(data)
                other.setblocking(False)
        except OSError:
            data = b""
        if not data:
            self._close(sock)
            return
        if other.getpeername()[1] == self.target_port:
            self.bytes_up += len(data)
        else:
            self.bytes_down += len(data)
