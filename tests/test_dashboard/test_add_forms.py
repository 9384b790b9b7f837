"""The pages whose form adds a person (students, clients) in a real Chromium: one add per
submit, however impatient the Enter key, and nothing typed meanwhile lost."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from support.browser import browser_and_server, watched_page
from support.server import ServerProcess

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ServerProcess]]:
    with browser_and_server(tmp_path_factory.mktemp("add-forms")) as both:
        yield both


FORMS = [  # page (its API and its table are named alike), its name box, JS true while it posts
    ("students", lambda p: p.locator("#name"), "document.getElementById('add-btn').disabled"),
    (
        "clients",
        lambda p: p.get_by_label("Name or code"),
        "document.querySelector('#new-client [type=submit]').disabled",
    ),
]


@pytest.mark.parametrize(("people", "name_box", "busy_js"), FORMS, ids=[f[0] for f in FORMS])
def test_a_second_enter_adds_one_person_and_a_name_typed_meanwhile_is_kept(
    sim: tuple[Any, ServerProcess], people: str, name_box: Callable[[Any], Any], busy_js: str
) -> None:
    """The forms used to post once per Enter and to reset themselves when the answer came,
    wiping whatever had been typed since (a slow server made both easy to hit)."""
    browser, server = sim
    api = f"/api/{people}"
    page, console = watched_page(browser, 1280, 800)
    held: list[Any] = []  # POSTs held back: the server answers when the test says so
    page.route(
        "**" + api,
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.goto(f"{server.url}/{people}")  # module scripts have run by the load event
    box = name_box(page)
    box.fill("Dan Hold")
    box.press("Enter")
    page.wait_for_function(busy_js)
    box.press("Enter")  # impatient: a second Enter while the first is on its way
    box.fill("Eve Next")  # and the next name typed at once
    page.wait_for_timeout(300)
    assert len(held) == 1
    held[0].continue_()
    page.locator(f"#{people} tbody tr", has_text="Dan Hold").wait_for()
    assert box.input_value() == "Eve Next"
    names = [p["name"] for p in httpx.get(server.url + api).json()]
    assert names.count("Dan Hold") == 1
    assert console.errors == []
    page.close()
