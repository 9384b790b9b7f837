"""What a therapist and a trainer hit in their first hour (issue 11), in a real browser.

A scripted sensor on a pty drives the real server; the page is measured as a person sees it:
bounding boxes at phone, tablet, laptop and desktop sizes, what the screen says from frame to
frame, what the tolerance field shows while typing, and the history pages of a session with a
sensor glitch in it. Screenshots of every size go to ``test-artifacts/``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.browser import ConsoleErrors, launch_browser
from support.pty_device import PtyDevice
from support.server import ServerProcess, wait_for

pytestmark = pytest.mark.browser

RATE_HZ = 200
SIZES = [(390, 844), (768, 1024), (1280, 800), (1920, 1080)]
# what must never move or leave the screen (the timer pulses when complete: its wrap is measured)
STEADY = ["gauge", "timer-wrap", "session-btn", "tare-btn", "trace"]
# what the page shows, sampled at every animation frame by the page itself
RECORDER = """() => {
  window.seen = [];
  const $ = (id) => document.getElementById(id);
  const tick = () => {
    const alert = $("alert");
    window.seen.push([$("gauge-wrap").dataset.zone, $("zone-word").textContent,
      alert.classList.contains("active") ? alert.dataset.kind : "",
      parseFloat($("hold-s").textContent)]);
    if (window.seen.length < 100000) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


class Force:
    """The force (N) the fake sensor reports, as a function of its time."""

    fn: Callable[[float], float] = staticmethod(lambda t: 0.0)


def level(value: float) -> None:
    Force.fn = staticmethod(lambda t: value)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("first-hour")
    with launch_browser() as browser, PtyDevice(tmp / "ttyFIRSTHOUR", rate_hz=RATE_HZ) as dev:
        dev.send_hello(sensor="pty-first-hour", rate=RATE_HZ)
        dev.start_stream(lambda t: Force.fn(t))
        with ServerProcess(tmp / "data", source=dev.path) as server:
            api = httpx.Client(base_url=server.url, timeout=5)
            api.put(
                "/api/settings",
                json={"target_n": 25.0, "tolerance_pct": None, "tolerance_n": 3.0, "hold_s": 30},
            ).raise_for_status()
            yield {"browser": browser, "api": api, "server": server, "dev": dev}
            api.close()


def open_live(rig: dict[str, Any], width: int, height: int) -> tuple[Any, ConsoleErrors]:
    page = rig["browser"].new_page(viewport={"width": width, "height": height})
    console = ConsoleErrors(page)
    page.goto(rig["server"].url + "/")
    page.locator("#status[data-state='connected']").wait_for(timeout=10_000)
    page.wait_for_function("window.presshold.plot() && window.presshold.ring.len > 50")
    return page, console


def boxes(page: Any) -> dict[str, list[float]]:
    return page.evaluate(
        """(ids) => Object.fromEntries(ids.map((id) => {
             const r = document.getElementById(id).getBoundingClientRect();
             return [id, [r.left, r.top, r.right, r.bottom].map((v) => Math.round(v * 10) / 10)];
           }))""",
        STEADY,
    )


def assert_in_view(page: Any, where: str) -> None:
    w, h = page.evaluate("[innerWidth, innerHeight]")
    for name, (left, top, right, bottom) in boxes(page).items():
        assert left >= 0 and top >= 0 and right <= w and bottom <= h, f"{name} off-screen {where}"
        assert bottom - top > 20, f"{name} squashed {where}"
    assert page.evaluate("document.scrollingElement.scrollTop") == 0, f"page scrolled {where}"


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_gauge_timer_and_buttons_stay_in_view(
    rig: dict[str, Any], artifacts_dir: Path, width: int, height: int
) -> None:
    level(25.0)
    page, console = open_live(rig, width, height)
    assert page.evaluate("document.scrollingElement.scrollHeight <= innerHeight")
    assert_in_view(page, "at load")
    before = boxes(page)
    page.screenshot(path=str(artifacts_dir / f"dashboard-live-{width}x{height}.png"))
    # Labelling a point low in the controls, and opening the calibration, scroll only the panel.
    chips = page.locator("#sites button")
    chips.nth(chips.count() - 1).click()
    page.locator("#point-now").filter(has_text="Point:").wait_for()
    page.locator("#point-text").fill("teres minor")
    page.get_by_role("button", name="Label", exact=True).click()
    page.locator("#point-now").filter(has_text="teres minor").wait_for()
    page.locator("#calibration summary").click()
    assert_in_view(page, "after labelling")
    assert boxes(page) == before
    # The header has room for one more control (e.g. a station picker): nothing moves.
    page.evaluate(
        """() => { const s = document.createElement('select');
             s.innerHTML = '<option>Station 1</option><option>Station 2</option>';
             document.getElementById('header-extra').append(s); }"""
    )
    assert boxes(page) == before
    page.screenshot(path=str(artifacts_dir / f"dashboard-live-{width}x{height}-picker.png"))
    assert console.errors == []
    page.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_nothing_that_appears_moves_the_gauge_timer_or_trace(
    rig: dict[str, Any], artifacts_dir: Path, width: int, height: int
) -> None:
    api = rig["api"]
    page, console = open_live(rig, width, height)
    level(25.0)
    page.locator("#zone-word").filter(has_text="In band").wait_for()
    before = boxes(page)
    alert = page.locator("#alert")
    level(40.0)  # over the band: the alert banner
    alert.filter(has_text="Too much pressure").wait_for(state="visible")
    assert boxes(page) == before
    page.screenshot(path=str(artifacts_dir / f"dashboard-alert-{width}x{height}.png"))
    level(25.0)
    alert.wait_for(state="hidden")
    level(19.0)  # a slip: below the band, above half the target
    alert.filter(has_text="Pressure slipping").wait_for(state="visible")
    assert boxes(page) == before
    level(25.0)
    alert.wait_for(state="hidden")
    # A refused tare (the probe is loaded) and a storage problem: floating messages.
    page.route(
        "**/api/tare",
        lambda route: route.fulfill(
            status=409,
            content_type="application/json",
            body='{"detail": "the probe is loaded: lift it off and tare again"}',
        ),
    )
    page.get_by_role("button", name="Tare").click()
    page.locator("#storage-banner.show").filter(has_text="Tare failed").wait_for()
    assert boxes(page) == before
    page.screenshot(path=str(artifacts_dir / f"dashboard-toast-{width}x{height}.png"))
    page.unroute("**/api/tare")
    # A completed hold: the banner under the timer has its room already.
    api.put("/api/settings", json={"hold_s": 1.5}).raise_for_status()
    page.locator("#complete").filter(has_text="Hold complete").wait_for(timeout=10_000)
    assert boxes(page) == before
    api.put("/api/settings", json={"hold_s": 30}).raise_for_status()
    assert [e for e in console.errors if "409 (Conflict)" not in e] == []  # the refused tare
    page.close()


def test_word_colour_alert_and_timer_never_disagree(
    rig: dict[str, Any], artifacts_dir: Path
) -> None:
    """Hovering at the band's lower edge (22 N) with a 2 Hz wobble, then an overshoot: the page
    says one thing at a time, and the word does not flicker with the raw zone."""
    page, console = open_live(rig, 1280, 800)
    level(25.0)
    page.locator("#zone-word").filter(has_text="In band").wait_for()
    page.evaluate(RECORDER)
    Force.fn = staticmethod(lambda t: 22.0 + 0.5 * math.sin(2 * math.pi * 2.0 * t))
    page.wait_for_timeout(6000)
    level(36.0)
    page.locator("#alert").filter(has_text="Too much pressure").wait_for(state="visible")
    page.wait_for_timeout(1500)
    level(25.0)
    page.locator("#alert").wait_for(state="hidden")
    page.wait_for_timeout(500)
    seen = page.evaluate("window.seen")
    assert len(seen) > 100
    for zone, word, alert, held in seen:
        if alert == "over":
            assert zone == "over" and "Over target" in word and held == 0
        if zone == "in":
            assert alert == "" and "In band" in word
        if held > 0:
            assert zone == "in"
    hover = [z for z, *_ in seen[: len(seen) // 2]]
    flips = sum(1 for a, b in itertools.pairwise(hover) if a != b)
    assert flips <= 2, f"the word flipped {flips} times while hovering at the edge"
    assert console.errors == []
    page.close()


def test_tolerance_shows_its_unit_and_the_band_while_typing(rig: dict[str, Any]) -> None:
    api = rig["api"]
    page, console = open_live(rig, 1280, 800)
    mode, field, preview = (
        page.locator("#tol-mode"),
        page.locator("#tolerance"),
        page.locator("#band-preview"),
    )
    assert mode.is_visible() and field.is_visible()
    # the unit sits right beside the number, on the same line
    fb, mb = field.bounding_box(), mode.bounding_box()
    assert abs(fb["y"] - mb["y"]) < 2 and 0 <= mb["x"] - (fb["x"] + fb["width"]) < 4
    assert mode.locator("option:checked").text_content() == "N"
    page.locator("#band-preview").filter(has_text="Band 22.0–28.0 N").wait_for()
    mode.select_option("pct")  # the band stays: 3 N of 25 N is 12 %
    wait_for(lambda: api.get("/api/settings").json()["tolerance_pct"] == 12.0, what="pct")
    assert field.input_value() == "12"
    assert preview.text_content() == "Band 22.0–28.0 N"
    field.fill("4")  # typing shows the band before anything is saved
    assert preview.text_content() == "Band 24.0–26.0 N"
    field.press("Tab")
    wait_for(lambda: api.get("/api/settings").json()["tolerance_pct"] == 4.0, what="4 %")
    mode.select_option("abs")
    wait_for(lambda: api.get("/api/settings").json()["tolerance_pct"] is None, what="N")
    assert field.input_value() == "1.0" and preview.text_content() == "Band 24.0–26.0 N"
    page.locator("#unit-sel").select_option("kgf")  # a display unit keeps the band too
    page.locator("#band-preview").filter(has_text="kgf").wait_for()
    assert mode.locator("option:checked").text_content() == "kgf"
    assert api.get("/api/settings").json()["tolerance_n"] == pytest.approx(1.0)
    field.fill("30")  # a band below zero is shown as such and not sent
    field.press("Tab")
    assert "must stay under the target" in preview.text_content()
    assert api.get("/api/settings").json()["tolerance_n"] == pytest.approx(1.0)
    api.put(
        "/api/settings", json={"unit": "N", "tolerance_pct": None, "tolerance_n": 3.0}
    ).raise_for_status()
    page.locator("#band-preview").filter(has_text="Band 22.0–28.0 N").wait_for()
    assert console.errors == []
    page.close()


def test_the_first_N_moves_on_from_the_current_point(rig: dict[str, Any]) -> None:
    page, console = open_live(rig, 1280, 800)
    first = page.locator("#sites button").first
    name = first.text_content()
    first.click()
    page.locator("#point-now").filter(has_text=name).wait_for()
    page.reload()  # a fresh page (or another viewer) knows the point only from the server
    page.locator("#point-now").filter(has_text=name).wait_for()
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("n")
    second = page.locator("#sites button").nth(1).text_content()
    page.locator("#point-now").filter(has_text=second).wait_for()
    assert console.errors == []
    page.close()


def test_small_words(rig: dict[str, Any]) -> None:
    page, _ = open_live(rig, 1280, 800)
    got = page.evaluate(
        """async () => { const f = await import('/static/format.js');
             return [f.secs(-0.0024), f.secs(-0.04), f.secs(1.25), f.deviceName('/dev/pts/1'),
                     f.deviceName('/dev/ttyACM0'),
                     f.deviceName('/dev/serial/by-id/usb-Arduino_1-if00'),
                     f.deviceName('COM3'), f.deviceName('\\\\\\\\.\\\\COM10')]; }"""
    )
    assert got == ["0.0", "0.0", "1.3", "pts/1", "ttyACM0", "usb-Arduino_1-if00", "COM3", "COM10"]
    page.close()


def test_history_of_a_session_with_a_glitch(rig: dict[str, Any], artifacts_dir: Path) -> None:
    """One 4000 N garbage sample in a session of 25 N holds: the page's peak, scale and trace
    stay those of the holds, the glitch is a mark; list and page count the same holds; the list
    names the points; the holds table has the error from target and the time to band."""
    api, server = rig["api"], rig["server"]
    level(0.0)
    api.put("/api/settings", json={"hold_s": 2.0}).raise_for_status()
    sid = api.post("/api/sessions", json={}).json()["id"]
    api.post(f"/api/sessions/{sid}/marks", json={"label": "upper trapezius", "side": "L"})
    t0 = [None]

    def profile(t: float) -> float:
        t0[0] = t if t0[0] is None else t0[0]
        x = t - t0[0]
        if abs(x - 4.0) < 0.5 / RATE_HZ:
            return 4000.0  # one garbage sample mid-hold
        return 25.0 if (1.0 < x % 5.0 < 4.5) else 0.0

    Force.fn = staticmethod(profile)
    page = rig["browser"].new_page(viewport={"width": 1280, "height": 800})
    page.wait_for_timeout(11_500)  # two full presses and a third one running
    level(0.0)
    page.wait_for_timeout(300)
    api.post("/api/sessions/current/stop").raise_for_status()
    detail = wait_for(
        lambda: (d := api.get(f"/api/sessions/{sid}").json())["metrics"].get("glitches") and d,
        what="analysed",
    )
    assert detail["metrics"]["peak_n"] < 30.0  # not 4000
    page.goto(server.url + f"/sessions/{sid}")
    page.locator("#trace canvas").first.wait_for()
    page.wait_for_function("window.presshold.plot() && window.presshold.glitches().length >= 1")
    assert page.evaluate("window.presshold.plot().scales.y.max") < 60
    assert page.evaluate("window.presshold.plot().scales.y.min") >= 0
    peak = page.locator(".metric", has_text="Peak").locator("b").text_content()
    assert float(peak.split()[0]) < 30.0
    heads = page.locator("#holds thead").text_content()
    assert "Error (RMS)" in heads and "Time to band" in heads
    holds_on_page = page.locator("#holds tbody tr").count()
    complete = page.locator(".metric", has_text="Holds complete").locator("b").text_content()
    page.screenshot(path=str(artifacts_dir / "dashboard-session-glitch.png"), full_page=True)
    page.goto(server.url + "/sessions")
    row = page.locator("tr", has=page.locator(f"a[href='/sessions/{sid}']"))
    row.wait_for()
    cells = row.locator("td").all_text_contents()
    assert cells[3] == "upper trapezius"  # no label: the points name it (after the station)
    assert cells[4] == f"{complete} complete"
    assert holds_on_page == int(complete.split(" of ")[1]) >= 2
    api.put("/api/settings", json={"hold_s": 30}).raise_for_status()
    page.close()


def test_a_wrong_port_is_explained_on_the_page(
    rig: dict[str, Any], tmp_path: Path, artifacts_dir: Path
) -> None:
    nope = tmp_path / "ttyNOPE"
    with ServerProcess(tmp_path / "data", source=str(nope)) as server:
        page = rig["browser"].new_page(viewport={"width": 1280, "height": 800})
        page.goto(server.url + "/")
        toast = page.locator("#sensor-banner.show")
        toast.filter(has_text=f"No sensor at {nope}: that port does not exist").wait_for()
        assert "Ports here" in toast.text_content() or "No serial ports" in toast.text_content()
        assert page.locator("#conn-text").text_content().startswith("Sensor disconnected")
        page.get_by_role("button", name="Start session").click()
        page.locator("#session-text").filter(has_text="Session open · no sensor").wait_for()
        assert "0:00" not in page.locator("#session-text").text_content()
        page.screenshot(path=str(artifacts_dir / "dashboard-wrong-port.png"))
        page.close()
