"""A real webhook receiver on a free local port, for alert-delivery tests: it answers every POST
with ``Hook.status`` (500 at start: failing) and keeps the bodies in ``Hook.bodies``; a test sets
``Hook.status = 200`` to make it recover."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar


class Hook(BaseHTTPRequestHandler):
    status: ClassVar[int] = 500
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def serve_hook() -> Iterator[str]:
    """Run a receiver (failing, no bodies yet) and yield its URL; stops it afterwards."""
    server = HTTPServer(("127.0.0.1", 0), Hook)
    Hook.status, Hook.bodies = 500, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()
        server.server_close()
