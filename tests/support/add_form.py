"""One check shared by the pages whose form adds a person (students, clients)."""

from __future__ import annotations

from typing import Any

import httpx

from support.browser import watched_page


def check_one_add_per_submit(
    browser: Any, url: str, *, path: str, api: str, name: Any, busy_js: str, rows: str
) -> None:
    """A second Enter while the first add is on its way adds nobody more, and a name typed
    meanwhile is kept when the answer lands (forms used to post once per Enter and reset
    themselves on the answer, wiping what had been typed since). On a page of its own, which
    logs no console error."""
    page, console = watched_page(browser, 1280, 800)
    held: list[Any] = []  # POSTs held back: the server answers when the check says so
    page.route(
        "**" + api,
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.goto(url + path)  # module scripts have run by the load event: the form is live
    box = name(page)
    box.fill("Dan Hold")
    box.press("Enter")
    page.wait_for_function(busy_js)
    box.press("Enter")  # impatient: a second Enter while the first is on its way
    box.fill("Eve Next")  # and the next name typed at once
    page.wait_for_timeout(300)
    assert len(held) == 1
    held[0].continue_()
    page.locator(rows, has_text="Dan Hold").wait_for()
    assert box.input_value() == "Eve Next"
    names = [p["name"] for p in httpx.get(url + api).json()]
    assert names.count("Dan Hold") == 1
    assert console.errors == []
    page.close()
