"""Trainer mode as a new user would run it, in a real Chromium on two simulated hands
(``--source sim:2``): add two students, assign them on the overview, run "Blind test 20 N × 5"
at one station and "Trigger point 30 N × 30 s × 3" at the other, watch both, then print both
reports to PDF and read the text back.

A websocket client on the blind station's ``/ws/live`` (what the student's screen receives)
checks that no frame during the run carried the force.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.browser import browser_and_server, watched_page
from support.server import ServerProcess, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

BLIND = "Blind test 20 N × 5"
TRIGGER = "Trigger point 30 N × 30 s × 3"


class LiveTap:
    """Every message of one station's student-facing /ws/live, read by an asyncio client in a
    thread of its own (the browser drives the pages meanwhile)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.messages: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        assert self._connected.wait(10), "the websocket did not connect"

    async def _main(self) -> None:
        import websockets

        async with websockets.connect(self.url, max_size=None) as ws:
            self._connected.set()
            while not self._stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 0.2)
                except TimeoutError:
                    continue
                self.messages.append(json.loads(raw))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ServerProcess]]:
    with browser_and_server(tmp_path_factory.mktemp("trainer"), source="sim:2") as both:
        yield both


def test_two_students_two_protocols_overview_and_pdf_reports(
    classroom: tuple[Any, ServerProcess], artifacts_dir: Path
) -> None:
    browser, server = classroom
    page, console = watched_page(browser, 1280, 900)

    # 1. two students, from the Students page
    page.goto(server.url + "/students")
    for name in ("Ada Lovelace", "Ben Okafor"):
        page.get_by_label("Name").fill(name)
        page.get_by_role("button", name="Add student").click()
        page.get_by_role("link", name=name).wait_for()
    assert page.locator("#students tbody tr").count() == 2

    # 2. assign them and start a protocol at each station, from the overview
    page.goto(server.url + "/overview")
    page.wait_for_function(
        "document.querySelectorAll('#class-controls tr[data-station]').length === 2"
    )
    page.wait_for_function("document.querySelectorAll('#class-controls option').length > 8")
    ws_base = server.url.replace("http", "ws")
    tap = LiveTap(f"{ws_base}/ws/live?station=sim-1")
    try:
        for station, student, protocol in (
            ("Simulated hand 1", "Ada Lovelace", BLIND),
            ("Simulated hand 2", "Ben Okafor", TRIGGER),
        ):
            page.get_by_label(f"Student at {station}").select_option(label=student)
            page.get_by_label(f"Protocol at {station}").select_option(label=protocol)
            row = page.locator("#class-controls tr", has_text=station)
            row.get_by_role("button", name="Start run").click()
            row.get_by_role("button", name="Stop run").wait_for()
        assert page.locator("#class-error").inner_text() == ""

        # 3. the student's screen at the blind station hides the force once the trial starts
        live, live_console = watched_page(browser, 1280, 900)
        live.goto(server.url + "/?station=sim-1")
        live.locator("#run-panel").wait_for()
        assert BLIND in live.locator("#run-panel").inner_text()
        live.wait_for_function("document.body.dataset.feedback === 'hidden'", timeout=20000)
        live.wait_for_function(
            "['Press now', 'Hold'].some(w => document.getElementById('run-cue').textContent"
            ".startsWith(w))",
            timeout=20000,
        )
        assert not live.locator(".readouts-panel").is_visible()
        # the session clock runs on while the force is hidden (it used to stop at the trial)
        clock = live.locator("#session-text").text_content()
        assert clock and clock.startswith("Recording")
        live.wait_for_function(
            "(c) => document.getElementById('session-text').textContent !== c", arg=clock
        )
        live.screenshot(path=str(artifacts_dir / "trainer-live-blind.png"))
        # the trainer's view of the same station (linked from the Class panel) is not masked
        href = page.locator("#class-controls tr", has_text="Simulated hand 1").get_by_role(
            "link", name="Trainer view"
        )
        watch = browser.new_page(viewport={"width": 1280, "height": 900})
        watch.goto(server.url + str(href.get_attribute("href")))
        watch.get_by_text("Trainer's view: the student's screen does not show the force").wait_for(
            timeout=30_000
        )
        assert watch.locator(".readouts-panel").is_visible()
        watch.wait_for_function(
            "parseFloat(document.getElementById('value').textContent) > 10", timeout=30_000
        )
        watch.close()

        # 4. both stations on the overview: students, steps, the comparison table
        tiles = page.locator(".tile-trainer")
        wait_for(lambda: tiles.count() == 2, 10, "both tiles show their student")
        assert "Ada Lovelace" in tiles.nth(0).inner_text() and BLIND in tiles.nth(0).inner_text()
        assert "Ben Okafor" in tiles.nth(1).inner_text()
        compare = page.locator("#class-compare")
        assert BLIND in compare.inner_text() and TRIGGER in compare.inner_text()
        # the overview still sees the blind station's force
        page.wait_for_function(
            """() => { const t = document.querySelector('.tile[data-station="sim-1"] .tile-big');
                       return t && parseFloat(t.textContent) > 10; }""",
            timeout=30000,
        )
        page.screenshot(path=str(artifacts_dir / "trainer-overview-running.png"), full_page=True)

        # 5. the blind test runs to its end (5 trials); the trigger point's first trial ends
        blind_row = page.locator("#class-controls tr", has_text="Simulated hand 1")
        blind_row.locator(".class-status", has_text="done").wait_for(timeout=200_000)
        trigger_row = page.locator("#class-controls tr", has_text="Simulated hand 2")
        page.wait_for_function(
            """() => [...document.querySelectorAll('#class-compare tr')].some(
                 r => r.textContent.includes('Ben Okafor')
                      && /^[1-3]\\/3/.test(r.cells[2].textContent))""",
            timeout=120_000,
        )
        trigger_row.get_by_role("button", name="Stop run").click()  # the trainer ends it early
        trigger_row.locator(".class-status", has_text="done").wait_for(timeout=10_000)
        page.screenshot(path=str(artifacts_dir / "trainer-overview-done.png"), full_page=True)
        assert "not passed" in compare.inner_text() or "passed" in compare.inner_text()

        # the results appear on the student's screen at the end of the blind protocol
        live.locator(".run-table").wait_for(timeout=10_000)
        assert live.locator(".run-table tr").count() == 6  # header + 5 trials
        assert "Protocol" in live.locator("#run-result").inner_text()
        live.wait_for_function("document.body.dataset.feedback === 'shown'")
        live.get_by_text("How is the score computed?").click()  # the formula, on request
        live.locator(".run-formula p", has_text="score = 100 × A").wait_for()
        live.screenshot(path=str(artifacts_dir / "trainer-live-results.png"))
        assert not live_console.errors, live_console.errors
        live.close()
    finally:
        tap.close()

    # no frame of the blind run reached the student's screen with the force
    run_frames = [m for m in tap.messages if m["type"] == "frame" and m.get("run")]
    during = [f for f in run_frames if f["run"]["phase"] != "done"]
    assert len(during) > 100
    leaked = [f for f in during if f["force_n"] is not None or f["samples"] or f["in_band"]]
    assert not leaked, leaked[:2]
    events = [m for m in tap.messages if m["type"] == "event"]
    kinds_in_order = [m["kind"] for m in events]
    assert "run_start" in kinds_in_order and "run_end" in kinds_in_order
    # before and after the run the hand presses freely, and the events say so
    start, end = kinds_in_order.index("run_start"), kinds_in_order.index("run_end")
    kinds = set(kinds_in_order[start : end + 1])
    assert {"trial_start", "trial_end", "run_end"} <= kinds
    assert not {"hold_start", "hold_end", "alert_start"} & kinds

    # 6. both reports, printed to PDF by Chromium, read back as text
    links = {
        name: page.locator("#class-controls tr", has_text=name).get_by_role("link", name="Report")
        for name in ("Simulated hand 1", "Simulated hand 2")
    }
    hrefs = {k: v.get_attribute("href") for k, v in links.items()}
    report = browser.new_page()
    report.goto(server.url + hrefs["Simulated hand 1"])
    blind_pdf = report.pdf(format="A4", print_background=True)
    (artifacts_dir / "trainer-run-blind.pdf").write_bytes(blind_pdf)
    text = pdf_text(blind_pdf)
    for expected in (f"Run report: {BLIND}", "Ada Lovelace", "completed", "Traces", "Trial 5",
                     "How the score is computed", "Trainer's notes"):  # fmt: skip
        assert expected in text, expected
    assert "passed" in text and "of 5 trials passed" in text
    report.goto(server.url + hrefs["Simulated hand 2"])
    trigger_pdf = report.pdf(format="Letter")
    (artifacts_dir / "trainer-run-trigger.pdf").write_bytes(trigger_pdf)
    text = pdf_text(trigger_pdf)
    assert f"Run report: {TRIGGER}" in text and "Ben Okafor" in text and "stopped" in text
    assert "of 3 trials passed" in text  # trials never run count as failed

    # the student's progress page links the printable report, which prints without controls
    page.goto(server.url + "/students")
    page.get_by_role("link", name="Ada Lovelace").click()
    page.get_by_role("heading", name="Seen against hidden feedback").wait_for()
    page.screenshot(path=str(artifacts_dir / "trainer-student.png"), full_page=True)
    page.get_by_role("link", name="Printable report").click()
    page.get_by_role("heading", name="Report: Ada Lovelace").wait_for()
    student_pdf = page.pdf(format="A4")
    (artifacts_dir / "trainer-student-ada.pdf").write_bytes(student_pdf)
    text = pdf_text(student_pdf)
    for expected in ("Report: Ada Lovelace", "5 trials", "By target level", "hidden",
                     "How the score is computed", BLIND):  # fmt: skip
        assert expected in text, expected
    assert "Trials (CSV)" not in text and "Printable report" not in text  # no controls on paper
    assert not console.errors, console.errors
    page.close()
    report.close()


