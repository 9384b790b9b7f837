"""A station's outbox on disk: every batch stays here until the hub says it is stored.

The hub acknowledges on ``…/ack`` only after the batch's samples are committed to its session
store (or its own outage spool), so "acknowledged" means "recorded", not merely "reached the
broker". Anything not acknowledged — a broker restart without persistence, a cut network, a
hub killed with ``kill -9`` — is sent again, in order, and the hub drops what it already has by
sequence number. SQLite, because it is in Python's standard library, survives power loss and
is one file next to the station's calibrations.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from pathlib import Path

MAX_BYTES = 512 * 2**20  # ~27 h of an 80 Hz sensor sent reading by reading (64 B a batch)


class SpoolFull(OSError):
    pass


class Spool:
    """Batches by sequence number (1, 2, …) under a random ``stream`` id; thread-safe."""

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._con = sqlite3.connect(path, check_same_thread=False)
        con = self._con
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.executescript(
            "CREATE TABLE IF NOT EXISTS batches (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL);"
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        )
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        if "stream" not in meta:
            meta = {"stream": secrets.randbits(63), "next": 1, "acked": 0}
            with con:
                con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        self.stream: int = meta["stream"]
        self.next_seq: int = meta["next"]
        self.acked: int = meta["acked"]
        self.bytes = con.execute(
            "SELECT COALESCE(SUM(LENGTH(payload)), 0) FROM batches"
        ).fetchone()[0]

    def reserve(self) -> int:
        """The next sequence number (not yet durable: :meth:`add` makes it so)."""
        return self.next_seq

    def add(self, seq: int, payload: bytes) -> None:
        """Durably keep batch ``seq`` (which must be :meth:`reserve`'s number)."""
        if self.bytes + len(payload) > self.max_bytes:
            raise SpoolFull(f"station spool full ({self.max_bytes // 2**20} MB unacknowledged)")
        with self._lock, self._con as con:
            con.execute("INSERT INTO batches VALUES (?, ?)", (seq, payload))
            con.execute("UPDATE meta SET value = ? WHERE key = 'next'", (seq + 1,))
            self.next_seq = seq + 1
            self.bytes += len(payload)

    @property
    def first(self) -> int:
        """The oldest sequence number still held (``acked + 1``)."""
        return self.acked + 1

    def ack(self, seq: int) -> bool:
        """The hub stored everything up to ``seq``: forget it. False if nothing changed."""
        seq = min(seq, self.next_seq - 1)
        if seq <= self.acked:
            return False
        with self._lock, self._con as con:
            freed = con.execute(  # only the acknowledged range: cheap with a day of backlog
                "SELECT COALESCE(SUM(LENGTH(payload)), 0) FROM batches WHERE seq <= ?", (seq,)
            ).fetchone()[0]
            con.execute("DELETE FROM batches WHERE seq <= ?", (seq,))
            con.execute("UPDATE meta SET value = ? WHERE key = 'acked'", (seq,))
            self.acked = seq
            self.bytes -= freed
        return True

    def after(self, seq: int, limit: int) -> list[tuple[int, bytes]]:
        """Up to ``limit`` batches with a sequence number above ``seq``, in order."""
        with self._lock:
            return self._con.execute(
                "SELECT seq, payload FROM batches WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()

    @property
    def pending(self) -> int:
        return self.next_seq - 1 - self.acked

    def close(self) -> None:
        with self._lock:
            self._con.close()
