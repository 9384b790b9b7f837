"""The live view in a real browser, fed by a scripted sensor on a pty through the real server.

One server, one device and one browser page for the module; the tests run in file order and each
sets the force level it needs, so the whole module takes a few seconds of real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.browser import ConsoleErrors, launch_browser
from support.pty_device import PtyDevice
from support.server import ServerProcess

pytestmark = pytest.mark.browser


class Level:
    """The force (N) the fake sensor reports from now on."""

    value = 0.0


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    tmp = tmp_path_factory.mktemp("dash-pty")
    with launch_browser() as browser, PtyDevice(tmp / "ttyPRESSHOLD", rate_hz=200) as dev:
        dev.send_hello(sensor="pty-dashboard", rate=200)
        dev.start_stream(lambda t: Level.value)
        with ServerProcess(tmp / "data", source=dev.path) as server:
            api = httpx.Client(base_url=server.url, timeout=5)
            api.put(
                "/api/settings",
                json={"target_n": 30.0, "tolerance_pct": 10.0, "hold_s": 30.0, "unit": "N"},
            ).raise_for_status()
            context = browser.new_context(
                viewport={"width": 1280, "height": 860}, accept_downloads=True
            )
            page = context.new_page()
            console = ConsoleErrors(page)
            page.goto(server.url + "/")
            page.get_by_role("meter").wait_for()
            yield {"page": page, "api": api, "server": server, "console": console}
            context.close()
            api.close()


def meter_value(page: object) -> float:
    return float(page.get_by_role("meter").get_attribute("aria-valuenow"))  # type: ignore[attr-defined]


def wait_meter_near(page: object, target: float, tol: float = 0.6) -> None:
    page.wait_for_function(  # type: ignore[attr-defined]
        """([t, tol]) => Math.abs(parseFloat(document.querySelector('[role=meter]')
             .getAttribute('aria-valuenow')) - t) <= tol""",
        arg=[target, tol],
        timeout=5000,
    )


def test_meter_follows_the_sensor(rig: dict[str, object], artifacts_dir: Path) -> None:
    page = rig["page"]
    for level in (10.0, 22.0, 4.0):
        Level.value = level
        wait_meter_near(page, level)
    assert page.get_by_role("meter").get_attribute("aria-valuemin") == "0"  # type: ignore[attr-defined]
    assert float(page.get_by_role("meter").get_attribute("aria-valuemax")) > 33  # type: ignore[attr-defined]
    assert "below" in page.get_by_role("meter").get_attribute("aria-valuetext")  # type: ignore[attr-defined]


def test_timer_advances_in_band_and_resets(rig: dict[str, object], artifacts_dir: Path) -> None:
    page = rig["page"]
    Level.value = 30.0
    wait_meter_near(page, 30.0)
    timer = page.get_by_role("timer")  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "parseFloat(document.getElementById('hold-s').textContent) >= 1.5", timeout=6000
    )
    assert "In band" in page.locator("#zone-word").text_content()  # type: ignore[attr-defined]
    assert "/ 30 s" in timer.text_content()
    page.screenshot(path=str(artifacts_dir / "dashboard-live-in-band.png"))  # type: ignore[attr-defined]
    Level.value = 0.0
    page.wait_for_function(  # type: ignore[attr-defined]
        "parseFloat(document.getElementById('hold-s').textContent) === 0", timeout=6000
    )


def test_alert_only_while_over_the_band(rig: dict[str, object], artifacts_dir: Path) -> None:
    page = rig["page"]
    alert = page.locator("[role=alert]")  # type: ignore[attr-defined]  # hidden ones too
    Level.value = 30.0
    wait_meter_near(page, 30.0)
    assert not alert.is_visible()
    Level.value = 45.0
    alert.filter(has_text="Too much pressure").wait_for(state="visible", timeout=5000)
    assert "Over target" in page.locator("#zone-word").text_content()  # type: ignore[attr-defined]
    page.screenshot(path=str(artifacts_dir / "dashboard-live-alert.png"))  # type: ignore[attr-defined]
    Level.value = 30.0
    alert.wait_for(state="hidden", timeout=5000)
    assert alert.text_content() == ""


def test_changing_the_target_moves_the_band(rig: dict[str, object]) -> None:
    page, api = rig["page"], rig["api"]
    before = page.locator("#band-arc").get_attribute("d")  # type: ignore[attr-defined]
    page.locator("#target").fill("40")  # type: ignore[attr-defined]
    page.locator("#target").press("Tab")  # type: ignore[attr-defined]
    page.locator("#band-text").filter(has_text="36.0–44.0").wait_for(timeout=5000)  # type: ignore[attr-defined]
    assert page.locator("#band-arc").get_attribute("d") != before  # type: ignore[attr-defined]
    assert api.get("/api/settings").json()["target_n"] == pytest.approx(40.0)  # type: ignore[attr-defined]
    page.reload()  # type: ignore[attr-defined]
    page.locator("#band-text").filter(has_text="36.0–44.0").wait_for(timeout=5000)  # type: ignore[attr-defined]
    api.put("/api/settings", json={"target_n": 30.0}).raise_for_status()  # type: ignore[attr-defined]
    page.locator("#band-text").filter(has_text="27.0–33.0").wait_for(timeout=5000)  # type: ignore[attr-defined]


def test_export_downloads_a_csv_with_every_sample(
    rig: dict[str, object], artifacts_dir: Path
) -> None:
    page, api = rig["page"], rig["api"]
    Level.value = 12.0
    page.get_by_role("button", name="Start session").click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Stop session").wait_for(timeout=5000)  # type: ignore[attr-defined]
    page.get_by_role("button", name="upper trapezius").click()  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Stop session").click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Start session").wait_for(timeout=5000)  # type: ignore[attr-defined]
    sessions = api.get("/api/sessions").json()  # type: ignore[attr-defined]
    sessions = sessions if isinstance(sessions, list) else sessions["sessions"]
    sid = max(sessions, key=lambda s: s["started_at"])["id"]
    page.goto(rig["server"].url + "/sessions")  # type: ignore[attr-defined]
    page.locator(f"a[href='/sessions/{sid}']").click()  # type: ignore[attr-defined]
    page.locator("#trace canvas").first.wait_for()  # type: ignore[attr-defined]
    page.screenshot(path=str(artifacts_dir / "dashboard-session.png"))  # type: ignore[attr-defined]
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.get_by_role("link", name="Export CSV").click()  # type: ignore[attr-defined]
    csv_path = artifacts_dir / "dashboard-export.csv"
    info.value.save_as(csv_path)
    lines = csv_path.read_text().splitlines()
    rows = [ln for ln in lines if ln and not ln.startswith("#")][1:]  # minus the column header
    full = api.get(f"/api/sessions/{sid}/trace", params={"max_points": 10_000_000}).json()  # type: ignore[attr-defined]
    assert not full["decimated"]
    assert len(rows) == len(full["t_s"]) > 100  # ~1.5 s at 200 Hz
    page.goto(rig["server"].url + "/")  # type: ignore[attr-defined]


def test_tare_zeroes_the_reading(rig: dict[str, object], artifacts_dir: Path) -> None:
    page = rig["page"]
    Level.value = 6.0
    wait_meter_near(page, 6.0)
    page.wait_for_timeout(700)  # type: ignore[attr-defined]  # tare averages the last 0.5 s at rest
    page.keyboard.press("t")  # type: ignore[attr-defined]  # the documented shortcut
    wait_meter_near(page, 0.0, tol=0.3)
    Level.value = 16.0
    wait_meter_near(page, 10.0)


def test_no_console_errors(rig: dict[str, object]) -> None:
    assert rig["console"].errors == []  # type: ignore[attr-defined]
