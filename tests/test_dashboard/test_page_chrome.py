"""What every page shares, in a real Chromium: the same five page links in the same order (the
current one marked), and a header whose controls stay on one line at tablet and phone sizes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.browser import ConsoleErrors, launch_browser
from support.server import ServerProcess

pytestmark = pytest.mark.browser

LINKS = [("/", "Live"), ("/overview", "Overview"), ("/sessions", "Sessions"),
         ("/students", "Students"), ("/clients", "Clients")]  # fmt: skip


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, dict[str, str]]]:
    """The browser, the server's URL and every page (path → the link marked current, if any)."""
    with launch_browser() as browser, ServerProcess(tmp_path_factory.mktemp("chrome")) as server:
        url = server.url
        student = httpx.post(url + "/api/students", json={"name": "Ana"}).json()["id"]
        client = httpx.post(url + "/api/clients", json={"name": "Bo"}).json()["id"]
        station = httpx.patch(url + "/api/stations/sim", json={"client_id": client}).json()
        session = station["session_id"]  # the recording session becomes Bo's visit
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
                "/clients": "/clients",
                f"/clients/{client}": "/clients",
                f"/clients/{client}/visits/{session}": "/clients",
            },
        )


def test_every_page_links_to_every_other_the_same_way(pages: tuple[Any, str, dict]) -> None:
    """Overview had no Clients link, Sessions no Students, a session page neither."""
    browser, url, paths = pages
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    console = ConsoleErrors(page)
    for path, current in paths.items():
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


@pytest.mark.parametrize("size", [(768, 1024), (1024, 768), (390, 844)])
def test_header_controls_stay_on_one_line(
    pages: tuple[Any, str, dict], size: tuple[int, int]
) -> None:
    """With five links a tablet squeezed "High contrast" onto two cramped lines."""
    browser, url, paths = pages
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    for path in paths:
        if path.startswith("/students/"):
            continue  # a printable report: no header controls
        page.goto(url + path)
        header = page.locator("header.top")
        fit = header.evaluate(
            """h => [...h.querySelectorAll('nav a, .view-btns button')].map(e => {
                 const r = e.getBoundingClientRect(), range = document.createRange();
                 range.selectNodeContents(e);  // the text as laid out: two lines if it wrapped
                 const font = parseFloat(getComputedStyle(e).fontSize);
                 return {what: e.textContent.trim(), right: r.right, bottom: r.bottom,
                         textHeight: range.getBoundingClientRect().height, font};
               })"""
        )
        header_box = header.bounding_box()
        assert header_box is not None
        for item in fit:
            assert item["right"] <= size[0] + 0.5, (path, size, item)
            assert item["bottom"] <= header_box["y"] + header_box["height"] + 0.5, (path, item)
            assert item["textHeight"] < 2 * item["font"], (path, size, item)  # one line
        assert page.evaluate("document.scrollingElement.scrollWidth") <= size[0], path
    page.close()
