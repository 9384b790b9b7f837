"""``presshold migrate``: a data dir's sessions into the central store, then its other records
(:mod:`presshold.cli.migrate_records`).

Idempotent, so it can run again after new sessions were recorded (or after it was interrupted):
a session already there is completed, never doubled — blocks are keyed by (session, first
time), events get an id derived from their SQLite row, sessions by their id. Each session is
one transaction, and the sample count of every session is compared afterwards.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg

from presshold.cli.migrate_records import found_records, migrate_records
from presshold.errors import StorageError
from presshold.server import pg_schema
from presshold.server.pg_ops import Op
from presshold.server.pg_store import DatabaseDown, connect, describe
from presshold.server.store import connect as sqlite_connect


def migrate(data_dir: Path, url: str) -> dict[str, int]:
    """Copy ``data_dir``'s sessions, then its other records, into ``url``; counts for the
    report."""
    path = data_dir / "sessions.sqlite3"
    if not path.exists() and not found_records(data_dir):
        raise StorageError(f"no session store at {path}, nor trainer or client records")
    try:
        pg = connect(url, autocommit=True)
    except DatabaseDown as exc:
        raise StorageError(f"cannot reach the database: {exc}") from None
    report = {"sessions": 0, "new": 0, "samples": 0, "events": 0}
    try:
        pg_schema.migrate(pg)
        if path.exists():
            _sessions(path, pg, report)
        report.update(migrate_records(data_dir, pg))
    except psycopg.Error as exc:
        raise StorageError(f"cannot write to the database: {describe(exc)}") from None
    finally:
        pg.close()
    return report


def _sessions(path: Path, pg: psycopg.Connection[Any], report: dict[str, int]) -> None:
    """Every session of the SQLite store at ``path``, one transaction each."""
    src = sqlite_connect(path)
    src.row_factory = sqlite3.Row
    try:
        have = {r[0] for r in pg.execute("SELECT id FROM sessions").fetchall()}
        for s in src.execute("SELECT * FROM sessions ORDER BY started_at, rowid").fetchall():
            sid = s["id"]
            ops = [
                Op(
                    "session",
                    (
                        sid,
                        s["started_at"],
                        s["label"],
                        s["notes"],
                        s["sensor"],
                        s["settings"],
                        s["calibration"],
                        s["station_id"],
                        s["station_name"],
                        None,  # no hub: a hub's crash recovery never touches migrated sessions
                        s["client_id"] if "client_id" in s.keys() else None,  # noqa: SIM118 (a Row)
                    ),
                )
            ]
            for b in src.execute(
                "SELECT * FROM blocks WHERE session_id=? ORDER BY t_first", (sid,)
            ):
                args = (sid, b["t_first"], b["t_last"], b["n"])
                ops.append(Op("block", args, b["t_s"] + b["force_n"] + b["raw"]))
            events = src.execute(
                "SELECT rowid, * FROM events WHERE session_id=? ORDER BY t_s, rowid", (sid,)
            ).fetchall()
            ops += [
                Op("event", (f"sqlite-{sid}-{e['rowid']}", sid, e["t_s"], e["kind"], e["data"]))
                for e in events
            ]
            if s["ended_at"] is not None:
                ops.append(Op("end", (sid, s["ended_at"])))
            if s["metrics"] is not None:
                ops.append(Op("metrics", (sid, s["metrics_samples"], s["metrics"])))
            with pg.transaction():
                pg_schema.apply(pg, ops)
            want = src.execute(
                "SELECT COALESCE(SUM(n), 0) FROM blocks WHERE session_id=?", (sid,)
            ).fetchone()[0]
            got = pg.execute(
                "SELECT COALESCE(SUM(n), 0) FROM blocks WHERE session_id=%s", (sid,)
            ).fetchone()[0]
            if got != want:
                raise StorageError(
                    f"session {sid}: {want} samples in {path} but {got} in the database "
                    "(two different sessions with one id?)"
                )
            report["sessions"] += 1
            report["new"] += sid not in have
            report["samples"] += int(want)
            report["events"] += len(events)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot read {path}: {exc}") from None
    finally:
        src.close()
