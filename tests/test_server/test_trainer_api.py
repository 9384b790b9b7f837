"""Trainer mode in process: students, protocols (422s), a blind run whose live frames carry no
force while the trainer's view and the overview see everything, trials.csv."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support.inprocess import drain, running
from support.presser import student_presses

pytestmark = pytest.mark.anyio

QUICK_BLIND = {
    "name": "Quick blind 20 N × 2",
    "steps": [
        {"target_n": 20, "tolerance_pct": 15, "hold_s": 1.0, "rest_s": 0.3, "reps": 2,
         "feedback": "blind"},
    ],
}  # fmt: skip


@pytest.fixture
def short_lead_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run's first trial starts 0.2 s after Start (not the seconds a student gets)."""
    monkeypatch.setattr("presshold.server.trainer.service.LEAD_IN_S", 0.2)


async def test_students_crud_and_formula_safe_csv(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        c = app.client
        r = await c.post("/api/students", json={"name": "=HYPERLINK(1)", "group": "A"})
        assert r.status_code == 201
        sid = r.json()["id"]
        assert (await c.post("/api/students", json={"name": ""})).status_code == 422
        assert (await c.post("/api/students", json={"name": "   "})).status_code == 422
        assert (await c.post("/api/students", json={"nom": "x"})).status_code == 422
        r = await c.patch(f"/api/students/{sid}", json={"notes": "-2+3 presses too hard"})
        assert r.json()["notes"] == "-2+3 presses too hard"
        listed = (await c.get("/api/students")).json()
        assert listed[0]["id"] == sid and listed[0]["latest_score"] is None
        text = (await c.get(f"/api/students/{sid}/trials.csv")).text
        header = next(csv.reader(io.StringIO(text)))
        assert {"score", "time_in_band_pct", "cv", "mean_error_n", "hold_completed"} <= set(header)
        assert (await c.get("/api/students/nope")).status_code == 404
        r = await c.delete(f"/api/students/{sid}")
        assert r.json() == {"deleted": sid, "deleted_trials": 0}
        assert (await c.get(f"/api/students/{sid}")).status_code == 404
    assert oct((tmp_path / "trainer.sqlite3").stat().st_mode & 0o777) in ("0o600",)


async def test_protocols_builtins_validation_and_round_trip(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        c = app.client
        names = [p["name"] for p in (await c.get("/api/protocols")).json()]
        assert "Blind test 20 N × 5" in names and "Trigger point 30 N × 30 s × 3" in names
        assert len(names) == 4
        bad = {
            "steps.0.feedback": {**QUICK_BLIND["steps"][0], "feedback": "peek"},
            "give exactly one of tolerance_n or tolerance_pct": {
                **QUICK_BLIND["steps"][0], "tolerance_n": 2},
            "steps.0.reps": {**QUICK_BLIND["steps"][0], "reps": 0},
            "the band reaches 0 N": {**QUICK_BLIND["steps"][0], "tolerance_pct": None,
                                     "tolerance_n": 25},
            'fade_pct is only for feedback "faded"': {**QUICK_BLIND["steps"][0],
                                                      "fade_pct": [100, 0]},
        }  # fmt: skip
        for expected, step in bad.items():
            r = await c.post("/api/protocols", json={"name": "x", "steps": [step]})
            assert r.status_code == 422, expected
            assert expected in r.json()["detail"], r.json()["detail"]
        r = await c.post("/api/protocols", json={"name": "x", "steps": []})
        assert r.status_code == 422 and "steps" in r.json()["detail"]
        r = await c.post("/api/protocols", json=QUICK_BLIND)
        assert r.status_code == 201
        pid = r.json()["id"]
        assert pid == "quick-blind-20-n-2"
        assert (tmp_path / "protocols" / f"{pid}.json").is_file()
        exported = await c.get(f"/api/protocols/{pid}/export.json")
        assert "attachment" in exported.headers["content-disposition"]
        r = await c.post("/api/protocols/import", content=exported.content)
        assert r.status_code == 201 and r.json()["id"] == f"{pid}-2"
        assert r.json()["steps"] == (await c.get(f"/api/protocols/{pid}")).json()["steps"]
        r = await c.post("/api/protocols/import", content=b"{not json")
        assert r.status_code == 422 and "not valid JSON" in r.json()["detail"]
        r = await c.post("/api/protocols/import", content=b'{"name": "y", "steps": [{}]}')
        assert r.status_code == 422 and "steps.0.target_n" in r.json()["detail"]
        assert (await c.put("/api/protocols/blind-test-20n", json=QUICK_BLIND)).status_code == 409
        assert (await c.delete("/api/protocols/blind-test-20n")).status_code == 409
        assert (await c.get("/api/protocols/..%2Fx")).status_code == 404
        assert (await c.delete(f"/api/protocols/{pid}-2")).status_code == 200


@pytest.mark.usefixtures("short_lead_in")
async def test_blind_run_frames_carry_no_force(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        c = app.client
        sid = (await c.post("/api/students", json={"name": "Ada"})).json()["id"]
        assert (await c.patch("/api/stations/fake", json={"student_id": sid})).json()[
            "student_id"
        ] == sid
        pid = (await c.post("/api/protocols", json=QUICK_BLIND)).json()["id"]
        station = app.stations.get("fake")
        student_view, trainer_view = station.add_viewer(), station.add_viewer(full=True)
        overview = app.stations.add_overview_viewer()
        stop = asyncio.Event()
        presser = asyncio.create_task(student_presses(app, "fake", stop))
        r = await c.post("/api/stations/fake/run", json={"protocol_id": pid})
        assert r.status_code == 201, r.text
        run_id = r.json()["id"]
        assert r.json()["student_id"] == sid
        busy = await c.put("/api/settings?station=fake", json={"target_n": 40})
        assert busy.status_code == 409 and "stop the run first" in busy.json()["detail"]
        again = await c.post("/api/stations/fake/run", json={"protocol_id": pid})
        assert again.status_code == 409 and "in progress" in again.json()["detail"]
        student: list[dict[str, Any]] = []
        trainer: list[dict[str, Any]] = []
        tiles: list[dict[str, Any]] = []
        async with asyncio.timeout(15):
            while not any(m.get("kind") == "run_end" for m in student):
                await asyncio.sleep(0.05)
                student += await drain(student_view, 0.001)
                trainer += await drain(trainer_view, 0.001)
                tiles += await drain(overview, 0.001)
        stop.set()
        await presser
        trainer += await drain(trainer_view, 0.001)

        frames = [m for m in student if m["type"] == "frame" and m.get("run")]
        hidden = [f for f in frames if f["run"]["phase"] in ("rest", "press", "hold", "release")]
        assert hidden, "no frames during the run"
        for f in hidden:  # nothing that reveals the force reached the student's screen
            assert f["force_n"] is None and f["in_band"] is None and f["hold_s"] is None
            assert f["alert"] is None and f["samples"] == []
            assert f["run"]["feedback"] == "blind" and f["run"]["shown"] is False
        kinds = [m["kind"] for m in student if m["type"] == "event"]
        assert not {"hold_start", "hold_end", "alert_start", "press_start", "release"} & set(kinds)
        ends = [m for m in student if m.get("kind") == "trial_end"]
        assert len(ends) == 2 and all("metrics" not in m and "score" not in m for m in ends)
        # the trainer's view and the overview saw the force all along
        t_frames = [m for m in trainer if m["type"] == "frame" and m.get("run")]
        assert any(f["force_n"] and f["force_n"] > 15 for f in t_frames)
        assert any(m.get("kind") == "hold_start" for m in trainer)
        assert all("metrics" in m for m in trainer if m.get("kind") == "trial_end")
        pressing_tiles = [
            t for m in tiles for t in m["stations"] if t["trainer"] and t["force_n"] is not None
        ]
        assert any(t["force_n"] > 15 for t in pressing_tiles)
        # the result is revealed at the end of the protocol
        end = next(m for m in student if m.get("kind") == "run_end")
        assert end["status"] == "completed" and len(end["trials"]) == 2
        assert all(t["score"] > 50 for t in end["trials"]), end["trials"]
        # the station got its settings back; the run is stored with its trials
        assert station.settings.target_n == 30.0
        run = (await c.get(f"/api/runs/{run_id}")).json()
        assert run["status"] == "completed" and len(run["trials"]) == 2
        assert run["result"]["trials"] == 2
        m = run["trials"][0]["metrics"]
        assert m["pressed"] and m["hold_completed"]
        assert m["mean_error_n"] == pytest.approx(0.0, abs=0.5)
        text = (await c.get(f"/api/runs/{run_id}/trials.csv")).text
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == 2 and rows[0]["student"] == "Ada" and rows[0]["feedback"] == "blind"
        student_doc = (await c.get(f"/api/students/{sid}")).json()
        assert len(student_doc["trials"]) == 2
        assert student_doc["progress"]["by_feedback"][0]["feedback"] == "hidden"
        report = (await c.get(f"/runs/{run_id}/report")).text
        assert "Quick blind 20 N × 2" in report and "Ada" in report and "<svg" in report


@pytest.mark.usefixtures("short_lead_in")
async def test_full_then_after_feedback_reveals_after_release(tmp_path: Path) -> None:
    """A shown trial streams the force; an "after" trial hides it, then its trial_end brings
    the trace, the band and the error to the student's screen."""
    body = {
        "name": "Seen then after",
        "steps": [
            {"target_n": 20, "tolerance_pct": 15, "hold_s": 2.0, "rest_s": 0.3, "reps": 1},
            {"target_n": 20, "tolerance_pct": 15, "hold_s": 1.0, "rest_s": 0.3, "reps": 1,
             "feedback": "after"},
        ],
    }  # fmt: skip
    async with running(tmp_path) as app:
        c = app.client
        pid = (await c.post("/api/protocols", json=body)).json()["id"]
        station = app.stations.get("fake")
        student_view = station.add_viewer()
        stop = asyncio.Event()
        presser = asyncio.create_task(student_presses(app, "fake", stop))
        run_id = (await c.post("/api/stations/fake/run", json={"protocol_id": pid})).json()["id"]
        got: list[dict[str, Any]] = []
        async with asyncio.timeout(15):
            while not any(m.get("kind") == "run_end" for m in got):
                await asyncio.sleep(0.05)
                got += await drain(student_view, 0.001)
        stop.set()
        await presser
        frames = [m for m in got if m["type"] == "frame" and m.get("run")]
        shown = [f for f in frames if f["run"]["trial"] == 1 and f["run"]["phase"] == "hold"]
        hidden = [f for f in frames if f["run"]["trial"] == 2 and f["run"]["phase"] == "hold"]
        assert shown and hidden
        assert any(f["force_n"] and f["force_n"] > 15 and f["samples"] for f in shown)
        assert all(f["force_n"] is None and not f["samples"] for f in hidden)
        assert all(f["run"]["feedback"] == "after" for f in hidden)
        ends = [m for m in got if m.get("kind") == "trial_end"]
        assert [e["reveal"] for e in ends] == ["live", "after"]
        after = ends[1]
        assert after["band_n"] == pytest.approx([17.0, 23.0])
        assert after["metrics"]["mean_error_n"] is not None and len(after["trace"]) > 10
        assert max(p[1] for p in after["trace"]) > 15  # the force the student could not see
        run = (await c.get(f"/api/runs/{run_id}")).json()
        assert [t["shown"] for t in run["trials"]] == [True, False]


@pytest.mark.usefixtures("short_lead_in")
async def test_a_step_with_a_reference_scores_against_it(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        c = app.client
        sid = (await c.post("/api/sessions", json={"label": "expert"})).json()["id"]
        t0 = time.monotonic()
        t = t0 + np.arange(0, 6, 0.01)
        app.fakes["fake"].push(np.interp(t - t0, [0, 1, 1.5, 4, 4.5, 6], [0, 0, 30, 30, 0, 0]), t)
        await app.settle()
        await c.post("/api/sessions/current/stop")
        ref = await c.post(
            "/api/references", json={"session_id": sid, "from_s": 0, "to_s": 6, "name": "Expert"}
        )
        assert ref.status_code == 201, ref.text
        step = {"target_n": 30, "tolerance_pct": 10, "hold_s": 2.0, "rest_s": 0.3, "reps": 1}
        bad = await c.post(
            "/api/protocols", json={"name": "r", "steps": [{**step, "reference_id": "ref-nope"}]}
        )
        assert bad.status_code == 422 and "steps.0.reference_id" in bad.json()["detail"]
        body = {"name": "Like the expert", "steps": [{**step, "reference_id": ref.json()["id"]}]}
        pid = (await c.post("/api/protocols", json=body)).json()["id"]
        stop = asyncio.Event()
        presser = asyncio.create_task(student_presses(app, "fake", stop, press_n=32.0))
        run_id = (await c.post("/api/stations/fake/run", json={"protocol_id": pid})).json()["id"]
        async with asyncio.timeout(15):
            while (await c.get(f"/api/runs/{run_id}")).json()["status"] == "running":
                await asyncio.sleep(0.1)
        stop.set()
        await presser
        m = (await c.get(f"/api/runs/{run_id}")).json()["trials"][0]["metrics"]
        # 32 N against the expert's 30 N plateau (2 N off), plus a step where the expert ramped
        # and the release times differing: a few newtons, and no longer the flat-target error
        assert 1.5 < m["reference_rms_n"] < 6.0
        assert m["reference_rms_n"] != m["rms_error_n"]
        report = (await c.get(f"/runs/{run_id}/report")).text
        assert 'class="ghost"' in report and "the reference, aligned on the press start" in report
