"""Storage promises (docs/storage.md): SIGTERM flushes every sample; a full disk or an unwritable
data directory is reported in ``status.storage`` while the live view keeps running."""

from __future__ import annotations

import asyncio
import json
import signal as stdsignal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import websockets
from support.server import ServerProcess, served_pty_sensor, wait_for

from presshold.server.store import SessionStore


def test_sigterm_flushes_every_sample(tmp_path: Path) -> None:
    data = tmp_path / "data"
    values = np.arange(1.0, 301.0)
    with served_pty_sensor(tmp_path, "sigterm-test", rate_hz=100, unit="N") as (dev, srv, api):
        sid = api.post("/api/sessions", json={"label": "flush"}).json()["id"]

        async def send_and_see_all() -> None:
            async with websockets.connect(srv.ws_url, max_size=None) as ws:
                t_us = 1_000_000 + np.arange(values.size) * 10_000
                await asyncio.to_thread(dev.send_readings, t_us, values)
                seen: set[float] = set()
                async with asyncio.timeout(20):
                    while not seen >= set(values.tolist()):
                        m = json.loads(await ws.recv())
                        if m["type"] == "frame":
                            seen.update(s[1] for s in m["samples"])

        asyncio.run(send_and_see_all())  # all 300 reached the server: now stop it at once
        assert srv.proc is not None
        srv.proc.send_signal(stdsignal.SIGTERM)
        assert srv.proc.wait(20) == 0, srv.log()
    assert "Traceback" not in srv.log()
    out = tmp_path / "s.csv"
    subprocess.run(
        [sys.executable, "-m", "presshold", "export", sid, "-o", str(out), "--data-dir", str(data)],
        check=True,
        timeout=60,
    )
    rows = [ln.split(",") for ln in out.read_text().splitlines() if not ln.startswith("#")][1:]
    assert sorted(float(r[1]) for r in rows if float(r[1]) >= 1.0) == values.tolist()
    listing = subprocess.run(
        [sys.executable, "-m", "presshold", "sessions", "--data-dir", str(data)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert sid in listing and "recovered" not in listing  # ended cleanly, not by crash recovery


async def _watch(url: str, until: Any, timeout_s: float = 30) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with websockets.connect(url, max_size=None) as ws, asyncio.timeout(timeout_s):
        while not until(got):
            got.append(json.loads(await ws.recv()))
    return got


def test_full_store_is_reported_and_the_live_view_keeps_running(tmp_path: Path) -> None:
    env = {"PRESSHOLD_SIM_RATE": "1000", "PRESSHOLD_STORE_MAX_MB": "0.1"}  # full in ~3 s
    with ServerProcess(tmp_path, env=env) as srv:

        def full(msgs: list[dict[str, Any]]) -> bool:
            bad = [m for m in msgs if m["type"] == "status" and not m["storage"]["ok"]]
            return bool(bad) and sum(m["type"] == "frame" for m in msgs[msgs.index(bad[0]) :]) > 30

        msgs = asyncio.run(_watch(srv.ws_url, full))
        status = next(m for m in msgs if m["type"] == "status" and not m["storage"]["ok"])
        assert "full" in status["storage"]["error"] and str(tmp_path) in status["storage"]["error"]
        after = msgs[msgs.index(status) :]
        frames = [m for m in after if m["type"] == "frame"]
        assert sum(len(f["samples"]) for f in frames) > 500  # still 1 kHz to the gauge
        health = httpx.get(f"{srv.url}/api/health").json()
        assert health["storage_ok"] is False and health["status"] == "ok"
        assert httpx.get(f"{srv.url}/api/sessions").status_code == 200
    assert srv.proc is not None and srv.proc.returncode == 0  # clean stop despite the failures


def test_unwritable_data_dir_is_reported_and_the_live_view_keeps_running(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be\n")
    bad_dir = blocker / "data"  # cannot be created, even by root
    with ServerProcess(tmp_path, extra_args=["--data-dir", str(bad_dir)]) as srv:
        msgs = asyncio.run(_watch(srv.ws_url, lambda m: sum(x["type"] == "frame" for x in m) > 30))
        status = msgs[0]
        assert status["type"] == "status" and status["storage"]["ok"] is False
        assert str(bad_dir) in status["storage"]["error"]
        assert sum(len(m["samples"]) for m in msgs if m["type"] == "frame") > 20
        r = httpx.put(f"{srv.url}/api/settings", json={"target_n": 20})
        assert r.status_code == 507 and "not saved" in r.json()["detail"]
        assert httpx.get(f"{srv.url}/api/settings").json()["target_n"] == 20  # applied anyway
        assert httpx.get(f"{srv.url}/api/sessions").json() == []


def test_delete_on_a_full_store_applies_and_frees_the_space(tmp_path: Path) -> None:
    """Inserts failing on a full store must not hold back the DELETE queued behind them: that is
    how the user frees space, and its 204 is a promise."""
    store = SessionStore(tmp_path, max_bytes=256 * 1024)
    store.open()
    try:
        store.create_session({"id": "old", "started_at": "2026-11-20T10:00:00Z"})
        block = np.arange(2000.0)
        for i in range(20):  # 20 x 48 kB: well past the quota
            store.add_block("old", block + i * 2000, block, block)
        assert store.sync() is False and not store.ok and "full" in (store.error or "")
        store.create_session({"id": "new", "started_at": "2026-11-23T10:00:00Z"})
        store.add_block("new", np.arange(100.0), np.ones(100), np.ones(100))
        store.delete_session("old")  # queued behind inserts that keep failing
        wait_for(lambda: store.ok and store.sync(), what="store writable again after the delete")
        assert store.get_session("old") is None and store.samples("old")[0].size == 0
        new = store.get_session("new")
        assert new is not None and new["samples"] == 100  # written into the freed pages
        assert store.error is None
    finally:
        store.close()
