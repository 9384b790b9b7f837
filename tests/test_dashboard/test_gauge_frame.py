"""The page's own path is one animation frame: a frame message reaches the gauge in the first
animation frame after it arrives — never an extra frame later (issue 13).

How it is told, without timing: an animation-frame counter registered before the page's own
scripts (so it runs first in every frame) numbers the frames; the websocket message handler and a
MutationObserver on the gauge's number record the counter. The gauge is written by the page's
frame callback, which runs right after the counter in the same frame, so a gauge change caused by
a message received while the counter read ``c`` must be seen with the counter at ``c + 1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.browser import browser_and_server, watched_page
from support.server import ServerProcess

pytestmark = pytest.mark.browser

COUNTER_JS = """
window.__rafCount = 0;
(function count() { window.__rafCount++; requestAnimationFrame(count); })();
"""
WATCH_JS = """() => {
  window.__msgs = []; window.__muts = [];
  const stamp = () => [window.__rafCount, performance.now()];
  // every message may move the gauge: frames carry the value, and since frames are pushed as
  // samples arrive (capped at 300/s) an event or status can land between two of them
  window.presshold.socket().addEventListener('message', () => window.__msgs.push(stamp()));
  new MutationObserver(() => window.__muts.push(stamp())).observe(
    document.getElementById('value'), {childList: true, characterData: true, subtree: true});
}"""


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ServerProcess]]:
    with browser_and_server(tmp_path_factory.mktemp("gauge")) as both:
        yield both


def test_a_frame_message_reaches_the_gauge_in_the_next_animation_frame(sim) -> None:
    browser, server = sim
    page, console = watched_page(browser, 1280, 800)
    page.add_init_script(COUNTER_JS)
    page.goto(server.url + "/")
    page.locator("#status[data-state='simulated']").wait_for()
    page.wait_for_function("window.presshold.socket()?.readyState === 1")
    page.evaluate(WATCH_JS)
    page.wait_for_function("window.__muts.length >= 40", timeout=30_000)
    msgs: list[list[float]] = page.evaluate("window.__msgs")
    muts: list[list[float]] = page.evaluate("window.__muts")
    page.close()
    frames_later = []
    for count, t in muts:
        before = [m for m in msgs if m[1] <= t]
        if before:  # the newest message received before this gauge change
            frames_later.append(count - before[-1][0])
    assert len(frames_later) >= 35
    assert set(frames_later) == {1}, frames_later
    assert not console.errors
