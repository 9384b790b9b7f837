"""The real server on the simulator: health, pages, and the websocket stream contract."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import numpy as np
import pytest
import websockets
from support.csvfile import read_export
from support.inprocess import drain, running
from support.server import ServerProcess

from presshold.server.exports import csv_lines
from presshold.server.session_metrics import session_metrics
from presshold.treatment import SettingsPatch


def test_health_pages_and_live_stream(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as srv:
        health = httpx.get(f"{srv.url}/api/health").json()
        assert health["status"] == "ok"
        assert httpx.get(f"{srv.url}/").status_code == 200
        assert httpx.get(f"{srv.url}/static/app.js").status_code == 200
        paths = httpx.get(f"{srv.url}/openapi.json").json()["paths"]
        assert {
            "/api/health", "/api/settings", "/api/tare", "/api/calibration",
            "/api/calibration/points", "/api/calibration/fit", "/api/sessions",
            "/api/sessions/{sid}", "/api/sessions/{sid}/marks", "/api/sessions/{sid}/trace",
            "/api/sessions/{sid}/export.csv", "/api/sessions/{sid}/export.json",
        } <= paths.keys()  # fmt: skip

        async def read() -> list[dict[str, object]]:
            async with websockets.connect(srv.ws_url) as ws:
                return [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(20)]

        msgs = asyncio.run(read())
        assert msgs[0]["type"] == "status" and msgs[1]["type"] == "history"
        frames = [m for m in msgs if m["type"] == "frame"]
        assert len(frames) >= 10
        last = frames[-1]
        assert isinstance(last["in_band"], bool) and last["band_n"] == [27.0, 33.0]
        assert last["hold_target_s"] == 30.0 and isinstance(last["holds_completed"], int)
        ts = [s[0] for f in frames for s in f["samples"]]  # type: ignore[union-attr]
        assert ts == sorted(ts) and len(ts) > 0
        forces = [s[1] for f in frames for s in f["samples"]]  # type: ignore[union-attr]
        implausible = [x for x in forces if not -50 < x < 500]
        assert len(implausible) <= 2, implausible  # the simulator's rare one-sample HX711 glitch


def test_ctrl_c_exits_cleanly(tmp_path: Path) -> None:
    srv = ServerProcess(tmp_path).start()
    assert srv.stop() == 0, srv.log()
    assert "Traceback" not in srv.log()


@pytest.mark.anyio
async def test_starting_a_session_frames_the_parked_samples_first(tmp_path: Path) -> None:
    """Starting a session ingests what the source parked and then restarts the time base: those
    samples must still reach viewers (in a frame before ``session_start``), not vanish."""
    async with running(tmp_path) as app:
        station = app.stations.get()
        viewer = station.add_viewer()
        values = np.arange(1.0, 11.0)
        app.fakes["fake"].push(values)  # parked; the loop has not run yet
        station.start_session(label="next")
        msgs = await drain(viewer, 0.2)
        kinds = [m.get("kind", m["type"]) for m in msgs]
        framed = [s[1] for m in msgs if m["type"] == "frame" for s in m["samples"]]
        assert framed == values.tolist()
        last_start = len(kinds) - 1 - kinds[::-1].index("session_start")  # the explicit one
        assert kinds.index("frame") < last_start


@pytest.mark.anyio
async def test_settings_changed_mid_session_are_scored_where_they_changed(tmp_path: Path) -> None:
    """The live view switched settings at one sample; metrics and the CSV switch at the same one
    (a ``settings`` event), instead of scoring the whole session against the starting ones."""
    async with running(tmp_path) as app:
        station = app.stations.get()
        store = station.recorder.store
        await station.update_settings(SettingsPatch(target_n=30.0, tolerance_pct=10.0))
        sid = station.start_session()["id"]
        stamps = station.recorder.t0 + 0.001 + np.arange(2000) * 0.005  # 10 s at 200 Hz
        force = np.full(2000, 50.0)
        for i in range(0, 2000, 100):
            if i == 1000:  # 5 s in: the therapist sets the target to the pressure held
                await station.update_settings(SettingsPatch(target_n=50.0))
            app.fakes["fake"].push(force[i : i + 100], stamps[i : i + 100])
            station.ingest_parked()
        live_in_band = station.feed.pipeline.summary().time_in_band_s
        station.stop_session()
        assert store.sync()
        meta = store.get_session(sid)
        assert meta is not None
        changes = [e for e in meta["events"] if e["kind"] == "settings"]
        assert len(changes) == 1 and changes[0]["settings"]["target_n"] == 50.0
        assert changes[0]["t_s"] == pytest.approx(stamps[999] - station.recorder.t0)
        got = session_metrics(store, meta, recording=False)["metrics"]
        assert 4.0 < got["time_in_band_s"] <= 5.0
        assert got["time_in_band_s"] == pytest.approx(live_in_band, abs=1e-9)
        _, header, rows = read_export("".join(csv_lines(meta, store.iter_samples(sid))))
        assert {r[5] for r in rows[900:1000]} == {"over"}
        assert {r[5] for r in rows[-100:]} == {"in_band"}
        # the settings columns switch at the very sample the live view switched (issue 11)
        target = [float(r[header.index("target_n")]) for r in rows]
        assert set(target[:1000]) == {30.0} and set(target[1000:]) == {50.0}
        hi = [float(r[header.index("band_hi_n")]) for r in rows[1000:]]
        assert hi == pytest.approx([55.0] * 1000)
