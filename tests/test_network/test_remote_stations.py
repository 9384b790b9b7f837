"""Stations on other machines through a real Mosquitto: each becomes a station of the hub, its
readings are recorded exactly once, and commands reach it."""

from __future__ import annotations

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
