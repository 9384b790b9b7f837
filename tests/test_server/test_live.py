"""The real server on the simulator: health, pages, and the websocket stream contract."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import websockets
from support.server import ServerProcess


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
