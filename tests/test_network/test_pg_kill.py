"""docs/storage.md's kill -9 promise with PostgreSQL as the store: readings the live view showed
more than a second before ``kill -9`` are in the database, and the next start closes the
session as ``recovered`` (the same check as tests/test_server/test_recording.py for SQLite)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import numpy as np
import websockets
from support.pty_device import PtyDevice
from support.server import ServerProcess

from presshold.server.pg_store import PgSessionStore


def newest_live_value(ws_url: str) -> float:
    async def read() -> float:
        async with websockets.connect(ws_url, max_size=None) as ws:
            while True:
                m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if m["type"] == "frame" and m["samples"]:
                    return float(m["samples"][-1][1])

    return asyncio.run(read())


def wait(pred, timeout_s: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_kill_9_loses_at_most_the_last_second_in_postgres(pg_url: str, tmp_path: Path) -> None:
    store_args = ["--store", pg_url]
    with PtyDevice(tmp_path / "ttyK", rate_hz=100) as dev:
        srv = ServerProcess(tmp_path / "d", source=dev.path, extra_args=store_args).start()
        try:
            health = lambda: httpx.get(f"{srv.url}/api/health", timeout=2).json()  # noqa: E731
            wait(lambda: health()["connected"])
            dev.send_hello(sensor="kill-test", rate=100, unit="N")
            dev.start_stream(lambda t: round(t * 100) + 1.0)  # reading k has the value k
            wait(lambda: health()["recording"])
            time.sleep(1.5)
            shown = newest_live_value(srv.ws_url)  # on screen now …
            time.sleep(1.0)  # … and a second older than the kill
        finally:
            srv.kill()
            dev.stop_stream()
    with ServerProcess(tmp_path / "d", source="sim", extra_args=store_args):
        central = PgSessionStore(pg_url, tmp_path / "reader")
        wait(lambda: any(s["ended_at"] == "recovered" for s in central.list_sessions()))
        old = [s for s in central.list_sessions() if s["ended_at"] == "recovered"]
        assert len(old) == 1
        stored = set(central.samples(old[0]["id"])[1].tolist())
        assert shown > 50 and set(np.arange(1.0, shown + 1).tolist()) <= stored
