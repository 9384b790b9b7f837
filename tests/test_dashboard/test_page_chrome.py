"""What every page shares, in a real Chromium: the same five page links in the same order (the
current one marked), and a header whose controls stay on one line at tablet and phone sizes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.browser import browser_and_server, watched_page

pytestmark = pytest.mark.browser

LINKS = [("/", "Live"), ("/overview", "Overview"), ("/sessions", "Sessions"),
         ("/students", "Students"), ("/clients", "Clients")]  # fmt: skip
LONG_NAME = "Treatment table 4 — window side (Dr. Müller-Lüdenscheidt)"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, dict[str, str]]]:
    """The browser, the server's URL and every page (path → the link marked current, if any)."""
    data = tmp_path_factory.mktemp("chrome")
    with browser_and_server(data, source="sim:2") as (browser, server):
        url = server.url
        student = httpx.post(url + "/api/students", json={"name": "Ana"}).json()["id"]
        client = httpx.post(url + "/api/clients", json={"name": "Bo"}).json()["id"]
        # two stations (the live page shows its station picker) and a long name in it
        station = httpx.patch(
            url + "/api/stations/sim-1", json={"client_id": client, "name": LONG_NAME}
        ).json()
        session = station["session_id"]  # the recording session becomes Bo's visit
        # a run at the other station, stopped during its first trial (after the 4 s rest): Ana
        # has a trial, a run and reports
        protocols = httpx.get(url + "/api/protocols").json()
        blind = next(p["id"] for p in protocols if p["name"] == "Blind test 20 N × 5")
        run = httpx.post(
            url + "/api/stations/sim-2/run", json={"protocol_id": blind, "student_id": student}
        ).json()["id"]
        time.sleep(6)
        httpx.post(url + "/api/stations/sim-2/run/stop")
        assert httpx.get(f"{url}/api/runs/{run}").json()["trials"], "no trial was scored"
        yield (
            browser,
            url,
            {
                "/": "/",
                "/overview": "/overview",
                "/sessions": "/sessions",
                f"/sessions/{session}": "",
                "/students": "/students",
                f"/students/{student}": "",
                f"/students/{student}/report": "",
                f"/runs/{run}/report": "",
                "/clients": "/clients",
                f"/clients/{client}": "/clients",
                f"/clients/{client}/visits/{session}": "/clients",
            },
        )


def test_every_page_links_to_every_other_the_same_way(pages: tuple[Any, str, dict]) -> None:
    """Overview had no Clients link, Sessions no Students, a session page neither."""
    browser, url, paths = pages
    page, console = watched_page(browser, 1366, 768)
    for path, current in paths.items():
        if path.endswith("/report"):
            continue  # printable: no page links
        page.goto(url + path)
        nav = page.locator("header nav, body > nav").first
        got = nav.locator("a").evaluate_all(
            "as => as.map(a => [a.getAttribute('href'), a.textContent,"
            " a.getAttribute('aria-current')])"
        )
        assert [(h, t) for h, t, _ in got] == LINKS, path
        assert [h for h, _, c in got if c == "page"] == ([current] if current else []), path
    assert console.errors == []
    page.close()


SIZES = [(768, 1024), (1024, 768), (390, 844), (1280, 800), (1366, 768)]


