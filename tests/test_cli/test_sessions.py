"""``presshold sessions`` / ``export`` on a store recorded by the real server."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
from support.server import ServerProcess


def test_list_and_export_a_recorded_session(tmp_path: Path) -> None:
    with ServerProcess(tmp_path) as srv, httpx.Client(base_url=srv.url) as api:
        sid = api.post("/api/sessions", json={"label": "cli"}).json()["id"]
        time.sleep(1.5)
    run = [sys.executable, "-m", "presshold"]
    listing = subprocess.run(
        [*run, "sessions", "--data-dir", str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    assert sid in listing and "cli" in listing
    out = tmp_path / "s.csv"
    subprocess.run([*run, "export", sid, "-o", str(out), "--data-dir", str(tmp_path)], check=True)
    rows = [ln for ln in out.read_text().splitlines() if not ln.startswith("#")]
    assert rows[0].startswith("t_s,force_n,raw,") and len(rows) > 50
    bad = subprocess.run(
        [*run, "export", "nope", "--data-dir", str(tmp_path)], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "no session" in bad.stderr and "Traceback" not in bad.stderr
