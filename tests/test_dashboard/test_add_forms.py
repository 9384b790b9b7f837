"""The pages whose form adds a person (students, clients) in a real Chromium: one add per
submit, however impatient the Enter key, and nothing typed meanwhile lost."""

from __future__ import annotations

from collections.abc import Iterator
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


FORMS = {
    "students": dict(
        path="/students",
        api="/api/students",
        name=lambda p: p.locator("#name"),
        busy_js="document.getElementById('add-btn').disabled",
        rows="#students tbody tr",
    ),
    "clients": dict(
        path="/clients",
        api="/api/clients",
        name=lambda p: p.get_by_label("Name or code"),
        busy_js="document.querySelector('#new-client [type=submit]').disabled",
        rows="#clients tbody tr",
    ),
}


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
def test_a_second_enter_adds_one_person_and_a_name_typed_meanwhile_is_kept(
    sim: tuple[Any, ServerProcess], form: dict[str, Any]
) -> None:
    """The forms used to post once per Enter and to reset themselves when the answer came,
    wiping whatever had been typed since (a slow server made both easy to hit)."""
    browser, server = sim
    page, console = watched_page(browser, 1280, 800)
    held: list[Any] = []  # POSTs held back: the server answers when the test says so
    page.route(
        "**" + form["api"],
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.goto(server.url + form["path"])  # module scripts have run by the load event
    box = form["name"](page)
    box.fill("Dan Hold")
    box.press("Enter")
    page.wait_for_function(form["busy_js"])
    box.press("Enter")  # impatient: a second Enter while the first is on its way
    box.fill("Eve Next")  # and the next name typed at once
    page.wait_for_timeout(300)
    assert len(held) == 1
    held[0].continue_()
    page.locator(form["rows"], has_text="Dan Hold").wait_for()
    assert box.input_value() == "Eve Next"
    names = [p["name"] for p in httpx.get(server.url + form["api"]).json()]
    assert names.count("Dan Hold") == 1
    assert console.errors == []
    page.close()
