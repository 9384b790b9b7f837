"""Headless Debian Chromium driven by Playwright, for the dashboard's real-browser tests.

No browser download: Playwright launches ``/usr/bin/chromium`` (override with env
``PRESSHOLD_CHROMIUM``). When it is missing the tests skip, unless ``PRESSHOLD_REQUIRE_BROWSER=1``
(CI) turns that into a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from support.server import ServerProcess

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


def chromium_path() -> str | None:
    """The Chromium executable, or None when this machine has none."""
    explicit = os.environ.get("PRESSHOLD_CHROMIUM")
    for candidate in (explicit, "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def require_chromium() -> str:
    """Skip (or fail under PRESSHOLD_REQUIRE_BROWSER=1) when Chromium or Playwright is missing."""
    path = chromium_path()
    missing = None if path else "no Chromium at /usr/bin/chromium (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "playwright is not installed (pip install -e '.[test]')"
    if missing:
        if os.environ.get("PRESSHOLD_REQUIRE_BROWSER") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    assert path is not None
    return path


@contextmanager
def launch_browser() -> Iterator[object]:
    """A Playwright ``Browser`` on Debian's Chromium; closed (and Playwright stopped) on exit."""
    from playwright.sync_api import sync_playwright

    path = require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def browser_and_server(data_dir: Path, **server: Any) -> Iterator[tuple[Any, ServerProcess]]:
    """A browser and a real ``presshold serve`` (``server``: ServerProcess's options) on
    ``data_dir``: what a module of dashboard tests shares; both closed on exit."""
    with launch_browser() as browser, ServerProcess(data_dir, **server) as srv:
        yield browser, srv


def watched_page(browser: Any, width: int, height: int) -> tuple[Any, ConsoleErrors]:
    """A new ``width``×``height`` page, and the console errors it will log (none, the test
    asserts at the end)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    return page, ConsoleErrors(page)


class ConsoleErrors:
    """Collects console errors and uncaught page exceptions so a test can assert there were none."""

    def __init__(self, page: object) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)  # type: ignore[attr-defined]
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))  # type: ignore[attr-defined]

    def _console(self, msg: object) -> None:
        if msg.type == "error":  # type: ignore[attr-defined]
            self.errors.append(f"console: {msg.text}")  # type: ignore[attr-defined]