@pytest.mark.parametrize("size", SIZES)
def test_header_controls_stay_on_one_line(
    pages: tuple[Any, str, dict], size: tuple[int, int]
) -> None:
    """With five links a tablet squeezed "High contrast" onto two cramped lines, and a long
    station name ran its picker under the page links or the view buttons."""
    browser, url, paths = pages
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    for path in paths:
        if path.startswith(("/students/", "/runs/")):
            continue  # rendered by the server: no header controls
        page.goto(url + path)
        if path == "/":  # the picker comes with /api/stations, after the page's load event
            page.locator("#station-select").wait_for(state="visible")
        header = page.locator("header.top")
        fit = header.evaluate(
            """h => [...h.querySelectorAll('nav a, .view-btns button, #station-select')]
               .filter(e => e.offsetParent).map(e => {
                 const r = e.getBoundingClientRect(), range = document.createRange();
                 range.selectNodeContents(e);  // the text as laid out: two lines if it wrapped
                 const font = parseFloat(getComputedStyle(e).fontSize);
                 return {what: e.id || e.textContent.trim(), left: r.left, right: r.right,
                         top: r.top, bottom: r.bottom, font,
                         textHeight: e.id ? 0 : range.getBoundingClientRect().height};
               })"""
        )
        for i, a in enumerate(fit):  # no control covers another
            for b in fit[i + 1 :]:
                apart = (
                    a["right"] <= b["left"] + 0.5
                    or b["right"] <= a["left"] + 0.5
                    or a["bottom"] <= b["top"] + 0.5
                    or b["bottom"] <= a["top"] + 0.5
                )
                assert apart, (path, size, a["what"], b["what"])
        if path == "/":
            assert any(item["what"] == "station-select" for item in fit)
        header_box = header.bounding_box()
        assert header_box is not None
        for item in fit:
            assert item["right"] <= size[0] + 0.5, (path, size, item)
            assert item["bottom"] <= header_box["y"] + header_box["height"] + 0.5, (path, item)
            assert item["textHeight"] < 2 * item["font"], (path, size, item)  # one line
        assert page.evaluate("document.scrollingElement.scrollWidth") <= size[0], path
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_live_status_is_never_squeezed_out(
    pages: tuple[Any, str, dict], size: tuple[int, int]
) -> None:
    """On a landscape tablet and a 1280 px laptop the station picker left the status no room:
    the recording clock, and "Reconnecting…" when the server goes, were not shown at all."""
    browser, url, _ = pages
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(url + "/")
    page.locator("#status[data-state='simulated']").wait_for()
    page.locator("#session-text", has_text="Recording").wait_for()
    shown = page.evaluate(
        """() => ['conn-text', 'session-text'].map(id => {
             const e = document.getElementById(id), r = e.getBoundingClientRect();
             const clip = (sel) => e.closest(sel).getBoundingClientRect();
             const inside = (c) => r.left >= c.left - 0.5 && r.right <= c.right + 0.5;
             return [id, r.width > 0 && inside(clip('#status')) && inside(clip('.status > *'))];
           })"""
    )
    assert shown == [["conn-text", True], ["session-text", True]], size
    page.close()


def test_the_export_menu_looks_like_one_and_opens_from_the_keyboard(
    pages: tuple[Any, str, dict],
) -> None:
    """ "More formats" had lost its disclosure triangle and read as a plain label."""
    browser, url, paths = pages
    session = next(p for p in paths if p.startswith("/sessions/"))
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.goto(url + session)
    summary = page.locator(".more-exports summary")
    marker = "getComputedStyle(document.querySelector('.more-exports summary'), '::before').content"
    assert page.evaluate(marker) == '"▸"'
    summary.focus()
    page.keyboard.press("Enter")
    for name, ext in (("Parquet", "parquet"), ("MATLAB", "mat"), ("FHIR R4", "fhir.json")):
        link = page.get_by_role("link", name=name, exact=True)
        assert link.is_visible(), name
        assert (link.get_attribute("href") or "").endswith(f"/export.{ext}"), name
    assert page.evaluate(marker) == '"▾"'
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_no_page_scrolls_sideways(pages: tuple[Any, str, dict], size: tuple[int, int]) -> None:
    """A student's report (fifteen columns of trials) made a portrait tablet scroll sideways."""
    browser, url, paths = pages
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    for path in paths:
        page.goto(url + path)
        page.wait_for_load_state("networkidle")
        # a trial stopped at once scores mostly "—": add the row a real trial gives
        page.evaluate(
            "(row) => document.querySelectorAll('table.trials tbody, table.trials')"
            ".forEach(t => t.insertAdjacentHTML('beforeend', row))",
            _REAL_TRIAL_ROW,
        )
        assert page.evaluate("document.scrollingElement.scrollWidth") <= size[0], (path, size)
    page.close()


def _real_trial_row() -> str:
    from presshold.server.trainer.reports import _trial_row

    metrics = {
        "rate_n_per_s": 9.1, "rate_asked_n_per_s": 10.0, "reference_rms_n": None,
        "rms_error_n": 0.5, "time_in_band_pct": 88.0, "mean_error_n": -0.1, "cv": 0.022,
        "time_to_band_s": 1.7, "overshoot_pct": 0.0, "hold_completed": True,
    }  # fmt: skip
    trial = {"metrics": metrics, "feedback": "blind", "shown": False, "passed": True,
             "started_at": "2026-11-29T16:35:12Z", "target_n": 20.0, "score": 92.2,
             "end_reason": "time"}  # fmt: skip
    return _trial_row(1, trial, slice(5, 16))


_REAL_TRIAL_ROW = _real_trial_row()
