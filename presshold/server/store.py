"""Session store: SQLite in WAL mode, one writer thread, one row per block of samples.

Why this shape: a 1 kHz sensor would mean 3.6 M rows/hour as one row per sample; storing each
ingest block as NumPy blobs keeps writes cheap and reads a single ``frombuffer``. The writer
commits at most ``FLUSH_S`` apart, so kill -9 loses at most about that much. A failing disk
never raises into the live path: ``ok``/``error`` report it and the backlog is bounded.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from presshold.errors import StorageError

FLUSH_S = 0.5
MAX_BACKLOG = 10_000  # pending write ops kept while the disk fails (~10 min at 1 block/50 ms)

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT, duration_s REAL DEFAULT 0,
  label TEXT, notes TEXT, sensor TEXT, settings TEXT, calibration TEXT);
CREATE TABLE IF NOT EXISTS blocks (
  session_id TEXT NOT NULL, t_first REAL NOT NULL, t_last REAL NOT NULL, n INTEGER NOT NULL,
  t_s BLOB NOT NULL, force_n BLOB NOT NULL, raw BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS blocks_by_session ON blocks(session_id, t_first);
CREATE TABLE IF NOT EXISTS events (
  session_id TEXT NOT NULL, t_s REAL NOT NULL, kind TEXT NOT NULL, data TEXT);
"""


def connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, check_same_thread=False, timeout=5.0)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    return con


