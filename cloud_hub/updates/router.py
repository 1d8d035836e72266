"""`/tuf/metadata/{file}` and `/tuf/targets/{path}`: the repository directory over HTTP, read-only.

Files are served as stored; devices verify everything. Paths are confined to the repository
directory (no ``..``, no symlinks out). HTTP Range requests are honoured (Starlette's FileResponse)
so devices can resume an interrupted download.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from pm25.ota import METADATA_DIR, TARGETS_DIR


def _confined(base: Path, relative: str) -> Path:
    path = (base / relative).resolve()
    if not path.is_relative_to(base.resolve()) or not path.is_file():
        raise HTTPException(status_code=404, detail="not found")
    return path


def make_updates_router(repo_dir: Path) -> APIRouter:
    """A router serving the TUF repository in `repo_dir` (mount it at the app root)."""
    router = APIRouter(prefix="/tuf", tags=["updates"])

    @router.get("/metadata/{filename}")
    def metadata(filename: str) -> FileResponse:
        return FileResponse(_confined(repo_dir / METADATA_DIR, filename),
                            media_type="application/json")  # fmt: skip

    @router.get("/targets/{path:path}")
    def targets(path: str) -> FileResponse:
        return FileResponse(_confined(repo_dir / TARGETS_DIR, path),
                            media_type="application/octet-stream")  # fmt: skip

    return router
