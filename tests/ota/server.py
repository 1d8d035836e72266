"""A real HTTP server for a TUF repository directory, with switches to misbehave.

Serves ``<repo>/metadata/*`` and ``<repo>/targets/*`` under ``/tuf/`` with HTTP Range support.
Faults (apply to target files only): ``tamper`` flips one byte, ``endless`` appends junk forever,
``cut_after`` closes the connection after that many body bytes of one response.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Faults:
    tamper: bool = False
    endless: bool = False
    cut_after: int | None = None
    delay_s: float = 0.0  # per 4 KiB of target body
    target_requests: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)


class RepoServer:
    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.faults = Faults()
        handler = _make_handler(self)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/tuf"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> RepoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _make_handler(server: RepoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if not self.path.startswith("/tuf/"):
                self.send_error(404)
                return
            rel = self.path[len("/tuf/") :]
            path = (server.repo / rel).resolve()
            if not path.is_relative_to(server.repo.resolve()) or not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            is_target = rel.startswith("targets/")
            faults = server.faults
            if is_target:
                faults.target_requests.append(rel)
                if faults.tamper:
                    data = data[:-1] + bytes([data[-1] ^ 0xFF])
            start = 0
            header = self.headers.get("Range")
            if is_target and header and header.startswith("bytes="):
                faults.ranges.append(header)
                start = int(header[len("bytes=") :].split("-")[0])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            if is_target and faults.endless:
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                for _ in range(10_000):
                    self.wfile.write(b"\0" * 4096)
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if is_target and faults.cut_after is not None:
                self.wfile.write(body[: faults.cut_after])
                faults.cut_after = None
                self.close_connection = True
                return
            if is_target and faults.delay_s:
                for i in range(0, len(body), 4096):
                    self.wfile.write(body[i : i + 4096])
                    self.wfile.flush()
                    time.sleep(faults.delay_s)
                return
            self.wfile.write(body)

    return Handler
