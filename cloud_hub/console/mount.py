"""Serves the console: the page, its modules and the vendored third-party assets.

The vendored files (uPlot) are copied from npm by ``make console-assets`` into
``static/vendor/``; when they are missing the console answers with a page that says so
instead of a broken app. Nothing is fetched from outside the hub at run time.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from cloud_hub.console import routes
from cloud_hub.console.settings import ConsoleSettings
from pm25.aqi import BREAKPOINTS

STATIC = Path(__file__).resolve().parent / "static"
VENDOR_FILES = ("uPlot.esm.js", "uPlot.min.css")
PREFIX = "/console"
# AQI colours and labels from the shared core, so the browser never keeps its own copy.
AQI_BANDS = [
    {
        "aqi_hi": b.i_hi,
        "pm25_hi": b.c_hi_tenths / 10,
        "label": b.category.label,
        "colour": b.category.colour,
    }
    for b in BREAKPOINTS
]

MISSING_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Console assets not built</title></head><body style="font-family:sans-serif;margin:2em">
<h1>Console assets not built</h1>
<p>The console's third-party files are missing from <code>{vendor}</code>.</p>
<p>Run <code>make console-assets</code> (npm ci + copy) on the hub and reload.</p>
<p>Missing: {missing}</p></body></html>"""


def missing_assets(static: Path = STATIC) -> list[str]:
    """Vendored files the console needs that are not there."""
    return [name for name in VENDOR_FILES if not (static / "vendor" / name).is_file()]


def mount_console(
    app: FastAPI, settings: ConsoleSettings, *, api_prefix: str, static: Path = STATIC
) -> None:
    """Add the console's API routes, and the console at /console/ unless disabled."""
    app.include_router(routes.router, prefix=api_prefix)
    if not settings.enabled:
        return
    index = static / "index.html"

    def page() -> Response:
        missing = missing_assets(static)
        if missing:
            html = MISSING_PAGE.format(vendor=static / "vendor", missing=", ".join(missing))
            return HTMLResponse(html, status_code=503)
        return HTMLResponse(
            index.read_text(encoding="utf-8"), headers={"Cache-Control": "no-cache"}
        )

    def config() -> JSONResponse:
        return JSONResponse(
            {
                "tile_url": settings.tile_url,
                "poll_s": settings.poll_s,
                "api": api_prefix,
                "aqi_bands": AQI_BANDS,
            }
        )

    def root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/")

    app.add_api_route(PREFIX, root, include_in_schema=False)
    app.add_api_route(f"{PREFIX}/", page, include_in_schema=False)
    app.add_api_route(f"{PREFIX}/config.json", config, include_in_schema=False)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=static), name="console-static")