_BOXES = """() => Object.fromEntries(['#run-panel', '.readouts-panel', '#session-btn', '#tare-btn',
  '#gauge', '#timer'].map(s => { const r = document.querySelector(s).getBoundingClientRect();
  return [s, [r.top, r.bottom, r.left, r.right]]; }))"""


@pytest.mark.parametrize("size", [(1366, 768), (768, 1024), (390, 844)])
def test_a_run_and_its_results_never_push_the_readouts_off_the_page(
    classroom: tuple[Any, ServerProcess], size: tuple[int, int]
) -> None:
    """The run panel grew with its content (cue, trial chart, results table) above the readouts
    of a page that does not scroll: at the end of a run on a laptop Session and Tare were cut off
    below the window and the gauge half gone."""
    import httpx

    browser, server = classroom
    student = httpx.post(server.url + "/api/students", json={"name": f"Hal {size[0]}"}).json()
    protocol = next(
        p for p in httpx.get(server.url + "/api/protocols").json() if p["name"] == BLIND
    )
    page, console = watched_page(browser, size[0], size[1])
    page.goto(server.url + "/?station=sim-2")
    page.locator("#status[data-state='simulated']").wait_for()
    r = httpx.post(
        server.url + "/api/stations/sim-2/run",
        json={"protocol_id": protocol["id"], "student_id": student["id"]},
    )
    assert r.status_code == 201, r.text
    page.locator("#run-panel").wait_for()
    page.wait_for_timeout(300)
    during = page.evaluate(_BOXES)
    assert httpx.post(server.url + "/api/stations/sim-2/run/stop").status_code == 200
    page.locator("#run-result .run-score").wait_for()  # the verdict and the trials table
    page.wait_for_timeout(300)
    after = page.evaluate(_BOXES)
    for what, (top, bottom, left, right) in after.items():
        inside = top >= 0 and left >= 0 and bottom <= size[1] + 0.5 and right <= size[0] + 0.5
        assert inside, (what, after[what])
        if what != "#run-panel":
            assert after[what] == during[what], what  # nothing moved when the results came
    assert page.evaluate("document.scrollingElement.scrollWidth") <= size[0]
    assert console.errors == []
    page.close()
