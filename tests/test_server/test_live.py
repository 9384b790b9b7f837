"""The real server on the simulator: health, pages, and the websocket stream contract."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import websockets
from support.csvfile import read_export
from support.server import ServerProcess

from presshold.firmware_bridge.simulated_source import SimulatedSource
from presshold.firmware_bridge.source import ReadingBatch
from presshold.server import settings_api
from presshold.server.exports import csv_lines
from presshold.server.live import LiveHub
from presshold.server.recorder import Recorder
from presshold.server.session_metrics import session_metrics
from presshold.server.store import SessionStore


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


def test_starting_a_session_frames_the_drained_samples_first(tmp_path: Path) -> None:
    """POST /api/sessions drains the inbox and then restarts the time base: the drained samples
    must still reach viewers (in a frame before ``session_start``), not vanish from the trace."""
    store = SessionStore(tmp_path)
    store.open()
    loop = asyncio.new_event_loop()
    try:
        hub = LiveHub(SimulatedSource(), loop, Recorder(store, auto_start=False))
        viewer = hub.add_viewer()
        values = np.arange(1.0, 11.0)
        stamps = time.monotonic() - 0.1 + np.arange(10) * 0.005
        hub.on_readings(ReadingBatch(t_s=stamps, raw=values, force_n=values))
        hub.drain()  # as the start route does, then:
        hub.recorder.start(label="next", **hub.session_meta())
        hub.on_session_change()

        async def messages() -> list[dict[str, object]]:
            got = []
            while True:
                try:
                    got.append(json.loads(await asyncio.wait_for(viewer.get(), 0.2)))
                except TimeoutError:
                    return got

        msgs = loop.run_until_complete(messages())
        kinds = [m.get("kind", m["type"]) for m in msgs]
        framed = [s[1] for m in msgs if m["type"] == "frame" for s in m["samples"]]  # type: ignore[union-attr]
        assert framed == values.tolist()
        assert kinds.index("frame") < kinds.index("session_start")
    finally:
        loop.close()
        store.close()


def test_settings_changed_mid_session_are_scored_where_they_changed(tmp_path: Path) -> None:
    """The live view switched settings at one sample; metrics and the CSV switch at the same one
    (a ``settings`` event), instead of scoring the whole session against the starting ones."""
    store = SessionStore(tmp_path)
    store.open()
    loop = asyncio.new_event_loop()
    try:
        hub = LiveHub(SimulatedSource(), loop, Recorder(store, auto_start=False))
        first = settings_api.TreatmentSettings().normalised()
        hub.apply_settings(first.model_dump())  # target 30 N: 50 N is "over"
        sid = hub.recorder.start(**hub.session_meta())["id"]
        hub.on_session_change()
        stamps = hub.recorder.t0 + 0.001 + np.arange(2000) * 0.005  # 10 s at 200 Hz
        force = np.full(2000, 50.0)
        for i in range(0, 2000, 100):
            if i == 1000:  # 5 s in: the therapist sets the target to the pressure held
                patch = settings_api.SettingsPatch(target_n=50.0)
                hub.apply_settings(settings_api.apply(first, patch).model_dump())
            part = slice(i, i + 100)
            hub.on_readings(ReadingBatch(t_s=stamps[part], raw=force[part], force_n=force[part]))
            hub.drain()
        live_in_band = hub.pipeline.summary().time_in_band_s
        hub.recorder.stop()
        assert store.sync()
        meta = store.get_session(sid)
        assert meta is not None
        changes = [e for e in meta["events"] if e["kind"] == "settings"]
        assert len(changes) == 1 and changes[0]["settings"]["target_n"] == 50.0
        assert changes[0]["t_s"] == pytest.approx(stamps[999] - hub.recorder.t0)
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
    finally:
        loop.close()
        store.close()
