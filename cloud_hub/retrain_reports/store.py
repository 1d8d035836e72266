"""Retrain reports on disk: one folder per report under ``<data_dir>/retrain-reports/``.

A folder and a ``meta.json`` per report are enough: reports arrive about once a week, are read
whole and never change, and the only queries are "newest first" and "the report of release
name vN", which a scan of a few hundred small files answers. So no registry table (and no
migration). A report is written into a hidden ``.tmp-<id>`` folder and renamed into place in
one step, so a reader sees all of it or nothing; an upload that dies half-way leaves only a
hidden folder that listings skip.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cloud_hub.errors import NotFound, StoreUnavailable
from cloud_hub.retrain_reports.files import ALLOWED, Accepted

log = logging.getLogger(__name__)
ID_PATTERN = r"^rr-[0-9]{8}-[0-9]{6}-[0-9a-f]{8}$"
META = "meta.json"
_ID = re.compile(ID_PATTERN)


def new_id(now: float) -> str:
    """Sortable by time, unguessable enough to never collide between two uploads."""
    return f"rr-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(now))}-{secrets.token_hex(4)}"


class ReportStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, meta: dict[str, Any], accepted: Accepted, now: float) -> dict[str, Any]:
        """Store the files and their meta.json; the stored meta (with ``id``) is returned."""
        report_id = new_id(now)
        full = {"id": report_id, "uploaded_at": now, **meta, **asdict(accepted.headline),
                "reasons": accepted.reasons,
                "files": {n: len(b) for n, b in sorted(accepted.files.items())}}  # fmt: skip
        tmp = self.root / f".tmp-{report_id}"
        try:
            tmp.mkdir(parents=True)
            for name, data in [*accepted.files.items(), (META, json.dumps(full).encode())]:
                with open(tmp / name, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            os.replace(tmp, self.root / report_id)
        except OSError as e:
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreUnavailable(f"cannot store the retrain report: {e}") from e
        return full

    def list(self) -> list[dict[str, Any]]:
        """Every complete report's meta, newest upload first."""
        if not self.root.is_dir():
            return []
        metas = []
        for folder in self.root.iterdir():
            if not _ID.fullmatch(folder.name):
                continue  # .tmp- folders of uploads in progress, anything else put there
            try:
                metas.append(json.loads((folder / META).read_text(encoding="utf-8")))
            except (OSError, ValueError) as e:  # one damaged report must not hide the others
                log.warning("skipping retrain report %s: %s", folder.name, e)
        return sorted(metas, key=lambda m: (m.get("uploaded_at", 0), m.get("id", "")), reverse=True)

    def get(self, report_id: str) -> dict[str, Any]:
        path = self._folder(report_id) / META
        try:
            meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise NotFound(f"retrain report {report_id!r} does not exist") from e
        except (OSError, ValueError) as e:
            raise StoreUnavailable(f"retrain report {report_id!r} cannot be read: {e}") from e
        return meta

    def read(self, report_id: str, name: str) -> bytes:
        """One file of a report; only whitelisted names, so no name can leave the folder."""
        if name not in ALLOWED:
            raise NotFound(f"a retrain report has no file {name!r}")
        try:
            return (self._folder(report_id) / name).read_bytes()
        except FileNotFoundError as e:
            raise NotFound(f"retrain report {report_id!r} has no {name}") from e
        except OSError as e:
            raise StoreUnavailable(f"retrain report {report_id!r} cannot be read: {e}") from e

    def _folder(self, report_id: str) -> Path:
        if not _ID.fullmatch(report_id):
            raise NotFound(f"retrain report {report_id!r} does not exist")
        return self.root / report_id
