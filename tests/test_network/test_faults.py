"""Faults with the real engines: after each, the central store holds every sample the sensor
produced exactly once (compared sample by sample: reading k has raw = k), and the live view
resumes.

- the broker killed (``kill -9``, no persistence: its queues are gone) and restarted mid-stream;
- one station's network cut (a proxy swallows its traffic, no FIN/RST) — the issue asks for
  30 s; the property (noticed through keep-alive, last will shown at the hub, spooled, replayed
  as "catching up") is the same for any cut longer than the keep-alive, so the station runs a
  1 s keep-alive here and the cut lasts ~4 s;
- the hub killed with ``kill -9`` and started again (a real ``presshold serve`` process);
- PostgreSQL restarted under a hub recording to it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from support.inprocess import running
from support.remote_checks import assert_exactly_once, finish, station, until
from support.services import Mosquitto, Postgres, free_port
from support.tcp_proxy import TcpProxy

from presshold.server.pg_store import PgSessionStore
from presshold.server.remote_source import RemoteSource


def remote(hub_stations, sid: str = "table-1") -> RemoteSource:  # type: ignore[no-untyped-def]
    source = hub_stations.get(sid).source
    assert isinstance(source, RemoteSource)
    return source


@pytest.mark.anyio
async def test_broker_killed_and_restarted(broker: Mosquitto, tmp_path: Path) -> None:
    async with (
        running(tmp_path / "hub", names=(), broker=broker.url) as hub,
        station(broker.url, tmp_path) as (pub, source),
    ):
        await until(lambda: "table-1" in hub.stations.stations)
        st = hub.stations.get("table-1")
        await until(lambda: st.status.connected and len(st.feed.history) > 40)
        broker.kill()
        before = source.produced
        await until(lambda: source.produced > before + 100)  # > 1 s spooled at the station
        assert pub.spool.pending > 0
        broker.start()
        await until(lambda: st.status.connected)
        after = source.produced
        await until(lambda: st.feed.history and st.feed.history[-1][1] > after)  # live again
        await finish(pub, source)
        assert_exactly_once(hub.stations.store, "table-1", source.produced)


@pytest.mark.anyio
async def test_station_network_cut(broker: Mosquitto, tmp_path: Path) -> None:
    proxy = TcpProxy(broker.port)
    try:
        async with (
            running(tmp_path / "hub", names=(), broker=broker.url) as hub,
            station(proxy.url, tmp_path, keepalive_s=1) as (pub, source),
        ):
            await until(lambda: "table-1" in hub.stations.stations)
            st = hub.stations.get("table-1")
            await until(lambda: st.status.connected and len(st.feed.history) > 40)
            proxy.cut.set()
            cut_at = source.produced
            await until(lambda: not st.status.connected, 10)  # the broker's last will
            assert "offline" in (st.status.message or "")
            await until(lambda: source.produced > cut_at + 240)  # ~3 s of a 80 Hz sensor
            middle = cut_at + 120
            proxy.cut.clear()
            await until(lambda: st.status.connected, 15)
            after = source.produced
            await until(lambda: st.feed.history and st.feed.history[-1][1] > after)
            await finish(pub, source)
            assert_exactly_once(hub.stations.store, "table-1", source.produced)
            assert remote(hub.stations).replayed > 200  # the cut was sent late...
            shown = {round(f) for _, f in st.feed.history}
            assert middle not in shown  # ...recorded, but not shown as live
            assert max(shown) > after  # and the live view resumed
    finally:
        proxy.close()


@pytest.mark.anyio
async def test_postgres_restarted_under_the_hub(
    broker: Mosquitto, postgres_server: Postgres, tmp_path: Path
) -> None:
    url = postgres_server.create_database()
    async with (
        running(tmp_path / "hub", names=(), broker=broker.url, store=url) as hub,
        station(broker.url, tmp_path) as (pub, source),
    ):
        await until(lambda: "table-1" in hub.stations.stations)
        st = hub.stations.get("table-1")
        await until(lambda: st.status.connected and st.recorder.recording)
        await asyncio.sleep(0.5)
        await asyncio.to_thread(postgres_server.stop, "fast")
        try:
            await until(lambda: "writes kept" in (hub.stations.store.error or ""), 10)
            status = st.status_message()["storage"]  # what the dashboard shows
            assert status["ok"] is False and "writes kept" in status["error"]
            await asyncio.sleep(1.0)
        finally:
            await asyncio.to_thread(postgres_server.start)
        await until(lambda: hub.stations.store.ok, 15)
        await finish(pub, source)
        assert_exactly_once(hub.stations.store, "table-1", source.produced)


def start_hub(data_dir: Path, broker: Mosquitto, store: str, port: int) -> subprocess.Popen[str]:
    """``presshold serve`` as its own process (so it can be killed); output in ``hub.log``."""
    env = {**os.environ, "PRESSHOLD_DATA_DIR": str(data_dir)}
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "hub.log"
    with log.open("a") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "presshold", "serve", "--broker", broker.url, "--store", store,
             "--http-port", str(port), "--no-browser"],
            stdout=out, stderr=subprocess.STDOUT, text=True, env=env,
        )  # fmt: skip
    deadline = time.monotonic() + 20
    while "Press Ctrl-C" not in log.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    return proc


def live_station(port: int) -> dict:  # type: ignore[type-arg]
    try:
        stations = httpx.get(f"http://127.0.0.1:{port}/api/stations", timeout=2).json()
    except httpx.HTTPError:
        return {}
    return next((s for s in stations if s["id"] == "table-1"), {})


@pytest.mark.anyio
async def test_hub_killed_and_restarted(
    broker: Mosquitto, postgres_server: Postgres, tmp_path: Path
) -> None:
    url = postgres_server.create_database()
    port = free_port()
    hub = start_hub(tmp_path / "hub", broker, url, port)
    try:
        async with station(broker.url, tmp_path) as (pub, source):
            await until(lambda: live_station(port).get("recording"), 20)
            await asyncio.sleep(1.0)
            hub.kill()  # kill -9: its store writer had up to 0.5 s uncommitted
            hub.wait(5)
            await asyncio.sleep(1.0)
            hub = start_hub(tmp_path / "hub", broker, url, port)
            await until(lambda: live_station(port).get("connected"), 20)  # live view resumes
            await finish(pub, source)
            produced = source.produced
        hub.send_signal(signal.SIGTERM)
        hub.wait(15)
    finally:
        if hub.poll() is None:
            hub.kill()
            hub.wait(5)
    central = PgSessionStore(url, tmp_path / "reader")
    assert_exactly_once(central, "table-1", produced)
    ended = {s["ended_at"] for s in central.list_sessions()}
    assert "recovered" in ended  # the killed hub's session, closed by its successor
