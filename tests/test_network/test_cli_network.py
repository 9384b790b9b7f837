"""The commands as a user types them: ``presshold station`` on the simulator publishing to a hub,
stopped with SIGTERM; bad URLs are one clear line with the password masked."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support.inprocess import running
from support.remote_checks import until
from support.services import Mosquitto


def presshold(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "presshold", *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.mark.anyio
async def test_station_command_publishes_a_simulated_sensor(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async with running(tmp_path / "hub", names=(), broker=broker.url) as hub:
        proc = subprocess.Popen(
            [sys.executable, "-m", "presshold", "station", "--source", "sim", "--broker",
             broker.url, "--name", "Table 9", "--data-dir", str(tmp_path / "station")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            await until(lambda: "table-9" in hub.stations.stations, 30)
            st = hub.stations.get("table-9")
            await until(lambda: st.status.connected and len(st.feed.history) > 40, 20)
            await until(lambda: st.name == "Table 9")
            assert st.status.sensor and st.status_message()["source_kind"] == "remote"
            proc.send_signal(signal.SIGTERM)
            out, _ = await asyncio.to_thread(proc.communicate, timeout=30)
            assert proc.returncode == 0, out
            assert "PressHold station 'table-9' (Table 9)" in out
            await until(lambda: not st.status.connected, 10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def test_bad_urls_are_one_clear_line_without_the_password(tmp_path: Path) -> None:
    env = {"PRESSHOLD_DATA_DIR": str(tmp_path)}
    r = presshold("serve", "--source", "sim", "--broker", "http://u:pw1@h", env=env)
    assert r.returncode == 2 and "use mqtt://HOST or mqtts://HOST" in r.stderr
    r = presshold("serve", "--source", "sim", "--store", "mysql://u:pw2@h/db", env=env)
    assert r.returncode == 2 and "--store mysql://u:***@h/db" in r.stderr
    r = presshold("station", "--source", "sim", env={**env, "PRESSHOLD_BROKER": ""})
    assert r.returncode == 2 and "--broker mqtt://HOST:PORT is required" in r.stderr
    for out in (r.stdout + r.stderr,):
        assert "pw1" not in out and "pw2" not in out and "Traceback" not in out
