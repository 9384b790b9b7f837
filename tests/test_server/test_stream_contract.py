"""``/ws/live`` message contract, checked field by field, on the simulator and on a pty sensor."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import websockets
from support.server import ServerProcess, served_pty_sensor, wait_for

FRAME_FIELDS = {
    "t_s": float,
    "force_n": float,
    "in_band": bool,
    "hold_s": float,
    "hold_target_s": float,
    "holds_completed": int,
    "samples": list,
}


async def _collect(url: str, until: Any, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    """Messages from connect until ``until(messages)`` is true."""
    got: list[dict[str, Any]] = []
    async with websockets.connect(url, max_size=None) as ws:
        async with asyncio.timeout(timeout_s):
            while not until(got):
                got.append(json.loads(await ws.recv()))
    return got


def _number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def test_status_history_then_frames_on_the_simulator(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as srv:
        settings = httpx.get(f"{srv.url}/api/settings").json()
        msgs = asyncio.run(
            _collect(  # frames go out as samples arrive: count samples, not frames
                srv.ws_url,
                lambda m: sum(len(x["samples"]) for x in m if x["type"] == "frame") >= 40,
            )
        )
    status, history, *rest = msgs
    assert status["type"] == "status" and history["type"] == "history"
    assert status["connected"] is True and status["source"] == "sim"
    assert status["sample_rate_hz"] == 80.0
    assert isinstance(status["rejected"], dict) and status["rejected_total"] == 0
    assert status["settings"] == settings
    assert status["storage"] == {"ok": True, "error": None}
    assert status["device_messages"] == [] and status["calibration"]["calibrated"] is True
    frames = [m for m in rest if m["type"] == "frame"]
    for f in frames:
        for name, kind in FRAME_FIELDS.items():
            value = f[name]
            assert _number(value) if kind is float else isinstance(value, kind), (name, value)
        assert f["alert"] in (None, "over", "under")
        assert f["hold_target_s"] == settings["hold_s"]
        assert all(len(s) == 2 and _number(s[0]) and _number(s[1]) for s in f["samples"])
        if f["samples"]:
            assert f["t_s"] == f["samples"][-1][0]  # time of the newest sample
    # history + frames = one trace: strictly increasing, no sample twice, no hole
    ts = np.array([s[0] for s in history["samples"]] + [s[0] for f in frames for s in f["samples"]])
    assert ts.size > 30 and np.all(np.diff(ts) > 0)
    assert np.diff(ts).max() < 0.1  # 80 Hz: nothing missing between history and the frames


def test_pty_sensor_every_reading_reaches_every_viewer(tmp_path: Path) -> None:
    """Reading k carries the value k: each viewer sees each once, in order, 5 ms apart."""
    with served_pty_sensor(tmp_path, "ws-test", rate_hz=200, unit="N") as (dev, srv, _):

        async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            def saw(value: float):  # type: ignore[no-untyped-def]
                return lambda m: any(
                    s[1] >= value for x in m if x["type"] == "frame" for s in x["samples"]
                )

            early = asyncio.create_task(_collect(srv.ws_url, saw(600.0), 30))
            await asyncio.sleep(0.5)
            dev.start_stream(lambda t: round(t * 200) + 1.0)  # 200 Hz, value = reading number
            await _collect(srv.ws_url, saw(200.0), 20)
            late = asyncio.create_task(_collect(srv.ws_url, saw(600.0), 30))  # joins mid-stream
            return await early, await late

        early, late = asyncio.run(scenario())
        dev.stop_stream()
        status = next(m for m in early if m["type"] == "status" and m["sensor"] == "ws-test")
        assert status["connected"] and status["source"] == dev.path

    for msgs in (early, late):
        samples = [s for m in msgs if m["type"] in ("history", "frame") for s in m["samples"]]
        values = np.array([s[1] for s in samples])
        assert values[-1] >= 600 and np.all(np.diff(values) == 1), "each reading once, in order"
        t = np.array([s[0] for s in samples])
        # frames carry t_s to 0.1 ms; the bridge may squeeze readings 1 µs apart while its clock
        # settles (docs: firmware_bridge/clock.py), so equal neighbours are allowed here
        assert np.all(np.diff(t) >= 0)
        assert abs(np.median(np.diff(t)) - 0.005) < 1e-4  # the device's 5 ms spacing, kept
        assert not [m for m in msgs if m["type"] == "dropped"]
    assert early[1]["type"] == "history" and late[1]["samples"]  # the late one got history


def test_slow_viewer_is_told_what_it_lost_and_others_are_unaffected(tmp_path: Path) -> None:
    env = {"PRESSHOLD_SIM_RATE": "1000"}  # 1 kHz: big frames fill a stalled socket quickly
    with ServerProcess(tmp_path, env=env) as srv, httpx.Client(base_url=srv.url) as api:

        async def scenario() -> tuple[dict[str, Any], int]:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", srv.port))
            slow = await websockets.connect(
                srv.ws_url, sock=sock, max_size=None, compression=None
            )  # uncompressed: the stalled socket fills after ~130 kB of JSON, not ~1 MB
            slow.transport.pause_reading()  # type: ignore[attr-defined]
            healthy = 0
            async with websockets.connect(srv.ws_url, max_size=None) as ws:
                loop = asyncio.get_running_loop()
                end = loop.time() + 60
                while loop.time() < end:
                    if json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "frame":
                        healthy += 1
                    if healthy % 15 == 0:
                        health = await asyncio.to_thread(api.get, "/api/health")
                        if health.json()["viewers_lagging"] >= 1:
                            break
                else:
                    pytest.fail("the stalled viewer never overflowed its queue")
            slow.transport.resume_reading()  # type: ignore[attr-defined]
            async with asyncio.timeout(30):
                while True:
                    m = json.loads(await slow.recv())
                    if m["type"] == "dropped":
                        await slow.close()
                        return m, healthy

        notice, healthy = asyncio.run(scenario())
        assert notice["frames"] > 0 and notice["samples"] > 0
        assert notice["total_frames"] >= notice["frames"]
        assert healthy >= 30  # the healthy viewer kept receiving frames all along
        wait_for(lambda: api.get("/api/health").json()["viewers"] == 0, what="viewers gone")
    assert "Traceback" not in srv.log()  # abrupt and slow clients leave no errors behind
