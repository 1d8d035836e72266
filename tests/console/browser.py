"""Real headless Chromium (Debian's, never a downloaded one) driven by Playwright, with every
console message, page error and request URL recorded so tests can fail on any of them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser as PwBrowser
from playwright.sync_api import ConsoleMessage, Page, Request, ViewportSize, sync_playwright

ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
DESKTOP: ViewportSize = {"width": 1366, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@dataclass
class Browser:
    chromium: PwBrowser
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def page(self, viewport: ViewportSize = DESKTOP, *, mobile: bool = False) -> Page:
        context = self.chromium.new_context(
            viewport=viewport, device_scale_factor=1, is_mobile=mobile, has_touch=mobile
        )
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("request", self._request)
        page.on("dialog", lambda d: d.accept())
        return page

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.errors.append(f"console: {msg.text} at {msg.location}")

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)
        parts = urlsplit(request.url)
        if parts.scheme in {"data", "blob"}:
            return
        if parts.hostname not in LOCAL_HOSTS:
            self.foreign.append(request.url)

    def check_clean(self) -> None:
        """No console errors, no page errors, no request to anything but the local hub."""
        assert self.errors == [], self.errors
        assert self.foreign == [], self.foreign


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@contextmanager
def launch(executable: str) -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        try:
            yield Browser(chromium)
        finally:
            chromium.close()
