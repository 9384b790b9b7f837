"""The overview page in a real Chromium on twelve simulated hands: every tile readable, following
its own station, twelve on one 1920×1080 screen, reflowing on a tablet, opening the live view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.browser import browser_and_server, watched_page
from support.server import ServerProcess

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def class12(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ServerProcess]]:
    with browser_and_server(tmp_path_factory.mktemp("overview"), source="sim:12") as both:
        yield both


def test_twelve_tiles_fit_one_screen_and_follow_their_stations(
    class12: tuple[Any, ServerProcess], artifacts_dir: Path
) -> None:
    browser, server = class12
    page, console = watched_page(browser, 1920, 1080)
    page.goto(server.url + "/overview")
    page.wait_for_function("document.querySelectorAll('.tile').length === 12")
    names = [f"Simulated hand {i}" for i in range(1, 13)]
    for name in names:
        tile = page.get_by_role("group", name=name, exact=True)
        assert tile.is_visible()
        assert tile.get_by_role("meter").count() == 1
        assert tile.get_by_role("timer").count() == 1
        assert tile.locator("[role=alert]").count() == 1  # hidden until an alert
        box = tile.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 1080, name  # no scrolling
    assert page.evaluate("document.scrollingElement.scrollHeight") <= 1080
    # every tile's meter moves on its own (each hand follows its own cycle)
    before = page.evaluate(
        "[...document.querySelectorAll('.tile-meter')].map(m => m.getAttribute('aria-valuenow'))"
    )
    page.wait_for_function(
        """(b) => [...document.querySelectorAll('.tile-meter')]
                 .filter((m, i) => m.getAttribute('aria-valuenow') !== b[i]).length >= 10""",
        arg=before,
        timeout=15000,
    )
    page.screenshot(path=str(artifacts_dir / "overview-1920.png"))
    assert not console.errors, console.errors

    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet: the tiles reflow
    page.wait_for_timeout(200)
    boxes = [page.locator(".tile").nth(i).bounding_box() for i in range(3)]
    assert all(b is not None and b["width"] <= 768 for b in boxes)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 768
    page.screenshot(path=str(artifacts_dir / "overview-768.png"), full_page=True)

    page.get_by_role("group", name="Simulated hand 3", exact=True).click()
    page.wait_for_url("**/?station=sim-3")
    page.locator("#status[data-state='simulated']").wait_for()
    # the picker is filled from /api/stations, which may answer after the socket's first status
    page.wait_for_function("document.getElementById('station-select').value === 'sim-3'")
    assert page.locator(".station-pick").is_visible()
    page.close()


# Measured in one task (text set, layout read, text restored) so no websocket message lands between.
_TILE_GEOMETRY = """(values) => {
  const tiles = [...document.querySelectorAll('.tile')];
  const saved = tiles.map(t => t.querySelector('.tile-big').textContent);
  const out = values.map(v => tiles.map(t => {
    t.querySelector('.tile-big').textContent = v;
    const r = (c) => t.querySelector(c).getBoundingClientRect();
    const big = r('.tile-big'), unit = r('.tile-unit'), timer = r('.tile-timer');
    const font = parseFloat(getComputedStyle(t.querySelector('.tile-big')).fontSize);
    return {height: t.getBoundingClientRect().height, top: t.getBoundingClientRect().top,
            sameLine: unit.top < big.bottom && unit.bottom > big.top,
            clear: unit.right <= timer.left, font};
  }));
  tiles.forEach((t, i) => { t.querySelector('.tile-big').textContent = saved[i]; });
  return out;
}"""


@pytest.mark.parametrize("size", [(768, 1024), (1024, 768), (1366, 768), (1920, 1080)])
def test_a_tile_keeps_its_height_and_its_unit_beside_the_number_whatever_the_value(
    class12: tuple[Any, ServerProcess], size: tuple[int, int]
) -> None:
    """On a tablet the unit used to wrap under "29.4" but not under "9.4": each press and release
    changed the tile's height and moved every tile below it."""
    browser, server = class12
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(server.url + "/overview")
    page.wait_for_function("document.querySelectorAll('.tile').length === 12")
    by_value = page.evaluate(_TILE_GEOMETRY, ["0.0", "9.4", "29.4", "888.8"])
    for value, tiles in zip(["0.0", "9.4", "29.4", "888.8"], by_value, strict=True):
        for i, tile in enumerate(tiles):
            assert tile["sameLine"] and tile["clear"], (size, value, i, tile)
            assert tile["height"] == by_value[0][i]["height"], (size, value, i)
            assert tile["top"] == by_value[0][i]["top"], (size, value, i)
            assert tile["font"] >= 44, (size, tile)  # still readable across a room
    page.close()


def test_a_lost_server_blanks_every_tile_and_they_come_back(
    class12: tuple[Any, ServerProcess],
) -> None:
    """Runs last in this module (it restarts the server). The tiles used to keep their last
    number, "In band", timer and recording dot, only greyed, while the server was gone."""
    browser, server = class12
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(server.url + "/overview")
    page.wait_for_function(
        "[...document.querySelectorAll('.tile-big')].filter(b => b.textContent !== '—')"
        ".length === 12"
    )
    server.kill()
    page.locator("#status[data-state='reconnecting']").wait_for()
    shown = page.evaluate(
        """() => [...document.querySelectorAll('.tile')].map(t => [t.querySelector('.tile-big')
             .textContent, t.querySelector('.tile-state').textContent, t.dataset.recording,
             t.querySelector('.tile-time').textContent,
             t.querySelector('.tile-alert').classList.contains('active'),
             t.querySelector('[role=meter]').getAttribute('aria-valuetext')])"""
    )
    assert shown == [["—", "No signal", "false", "—", False, "no signal"]] * 12
    assert "connected" not in page.locator("#count-text").text_content()
    server.start()  # same port, same data directory
    page.locator("#status[data-state='connected']").wait_for(timeout=20_000)
    page.wait_for_function(
        "[...document.querySelectorAll('.tile-big')].filter(b => b.textContent !== '—')"
        ".length === 12",
        timeout=20_000,
    )
    page.close()
