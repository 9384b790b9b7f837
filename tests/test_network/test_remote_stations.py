"""Stations on other machines through a real Mosquitto: each becomes a station of the hub, its
readings are recorded exactly once, and commands reach it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support.inprocess import running
from support.remote_checks import assert_exactly_once, finish, station, until
from support.services import Mosquitto


@pytest.mark.anyio
async def test_remote_station_is_a_station_and_records_everything_once(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with (
        running(tmp_path / "hub", names=(), broker=broker.url) as hub,
        station(broker.url, tmp_path) as (pub, source),
    ):
        await until(lambda: "table-1" in hub.stations.stations)
        st = hub.stations.get("table-1")
        await until(lambda: st.name == "Table table-1")  # the station's --name
        await until(lambda: st.status.connected and st.recorder.recording)
        listed = (await hub.client.get("/api/stations")).json()
        assert [s["id"] for s in listed if s["connected"]] == ["table-1"]
        await until(lambda: len(st.feed.history) > 40)  # live view fed
        # a command goes to the station and its own answer comes back (a counting sensor is
        # never steady, so the station's calibration code refuses the tare)
        r = await hub.client.post("/api/tare?station=table-1", json={})
        assert r.status_code == 409, r.text
        assert "not steady" in r.json()["detail"]
        await until(lambda: source.produced > 150)
        await finish(pub, source)
        assert_exactly_once(hub.stations.store, "table-1", source.produced)


@pytest.mark.anyio
async def test_tare_and_calibration_are_done_at_the_station(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with (
        running(tmp_path / "hub", names=(), broker=broker.url) as hub,
        station(broker.url, tmp_path, sid="table-2", steady=1234.0) as (_, source),
    ):
        await until(lambda: "table-2" in hub.stations.stations)
        st = hub.stations.get("table-2")
        await until(lambda: st.status.connected and len(st.feed.history) > 80)
        r = await hub.client.post("/api/tare?station=table-2", json={"window_s": 0.5})
        assert r.status_code == 200, r.text
        assert source.calibration.offset_raw == 1234.0  # the station's own sensor was zeroed
        view = (await hub.client.get("/api/calibration?station=table-2")).json()
        assert view["offset_raw"] == 1234.0  # and the hub shows the station's answer
        source.steady = 2234.0  # a 10 N weight on the station's sensor
        await asyncio.sleep(1.0)
        r = await hub.client.post(
            "/api/calibration/points?station=table-2", json={"known_n": 10.0, "window_s": 0.5}
        )
        assert r.status_code == 201, r.text
        assert [p["known_n"] for p in source.calibration_points] == [0.0, 10.0]
        r = await hub.client.post("/api/calibration/fit?station=table-2")
        assert r.status_code == 200, r.text
        assert source.calibration.scale_n_per_raw == pytest.approx(0.01)
        assert r.json()["scale_n_per_raw"] == pytest.approx(0.01)


@pytest.mark.anyio
async def test_settings_reach_the_station(broker: Mosquitto, tmp_path: Path) -> None:
    """A simulated hand at a remote station aims at the hub's settings: sent when the station
    comes online and on every change."""
    async with (
        running(tmp_path / "hub", names=(), broker=broker.url, target="25") as hub,
        station(broker.url, tmp_path, sid="table-4") as (_, source),
    ):
        await until(lambda: "table-4" in hub.stations.stations)
        await until(lambda: any(f[0] == 25.0 for f in source.followed))
        r = await hub.client.put("/api/settings?station=table-4", json={"target_n": 40})
        assert r.status_code == 200, r.text
        await until(lambda: source.followed[-1][0] == 40.0)


@pytest.mark.anyio
async def test_local_sources_work_beside_remote_stations(broker: Mosquitto, tmp_path: Path) -> None:
    async with (
        running(tmp_path / "hub", names=("desk",), broker=broker.url) as hub,
        station(broker.url, tmp_path, sid="table-5") as _,
    ):
        await until(lambda: "table-5" in hub.stations.stations)
        hub.fakes["desk"].push([10.0, 11.0, 12.0])
        desk = hub.stations.get("desk")
        await until(lambda: len(desk.feed.history) == 3)
        listed = {s["id"]: s for s in (await hub.client.get("/api/stations")).json()}
        assert listed.keys() == {"desk", "table-5"}
        assert listed["table-5"]["source"] == "mqtt:table-5"
        overview = hub.stations.overview_message()["stations"]
        assert [t["id"] for t in overview] == ["desk", "table-5"]
