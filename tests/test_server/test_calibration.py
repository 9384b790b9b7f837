"""Tare and known-weight calibration through the real server, on a pty sensor and the simulator."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import websockets
from support.server import ServerProcess, served_pty_sensor, wait_for


class Level:
    """The raw count the fake HX711 reports from now on (steady: no noise)."""

    raw = 1000.0


def _retry_409(api: httpx.Client, method: str, path: str, **kw: object) -> httpx.Response:
    """Steadiness needs the last window to hold only the new level: retry while it settles."""

    def attempt() -> httpx.Response | None:
        r = api.request(method, path, **kw)  # type: ignore[arg-type]
        return None if r.status_code == 409 else r

    return wait_for(attempt, 10.0, f"{method} {path} accepted")  # type: ignore[return-value]


def test_tare_points_fit_on_a_pty_sensor(tmp_path: Path) -> None:
    with served_pty_sensor(tmp_path, "cal-test", rate_hz=100, unit="raw") as (dev, srv, api):
        dev.start_stream(lambda t: Level.raw, label="raw")

        r = _retry_409(api, "POST", "/api/tare", json={"window_s": 0.3})
        assert r.status_code == 200, r.text
        cal = r.json()
        assert cal["offset_raw"] == 1000.0 and cal["sensor_id"] == f"cal-test on {dev.path}"
        assert cal["points"] == [{"known_n": 0.0, "raw": 1000.0}]

        Level.raw = 1500.0  # a 10 N weight
        _settle(srv.ws_url, 500.0)
        r = _retry_409(api, "POST", "/api/calibration/points", json={"known_n": 10.0})
        assert r.status_code == 201, r.text
        assert r.json()["point"] == {"known_n": 10.0, "raw": 1500.0}
        Level.raw = 2000.0  # 20 N
        _settle(srv.ws_url, 1000.0)
        assert _retry_409(api, "POST", "/api/calibration/points", json={"known_n": 20.0}).is_success

        fit = api.post("/api/calibration/fit")
        assert fit.status_code == 200, fit.text
        body = fit.json()
        assert abs(body["scale_n_per_raw"] - 0.02) < 1e-9 and abs(body["offset_raw"] - 1000) < 1e-6
        assert len(body["residuals_n"]) == 3 and body["nonlinearity_pct"] < 1e-6
        assert api.get("/api/calibration").json()["scale_n_per_raw"] == body["scale_n_per_raw"]
        stored = json.loads((tmp_path / "data" / "calibrations.json").read_text())
        assert stored[f"cal-test on {dev.path}"]["scale_n_per_raw"] == body["scale_n_per_raw"]

        async def first_status() -> dict[str, object]:
            async with websockets.connect(srv.ws_url) as ws:
                return json.loads(await ws.recv())  # type: ignore[no-any-return]

        status = asyncio.run(first_status())
        assert status["calibration"]["scale_n_per_raw"] == body["scale_n_per_raw"]  # type: ignore[index]
        # live readings are now in newtons: 2000 raw = 20 N
        wait_for(lambda: abs(_live_force(srv.ws_url) - 20.0) < 0.01, what="calibrated force")

        assert api.delete("/api/calibration/points").json()["points"] == []
        r = api.post("/api/calibration/fit")
        assert r.status_code == 409 and "known weight" in r.json()["detail"]

        dev.stop_stream()
        dev.unplug()
        wait_for(lambda: not api.get("/api/health").json()["connected"], what="disconnect seen")
        r = api.post("/api/tare")
        assert r.status_code == 409 and "not connected" in r.json()["detail"]


def test_bad_calibration_requests(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as srv, httpx.Client(base_url=srv.url, timeout=5) as api:
        assert api.post("/api/tare", json={"window_s": -1}).status_code == 422
        assert api.post("/api/tare", json={"window_s": 0.5, "x": 1}).status_code == 422
        r = api.post("/api/calibration/points", json={"known_n": "heavy"})
        assert r.status_code == 422 and "known_n" in r.json()["detail"]
        r = api.post(
            "/api/calibration/points",
            content=b"{oops",
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 422 and r.json()["detail"] == "request body is not valid JSON"


def test_tare_on_the_simulator_and_status_broadcast(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as srv, httpx.Client(base_url=srv.url, timeout=5) as api:
        api.put("/api/settings", json={"hold_s": 2.0}).raise_for_status()  # short cycles

        async def tare_and_watch() -> tuple[dict[str, object], dict[str, object]]:
            async with websockets.connect(srv.ws_url) as ws:
                first = json.loads(await ws.recv())
                loop = asyncio.get_running_loop()
                end = loop.time() + 40
                while loop.time() < end:  # the simulated hand rests a few seconds per cycle
                    r = await asyncio.to_thread(  # as the dashboard does: JSON type, no body
                        api.post, "/api/tare", headers={"content-type": "application/json"}
                    )
                    if r.status_code == 200:
                        break
                    assert r.status_code == 409 and "steady" in r.json()["detail"], r.text
                    await asyncio.sleep(0.2)
                assert r.status_code == 200, r.text
                while True:
                    m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    if m["type"] == "status" and m["calibration"] != first["calibration"]:
                        return r.json(), m

        cal, status = asyncio.run(tare_and_watch())
        assert status["calibration"]["offset_raw"] == cal["offset_raw"]  # type: ignore[index]
        assert abs(cal["offset_raw"] - 84_000) < 200  # type: ignore[operator]  # the sim's zero


def _live_force(ws_url: str) -> float:
    async def one_frame() -> float:
        async with websockets.connect(ws_url) as ws:
            while True:
                m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if m["type"] == "frame" and m["samples"]:
                    return float(m["samples"][-1][1])

    return asyncio.run(one_frame())


def _settle(ws_url: str, force_n: float, span_s: float = 1.2) -> None:
    """Wait until the sensor has reported ``force_n`` for ``span_s`` of its own time."""

    async def watch() -> None:
        async with websockets.connect(ws_url) as ws:
            since: float | None = None
            while True:
                m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                for t, f in m.get("samples", []) if m["type"] == "frame" else []:
                    since = (since if since is not None else t) if f == force_n else None
                    if since is not None and t - since >= span_s:
                        return

    asyncio.run(asyncio.wait_for(watch(), 20))
