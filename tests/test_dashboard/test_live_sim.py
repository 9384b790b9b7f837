"""The dashboard on the built-in simulator: pages load, are accessible, themes and prefs work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.browser import ConsoleErrors, launch_browser
from support.server import ServerProcess

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, ServerProcess]]:
    with launch_browser() as browser, ServerProcess(tmp_path_factory.mktemp("dash-sim")) as server:
        yield browser, server


def test_live_view_on_the_simulator(sim: tuple[object, ServerProcess], artifacts_dir: Path) -> None:
    browser, server = sim
    page = browser.new_page(viewport={"width": 1280, "height": 860})  # type: ignore[attr-defined]
    console = ConsoleErrors(page)
    page.goto(server.url + "/")
    page.locator("#status[data-state='simulated']").wait_for(timeout=5000)
    meter = page.get_by_role("meter", name="Pressure")
    first = meter.get_attribute("aria-valuenow")
    page.wait_for_function(
        f"document.querySelector('[role=meter]').getAttribute('aria-valuenow') !== '{first}'",
        timeout=5000,
    )
    page.get_by_role("timer").wait_for()
    assert page.locator("[role=alert]").count() == 1
    page.wait_for_timeout(1500)
    page.screenshot(path=str(artifacts_dir / "dashboard-live-sim.png"))
    page.get_by_role("button", name="Theme").click()
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts_dir / "dashboard-live-sim-toggled-theme.png"))
    page.set_viewport_size({"width": 820, "height": 1180})  # tablet portrait
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts_dir / "dashboard-live-tablet.png"), full_page=True)
    assert console.errors == []
    page.close()


def test_ui_prefs_persist_across_reloads(sim: tuple[object, ServerProcess]) -> None:
    browser, server = sim
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server.url + "/")
    page.locator("#window-s").select_option("60")
    mute = page.locator("#mute-btn")
    assert mute.get_attribute("aria-pressed") == "true"  # muted by default
    mute.click()
    page.reload()
    assert page.locator("#window-s").input_value() == "60"
    assert page.locator("#mute-btn").get_attribute("aria-pressed") == "false"
    page.close()


def test_sessions_page_loads(sim: tuple[object, ServerProcess]) -> None:
    browser, server = sim
    page = browser.new_page()  # type: ignore[attr-defined]
    console = ConsoleErrors(page)
    page.goto(server.url + "/sessions")
    page.get_by_role("table").wait_for()
    page.wait_for_timeout(300)
    assert console.errors == []
    page.close()


def test_reconnecting_state_when_the_server_goes_away(sim: tuple[object, ServerProcess]) -> None:
    """Runs last in this module: it kills the module's server."""
    browser, server = sim
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server.url + "/")
    page.locator("#status[data-state='simulated']").wait_for(timeout=5000)
    server.kill()
    page.locator("#status[data-state='reconnecting']").wait_for(timeout=5000)
    assert page.locator("#conn-text").text_content() == "Reconnecting…"
    page.close()
