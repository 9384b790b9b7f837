"""Discomfort ratings and the patient button at a station, in process."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support.inprocess import running

from presshold.server.viewers import Viewer

pytestmark = pytest.mark.anyio


async def _events(viewer: Viewer, wait_s: float = 0.2, max_s: float = 5.0) -> list[dict[str, Any]]:
    """Events until the viewer is quiet for ``wait_s`` (or ``max_s`` passed: frames stream)."""
    got = []
    end = time.monotonic() + max_s
    while time.monotonic() < end:
        try:
            m = json.loads(await asyncio.wait_for(viewer.get(), wait_s))
        except TimeoutError:
            break
        if m["type"] == "event":
            got.append(m)
    return got


async def test_discomfort_is_recorded_on_the_session_with_the_current_site(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        sid = (await app.client.post("/api/sessions")).json()["id"]
        app.fakes["fake"].push(np.full(50, 20.0))
        await app.settle()
        mark = {"label": "upper trap", "side": "L"}
        await app.client.post(f"/api/sessions/{sid}/marks", json=mark)
        viewer = app.stations.get("fake").add_viewer()
        r = await app.client.post(f"/api/sessions/{sid}/discomfort", json={"level": 6})
        assert r.status_code == 201
        assert r.json() | {"t_s": 0} == {
            "t_s": 0, "kind": "discomfort", "level": 6, "site": "upper trap L", "side": None
        }  # fmt: skip
        r = await app.client.post(
            f"/api/sessions/{sid}/discomfort", json={"level": 0, "site": "SCM", "side": "R"}
        )
        assert r.json()["site"] == "SCM" and r.json()["side"] == "R"
        live = [e for e in await _events(viewer) if e["kind"] == "discomfort"]
        assert [e["level"] for e in live] == [6, 0]
        for bad in ({"level": 11}, {"level": -1}, {"level": 2.5}, {}, {"level": 3, "x": 1}):
            r = await app.client.post(f"/api/sessions/{sid}/discomfort", json=bad)
            assert r.status_code == 422, bad
        await app.client.post("/api/sessions/current/stop")
        gone = await app.client.post(f"/api/sessions/{sid}/discomfort", json={"level": 1})
        assert gone.status_code == 409
        detail = (await app.client.get(f"/api/sessions/{sid}")).json()
        stored = [e for e in detail["events"] if e["kind"] == "discomfort"]
        assert [(e["level"], e["site"]) for e in stored] == [(6, "upper trap L"), (0, "SCM")]
        assert stored[0]["t_s"] > 0


async def test_patient_button_is_an_event_recorded_and_broadcast(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        sid = (await app.client.post("/api/sessions")).json()["id"]
        station = app.stations.get("fake")
        viewer = station.add_viewer()
        app.fakes["fake"].push(np.full(20, 15.0))
        pressed_at = time.monotonic()
        station.on_button(pressed_at, True)  # as the reader thread calls it
        station.on_button(pressed_at + 0.2, False)  # releases are not events
        await app.settle()
        r = await app.client.post("/api/stations/fake/patient-signal")
        assert r.status_code == 201 and r.json()["source"] == "relayed"
        live = [e for e in await _events(viewer) if e["kind"] == "patient_signal"]
        assert [e["source"] for e in live] == ["button", "relayed"]
        assert abs(live[0]["t_s"] - (pressed_at - station.recorder.t0)) < 1e-3
        await app.client.post("/api/sessions/current/stop")
        events = (await app.client.get(f"/api/sessions/{sid}")).json()["events"]
        assert [e["source"] for e in events if e["kind"] == "patient_signal"] == [
            "button", "relayed"
        ]  # fmt: skip
        # not recording: the cue still shows live, nothing is stored
        r = await app.client.post("/api/stations/fake/patient-signal")
        assert r.status_code == 201
        assert (await app.client.post("/api/stations/nope/patient-signal")).status_code == 404
        assert (
            await app.client.put("/api/stations/fake/simulated-client", json={"press_at_n": 5})
        ).status_code == 409  # a fake sensor has no simulated client


async def test_the_simulated_client_presses_at_the_threshold_set(tmp_path: Path) -> None:
    import httpx

    from presshold.firmware_bridge.simulated_source import SimulatedSource
    from presshold.firmware_bridge.sources import SourceSpec
    from presshold.server.app import create_app
    from presshold.server.config import ServerSettings

    src = SimulatedSource(rate_hz=200, seed=5, name="sim")
    app = create_app(ServerSettings(data_dir=tmp_path), sources=[(SourceSpec("sim", "sim"), src)])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            r = await client.put("/api/stations/sim/simulated-client", json={"press_at_n": 3})
            assert r.json() == {"press_at_n": 3, "tap": False}
            station = app.state.presshold.stations.get("sim")
            viewer = station.add_viewer()
            got: list[dict[str, Any]] = []
            end = time.monotonic() + 20
            while time.monotonic() < end and not got:
                got = [e for e in await _events(viewer, 0.5, 1.0) if e["kind"] == "patient_signal"]
            assert got and got[0]["source"] == "button"
            r = await client.put("/api/stations/sim/simulated-client", json={"press_at_n": -1})
            assert r.status_code == 422


async def test_thresholds_taken_listed_per_session_and_per_client(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        c = (await app.client.post("/api/clients", json={"name": "Bea"})).json()
        sid = (await app.client.post("/api/sessions", json={"client_id": c["id"]})).json()["id"]
        station = app.stations.get("fake")
        t0 = station.recorder.t0
        hz = 100.0
        for k, (site, side, rate, top) in enumerate(
            [("upper trapezius", "L", 10.0, 30.0), ("upper trapezius", "R", 20.0, 24.0)]
        ):
            base = 0.01 + 10.0 * k  # each trial in its own 10 s of session time
            t = base + np.arange(0, 0.5 + top / rate, 1 / hz)
            f = np.clip((t - base - 0.5) * rate, 0.0, None)
            app.fakes["fake"].push(f, t0 + t)
            last = float(t[-2])
            await app.settle(lambda: station.feed.history and station.feed.history[-1][0] > last)  # noqa: B023
            r = await app.client.post(
                f"/api/sessions/{sid}/thresholds",
                json={"site": site, "side": side, "t_s": float(t[-1]), "source": "button"},
            )
            assert r.status_code == 201, r.text
            got = r.json()
            assert got["value_n"] == pytest.approx(top, abs=0.2)
            assert got["rate_n_per_s"] == pytest.approx(rate, rel=0.03)
            assert got["pace"] == ("on pace" if rate == 10 else "too fast")
        bad = await app.client.post(f"/api/sessions/{sid}/thresholds", json={"side": "L"})
        assert bad.status_code == 422  # a site is required
        summary = (await app.client.get(f"/api/sessions/{sid}/thresholds")).json()
        assert [(s["side"], s["n"]) for s in summary["sites"]] == [("L", 1), ("R", 1)]
        assert summary["left_right"][0]["difference_n"] == pytest.approx(6.0, abs=0.3)
        await app.client.post("/api/sessions/current/stop")
        listed = (await app.client.get(f"/api/clients/{c['id']}/thresholds")).json()
        assert [(x["site"], x["side"], x["session_id"]) for x in listed] == [
            ("upper trapezius", "L", sid),
            ("upper trapezius", "R", sid),
        ]
        assert listed[0]["t"].endswith("Z") and listed[0]["value_n"] == pytest.approx(30, abs=0.2)
        gone = await app.client.post(f"/api/sessions/{sid}/thresholds", json={"site": "SCM"})
        assert gone.status_code == 409


async def test_progress_and_visit_summary_of_a_client(tmp_path: Path) -> None:
    async with running(tmp_path) as app:
        c = (await app.client.post("/api/clients", json={"name": "Bea"})).json()
        other = (await app.client.post("/api/clients", json={"name": "Cy"})).json()
        await app.client.put("/api/settings", json={"target_n": 20, "hold_s": 1})
        station = app.stations.get("fake")
        sids = []
        for visit, top in enumerate((18.0, 24.0)):
            body = {"client_id": c["id"], "notes": f"visit {visit + 1}"}
            sid = (await app.client.post("/api/sessions", json=body)).json()["id"]
            sids.append(sid)
            t0 = station.recorder.t0
            t = 0.01 + np.arange(0, 3.0, 0.01)  # a ramp to the threshold at 10 N/s
            f = np.clip((t - 0.5) * 10, 0, None)
            f[t > 0.5 + top / 10] = 0.0
            app.fakes["fake"].push(f, t0 + t)
            await app.settle(lambda: station.feed.history[-1][0] > 2.9)
            r = await app.client.post(
                f"/api/sessions/{sid}/thresholds",
                json={"site": "SCM", "side": "R", "t_s": 0.5 + top / 10},
            )
            assert r.status_code == 201, r.text
            await app.client.post(f"/api/sessions/{sid}/marks", json={"label": "SCM", "side": "R"})
            t = 3.01 + np.arange(0, 4.0, 0.01)  # then a 4 s hold at the 20 N target
            app.fakes["fake"].push(np.full(t.size, 20.0), t0 + t)
            await app.settle(lambda: station.feed.history[-1][0] > 6.9)
            rating = {"level": 5 - 2 * visit, "t_s": 5.0}
            await app.client.post(f"/api/sessions/{sid}/discomfort", json=rating)
            app.fakes["fake"].push(np.zeros(50), t0 + 7.01 + np.arange(50) * 0.01)
            await app.settle(lambda: station.feed.history[-1][0] > 7.4)
            await app.client.post("/api/sessions/current/stop")
        p = (await app.client.get(f"/api/clients/{c['id']}/progress")).json()
        assert [v["session_id"] for v in p["visits"]] == sids
        (scm,) = [s for s in p["sites"] if s["site"] == "SCM R"]
        assert [v["threshold_n"] for v in scm["visits"]] == pytest.approx([18, 24], abs=0.2)
        assert [v["discomfort_mean"] for v in scm["visits"]] == [5.0, 3.0]
        assert scm["visits"][1]["pressure_held_n"] == pytest.approx(20, abs=0.5)
        assert [h["site"] for h in p["latest_holds"]] == ["SCM R"]
        v = (await app.client.get(f"/api/clients/{c['id']}/visits/{sids[1]}")).json()
        assert v["client"]["name"] == "Bea" and v["notes"] == "visit 2"
        (site,) = v["sites"]
        assert site["threshold_before_n"] == pytest.approx(24, abs=0.2)
        assert site["discomfort_max"] == 3 and site["holds"][0]["completed"]
        wrong = await app.client.get(f"/api/clients/{other['id']}/visits/{sids[1]}")
        assert wrong.status_code == 404  # not Cy's visit
        assert (await app.client.get("/api/clients/c-nope/progress")).status_code == 404
