"""``presshold sessions`` / ``export`` on a store recorded by the real server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
from support.csvfile import read_export
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
    _, header, data = read_export(out.read_text())
    rows = [header, *data]
    assert header[:3] == ["t_s", "force_n", "raw"] and len(rows) > 50
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


RUN = [sys.executable, "-m", "presshold"]


def _recorded_store(data_dir: Path, samples: int) -> str:
    """A finished session written straight through the store (no server needed)."""
    import numpy as np

    from presshold.server.store import SessionStore

    store = SessionStore(data_dir)
    store.open()
    sid = "20260101-090000"
    store.create_session({"id": sid, "started_at": "2026-01-01T09:00:00Z", "label": "pipe"})
    t = np.arange(samples) / 80.0
    for k in range(0, samples, 800):
        block = slice(k, k + 800)
        store.add_block(sid, t[block], np.full(len(t[block]), 12.5), t[block] * 0 + 84213.0)
    store.end_session(sid, "2026-01-01T09:10:00Z")
    store.close()
    return sid


def test_a_corrupt_store_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "sessions.sqlite3").write_bytes(b"this is not a database\n" * 200)
    for cmd in (["sessions"], ["export", "x"]):
        r = subprocess.run(
            [*RUN, *cmd, "--data-dir", str(tmp_path)], capture_output=True, text=True
        )
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert "sessions.sqlite3" in r.stderr and "not a database" in r.stderr
        assert len(r.stderr.splitlines()) == 1


def test_an_unwritable_output_is_a_one_line_error(tmp_path: Path) -> None:
    sid = _recorded_store(tmp_path, 100)
    for target in (tmp_path / "missing-dir" / "x.csv", tmp_path):  # no such folder; a folder
        r = subprocess.run(
            [*RUN, "export", sid, "-o", str(target), "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
        )
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert f"cannot write {target}" in r.stderr and len(r.stderr.splitlines()) == 1


def test_export_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    """``presshold export ID | head``: the reader leaves early; no traceback, no error."""
    sid = _recorded_store(tmp_path, 20_000)  # far more than a pipe buffer of CSV
    with subprocess.Popen(
        [*RUN, "export", sid, "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().startswith(b"#")
        proc.stdout.close()
        stderr = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 0 and stderr == ""


def test_export_every_format_from_the_command_line(tmp_path: Path) -> None:
    import numpy as np
    import pyarrow.parquet as pq
    import scipy.io
    from fhir.resources.R4B.bundle import Bundle

    sid = _recorded_store(tmp_path, 1000)
    out = {}
    for fmt, suffix in (("parquet", "parquet"), ("mat", "mat"), ("fhir", "fhir.json")):
        out[fmt] = tmp_path / f"s.{suffix}"
        out[fmt].write_text("an older file that the export replaces")
        subprocess.run(
            [
                *RUN,
                "export",
                sid,
                "--format",
                fmt,
                "-o",
                str(out[fmt]),
                "--data-dir",
                str(tmp_path),
            ],
            check=True,
        )
    t = np.arange(1000) / 80.0
    assert np.array_equal(pq.read_table(out["parquet"]).column("t_s").to_numpy(), t)
    assert np.array_equal(scipy.io.loadmat(out["mat"], simplify_cells=True)["t_s"], t)
    Bundle.model_validate(json.loads(out["fhir"].read_text()))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
    stdout = subprocess.run(
        [*RUN, "export", sid, "--format", "parquet", "--data-dir", str(tmp_path)],
        capture_output=True,
        check=True,
    ).stdout
    assert stdout[:4] == b"PAR1" and stdout[-4:] == b"PAR1"  # binary formats go to stdout too


def test_every_subcommand_help_says_what_it_does() -> None:
    """``presshold sessions --help`` (and export, ports, simulate) describe themselves."""
    for command, says in (
        ("sessions", "List recorded sessions"),
        ("export", "every sample"),
        ("ports", "'presshold simulate --pty'"),
        ("simulate", "speaks the serial protocol"),
    ):
        out = subprocess.run(
            [sys.executable, "-m", "presshold", command, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        out = " ".join(out.split())  # argparse wraps lines at the terminal's width
        assert says in out, command
        if command in ("sessions", "export"):
            assert "folder of the session store" in out
