"""A station publisher on a counting sensor, and the checks the network tests share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np

from presshold.network.mqtt import parse_broker
from presshold.network.publisher import StationPublisher
from presshold.network.spool import Spool
from presshold.server.store_api import SessionStoreAPI
from support.counting_source import CountingSource


@asynccontextmanager
async def station(
    url: str,
    tmp_path: Path,
    sid: str = "table-1",
    rate_hz: float = 80.0,
    keepalive_s: int = 5,
    steady: float | None = None,
) -> AsyncIterator[tuple[StationPublisher, CountingSource]]:
    source = CountingSource(rate_hz, steady=steady)
    spool = Spool(tmp_path / f"{sid}.spool.sqlite3")
    pub = StationPublisher(
        sid, f"Table {sid}", source, parse_broker(url), spool, keepalive_s=keepalive_s
    )
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


async def finish(pub: StationPublisher, source: CountingSource) -> None:
    """Stop the sensor and wait until the hub acknowledged all of it (= recorded)."""
    await asyncio.to_thread(source.stop)
    await until(lambda: not pub._parked)
    await until(lambda: pub.spool.pending == 0 and pub.spool.next_seq > 1)
