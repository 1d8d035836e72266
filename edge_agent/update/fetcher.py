"""`ResumableFetcher`: ngclient's transport, resuming target downloads with HTTP Range.

ngclient downloads a whole file per call. Targets can be tens of MB over a flaky cellular link, so
target bytes are streamed into ``<partial_dir>/<file name>`` and a later attempt continues from
its size with ``Range: bytes=<size>-``. The cap is the length the signed targets metadata
declares (ngclient passes it as ``max_length``): a server sending more is cut off at once, and
ngclient verifies length and hashes of the result before anything uses it; a file that fails is
deleted so the next attempt starts clean. Metadata (small) is fetched whole, in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final

import urllib3
from tuf.api import exceptions
from tuf.ngclient.fetcher import FetcherInterface

CHUNK: Final = 16 * 1024


class ResumableFetcher(FetcherInterface):
    """urllib3 transport with resumable, length-capped target downloads."""

    def __init__(self, partial_dir: Path, timeout_s: float = 30.0) -> None:
        self.partial_dir = partial_dir
        self._http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=timeout_s, read=timeout_s))
        self.bytes_received = 0

    def _request(self, url: str, headers: dict[str, str]) -> urllib3.BaseHTTPResponse:
        try:
            response = self._http.request(
                "GET", url, headers=headers, preload_content=False, retries=False
            )
        except urllib3.exceptions.HTTPError as e:
            raise exceptions.DownloadError(f"{url}: {e}") from e
        if response.status >= 400:
            _discard(response)  # its body is unread: never reuse the connection
            raise exceptions.DownloadHTTPError(f"{url}: HTTP {response.status}", response.status)
        return response

    def _fetch(self, url: str) -> Iterator[bytes]:
        response = self._request(url, {})
        return self._chunks(response)

    def _chunks(self, response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
        complete = False
        try:
            for chunk in response.stream(CHUNK):
                self.bytes_received += len(chunk)
                yield chunk
            complete = True
        except urllib3.exceptions.HTTPError as e:
            raise exceptions.DownloadError(f"transfer broke: {e}") from e
        finally:
            if complete:
                response.release_conn()
            else:  # stopped early (cap, error, caller gave up): unread bytes stay on the socket
                _discard(response)

    def download_bytes(self, url: str, max_length: int) -> bytes:
        """Metadata: whole file in memory, refused past `max_length`."""
        data = bytearray()
        for chunk in self.fetch(url):
            data += chunk
            if len(data) > max_length:
                raise exceptions.DownloadLengthMismatchError(f"{url}: more than {max_length} bytes")
        return bytes(data)

    @contextmanager
    def download_file(self, url: str, max_length: int) -> Iterator[IO[bytes]]:
        """Target: continue the partial file, cap at `max_length`, yield it for verification."""
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        partial = self.partial_dir / url.rsplit("/", 1)[-1]
        have = partial.stat().st_size if partial.exists() else 0
        if have > max_length:
            partial.unlink()
            have = 0
        if have < max_length:
            self._continue(url, partial, have, max_length)
        try:
            with open(partial, "rb") as f:
                yield f
        except BaseException:
            partial.unlink(missing_ok=True)  # failed verification: never resume from it
            raise
        partial.unlink(missing_ok=True)

    def _continue(self, url: str, partial: Path, have: int, max_length: int) -> None:
        headers = {"Range": f"bytes={have}-"} if have else {}
        response = self._request(url, headers)
        if response.status != 206:  # server ignored the range: start over
            have = 0
        with open(partial, "r+b" if have else "wb") as f:
            f.seek(have)
            f.truncate()
            for chunk in self._chunks(response):
                have += len(chunk)
                if have > max_length:
                    f.close()
                    partial.unlink(missing_ok=True)
                    raise exceptions.DownloadLengthMismatchError(
                        f"{url}: more than the {max_length} bytes signed metadata declares"
                    )
                f.write(chunk)
                f.flush()
            os.fsync(f.fileno())


def _discard(response: urllib3.BaseHTTPResponse) -> None:
    """Close the response and its connection so the pool opens a fresh one."""
    response.close()
    response.release_conn()
