"""``presshold migrate``: a laptop's SQLite history lands in PostgreSQL, sample for sample, and
running it again (after more sessions were recorded) adds only what is new."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from support.store_checks import record, same_view

from presshold.server.pg_store import PgSessionStore
from presshold.server.store import SessionStore


def run_migrate(data_dir: Path, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "presshold", "migrate", "--from", str(data_dir), "--to", url],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_migrate_copies_everything_once_and_masks_the_password(pg_url: str, tmp_path: Path) -> None:
    laptop = SessionStore(tmp_path / "laptop")
    laptop.open()
    record(laptop, "s1", 40, np.random.default_rng(1))
    record(laptop, "s2", 7, np.random.default_rng(2))
    assert laptop.sync(5)
    secret = pg_url.replace("presshold@", "presshold:hunter2@")

    first = run_migrate(tmp_path / "laptop", secret)
    assert first.returncode == 0, first.stderr
    assert "2 sessions (2 new), 188 samples" in first.stdout
    assert "hunter2" not in first.stdout + first.stderr and ":***@" in first.stdout

    record(laptop, "s3", 5, np.random.default_rng(3))  # recorded after the first migration
    assert laptop.sync(5)
    second = run_migrate(tmp_path / "laptop", pg_url)
    assert second.returncode == 0, second.stderr
    assert "3 sessions (1 new), 208 samples" in second.stdout

    central = PgSessionStore(pg_url, tmp_path / "hub")
    try:
        same_view(laptop, central, "s1")
        for sid in ("s2", "s3"):
            got, want = central.samples(sid), laptop.samples(sid)
            assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
        assert [s["id"] for s in central.list_sessions()] == [
            s["id"] for s in laptop.list_sessions()
        ]
        # the terminal commands read the central store too
        listed = subprocess.run(
            [sys.executable, "-m", "presshold", "sessions", "--store", secret],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert listed.returncode == 0 and listed.stdout.count("Table 1") == 3, listed.stderr
        exported = subprocess.run(
            [sys.executable, "-m", "presshold", "export", "s1", "--store", pg_url],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert exported.returncode == 0, exported.stderr
        rows = [r for r in exported.stdout.splitlines() if r and not r.startswith(("#", '"t_s"'))]
        assert len(rows) == 160
    finally:
        laptop.close()


def test_migrate_errors_are_one_clear_line(tmp_path: Path) -> None:
    missing = run_migrate(tmp_path / "nothing", "postgresql://u:pw@127.0.0.1:1/x")
    assert missing.returncode == 2
    assert "no session store at" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "d").mkdir()
    SessionStore(tmp_path / "d").open()
    down = run_migrate(tmp_path / "d", "postgresql://u:pw@127.0.0.1:1/x")
    assert down.returncode == 2
    assert "cannot reach the database" in down.stderr and "pw" not in down.stderr
    bad = run_migrate(tmp_path / "d", "mysql://u:pw@h/x")
    assert bad.returncode == 2 and "use postgresql://HOST" in bad.stderr
