"""docs/storage.md's kill -9 promise with PostgreSQL as the store: readings the live view showed
more than a second before ``kill -9`` are in the database, and the next start closes the
session as ``recovered`` (the same check as tests/test_server/test_recording.py for SQLite)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from support.kill9 import kill_9_while_recording
from support.server import ServerProcess, wait_for

from presshold.server.pg_store import PgSessionStore


def test_kill_9_loses_at_most_the_last_second_in_postgres(pg_url: str, tmp_path: Path) -> None:
    store_args = ["--store", pg_url]
    shown = kill_9_while_recording(tmp_path / "d", tmp_path / "ttyK", store_args)
    with ServerProcess(tmp_path / "d", source="sim", extra_args=store_args):
        central = PgSessionStore(pg_url, tmp_path / "reader")
        wait_for(lambda: any(s["ended_at"] == "recovered" for s in central.list_sessions()), 15)
        old = [s for s in central.list_sessions() if s["ended_at"] == "recovered"]
        assert len(old) == 1
        stored = set(central.samples(old[0]["id"])[1].tolist())
        assert shown > 50 and set(np.arange(1.0, shown + 1).tolist()) <= stored
