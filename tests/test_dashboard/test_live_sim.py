"""The dashboard on the built-in simulator: pages load, are accessible, themes and prefs persist,
the history pages render, and the live view reconnects by itself after a server restart."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.browser import ConsoleErrors, browser_and_server, watched_page
from support.server import ServerProcess

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ServerProcess]]:
    with browser_and_server(tmp_path_factory.mktemp("dash-sim")) as both:
        yield both


def test_live_view_on_the_simulator(sim: tuple[Any, ServerProcess], artifacts_dir: Path) -> None:
    browser, server = sim
    page, console = watched_page(browser, 1280, 800)
    page.goto(server.url + "/")
    page.locator("#status[data-state='simulated']").wait_for()
    meter = page.get_by_role("meter", name="Pressure")
    first = meter.get_attribute("aria-valuenow")
    page.wait_for_function(
        "(v) => document.querySelector('[role=meter]').getAttribute('aria-valuenow') !== v",
        arg=first,
    )
    assert page.get_by_role("timer", name="Hold timer").is_visible()
    assert page.locator("[role=alert]").count() == 1
    assert "T" in page.locator("#shortcuts").text_content()  # shortcuts are documented on the page
    # The trace has drawn samples (the sim streams ~80 Hz) on a fixed y-range.
    page.wait_for_function("window.presshold.plot().data[0].length > 40")
    assert page.evaluate("window.presshold.plot().scales.y.max") == 50
    page.screenshot(path=str(artifacts_dir / "dashboard-live-sim.png"))

    page.get_by_role("button", name="Theme").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"  # system is light
    page.screenshot(path=str(artifacts_dir / "dashboard-live-sim-dark.png"))
    # Alert and banner text on the light dark-theme amber/red is black (white was ~2.2:1).
    for sel in ("#alert", "#storage-banner"):
        assert page.eval_on_selector(sel, "e => getComputedStyle(e).color") == "rgb(0, 0, 0)"
    page.get_by_role("button", name="High contrast").click()
    assert page.get_by_role("button", name="High contrast").get_attribute("aria-pressed") == "true"
    page.screenshot(path=str(artifacts_dir / "dashboard-live-sim-dark-high-contrast.png"))
    page.get_by_role("button", name="Theme").click()
    page.screenshot(path=str(artifacts_dir / "dashboard-live-sim-light-high-contrast.png"))
    page.reload()  # theme and contrast are remembered
    page.locator("#status[data-state='simulated']").wait_for()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert page.evaluate("document.documentElement.dataset.contrast") == "high"
    page.get_by_role("button", name="High contrast").click()

    page.set_viewport_size({"width": 820, "height": 1180})  # tablet portrait: one column
    page.wait_for_function("document.querySelector('aside').getBoundingClientRect().left < 100")
    page.screenshot(path=str(artifacts_dir / "dashboard-live-tablet.png"), full_page=True)
    assert console.errors == []
    page.close()


def test_ui_prefs_persist_across_reloads(sim: tuple[Any, ServerProcess]) -> None:
    browser, server = sim
    page = browser.new_page()
    page.goto(server.url + "/")
    page.locator("#window-s").select_option("60")
    page.wait_for_function("window.presshold.plot().scales.x.max >= 60")
    mute = page.locator("#mute-btn")
    assert mute.get_attribute("aria-pressed") == "true"  # muted by default
    mute.click()
    page.reload()
    assert page.locator("#window-s").input_value() == "60"
    assert page.locator("#mute-btn").get_attribute("aria-pressed") == "false"
    page.keyboard.press("m")  # the shortcut mutes again
    assert page.locator("#mute-btn").get_attribute("aria-pressed") == "true"
    page.locator("#window-s").select_option("30")
    page.close()


def test_sessions_pages_render(sim: tuple[Any, ServerProcess]) -> None:
    browser, server = sim
    page = browser.new_page()
    console = ConsoleErrors(page)
    page.goto(server.url + "/sessions")
    link = page.locator("#list tbody a").first  # the simulator's auto-recorded session
    link.wait_for()
    link.click()
    page.locator("#trace canvas").first.wait_for()
    page.locator(".metric", has_text="Duration").wait_for()
    assert page.get_by_role("link", name="Export CSV").get_attribute("href").endswith("export.csv")
    assert console.errors == []
    page.close()


def test_a_frozen_server_is_shown_as_reconnecting(sim: tuple[Any, ServerProcess]) -> None:
    """A paused server keeps the TCP connection open but silent: the watchdog must give up on it
    at once (the socket can sit in CLOSING far longer than the 3 s silence it detects)."""
    browser, server = sim
    assert server.proc is not None
    page = browser.new_page()
    page.goto(server.url + "/")
    page.locator("#status[data-state='simulated']").wait_for()
    os.kill(server.proc.pid, signal.SIGSTOP)
    try:
        # Watchdog: 3 s of silence, checked every second; well under the 20 s a CLOSING socket took.
        page.locator("#status[data-state='reconnecting']").wait_for(timeout=12_000)
        assert page.locator("#value").text_content() == "—"  # no stale reading shown as live
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)
    page.locator("#status[data-state='simulated']").wait_for(timeout=15_000)
    page.close()


def test_a_refused_socket_shows_the_reason(
    sim: tuple[Any, ServerProcess], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A socket the server refuses (close 1008, here: the access token is gone) is not a network
    blip: the status says why instead of a bare "Reconnecting…"."""
    browser, _ = sim
    token = "dashboard-test-token-0123456789"
    with ServerProcess(tmp_path_factory.mktemp("dash-token"), token=token) as server:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{server.url}/?token={token}")
        page.locator("#status[data-state='simulated']").wait_for()
        context.clear_cookies()  # as if the token had been rotated: the next socket is refused
        page.evaluate("window.presshold.socket().close()")
        conn = page.locator("[data-state=reconnecting] #conn-text", has_text="access token")
        conn.wait_for(timeout=10_000)
        assert conn.text_content().startswith("Refused by the server — ")
        context.close()


def test_reconnects_after_the_server_restarts(sim: tuple[Any, ServerProcess]) -> None:
    """Runs last in this module: it kills the module's server and starts it again."""
    browser, server = sim
    page = browser.new_page()
    page.goto(server.url + "/")
    page.locator("#status[data-state='simulated']").wait_for()
    page.locator("#session-text", has_text="Recording").wait_for()
    server.kill()
    page.locator("#status[data-state='reconnecting']").wait_for()
    assert page.locator("#conn-text").text_content() == "Reconnecting…"
    # nothing claims a recording it cannot know of, and an action says why it failed in words a
    # therapist can act on (not the browser's "Failed to fetch")
    assert "Recording" not in page.locator("#session-text").text_content()
    page.get_by_role("button", name="Tare").click()
    page.locator("#storage-banner.show").wait_for()
    assert page.locator("#storage-banner").text_content() == (
        "Tare failed: the PressHold server cannot be reached (is it still running?)"
    )
    server.start()  # same port, same data directory
    page.locator("#status[data-state='simulated']").wait_for(timeout=15_000)
    page.locator("#session-text", has_text="Recording").wait_for()
    first = page.get_by_role("meter").get_attribute("aria-valuenow")
    page.wait_for_function(
        "(v) => document.querySelector('[role=meter]').getAttribute('aria-valuenow') !== v",
        arg=first,
    )
    page.close()