class SessionStore:
    """Writes go through :meth:`submit` (non-blocking); reads use their own short connections."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "sessions.sqlite3"
        self.ok = True
        self.error: str | None = None
        self._ops: queue.Queue[Callable[[sqlite3.Connection], None] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._con: sqlite3.Connection | None = None

    # --- lifecycle
    def open(self) -> None:
        """Create the schema and close sessions a crash left open; failure → ok=False, not raise."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._con = connect(self.path)
            self._con.executescript(SCHEMA)
            self._con.execute(
                "UPDATE sessions SET ended_at = COALESCE(ended_at, 'recovered') "
                "WHERE ended_at IS NULL"
            )
            self._con.commit()
        except (OSError, sqlite3.Error) as exc:
            self._fail(exc)
        self._thread = threading.Thread(target=self._run, name="presshold-store", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Flush everything queued, then close (Ctrl-C / SIGTERM path)."""
        if self._thread is not None:
            self._ops.put(None)
            self._thread.join(10)
        if self._con is not None:
            self._con.close()

    def _fail(self, exc: BaseException) -> None:
        self.ok = False
        self.error = f"cannot write sessions to {self.path.parent}: {exc}"

    # --- writer thread
    def submit(self, op: Callable[[sqlite3.Connection], None]) -> None:
        if self._ops.qsize() < MAX_BACKLOG:
            self._ops.put(op)
        else:
            self._fail(StorageError("write backlog full; newest samples are not being saved"))

    def _run(self) -> None:
        pending: list[Callable[[sqlite3.Connection], None]] = []
        stop = False
        while not stop:
            deadline = time.monotonic() + FLUSH_S
            while time.monotonic() < deadline:
                try:
                    op = self._ops.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if op is None:
                    stop = True
                    break
                pending.append(op)
            if pending:
                pending = self._flush(pending)

    def _flush(self, ops: list[Callable[[sqlite3.Connection], None]]) -> list[Any]:
        try:
            if self._con is None:
                self._con = connect(self.path)
                self._con.executescript(SCHEMA)
            with self._con:
                for op in ops:
                    op(self._con)
        except (OSError, sqlite3.Error) as exc:
            self._fail(exc)
            return ops if len(ops) < MAX_BACKLOG else ops[-MAX_BACKLOG // 2 :]
        self.ok, self.error = True, None
        return []

    # --- write helpers (called from the event loop)
    def create_session(self, meta: dict[str, Any]) -> None:
        row = (
            meta["id"],
            meta["started_at"],
            meta.get("label"),
            meta.get("notes"),
            meta.get("sensor"),
            json.dumps(meta.get("settings")),
            json.dumps(meta.get("calibration")),
        )
        self.submit(
            lambda c: c.execute(
                "INSERT INTO sessions(id, started_at, label, notes, sensor, settings, calibration)"
                " VALUES (?,?,?,?,?,?,?)",
                row,
            )
        )

    def add_block(self, sid: str, t_s: np.ndarray, force_n: np.ndarray, raw: np.ndarray) -> None:
        row = (
            sid,
            float(t_s[0]),
            float(t_s[-1]),
            len(t_s),
            np.ascontiguousarray(t_s, "<f8").tobytes(),
            np.ascontiguousarray(force_n, "<f8").tobytes(),
            np.ascontiguousarray(raw, "<f8").tobytes(),
        )
        dur = float(t_s[-1])

        def op(c: sqlite3.Connection) -> None:
            c.execute("INSERT INTO blocks VALUES (?,?,?,?,?,?,?)", row)
            c.execute("UPDATE sessions SET duration_s=? WHERE id=?", (dur, sid))

        self.submit(op)

    def add_event(self, sid: str, t_s: float, kind: str, data: dict[str, Any]) -> None:
        row = (sid, t_s, kind, json.dumps(data))
        self.submit(lambda c: c.execute("INSERT INTO events VALUES (?,?,?,?)", row))

    def end_session(self, sid: str, ended_at: str) -> None:
        self.submit(
            lambda c: c.execute("UPDATE sessions SET ended_at=? WHERE id=?", (ended_at, sid))
        )

    def update_session(self, sid: str, fields: dict[str, Any]) -> None:
        cols = ", ".join(f"{k}=?" for k in fields)
        vals = (*fields.values(), sid)
        self.submit(lambda c: c.execute(f"UPDATE sessions SET {cols} WHERE id=?", vals))

    def delete_session(self, sid: str) -> None:
        def op(c: sqlite3.Connection) -> None:
            for table in ("blocks", "events"):
                c.execute(f"DELETE FROM {table} WHERE session_id=?", (sid,))
            c.execute("DELETE FROM sessions WHERE id=?", (sid,))

        self.submit(op)

    # --- reads (own connection each call; WAL lets them run beside the writer)
    def _read(self) -> sqlite3.Connection:
        if not self.path.exists():
            raise StorageError(f"no session store at {self.path}")
        con = connect(self.path)
        con.row_factory = sqlite3.Row
        return con

    def list_sessions(self) -> list[dict[str, Any]]:
        con = self._read()
        try:
            rows = con.execute("SELECT * FROM sessions ORDER BY started_at DESC").fetchall()
            return [_meta(r) for r in rows]
        finally:
            con.close()

    def get_session(self, sid: str) -> dict[str, Any] | None:
        con = self._read()
        try:
            r = con.execute("SELECT * FROM sessions WHERE id=?", (sid,)).fetchone()
            if r is None:
                return None
            meta = _meta(r)
            meta["events"] = [
                {"t_s": e["t_s"], "kind": e["kind"], **json.loads(e["data"] or "{}")}
                for e in con.execute(
                    "SELECT * FROM events WHERE session_id=? ORDER BY t_s", (sid,)
                ).fetchall()
            ]
            meta["marks"] = [e for e in meta["events"] if e["kind"] == "mark"]
            return meta
        finally:
            con.close()

    def samples(self, sid: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every stored sample of a session, time-ordered: (t_s, force_n, raw)."""
        con = self._read()
        try:
            rows = con.execute(
                "SELECT t_s, force_n, raw FROM blocks WHERE session_id=? ORDER BY t_first",
                (sid,),
            ).fetchall()
        finally:
            con.close()
        if not rows:
            empty = np.zeros(0)
            return empty, empty, empty
        cols = [np.concatenate([np.frombuffer(r[i], "<f8") for r in rows]) for i in range(3)]
        return cols[0], cols[1], cols[2]


def _meta(r: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "started_at": r["started_at"],
        "ended_at": r["ended_at"],
        "duration_s": r["duration_s"] or 0.0,
        "label": r["label"],
        "notes": r["notes"],
        "sensor": r["sensor"],
        "settings": json.loads(r["settings"] or "null"),
        "calibration": json.loads(r["calibration"] or "null"),
    }
