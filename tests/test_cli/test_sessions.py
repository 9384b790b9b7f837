"""``presshold sessions`` / ``export`` on a store recorded by the real server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
from support.server import ServerProcess


def test_list_and_export_a_recorded_session(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as srv, httpx.Client(base_url=srv.url) as api:
        sid = api.post("/api/sessions", json={"label": "cli"}).json()["id"]
        time.sleep(1.5)  # > 80 samples of the simulator
        api.post("/api/sessions/current/stop").raise_for_status()
    # the server has exited: these read the store directly
    run = [sys.executable, "-m", "presshold"]
    listing = subprocess.run(
        [*run, "sessions", "--data-dir", str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    assert sid in listing and "cli" in listing
    out = tmp_path / "s.csv"
    subprocess.run([*run, "export", sid, "-o", str(out), "--data-dir", str(tmp_path)], check=True)
    rows = [ln for ln in out.read_text().splitlines() if not ln.startswith("#")]
    assert rows[0].startswith("t_s,force_n,raw,") and len(rows) > 50
    exported = json.loads(
        subprocess.run(
            [*run, "export", sid, "--format", "json", "--data-dir", str(tmp_path)],
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    assert exported["id"] == sid and exported["metrics"]["samples"] == len(rows) - 1
    assert "holds" in exported["analysis"] and exported["events"][0]["kind"] == "session_start"
    bad = subprocess.run(
        [*run, "export", "nope", "--data-dir", str(tmp_path)], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "no session" in bad.stderr and "Traceback" not in bad.stderr
