"""The practice end to end on the simulator, as a new user would try it: a client, thresholds at
two sites (the simulated hand ramps, the simulated client presses at a threshold), both sites
treated with holds while discomfort is recorded, a second visit, and the change seen on the
client's page and in the printed visit summary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.browser import browser_and_server, watched_page
from support.server import ServerProcess, wait_for

pytestmark = pytest.mark.browser

SITES = (("upper trapezius", "L"), ("infraspinatus", "R"))


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ServerProcess]]:
    with browser_and_server(tmp_path_factory.mktemp("visits")) as both:
        yield both


def _visit(page: Any, server: ServerProcess, client_id: str, press_at: float, pain: str) -> str:
    """One visit: thresholds at both sites, then a hold at each with a discomfort rating."""
    url = server.url
    sid = httpx.post(
        url + "/api/sessions", json={"client_id": client_id, "notes": "neck, shoulders"}
    ).json()["id"]
    page.wait_for_function("(s) => window.presshold.state.session?.id === s", arg=sid)
    # assessment: the hand ramps towards 40 N; the client presses at their threshold
    httpx.put(url + "/api/settings", json={"target_n": 40, "hold_s": 1})
    httpx.put(url + "/api/stations/sim/simulated-client", json={"press_at_n": press_at})
    page.locator("#ppt summary").click()  # open PPT
    for site, side in SITES:
        page.get_by_role("button", name=f"{site} {side}").click()
        page.locator("#ppt-msg").filter(has_text=f"{site} {side}, trial 1").wait_for(timeout=60000)
    httpx.put(url + "/api/stations/sim/simulated-client", json={"press_at_n": None})
    page.locator("#ppt summary").click()  # close PPT: the body map now labels treated points
    # treatment: a hold at each site, with a rating during it
    httpx.put(url + "/api/settings", json={"target_n": 15, "hold_s": 2})
    for site, side in SITES:
        page.get_by_role("button", name=f"{site} {side}").click()
        page.get_by_text(f"Treating {site} {side}.").wait_for()
        n = len(_events(url, sid, "hold_complete"))
        wait_for(lambda n=n: len(_events(url, sid, "hold_start")) > n, 60.0, "a hold")
        page.keyboard.press(pain)
        page.get_by_text(f"Recorded {pain}/10 at {site} {side}.").wait_for()
        wait_for(lambda n=n: len(_events(url, sid, "hold_complete")) > n, 60.0, "a complete hold")
    httpx.post(url + "/api/sessions/current/stop")
    return sid


def _series(card: Any, name: str) -> list[float]:
    """The values a chart states in its accessible name: "…: visit 2 20.1 N, visit 3 25.3 N"."""
    label = card.get_by_role("img", name=name).get_attribute("aria-label") or ""
    return [float(x.split()[2]) for x in label.split(": ", 1)[1].split(", ")]


def _events(url: str, sid: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in httpx.get(f"{url}/api/sessions/{sid}").json()["events"] if e["kind"] == kind]


def test_two_visits_show_progress_and_print(
    sim: tuple[Any, ServerProcess], artifacts_dir: Path
) -> None:
    browser, server = sim
    page, console = watched_page(browser, 1280, 1000)
    client = httpx.post(
        server.url + "/api/clients", json={"name": "Dana K.", "sensitivity": "sensitive"}
    ).json()
    page.goto(server.url + "/")
    page.locator("#status[data-state='simulated']").wait_for()
    page.get_by_label("On the table").select_option(label="Dana K.")
    page.get_by_text("Body map").click()
    first = _visit(page, server, client["id"], 20.0, "7")
    second = _visit(page, server, client["id"], 25.0, "4")
    page.get_by_label("On the table").select_option(label="— nobody chosen —")
    # the client's page: the visits (the first: the session the simulator had auto-started,
    # which became Dana's when she was chosen), a card per site whose charts show the change
    page.goto(f"{server.url}/clients/{client['id']}")
    page.locator("#visits tbody tr").nth(1).wait_for()
    for site, side in SITES:
        card = page.get_by_role("region", name=f"{site} {side}")
        threshold = _series(card, f"Threshold at {site} {side}")
        assert len(threshold) == 2 and threshold[1] - threshold[0] > 3, threshold  # 20, 25 N
        assert _series(card, f"Discomfort at {site} {side}") == [7.0, 4.0]
        assert len(_series(card, f"Pressure held at {site} {side}")) == 2
    assert page.locator("#latest tbody tr").count() >= 2
    page.screenshot(path=str(artifacts_dir / "clinic-progress.png"), full_page=True)
    # the visit summary, as printed
    page.locator(f"a[href$='/visits/{second}']").click()
    page.wait_for_url(f"**/clients/{client['id']}/visits/{second}")
    row = page.locator("#visit-sites tbody tr", has_text="upper trapezius L")
    row.wait_for()
    cells = row.locator("td").all_text_contents()
    assert cells[0].startswith("1 of") and cells[3].endswith(" N") and cells[5] == "4/10"
    assert float(cells[3].removesuffix(" N")) >= 24  # threshold before treatment, visit 2
    assert page.locator("#visit-notes").text_content() == "neck, shoulders"
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden()  # no navigation on paper
    assert page.get_by_role("button", name="Print / save as PDF").is_hidden()
    page.screenshot(path=str(artifacts_dir / "clinic-visit-print.png"), full_page=True)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
    (artifacts_dir / "clinic-visit-summary.pdf").write_bytes(pdf)
    assert first != second
    assert console.errors == []
