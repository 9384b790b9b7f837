"""The practice in a real Chromium on the simulator: clients added, chosen at the table (their
presets applied), deleted after confirmation with their sessions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.browser import browser_and_server, watched_page
from support.server import ServerProcess

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ServerProcess]]:
    with browser_and_server(tmp_path_factory.mktemp("clinic")) as both:
        yield both


def test_add_choose_and_delete_a_client(
    sim: tuple[Any, ServerProcess], artifacts_dir: Path
) -> None:
    browser, server = sim
    page, console = watched_page(browser, 1280, 800)
    page.goto(server.url + "/clients")
    page.get_by_text("No clients yet").wait_for()
    page.get_by_label("Name or code").fill("Bea Smith")
    page.get_by_label("Sensitivity").select_option("sensitive")
    page.get_by_label("Start target (N)").fill("12")
    page.get_by_role("button", name="Add client").click()
    row = page.locator("#clients tbody tr", has_text="Bea Smith")
    row.wait_for()
    assert "sensitive" in row.text_content() and "target 12 N" in row.text_content()
    page.screenshot(path=str(artifacts_dir / "clinic-clients.png"))
    # the live page: choose Bea at this table; her preset target shows in the target field
    page.goto(server.url + "/")
    page.locator("#status[data-state='simulated']").wait_for()
    page.get_by_label("On the table").select_option(label="Bea Smith")
    page.wait_for_function("parseFloat(document.getElementById('target').value) === 12")
    page.get_by_text("Bea Smith: their sessions and presets apply here.").wait_for()
    page.screenshot(path=str(artifacts_dir / "clinic-live-client.png"))
    client_id = httpx.get(server.url + "/api/clients").json()[0]["id"]
    assert httpx.get(server.url + "/api/stations").json()[0]["client_id"] == client_id
    sessions = httpx.get(f"{server.url}/api/sessions?client={client_id}").json()
    assert len(sessions) == 1  # the simulator's auto-started session became hers
    # delete: the dialog names what goes; Cancel keeps everything, the red button deletes
    httpx.post(server.url + "/api/sessions/current/stop")
    page.goto(server.url + "/clients")
    row.get_by_role("button", name="Delete…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Delete Bea Smith and 1 recorded session of theirs?").wait_for()
    page.screenshot(path=str(artifacts_dir / "clinic-delete-confirm.png"))
    dialog.get_by_role("button", name="Cancel").click()
    assert httpx.get(f"{server.url}/api/clients/{client_id}").status_code == 200
    row.get_by_role("button", name="Delete…").click()
    dialog.get_by_role("button", name="Delete client and sessions").click()
    page.get_by_text("Deleted Bea Smith and 1 session.").wait_for()
    assert httpx.get(f"{server.url}/api/clients/{client_id}").status_code == 404
    assert httpx.get(f"{server.url}/api/sessions?client={client_id}").status_code == 404
    assert console.errors == []


def test_discomfort_keys_and_the_client_signal_cue(
    sim: tuple[Any, ServerProcess], artifacts_dir: Path
) -> None:
    browser, server = sim
    page, console = watched_page(browser, 1280, 800)
    page.goto(server.url + "/")
    page.locator("#status[data-state='simulated']").wait_for()
    sid = httpx.post(server.url + "/api/sessions", json={"label": "visit"}).json()["id"]
    page.wait_for_function("window.presshold.state.session?.recording === true")
    httpx.post(f"{server.url}/api/sessions/{sid}/marks", json={"label": "SCM", "side": "R"})
    page.get_by_text("Point: SCM R").wait_for()
    page.keyboard.press("7")  # a digit key records what the client says
    page.get_by_text("Recorded 7/10 at SCM R.").wait_for()
    page.get_by_role("button", name="Discomfort 10").click()
    page.get_by_text("Recorded 10/10 at SCM R.").wait_for()
    assert page.locator("#patient-cue").count() == 0
    # the client presses their button: a banner that stays until acknowledged
    httpx.post(server.url + "/api/stations/sim/patient-signal")
    cue = page.get_by_role("alert").filter(has_text="Client signalled")
    cue.wait_for()
    page.wait_for_timeout(5500)
    assert cue.is_visible()  # never clears by itself (≥ 5 s)
    page.screenshot(path=str(artifacts_dir / "clinic-client-signalled.png"))
    cue.get_by_role("button", name="Acknowledge").click()
    assert page.locator("#patient-cue").count() == 0
    httpx.post(server.url + "/api/sessions/current/stop")
    events = httpx.get(f"{server.url}/api/sessions/{sid}").json()["events"]
    assert [(e["level"], e["site"]) for e in events if e["kind"] == "discomfort"] == [
        (7, "SCM R"),
        (10, "SCM R"),
    ]
    assert [e["source"] for e in events if e["kind"] == "patient_signal"] == ["relayed"]
    page.keyboard.press("3")  # not recording: nothing is sent, the page says why
    page.get_by_text("Start a session to record discomfort.").wait_for()
    # the session page lists them and marks them on its trace
    page.goto(f"{server.url}/sessions/{sid}")
    page.get_by_role("cell", name="7/10 at SCM R").wait_for()
    assert page.get_by_role("cell", name="relayed by the therapist").count() == 1
    page.screenshot(path=str(artifacts_dir / "clinic-session-events.png"), full_page=True)
    assert console.errors == []


def test_ppt_on_the_simulator_with_the_body_map(
    sim: tuple[Any, ServerProcess], artifacts_dir: Path
) -> None:
    """The simulated hand ramps, the simulated client presses at 20 N: thresholds are taken at
    the site picked on the body map, repeated, summarised, and a target set from them."""
    browser, server = sim
    page, console = watched_page(browser, 1280, 1000)
    httpx.put(server.url + "/api/settings", json={"target_n": 40, "hold_s": 1.5})
    page.goto(server.url + "/")
    page.locator("#status[data-state='simulated']").wait_for()
    httpx.post(server.url + "/api/sessions", json={"label": "assessment"})
    page.wait_for_function("window.presshold.state.session?.recording === true")
    page.get_by_text("Pressure-pain threshold (PPT)").click()
    page.get_by_text("Body map").click()
    page.get_by_role("button", name="upper trapezius L").click()
    assert page.locator("#ppt-site").input_value() == "upper trapezius"
    assert page.locator("#ppt-side").input_value() == "L"
    # the guide follows the hand's ramp and judges its pace
    page.wait_for_function(
        "['on pace', 'too fast', 'too slow'].includes("
        "document.getElementById('ppt-pace').dataset.pace)",
        timeout=20000,
    )
    httpx.put(server.url + "/api/stations/sim/simulated-client", json={"press_at_n": 20})
    msg = page.locator("#ppt-msg")
    # two presses of the planned hand (ramp, hold, release, rest: ~11 s a cycle at 40 N)
    msg.filter(has_text="upper trapezius L, trial 2 of 3").wait_for(timeout=90000)
    httpx.put(server.url + "/api/stations/sim/simulated-client", json={"press_at_n": None})
    row = page.locator("#ppt-results tbody tr").first
    cells = row.locator("td").all_text_contents()
    assert cells[0] == "upper trapezius L" and cells[1] == "2"
    mean = float(cells[2].removesuffix(" N"))
    assert 19.5 <= mean <= 23  # the client pressed at 20 N; the hand ramps 5-15 N/s
    assert page.locator("#patient-cue").count() == 0  # while measuring, a press is no alarm
    page.screenshot(path=str(artifacts_dir / "clinic-ppt.png"), full_page=True)
    # a treatment target at 70 % of that threshold
    page.get_by_label("Target at (%)").fill("70")
    page.get_by_role("button", name="Set target").click()
    page.get_by_text("Target set to").wait_for()
    target = httpx.get(server.url + "/api/settings").json()["target_n"]
    assert target == pytest.approx(0.7 * mean, abs=0.1)  # the mean is shown to 0.1 N
    sid = httpx.get(server.url + "/api/stations").json()[0]["session_id"]
    trials = httpx.get(f"{server.url}/api/sessions/{sid}/thresholds").json()["trials"]
    assert [t["source"] for t in trials][:2] == ["button", "button"]
    assert all(t["rate_n_per_s"] > 2 for t in trials)
    httpx.post(server.url + "/api/sessions/current/stop")
    assert console.errors == []


_PACE_TEXTS = [
    "Press at 10 N/s",
    "Keep pressing steadily…",
    "On pace · 10.0 N/s",
    "Too fast · 100.0 N/s — slow down",
    "Too slow · 10.0 N/s — press a little faster",
]


@pytest.mark.parametrize("size", [(1366, 768), (1024, 768), (768, 1024), (390, 844)])
def test_the_threshold_button_stays_put_whatever_the_pace_advice(
    sim: tuple[Any, ServerProcess], size: tuple[int, int]
) -> None:
    """The live pace advice ran to one line or two as the ramp's rate changed, moving "Threshold
    now" up and down under the therapist's finger."""
    browser, server = sim
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(server.url + "/")
    page.locator("#status[data-state='simulated']").wait_for()
    page.get_by_text("Pressure-pain threshold (PPT)").click()
    tops = page.evaluate(
        """(texts) => texts.map(t => { document.getElementById('ppt-pace').textContent = t;
             return document.getElementById('ppt-take').getBoundingClientRect().top; })""",
        _PACE_TEXTS,
    )
    assert len(set(tops)) == 1, dict(zip(_PACE_TEXTS, tops, strict=True))
    page.close()


def test_the_pace_advice_never_reads_minus_zero(sim: tuple[Any, ServerProcess]) -> None:
    """A probe held still gives a rate a hair below zero, shown as "Too slow · -0.0 N/s"."""
    browser, server = sim
    page = browser.new_page()
    page.goto(server.url + "/sessions")  # any page of the server: the module loads from it
    text = page.evaluate(
        """async () => {
             const { PptPanel } = await import('/static/ppt.js');
             const root = document.createElement('div');
             const panel = new PptPanel(root, { stationQuery: () => '' });
             root.querySelector('#ppt').open = true;
             const held = Array.from({ length: 21 }, (_, i) => [i * 0.05, 10 - 0.001 * i * 0.05]);
             panel.samples(held);
             return root.querySelector('#ppt-pace').textContent;
           }"""
    )
    assert text == "Too slow · 0.0 N/s — press a little faster"
    page.close()
