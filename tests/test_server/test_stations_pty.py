"""Several real pty sensors behind one real ``presshold serve``: each station is its own world."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
from pathlib import Path

import httpx
import websockets
from support.pty_device import PtyDevice
from support.server import ServerProcess, wait_for

LEVELS = {"tty-a": 10.0, "tty-b": 20.0, "tty-c": 30.0}


async def _frames(url: str, station: str, n: int = 12) -> list[dict[str, object]]:
    async with websockets.connect(f"{url}?station={station}") as ws:
        got: list[dict[str, object]] = []
        while len([m for m in got if m["type"] == "frame" and m["samples"]]) < n:
            got.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        return got


def test_unplugging_one_station_leaves_the_others_untouched(tmp_path: Path) -> None:
    devices = [PtyDevice(tmp_path / name, rate_hz=100) for name in LEVELS]
    try:
        extra = [a for d in devices[1:] for a in ("--source", d.path)]
        with (
            ServerProcess(tmp_path / "data", source=devices[0].path, extra_args=extra) as srv,
            httpx.Client(base_url=srv.url, timeout=10) as api,
        ):
            stations = api.get("/api/stations").json()
            assert [s["id"] for s in stations] == list(LEVELS)
            for dev, level in zip(devices, LEVELS.values(), strict=True):
                dev.send_hello(sensor=dev.path.rsplit("/", 1)[-1], rate=100)
                dev.start_stream(lambda t, v=level: v)
            wait_for(
                lambda: all(s["recording"] for s in api.get("/api/stations").json()),
                what="every station recording",
            )
            for sid, level in LEVELS.items():  # each station shows its own sensor's values
                msgs = asyncio.run(_frames(srv.ws_url, sid))
                assert msgs[0]["station"] == {"id": sid, "name": msgs[0]["station"]["name"]}
                values = {s[1] for m in msgs if m["type"] == "frame" for s in m["samples"]}
                assert values == {level}

            devices[0].stop_stream()
            devices[0].unplug()
            wait_for(
                lambda: not api.get("/api/stations/tty-a").json()["connected"],
                what="tty-a disconnected",
            )
            health = api.get("/api/health").json()
            assert (health["stations"], health["stations_connected"]) == (3, 2)
            for sid in ("tty-b", "tty-c"):  # the others keep streaming live
                assert asyncio.run(_frames(srv.ws_url, sid, 5))
            ids = {s: api.get(f"/api/stations/{s}").json()["session_id"] for s in LEVELS}
            for sid in ("tty-b", "tty-c"):
                assert api.post(f"/api/sessions/current/stop?station={sid}").status_code == 200
            for dev in devices[1:]:
                dev.stop_stream()
            for sid, level in list(LEVELS.items())[1:]:
                detail = api.get(f"/api/sessions/{ids[sid]}").json()
                assert detail["station_id"] == sid
                assert "gap" not in {e["kind"] for e in detail["events"]}
                text = api.get(f"/api/sessions/{ids[sid]}/export.csv").text
                rows = list(csv.reader(io.StringIO(text)))
                header = next(i for i, r in enumerate(rows) if r and r[0] == "t_s")
                samples = rows[header + 1 :]
                times = [float(r[0]) for r in samples]
                assert len(samples) == detail["samples"] > 20
                assert {float(r[1]) for r in samples} == {level}
                assert max(b - a for a, b in itertools.pairwise(times)) < 0.1
            a = api.get(f"/api/sessions/{ids['tty-a']}").json()
            assert "gap" in {e["kind"] for e in a["events"]}
    finally:
        for dev in devices:
            dev.close()
