"""Stations on other machines through a real Mosquitto: each becomes a station of the hub, its
readings are recorded exactly once whatever the network does, and commands reach it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import pytest
from support.counting_source import CountingSource
from support.inprocess import InProcess, running
from support.services import Mosquitto

from presshold.network.mqtt import parse_broker
from presshold.network.publisher import StationPublisher
from presshold.network.spool import Spool
from presshold.server.store_api import SessionStoreAPI


@asynccontextmanager
async def station(
    broker: Mosquitto, tmp_path: Path, sid: str = "table-1", rate_hz: float = 80.0
) -> AsyncIterator[tuple[StationPublisher, CountingSource]]:
    source = CountingSource(rate_hz)
    spool = Spool(tmp_path / f"{sid}.spool.sqlite3")
    pub = StationPublisher(sid, f"Table {sid}", source, parse_broker(broker.url), spool)
    pub.start()
    try:
        yield pub, source
    finally:
        await asyncio.to_thread(pub.stop)


def recorded_raw(store: SessionStoreAPI, station_id: str) -> list[np.ndarray]:
    """Every session of the station, oldest first, as its raw column."""
    store.sync(5)
    sessions = [s for s in store.list_sessions() if s["station_id"] == station_id]
    runs = [store.samples(s["id"])[2] for s in sessions]
    return sorted((r for r in runs if len(r)), key=lambda r: r[0])


def assert_exactly_once(store: SessionStoreAPI, station_id: str, produced: int) -> None:
    runs = recorded_raw(store, station_id)
    for r in runs:
        assert np.all(np.diff(r) > 0), "samples out of order within a session"
    got = np.concatenate(runs) if runs else np.zeros(0)
    assert len(got) == produced, f"{len(got)} stored, {produced} produced"
    assert np.array_equal(np.sort(got), np.arange(produced)), "lost or duplicated samples"


async def until(cond, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not cond():
        assert loop.time() < end, "condition not met in time"
        await asyncio.sleep(0.05)


async def finish(hub: InProcess, pub: StationPublisher, source: CountingSource) -> None:
    """Stop the sensor and wait until the hub acknowledged all of it (= recorded)."""
    await asyncio.to_thread(source.stop)
    await until(lambda: not pub._parked)
    await until(lambda: pub.spool.pending == 0 and pub.spool.next_seq > 1)


@pytest.mark.anyio
async def test_remote_station_is_a_station_and_records_everything_once(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with (
        running(tmp_path / "hub", names=(), broker=broker.url) as hub,
        station(broker, tmp_path) as (pub, source),
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
        await finish(hub, pub, source)
        assert_exactly_once(hub.stations.store, "table-1", source.produced)
