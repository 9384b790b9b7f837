"""Writes to the PostgreSQL store as plain data, and the disk spool that keeps them in an outage.

A write is an :class:`Op` (kind, JSON-able arguments, and for sample blocks the three float64
arrays as one blob) rather than a closure, so that while the database is away it can wait in
a local SQLite file and be replayed, in order, when the database returns — also after the hub
was killed in between. Every op is idempotent in PostgreSQL (blocks keyed by session and first
time, events by an id made when they are queued, sessions by id; updates and deletes repeat
harmlessly), so an op replayed after a crash between "committed" and "removed from the spool"
is written exactly once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPOOL_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Op:
    kind: str
    """session, block, event, end, update, delete, metrics, cursor or recover."""
    args: tuple[Any, ...]
    blob: bytes = b""
    """For ``block``: t_s, force_n and raw as little-endian float64, one after the other."""

    @property
    def sid(self) -> str | None:
        return self.args[0] if self.kind not in ("cursor", "recover") else None


class OpSpool:
    """Ops in arrival order in ``<data dir>/postgres-spool.sqlite3``; bounded in bytes."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._con: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self.count = 0
        self.bytes = 0

    def _db(self) -> sqlite3.Connection:
        if self._con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(
                "CREATE TABLE IF NOT EXISTS ops (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                " head TEXT NOT NULL, blob BLOB NOT NULL)"
            )
            n, size = con.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(head) + LENGTH(blob)), 0) FROM ops"
            ).fetchone()
            self.count, self.bytes = int(n), int(size)
            self._con = con
        return self._con

    def load(self) -> int:
        """Open the file if one exists (a spool left by an earlier run); ops waiting in it."""
        if self.path.exists():
            self._db()
        return self.count

    def append(self, ops: Sequence[Op]) -> None:
        """Durably append ``ops`` (one transaction); raises OSError when over ``max_bytes``."""
        rows = [(json.dumps([op.kind, op.args]), op.blob) for op in ops]
        size = sum(len(h) + len(b) for h, b in rows)
        if self.bytes + size > self.max_bytes:
            raise OSError(f"outage spool full ({self.max_bytes // 2**20} MB)")
        with self._lock:
            con = self._db()
            with con:
                con.executemany("INSERT INTO ops(head, blob) VALUES (?, ?)", rows)
            self.count += len(rows)
            self.bytes += size

    def head(self, limit: int = SPOOL_CHUNK) -> tuple[list[Op], int]:
        """The oldest ``limit`` ops and the sequence number of the last one."""
        with self._lock:
            rows = (
                self._db()
                .execute("SELECT seq, head, blob FROM ops ORDER BY seq LIMIT ?", (limit,))
                .fetchall()
            )
        ops = []
        for _, head, blob in rows:
            kind, args = json.loads(head)
            ops.append(Op(kind, tuple(args), blob))
        return ops, (rows[-1][0] if rows else 0)

    def remove_through(self, seq: int) -> None:
        with self._lock:
            con = self._db()
            with con:
                size = con.execute(  # the removed range only: a full spool stays cheap
                    "SELECT COALESCE(SUM(LENGTH(head) + LENGTH(blob)), 0) FROM ops WHERE seq <= ?",
                    (seq,),
                ).fetchone()[0]
                con.execute("DELETE FROM ops WHERE seq <= ?", (seq,))
            lo, hi = con.execute("SELECT MIN(seq), MAX(seq) FROM ops").fetchone()
            self.count = 0 if lo is None else hi - lo + 1  # appended in order, removed as a prefix
            self.bytes = max(0, self.bytes - int(size)) if self.count else 0

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
