"""Each gauge dialect end to end: a simulated gauge on a pty, ``presshold serve`` in a subprocess.

What a viewer sees over the real websocket is judged: values in newtons whatever unit the gauge
shows (switched mid-session), the achieved rate in the status, garbage replies counted and never
plotted, and the stream resuming after the gauge is unplugged and plugged in again.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from support.server import ServerProcess, wait_for

from presshold.firmware_bridge.gauge_pty import GaugePty
from presshold.firmware_bridge.gauge_sim import SimulatedGauge

FORCE_N = 12.5
TOLERANCE_N = 0.02
"""The gauges' display resolution (e.g. 45.0 ozF = 12.51 N) is all the error allowed."""


@dataclass(frozen=True)
class Case:
    name: str
    options: str = ""
    stream: bool = False
    min_rate_hz: float = 15.0
    max_rate_hz: float = 1000.0
    unit_in_reply: bool = True


CASES = [
    Case("mark10"),
    Case("dillon"),
    Case("dillon", "?mode=stream", stream=True, min_rate_hz=9.0, max_rate_hz=15.0),
    Case("dillon-gs"),
    Case("andilog", unit_in_reply=False),
    Case("gauge", "?request=D&zero=Z"),
]


def _watch(ws_url: str, seconds: float) -> tuple[list[float], list[dict[str, Any]]]:
    """Every live force value and every status a viewer receives during ``seconds``."""

    async def run() -> tuple[list[float], list[dict[str, Any]]]:
        values: list[float] = []
        statuses: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        async with websockets.connect(ws_url, max_size=None) as ws:
            while (left := end - loop.time()) > 0:
                try:
                    m = json.loads(await asyncio.wait_for(ws.recv(), left))
                except TimeoutError:
                    break
                if m["type"] == "frame":
                    values += [f for _, f in m["samples"]]
                elif m["type"] == "status":
                    statuses.append(m)
        return values, statuses

    return asyncio.run(run())


def _client(srv: ServerProcess) -> httpx.Client:
    """No kept-alive connections: one left idle while the test watches the websocket may be
    closed by the server's keep-alive timeout just as it is reused."""
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.Client(base_url=srv.url, timeout=10, limits=limits)


def _status(ws_url: str) -> dict[str, Any]:
    return _watch(ws_url, 0.3)[1][-1]


def _all_near(values: list[float], expected: float = FORCE_N) -> bool:
    return bool(values) and all(abs(v - expected) <= TOLERANCE_N for v in values)


@pytest.mark.parametrize("case", CASES, ids=[c.name + c.options for c in CASES])
def test_a_gauge_through_presshold_serve(tmp_path: Path, case: Case) -> None:
    gauge = SimulatedGauge(case.name, lambda t: FORCE_N, stream=case.stream, corrupt_every=25)
    with (
        GaugePty(gauge, tmp_path / "ttyGAUGE") as sim,
        ServerProcess(tmp_path / "data", source=f"{case.name}:{sim.path}{case.options}") as srv,
        _client(srv) as api,
    ):
        wait_for(lambda: api.get("/api/health").json()["connected"], what="gauge connected")
        wait_for(lambda: _status(srv.ws_url)["sample_rate_hz"], what="rate measured")

        values, _ = _watch(srv.ws_url, 1.5)
        assert len(values) >= 10 and _all_near(values), values[:20]
        status = _status(srv.ws_url)
        assert case.min_rate_hz <= status["sample_rate_hz"] <= case.max_rate_hz, status
        assert "readings/s" in status["message"] or status["device_messages"]
        assert status["sensor"].endswith("gauge") and status["source_kind"] == "serial"
        wait_for(lambda: _status(srv.ws_url)["rejected"].get("garbage"), what="garbage counted")

        # the display unit switched on the gauge mid-session
        new_unit = gauge.b.units[2]
        gauge.set_unit(new_unit)
        values, _ = _watch(srv.ws_url, 2.5)
        if case.unit_in_reply:  # each reply says its unit: not one value is wrong
            assert _all_near(values), [v for v in values if abs(v - FORCE_N) > TOLERANCE_N][:5]
        else:  # Andilog: the unit is asked every second; right again once it has answered
            wait_for(lambda: _all_near(_watch(srv.ws_url, 0.5)[0]), what="new unit learnt")
        canonical = {"kg": "kgf", "kgF": "kgf"}.get(new_unit, new_unit)
        messages = _status(srv.ws_url)["device_messages"]
        assert any(f"reads in {canonical}" in m for m in messages), messages

        # unplugged and plugged in again behind the same link
        sim.unplug()
        wait_for(lambda: not api.get("/api/health").json()["connected"], what="unplug seen")
        sim.replug()
        wait_for(lambda: api.get("/api/health").json()["connected"], what="replug seen")
        wait_for(lambda: len(_watch(srv.ws_url, 0.5)[0]) > 3, what="readings after replug")
        values, _ = _watch(srv.ws_url, 1.0)
        assert _all_near(values), values[:20]
        assert api.get("/api/health").json()["recording"]


def test_tare_through_the_api_zeroes_the_gauge_itself(tmp_path: Path) -> None:
    gauge = SimulatedGauge("mark10", lambda t: FORCE_N)
    with (
        GaugePty(gauge, tmp_path / "ttyGAUGE") as sim,
        ServerProcess(tmp_path / "data", source=f"mark10:{sim.path}") as srv,
        _client(srv) as api,
    ):
        wait_for(lambda: _watch(srv.ws_url, 0.5)[0], what="readings")
        r = api.post("/api/tare", json={"window_s": 0.3})
        assert r.status_code == 200, r.text
        assert r.json()["offset_raw"] == 0.0 and gauge.offset_n == pytest.approx(FORCE_N)
        values, _ = _watch(srv.ws_url, 1.0)
        assert _all_near(values, 0.0)
